"""Run a per-document function over many documents: in-process or in a pool of forked workers.

Guarantees, whatever happens inside the function: results come back in input order, one per item; a document that
runs past the time limit becomes a timeout result, one that exhausts the memory limit a memory result, and one that
kills its worker (segfault, OOM kill) costs only itself: the rest of its batch is retried in isolation.
Workers are recycled every batch, because trafilatura has been reported to leak over thousands of pages.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import resource
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class DocumentTimeout(BaseException):
    """Raised inside a worker when one document exceeds its time limit.

    A BaseException, like KeyboardInterrupt: trafilatura wraps readability, justext and its recall retry in
    `except Exception`, which would swallow an Exception raised by the alarm and let the page run on unlimited.
    """


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_seconds: float = 60.0  # per document; 0 disables
    memory_bytes: int = 0  # address-space cap per worker process; 0 disables
    batch_size: int = 500  # documents per pool lifetime: workers are recycled between batches
    in_process: bool = False  # jobs=1 in this process (for debuggers): no crash isolation, no memory cap


@dataclass(frozen=True, slots=True)
class Failure(Generic[Item]):
    """What a caller receives instead of a result when the function could not finish on an item."""

    item: Item
    reason: str  # "timeout", "memory limit", "worker crashed"


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
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def map_documents(
    func: Callable[[Item], Result], items: Iterable[Item], jobs: int, limits: Limits | None = None
) -> Iterator[Result | Failure[Item]]:
    """Apply `func` to every item, yielding results (or Failures) in input order."""
    limits = limits or Limits()
    if jobs <= 1 and limits.in_process:
        for item in items:
            yield _guarded(func, item, limits)
        return
    iterator = iter(items)
    while batch := list(islice(iterator, limits.batch_size)):
        yield from _run_batch(func, batch, max(jobs, 1), limits)


def _batch_deadline(count: int, jobs: int, limits: Limits) -> float | None:
    if limits.timeout_seconds <= 0:
        return None
    # generous: SIGALRM normally fires first; this watchdog catches hangs inside C code
    return limits.timeout_seconds * (2 + count / jobs)


def _run_batch(
    func: Callable[[Item], Result], batch: list[Item], jobs: int, limits: Limits
) -> list[Result | Failure[Item]]:
    context = multiprocessing.get_context("fork")
    results: list[Result | Failure[Item] | None] = [None] * len(batch)
    executor = cf.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init_worker, initargs=(limits.memory_bytes,)
    )
    try:
        futures = {executor.submit(_guarded, func, item, limits): index for index, item in enumerate(batch)}
        done, _ = cf.wait(futures, timeout=_batch_deadline(len(batch), jobs, limits))
        for future in done:
            with contextlib.suppress(BrokenProcessPool):
                results[futures[future]] = future.result()
    finally:
        _shutdown_hard(executor)
    for index, result in enumerate(results):
        if result is None:  # its worker died or hung: retry it alone, so only a guilty document fails
            results[index] = _run_isolated(func, batch[index], limits)
    return results  # type: ignore[return-value]


def _shutdown_hard(executor: cf.ProcessPoolExecutor) -> None:
    processes = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(timeout=5)


def _isolated_entry(func: Callable[[Item], Result], item: Item, limits: Limits, conn: object) -> None:
    _init_worker(limits.memory_bytes)
    conn.send(_guarded(func, item, limits))  # type: ignore[attr-defined]
    conn.close()  # type: ignore[attr-defined]


def _run_isolated(func: Callable[[Item], Result], item: Item, limits: Limits) -> Result | Failure[Item]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_isolated_entry, args=(func, item, limits, sender), daemon=True)
    process.start()
    sender.close()
    wait = limits.timeout_seconds * 2 + 5 if limits.timeout_seconds > 0 else None
    try:
        if not receiver.poll(wait):
            return Failure(item, "timeout")
        return receiver.recv()
    except (EOFError, OSError):
        return Failure(item, "worker crashed")
    finally:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        receiver.close()
