"""trafilatura through its public API only: `bare_extraction` for the text, `extract_metadata` for the metadata.

These are names trafilatura exports in its `__all__`, with the keyword arguments its documentation lists. This is
the path `accelerate = "off"` takes, the one `auto` falls back to when an accelerator's guard fails, and the
reference `verify` compares the accelerators with.
"""

from __future__ import annotations

import dataclasses
from copy import copy
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from cleaner.config import ExtractConfig


@dataclass(slots=True)
class PageMetadata:
    """The metadata fields cleaner reads from trafilatura's Document, whichever path found them."""

    title: str | None = None
    author: str | None = None
    url: str | None = None
    hostname: str | None = None
    sitename: str | None = None
    date: str | None = None
    description: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    license: str | None = None
    pagetype: str | None = None

    @classmethod
    def of(cls, document: Any) -> PageMetadata:
        """Copy the fields from a trafilatura Document (missing or empty ones stay empty)."""
        found = cls()
        for name in (each.name for each in dataclasses.fields(cls)):
            value = getattr(document, name, None)
            if value:
                setattr(found, name, list(value) if isinstance(value, list | tuple) else value)
        return found


def public_text(tree: HtmlElement, url: str | None, extract: ExtractConfig) -> str | None:
    """`bare_extraction(tree, ...).text` (it works on its own copy of the tree), None where it discards the page."""
    from trafilatura import bare_extraction  # lazy, so `import cleaner` stays light
    from trafilatura.settings import Document

    document = bare_extraction(
        tree,
        url=url,
        fast=extract.fast,
        favor_precision=extract.favor_precision,
        favor_recall=extract.favor_recall,
        include_comments=extract.include_comments,
        include_tables=extract.include_tables,
        include_links=False,  # links change trafilatura's output; link evidence comes from our own tree
        deduplicate=False,
        with_metadata=False,  # found separately, by public_metadata
        output_format="python",
    )
    if document is None:
        return None
    assert isinstance(document, Document)  # output_format="python" gives a Document
    return document.text


def public_metadata(tree: HtmlElement, url: str | None, extract: ExtractConfig) -> PageMetadata:
    """`extract_metadata` on a copy of the tree (the tree is read again after this, for structure and language)."""
    from trafilatura import extract_metadata

    return PageMetadata.of(extract_metadata(copy(tree), url, None, extract.extensive_date_search))
