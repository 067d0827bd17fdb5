"""trafilatura's text of a page as `bare_extraction(tree, ...)` gives it, by calling its internal cascade directly.

bare_extraction deep-copies a tree it is given (0.4-0.5 ms a page) because the raw-tree prunes at the start of its
cascade change that tree in place. When those find nothing (55-80% of the benchmark pages), the cascade runs on our
tree itself and leaves it unchanged; otherwise on a copy. The options, cascade, size checks and text output are
bare_extraction's. This reaches below trafilatura's public API (`trafilatura_sequence` and its 4-tuple, `Extractor`,
`xmltotxt`), so `cleaner.extract.accel.guard` lets it run only on the sources it was written from
(CASCADE_SOURCES); `tests/test_extract.py` compares it with bare_extraction on every fixture page and
`tests/test_accel_equivalence.py` on every benchmark page.
"""

from __future__ import annotations

from copy import copy
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from cleaner.config import ExtractConfig
from cleaner.extract.accel.pruning import raw_tree_kept


def cascade_text(tree: HtmlElement, url: str | None, extract: ExtractConfig) -> str | None:
    """The text bare_extraction would give for `tree`, None where it discards the page; `tree` is left as parsed.

    Called inside `faster_pruning()` (raw_tree_kept needs its walks; without them it always copies).
    """
    from trafilatura.settings import Extractor  # lazy, so `import cleaner` stays light
    from trafilatura.xml import xmltotxt

    options = Extractor(
        output_format="python",
        fast=extract.fast,
        precision=extract.favor_precision,
        recall=extract.favor_recall,
        comments=extract.include_comments,
        tables=extract.include_tables,
        links=False,  # links change trafilatura's output; link evidence comes from our own tree
        dedup=False,
        url=url,
    )  # metadata off: it is found separately (cleaner.extract.backend)
    with raw_tree_kept(tree, extract.include_comments) as kept:
        body = _cascade(tree if kept else copy(tree), options, url)
    return None if body is None else xmltotxt(body, options.formatting)


def _cascade(tree: HtmlElement, options: Any, url: str | None) -> Any:
    """The body element bare_extraction would keep, or None where it discards the page (its own checks)."""
    from trafilatura.core import trafilatura_sequence

    try:
        result = trafilatura_sequence(tree, options, url)
    except (ValueError, TypeError):  # bare_extraction catches these and returns nothing
        return None
    body, text, _comments_body, comments = result  # another arity raises here: it never passes for a discarded page
    if options.max_tree_size and len(body) > options.max_tree_size:
        etree.strip_tags(body, "hi")
        if len(body) > options.max_tree_size:
            return None
    if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
        return None
    return body
