"""The worker pool keeps order, and a hanging or crashing document costs only itself."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from cleaner.engines.pool import Failure, Limits, map_documents


def square_or_misbehave(value: int) -> int:
    if value == -1:
        time.sleep(30)  # hangs in Python: the per-document alarm stops it
    if value == -2:
        os.kill(os.getpid(), signal.SIGKILL)  # a worker dies (segfault, OOM kill)
    if value == -3:
        raise MemoryError
    return value * value


def test_results_keep_input_order_in_every_mode() -> None:
    items = list(range(40))
    expected = [i * i for i in items]
    assert list(map_documents(square_or_misbehave, items, jobs=1)) == expected
    assert list(map_documents(square_or_misbehave, items, jobs=2, limits=Limits(batch_size=7))) == expected


def test_timeout_crash_and_memory_are_isolated() -> None:
    items = [3, -1, 4, -2, 5, -3, 6]
    limits = Limits(timeout_seconds=1.0, batch_size=100)
    results = list(map_documents(square_or_misbehave, items, jobs=2, limits=limits))
    assert results[0::2] == [9, 16, 25, 36]
    assert [(r.item, r.reason) for r in results[1::2] if isinstance(r, Failure)] == [
        (-1, "timeout"),
        (-2, "worker crashed"),
        (-3, "memory limit"),
    ]


def test_in_process_timeout() -> None:
    results = list(map_documents(square_or_misbehave, [2, -1], jobs=1, limits=Limits(timeout_seconds=0.5)))
    assert results[0] == 4
    assert isinstance(results[1], Failure) and results[1].reason == "timeout"


def worker_pid(value: int) -> int:
    return os.getpid()


def test_a_worker_is_replaced_after_batch_size_documents() -> None:
    pids = list(map_documents(worker_pid, range(7), jobs=1, limits=Limits(batch_size=3)))
    assert len(set(pids[0:3])) == len(set(pids[3:6])) == 1
    assert len({pids[0], pids[3], pids[6]}) == 3
    assert os.getpid() not in pids  # jobs=1 still runs in a worker process: a crash cannot end the run
    counts = Counter(map_documents(worker_pid, range(20), jobs=2, limits=Limits(batch_size=4)))
    assert max(counts.values()) <= 4 and sum(counts.values()) == 20


def crash_first_time(flag: str) -> str:
    marker = Path(flag)
    if not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)  # a death not caused by the document itself (an OOM kill of the worker)
    return "done"


def test_a_document_whose_worker_died_is_retried_once_in_a_fresh_worker(tmp_path: Path) -> None:
    flags = [str(tmp_path / f"flag-{index}") for index in range(3)]
    assert list(map_documents(crash_first_time, flags, jobs=2)) == ["done"] * 3


def raise_value_error(value: int) -> int:
    if value == 2:
        raise ValueError("a bug in the function")
    return value


def test_an_exception_the_function_lets_escape_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="a bug in the function"):
        list(map_documents(raise_value_error, range(5), jobs=2))
    assert multiprocessing.active_children() == []


def test_stopping_early_ends_the_workers() -> None:
    results = map_documents(square_or_misbehave, range(100), jobs=2)
    assert next(results) == 0
    results.close()
    assert multiprocessing.active_children() == []
