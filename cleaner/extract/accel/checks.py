"""`accelerate = "verify"`: where accelerators note that their answer differs from trafilatura's own.

The XPath and readability stand-ins run inside trafilatura, which wraps some of its stages in `except Exception`:
an error raised there could be swallowed. So while `checking()` is active (in this thread) they compute both
answers, hand trafilatura its own and note any difference here; the caller reads the notes when trafilatura
returns and stops the run (`cleaner.extract.backend`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

_state = threading.local()  # .differences: the notes of the page being checked in this thread, or None
_DETAIL_CHARS = 300  # a note quotes at most this much of each answer


@contextmanager
def checking() -> Iterator[list[str]]:
    """Within: stand-ins check every answer; the list collects "accelerator: what differs" notes."""
    previous = getattr(_state, "differences", None)
    _state.differences = differences = cast(list[str], [])
    try:
        yield differences
    finally:
        _state.differences = previous


def is_checking() -> bool:
    return getattr(_state, "differences", None) is not None


def note(accelerator: str, detail: str) -> None:
    differences = getattr(_state, "differences", None)
    if differences is not None:
        differences.append(f"{accelerator}: {detail}")


def shorten(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _DETAIL_CHARS else text[:_DETAIL_CHARS] + "..."
