"""The configured path to trafilatura for one page: its public API, the guarded accelerators, or both compared.

    off     cleaner.extract.public only (bare_extraction, extract_metadata)
    auto    each accelerator whose guard passes (cleaner.extract.accel.guard); the public API does the rest
    verify  each such accelerator computes its answer and trafilatura's own; trafilatura's is used, and any
            difference stops the run with AcceleratorMismatchError naming the accelerator and the page

All three give the same text and metadata; the accelerators only make it faster.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from lxml import etree
from lxml.html import HtmlElement

from cleaner.config import ExtractConfig
from cleaner.errors import AcceleratorMismatchError, CleanerError, ExtractionError
from cleaner.extract.accel import checks, guard
from cleaner.extract.accel.pruning import faster_pruning
from cleaner.extract.public import PageMetadata, public_metadata, public_text

T = TypeVar("T")
# what trafilatura raises on a page it cannot handle (an XML output it cannot build, a tree too deep): that page
# is rejected as "extraction failed"; anything else escapes to the run's own handling
_PAGE_ERRORS = (ValueError, TypeError, AssertionError, RecursionError)
EMPTY_AFTER_EXTRACTION = "empty after extraction"  # the rejection reason of a page with no article text


def page_text(tree: HtmlElement, url: str | None, extract: ExtractConfig, page: str) -> str:
    """trafilatura's text of the page; ExtractionError when it has none. `page` names it in a verify error."""
    try:
        text = _verified_text(tree, url, extract, page) if extract.accelerate == "verify" else _text(tree, url, extract)
    except _PAGE_ERRORS as exc:
        raise ExtractionError("extraction failed", f"trafilatura: {type(exc).__name__}: {exc}") from exc
    if text is None:
        raise ExtractionError(EMPTY_AFTER_EXTRACTION, "trafilatura returned nothing")
    return text


def _text(tree: HtmlElement, url: str | None, extract: ExtractConfig) -> str | None:
    from cleaner.extract.accel.cascade import cascade_text

    with _stand_ins(extract):
        if guard.active("cascade", extract):
            return cascade_text(tree, url, extract)
        return public_text(tree, url, extract)


def _stand_ins(extract: ExtractConfig) -> contextlib.AbstractContextManager[None]:
    xpaths, readability = guard.active("pruning", extract), guard.active("readability", extract)
    if not (xpaths or readability):
        return contextlib.nullcontext()
    return faster_pruning(xpaths=xpaths, readability=readability)


def _verified_text(tree: HtmlElement, url: str | None, extract: ExtractConfig, page: str) -> str | None:
    """`auto`'s text, then bare_extraction's own with every stand-in answer checked against trafilatura's, compared.

    The stand-ins are checked on trafilatura's own run (each computes both answers and hands trafilatura its own),
    so the accelerated path runs once as it is and trafilatura's once, plus the stand-ins' walks.
    """
    before = etree.tostring(tree)
    ours = _attempt(lambda: _text(tree, url, extract))
    changed = etree.tostring(tree) != before
    with checks.checking() as differences, _stand_ins(extract):
        theirs = _attempt(lambda: public_text(tree, url, extract))
    if changed:
        differences.append("cascade: changed the page's own tree, which it must leave as parsed")
    if ours.answer != theirs.answer:
        differences.append(f"{_text_accelerators(extract)}: {_versus(ours, theirs, 'bare_extraction')}")
    _stop_on(differences, page)
    return theirs.result()


def _text_accelerators(extract: ExtractConfig) -> str:
    """Who a text difference that no stand-in answer showed is charged to: the direct cascade call when it ran."""
    if guard.active("cascade", extract):
        return "cascade"
    return "/".join(name for name in ("pruning", "readability") if guard.active(name, extract))


def page_metadata(
    tree: HtmlElement, url: str | None, extract: ExtractConfig, page: str
) -> tuple[PageMetadata, str | None]:
    """The page's metadata, and why it is missing when finding it failed: the article is kept without it."""
    if not guard.active("metadata", extract):
        found = _attempt(lambda: public_metadata(tree, url, extract))
    elif extract.accelerate == "verify":
        found = _attempt(lambda: public_metadata(tree, url, extract))
        ours = _attempt(lambda: _walked_metadata(tree, url, extract))
        if ours.answer != found.answer:
            _stop_on([f"metadata: {_versus(ours, found, 'extract_metadata')}"], page)
    else:
        found = _attempt(lambda: _walked_metadata(tree, url, extract))
    if found.error is not None:
        return PageMetadata(), f"{type(found.error).__name__}: {found.error}"
    assert found.value is not None
    return found.value, None


def _walked_metadata(tree: HtmlElement, url: str | None, extract: ExtractConfig) -> PageMetadata:
    from cleaner.extract.accel.metadata import extract_metadata

    return PageMetadata.of(extract_metadata(tree, url, extract.extensive_date_search))


def _versus(ours: _Attempt, theirs: _Attempt, reference: str) -> str:
    return f"gave {checks.shorten(ours.answer)}, trafilatura's {reference} {checks.shorten(theirs.answer)}"


def _stop_on(differences: list[str], page: str) -> None:
    if differences:
        raise AcceleratorMismatchError(
            f"accelerate = verify: accelerator {differences[0]} (page {page}; {len(differences)} difference(s)). "
            "An accelerator no longer reproduces this trafilatura: run with accelerate = off and report it"
        )


class _Attempt:
    """A call's value or the exception it raised; `answer` compares two attempts (an exception by type and text)."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any, error: BaseException | None) -> None:
        self.value, self.error = value, error

    @property
    def answer(self) -> Any:
        return self.value if self.error is None else f"{type(self.error).__name__}: {self.error}"

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


def _attempt(call: Callable[[], T]) -> _Attempt:
    """Run `call`, keeping an ordinary exception as its answer; the run's own stops (CleanerError, MemoryError, a
    timeout, which is a BaseException) pass through."""
    try:
        return _Attempt(call(), None)
    except CleanerError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # compared, then re-raised or reported as the caller would have
        return _Attempt(None, exc)
