"""Run a per-document function over many documents: in-process or in a pool of forked workers.

Guarantees, whatever happens inside the function: results come back in input order, one per item; a document that
runs past the time limit becomes a timeout result, one that exhausts the memory limit a memory result, and one that
kills its worker (segfault, OOM kill) costs only itself: it is retried once in a fresh worker, and fails alone.

The pool is forked once per call and kept. Each worker has its own pipes and holds at most two documents, the one
it runs and the next, so it never waits on the parent, and the parent always knows which document a dead or hung
worker was running (the queued one simply goes back in line). A worker is replaced after `batch_size` documents,
because trafilatura has been reported to leak over thousands of pages. The parent only takes inputs ahead (for a
run, HTML files as paths, which the workers read), routes them and reorders results: it stays nearly idle, so
`jobs` workers keep `jobs` cores busy.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import pickle
import queue
import resource
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# results held for reordering behind one slow document; past this the other workers wait (bounds parent memory)
REORDER_WINDOW = 512
# the parent's watchdog waits this long past twice the limit: SIGALRM normally fires first, the watchdog is for
# hangs inside C code that block the signal
WATCHDOG_GRACE_SECONDS = 5.0
# documents handed to one worker at a time: the one it runs and the next, so it never waits for the parent
QUEUE_DEPTH = 2


class DocumentTimeout(BaseException):
    """Raised inside a worker when one document exceeds its time limit.

    A BaseException, like KeyboardInterrupt: trafilatura wraps readability, justext and its recall retry in
    `except Exception`, which would swallow an Exception raised by the alarm and let the page run on unlimited.
    """


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_seconds: float = 60.0  # per document; 0 disables
    memory_bytes: int = 0  # address-space cap per worker process; 0 disables
    batch_size: int = 500  # documents per worker lifetime: a worker is replaced by a fresh fork after this many
    in_process: bool = False  # jobs=1 in this process (for debuggers): no crash isolation, no memory cap


@dataclass(frozen=True, slots=True)
class Failure(Generic[Item]):
    """What a caller receives instead of a result when the function could not finish on an item."""

    item: Item
    reason: str  # "timeout", "memory limit", "worker crashed", "too deeply nested"


@dataclass(frozen=True, slots=True)
class _Raised:
    """An exception the function let escape: re-raised in the parent, as a bug must not pass as a rejection."""

    error: BaseException


def _raise_timeout(signum: int, frame: object) -> None:
    raise DocumentTimeout


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    # SIGALRM only works in the main thread; elsewhere the parent's watchdog is the limit
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _raise_timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _guarded(func: Callable[[Item], Result], item: Item, limits: Limits) -> Result | Failure[Item]:
    try:
        with _time_limit(limits.timeout_seconds):
            return func(item)
    except DocumentTimeout:
        return Failure(item, "timeout")
    except MemoryError:
        return Failure(item, "memory limit")
    except RecursionError:
        return Failure(item, "too deeply nested")


def _init_worker(memory_bytes: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    # the inherited heap (imports, the parent's data) never becomes garbage here: keep the collector off it
    gc.freeze()
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _worker_main(func: Callable[[Any], Any], limits: Limits, tasks: Connection, results: Connection) -> None:
    """A worker's life: (index, item) in, (index, result) out, until told to stop or the parent goes away.

    A thread empties the task pipe into a local queue, so the parent can hand over the next document while this
    one is still being processed (and never blocks on a full pipe while this process blocks on sending a result).
    """
    _init_worker(limits.memory_bytes)
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.Thread(target=_drain, args=(tasks, inbox), daemon=True).start()
    while (message := inbox.get()) is not None:
        index, item = message
        try:
            result: Any = _guarded(func, item, limits)
        except Exception as exc:
            result = _Raised(exc)
        results.send((index, result))


def _drain(tasks: Connection, inbox: queue.SimpleQueue[Any]) -> None:
    while True:
        try:
            message = tasks.recv()
        except (EOFError, OSError):  # the parent went away
            message = None
        inbox.put(message)
        if message is None:
            return


def map_documents(
    func: Callable[[Item], Result], items: Iterable[Item], jobs: int, limits: Limits | None = None
) -> Iterator[Result | Failure[Item]]:
    """Apply `func` to every item, yielding results (or Failures) in input order."""
    limits = limits or Limits()
    if jobs <= 1 and limits.in_process:
        for item in items:
            yield _guarded(func, item, limits)
        return
    pool = _Pool(func, max(jobs, 1), limits)
    try:
        yield from pool.run(iter(items))
    finally:
        pool.close()


@dataclass(slots=True)
class _Task(Generic[Item]):
    index: int
    item: Item
    retried: bool = False  # already cost one worker its life: it now runs alone, and a second death is its own


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    tasks: Connection  # parent -> worker
    results: Connection  # worker -> parent
    queue: deque[_Task[Any]] = field(default_factory=deque)  # sent, not yet answered; the first is running
    started: float = 0.0  # when the first of `queue` started
    done: int = 0

    def accepts(self, task: _Task[Any], batch_size: int) -> bool:
        """Room for `task`: one running plus one queued, never past the worker's last document before it is
        replaced; a retried task runs alone, with nothing queued behind it."""
        if not self.queue:
            return True
        if len(self.queue) >= QUEUE_DEPTH or self.done + len(self.queue) >= batch_size:
            return False
        return not task.retried and not self.queue[0].retried


@dataclass(slots=True)
class _Pool(Generic[Item, Result]):
    func: Callable[[Item], Result]
    jobs: int
    limits: Limits
    workers: list[_Worker] = field(default_factory=list)
    waiting: deque[_Task[Item]] = field(default_factory=deque)  # read ahead, or retries: sent before new items
    results: dict[int, Result | Failure[Item]] = field(default_factory=dict)
    next_index: int = 0  # the next item read from the input
    next_out: int = 0  # the next result to yield

    def run(self, items: Iterator[Item]) -> Iterator[Result | Failure[Item]]:
        self.workers = [self._spawn() for _ in range(self.jobs)]
        exhausted = False
        while True:
            exhausted = self._read_ahead(items, exhausted)
            while self._dispatch():  # fill every worker's queue before blocking on results
                exhausted = self._read_ahead(items, exhausted)
            busy = [w for w in self.workers if w.queue]
            if busy:
                self._collect(busy)
            elif exhausted and not self.waiting:
                return  # every result has been yielded: they are consecutive once nothing is in flight
            while self.next_out in self.results:
                yield self.results.pop(self.next_out)
                self.next_out += 1

    def _read_ahead(self, items: Iterator[Item], exhausted: bool) -> bool:
        # one item ready per worker: a worker's queue is refilled without waiting for a read
        while not exhausted and len(self.waiting) < self.jobs and self.next_index - self.next_out < REORDER_WINDOW:
            try:
                item = next(items)
            except StopIteration:
                return True
            self.waiting.append(_Task(self.next_index, item))
            self.next_index += 1
        return exhausted

    def _dispatch(self) -> int:
        """Send waiting tasks to workers with room; how many were sent."""
        sent = 0
        # idle workers first, so that every core starts before any worker gets a second document queued
        for wanted in range(QUEUE_DEPTH):
            for worker in self.workers:
                if (
                    self.waiting
                    and len(worker.queue) == wanted
                    and worker.accepts(self.waiting[0], self.limits.batch_size)
                ):
                    self._send(worker, self.waiting.popleft())
                    sent += 1
        return sent

    def _send(self, worker: _Worker, task: _Task[Item]) -> None:
        if not worker.queue:
            worker.started = time.monotonic()
        worker.queue.append(task)
        try:
            worker.tasks.send((task.index, task.item))
        except OSError:  # it died: its tasks wait for its replacement
            self._replace(worker, "worker crashed")

    def _collect(self, busy: list[_Worker]) -> None:
        ready = wait([w.results for w in busy], timeout=self._wait_seconds(busy))
        for worker in busy:
            if worker.results in ready:
                self._receive(worker)
            elif self._overdue(worker):
                self._replace(worker, "timeout")

    def _wait_seconds(self, busy: list[_Worker]) -> float | None:
        if self.limits.timeout_seconds <= 0:
            return None
        soonest = min(w.started for w in busy) + self._watchdog_seconds()
        return max(0.0, soonest - time.monotonic())

    def _watchdog_seconds(self) -> float:
        return 2 * self.limits.timeout_seconds + WATCHDOG_GRACE_SECONDS

    def _overdue(self, worker: _Worker) -> bool:
        return self.limits.timeout_seconds > 0 and time.monotonic() - worker.started > self._watchdog_seconds()

    def _receive(self, worker: _Worker) -> None:
        try:
            payload = worker.results.recv_bytes()
        except (EOFError, OSError):  # the worker died on its running document
            self._replace(worker, "worker crashed")
            return
        worker.queue.popleft()
        worker.started = time.monotonic()  # its queued document, if any, starts now
        worker.done += 1
        if worker.done >= self.limits.batch_size:
            self._recycle(worker)
        self._dispatch()  # refill before unpickling the result: the worker never waits on the parent
        index, result = pickle.loads(payload)
        if isinstance(result, _Raised):
            raise result.error
        self.results[index] = result

    def _recycle(self, worker: _Worker) -> None:
        """Replace a worker that has done `batch_size` documents (`accepts` queued nothing more on it)."""
        self._retire(worker)
        self._respawn(worker)

    def _replace(self, worker: _Worker, reason: str) -> None:
        """Kill a dead or hung worker. Its running document fails (a hang, a second crash) or runs again alone in
        a fresh worker; a document queued behind it never started and simply goes back in line."""
        running, *queued = worker.queue or [None]
        self._kill(worker)
        self._respawn(worker)
        for task in reversed(queued):
            if task is not None:
                self.waiting.appendleft(task)
        if running is None:
            return
        if reason == "worker crashed" and not running.retried:
            running.retried = True
            self.waiting.appendleft(running)
        else:
            self.results[running.index] = Failure(running.item, reason)

    def _spawn(self) -> _Worker:
        context = multiprocessing.get_context("fork")
        task_reader, task_writer = context.Pipe(duplex=False)
        result_reader, result_writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker_main, args=(self.func, self.limits, task_reader, result_writer), daemon=True
        )
        process.start()
        task_reader.close()
        result_writer.close()
        return _Worker(process, task_writer, result_reader)

    def _respawn(self, worker: _Worker) -> None:
        """A fresh worker in the place of one that was retired or killed."""
        self.workers[self.workers.index(worker)] = self._spawn()

    def _retire(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError):
            worker.tasks.send(None)
        worker.process.join(timeout=5)
        self._kill(worker)

    def _kill(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.tasks.close()
        worker.results.close()

    def close(self) -> None:
        for worker in self.workers:
            if not worker.queue:
                with contextlib.suppress(OSError):
                    worker.tasks.send(None)
        for worker in self.workers:
            if not worker.queue:
                worker.process.join(timeout=1.0)  # an idle worker exits on the None just sent
            self._kill(worker)  # kills only a worker still alive; closes the pipes
        self.workers = []
