"""The worker pool keeps order, and a hanging or crashing document costs only itself."""

from __future__ import annotations

import os
import signal
import time

from cleaner.workers import Failure, Limits, map_documents


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
