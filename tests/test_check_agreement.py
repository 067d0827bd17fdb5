"""`cleaner check` agrees with `cleaner run`: text-only clutter detection on the text a run writes finds nothing.

The run decides with the page's markup and then removes lines, which changes the context of the lines left (the
line under a removed disclaimer becomes the lead); the check sees only the written text. Both share one settled
decision (`cleaner.clutter.detect_lines` repeats the text rules on what it keeps; `settle_text` after the steps
that change a text later), so a dataset made by `run` passes the pre-commit hook on day one.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import clean_html
from cleaner.check import CheckOptions, CheckSettings, check_paths
from cleaner.check.config import CheckConfig
from cleaner.clutter import ClutterConfig, apply_spans, detect_lines, find_clutter_lines, strip_site_templates
from cleaner.models import Article
from tests.conftest import ROOT

DEFAULT = ClutterConfig()
AEB = ROOT / "fixtures" / "aeb"
URLS: dict[str, dict[str, str]] = json.loads((AEB / "urls.json").read_text(encoding="utf-8"))
PROSE = "The council approved the budget on Tuesday after a long debate that took most of the afternoon."
LATER = "Members said the plan would fund road repairs, two new libraries and longer hours at the public pools."


def residual_clutter(path: Path) -> list[str]:
    """`cleaner check --no-baseline --select CLN101` on one file: the messages it reports."""
    only_clutter = CheckSettings(check=CheckConfig(select=("CLN101",)))
    result = check_paths([path], only_clutter, CheckOptions(use_baseline=False))
    assert result.records > 0
    return [finding.message for finding in result.findings]


def test_check_finds_no_clutter_in_the_demo_run(demo_run: Path) -> None:
    for name in ("articles.jsonl", "documents.jsonl"):
        assert residual_clutter(demo_run / name) == [], name


@pytest.mark.parametrize("page_id", sorted(URLS))
def test_check_finds_no_clutter_in_real_pages_as_extracted(page_id: str) -> None:
    html = gzip.decompress((AEB / f"{page_id}.html.gz").read_bytes())
    assert find_clutter_lines(clean_html(html, url=URLS[page_id]["url"]).text) == []


# Real pages where one pass kept a line that the check then reported: the removed line under it (a follow prompt,
# an affiliate note) had made it "not in the tail"; the settled decision removes it too (neither is in the
# benchmark's ground truth).
@pytest.mark.parametrize(
    ("prefix", "line", "rule"),
    [
        ("04a6711c", "The Times is committed to publishing a diversity of letters to the editor.", "text.author_bio"),
        ("287e4d9f", "Eric Song is IGN's deal curator and spends 25% of his pay on stuff he posts.", "text.author_bio"),
    ],
)
def test_a_line_that_becomes_the_tail_is_removed_on_real_pages(prefix: str, line: str, rule: str) -> None:
    (page_id,) = [page_id for page_id in URLS if page_id.startswith(prefix)]
    html = gzip.decompress((AEB / f"{page_id}.html.gz").read_bytes())
    article = clean_html(html, url=URLS[page_id]["url"])
    assert line not in article.text
    assert [removal.rule for removal in article.removed if removal.text.startswith(line)] == [rule]


def test_a_line_a_removal_moves_into_the_lead_is_removed_too() -> None:
    disclosure = "This article contains affiliate links that may earn us a commission at no extra cost to you."
    lines = [disclosure, "Last updated on September 16th, 2023 at 09:27 am", PROSE, LATER]
    spans = detect_lines(lines, DEFAULT)
    assert [(span.line, span.rule) for span in spans] == [(0, "text.affiliate"), (1, "text.byline_date")]
    # a date between two paragraphs of the story stays
    assert detect_lines([PROSE, "September 16th, 2023", LATER], DEFAULT) == []


# lines whose text rules depend on the lead or the tail (bylines, dates, blurbs and prompts that read as prose), a
# rule that fires anywhere, and plain prose: removing one can move another into the lead or the tail
LINES = [
    PROSE,
    LATER,
    "By Jane Doe",
    "May 22, 2025",
    "Updated November 23, 2013",
    "Jane Doe is a reporter who covers city hall and the county courts for the Gazette.",
    "If you enjoyed this article, please feel free to share it with a friend who would like it.",
    "This article contains affiliate links that may earn us a commission at no extra cost to you.",
    "Also Read: The budget fight that split the council",
    "Follow her on Twitter @janedoe for more stories about the city budget and its schools.",
]


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=10))
def test_detection_finds_nothing_in_what_it_keeps(lines: list[str]) -> None:
    text, _ = apply_spans(lines, detect_lines(lines, DEFAULT), DEFAULT)
    assert find_clutter_lines(text) == []


def site_article(number: int, lines: list[str]) -> Article:
    return Article(id=f"v{number}", source=f"v{number}", url=None, text="\n".join(lines), site="Valley Courier")


def test_a_line_a_site_template_removal_moves_into_the_tail_is_removed_too() -> None:
    # the signature recurs on every page of the site (a template); the date under the story differs per page and
    # sits above the signature, mid-text, until the signature goes
    signature = "The Valley Courier has been independent and owned by its readers since 1921, a century of news."
    stories = [
        [
            f"Story {n} opens with its own first paragraph about topic {n}, long enough to read as prose.",
            f"May {n + 1}, 2025",
        ]
        for n in range(4)
    ]
    articles = [site_article(n, [*lines, signature]) for n, lines in enumerate(stories)]
    assert all(find_clutter_lines(article.text) == [] for article in articles)  # the date is not in the tail yet
    for article, lines in zip(strip_site_templates(articles, DEFAULT), stories, strict=True):
        assert article.text == lines[0]
        assert [(r.text, r.rule) for r in article.removed] == [
            (signature, "template.site_repeat"),
            (lines[1], "text.byline_date"),
        ]
        assert find_clutter_lines(article.text) == []
    marked = strip_site_templates(articles, ClutterConfig(mark_only=True))
    assert [len(article.removed) for article in marked] == [2, 2, 2, 2]
    assert [article.text for article in marked] == [article.text for article in articles]


def test_a_line_mojibake_hid_is_decided_on_its_repaired_text() -> None:
    # UTF-8 read as cp1252 and saved again: "Don’t" became "DonÃ¢â‚¬â„¢t"; the rule reads the line as it is written
    promo = "Don’t miss: Our guide to the city’s best bakeries"
    broken = promo.encode("utf-8").decode("cp1252")
    html = (
        f"<html><head><title>Budget</title></head><body><article><p>{PROSE}</p><p>{LATER}</p><p>{broken}</p>"
        "</article></body></html>"
    ).encode()
    article = clean_html(html, url="https://courier.example/news/budget")
    assert promo not in article.text and broken not in article.text and LATER in article.text
    assert [(r.text, r.rule) for r in article.removed] == [(promo, "text.read_also")]
    assert find_clutter_lines(article.text) == []
