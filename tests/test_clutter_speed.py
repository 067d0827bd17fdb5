"""The fast paths of clutter detection give the same answers as the plain formulations they replace."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from cleaner.clutter import ClutterConfig, PageStructure, detect_lines
from cleaner.clutter.structure import line_key
from cleaner.clutter.textnorm import _ARABIC_FOLD, _DROP, fold


def _reference_fold(text: str) -> str:
    """fold() as first written: a translate table and a regex for whitespace."""
    if text.isascii():
        return " ".join(text.split()).lower()
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _DROP.sub("", text.translate(_ARABIC_FOLD))
    return re.sub(r"\s+", " ", text).strip().casefold()


_FOLD_ALPHABET = [chr(code) for code in _ARABIC_FOLD] + list("aZ İ\u0307\u00a0\u2003\u3000\t\n\u064b\u200c\u1e9e’'")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_FOLD_ALPHABET), max_size=20))
def test_fold_matches_the_translate_table(text: str) -> None:
    assert fold(text) == _reference_fold(text)


def test_fold_unifies_variants() -> None:
    assert fold("إقرأ أيضاً") == fold("اقرا ايضا")
    assert fold("DON’T\u00a0MISS") == "don't miss"


_PAGE = """<html><body><nav><a href="/a/one-two-three">Nav link to a story here</a></nav>
<div id="story"><p>First paragraph of the story, long enough to be prose in the body.</p>
<p>Second paragraph of the story, long enough to be prose in the body.</p>
<p>Third paragraph of the story, long enough to be prose in the body.</p>
<div class="related-box"><p><a href="/news/other-story-here">Another story the site promotes</a></p></div>
</div></body></html>"""


def test_key_based_lookups_equal_line_based_ones() -> None:
    lines = [
        "First paragraph of the story, long enough to be prose in the body.",
        "Second paragraph of the story, long enough to be prose in the body.",
        "Third paragraph of the story, long enough to be prose in the body.",
        "Another story the site promotes",
        "Nav link to a story here",
        "A line the page does not have",
    ]
    by_line = PageStructure.from_tree(lxml_html.fromstring(_PAGE), "https://example.com/news/the-story-1")
    by_key = PageStructure.from_tree(lxml_html.fromstring(_PAGE), "https://example.com/news/the-story-1")
    by_line.locate_body(lines)
    by_key.locate_body_keys([line_key(line) for line in lines])
    for line in lines:
        assert by_key.evidence_for_key(line_key(line)) == by_line.evidence(line)
    promo = by_key.evidence_for_key(line_key(lines[3]))
    assert promo.link_only and promo.containers  # must-remove evidence survives the key path
    assert not by_key.evidence_for_key(line_key(lines[0])).containers  # must-keep: body prose has none
    assert by_key.evidence_for_key(line_key(lines[4])).matched  # links outside the body are indexed too
    assert not by_key.evidence_for_key(line_key(lines[5])).matched


def test_scanning_rules_fire_on_lines_full_of_needles() -> None:
    """Digits are needles of the byline rule; a line full of them must still reach the credit rule."""
    lines = [
        "The council voted 7 to 2 on 12 March 2024 after 3 hours and 45 minutes of debate on the 2025 budget plan.",
        "Staff writers 1, 2 and 3 contributed to this report.",
    ]
    spans = detect_lines(lines, ClutterConfig(families=frozenset({"text"})))
    assert [(span.line, span.rule) for span in spans] == [(1, "text.credit_line")]
