"""Consistency checks for the bundled demo corpus in fixtures/demo/: the corpus itself, not the cleaner.

expected.json is read by other tests; these checks keep it true to the files it describes.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import html
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo"
SEED = ROOT / "seeds" / "000_1e3b8ea4781e2cf4.txt"
NOT_INPUTS = {"README.md", "expected.json", "_make_broken.py"}  # documentation and tooling, not crawl output
ENTRY_KEYS = {"story", "expect", "clutter", "must_contain"}
MAX_PAGE_BYTES = 40_000
# A "light edit" of the seed's lead (dateline, said -> says, a name added) stays this close to it.
LIGHT_EDIT_RATIO = 0.8


@functools.cache
def expected() -> dict[str, dict[str, Any]]:
    return json.loads((DEMO / "expected.json").read_text(encoding="utf-8"))


def entries(expect: str | None = None, story: str | None = None) -> list[str]:
    return sorted(
        path
        for path, entry in expected().items()
        if (expect is None or entry["expect"] == expect) and (story is None or entry["story"] == story)
    )


def outlet(path: str) -> str:
    return path.split("/", 1)[0]


@functools.cache
def raw_page(path: str) -> str:
    data = (DEMO / path).read_bytes()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def squash(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def parsed(path: str) -> lxml_html.HtmlElement:
    tree = lxml_html.fromstring(raw_page(path))
    for element in tree.xpath("//script | //style | //noscript"):
        element.drop_tree()
    return tree


def visible_text(path: str) -> str:
    return squash(parsed(path).text_content())


def paragraph_texts(path: str) -> list[str]:
    return [squash(p.text_content()) for p in parsed(path).iter("p")]


def seed_lines() -> list[str]:
    return [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_content() -> list[str]:
    return [line for line in seed_lines() if not line.startswith("Also Read:")]


def news_article_ld(path: str) -> dict[str, Any]:
    """The NewsArticle object from the page's JSON-LD, whether bare, in a list, or in an @graph."""
    blocks = re.findall(r'<script[^>]*type="application/ld\+json"[^>]*>(.*?)</script>', raw_page(path), re.S)
    for block in blocks:
        data = json.loads(block)
        candidates = data if isinstance(data, list) else data.get("@graph", [data])
        for item in candidates:
            if item.get("@type") == "NewsArticle":
                return item
    raise AssertionError(f"{path}: no NewsArticle JSON-LD")


def meta_property(path: str, prop: str) -> str | None:
    values = parsed(path).xpath(f'//meta[@property="{prop}"]/@content')
    return values[0] if values else None


def test_expected_json_lists_exactly_the_input_files() -> None:
    on_disk = {
        str(p.relative_to(DEMO))
        for p in DEMO.rglob("*")
        if p.is_file() and p.name not in NOT_INPUTS and "__pycache__" not in p.parts
    }
    assert on_disk == set(expected())


@pytest.mark.parametrize("path", entries())
def test_entry_is_well_formed(path: str) -> None:
    entry = expected()[path]
    assert set(entry) == ENTRY_KEYS
    assert entry["expect"] in {"article", "rejected"}
    assert all(isinstance(s, str) and s for s in entry["clutter"] + entry["must_contain"])
    if entry["expect"] == "rejected":
        assert path.startswith("broken/")
        assert entry["clutter"] == entry["must_contain"] == []
    else:
        assert 2 <= len(entry["must_contain"]) <= 3


def test_readme_lists_every_file() -> None:
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    missing = [path for path in expected() if f"`{path}`" not in readme]
    assert missing == []


@pytest.mark.parametrize("path", entries("article"))
def test_article_page_looks_like_a_saved_news_page(path: str) -> None:
    assert (DEMO / path).stat().st_size < MAX_PAGE_BYTES
    page = raw_page(path)  # decodes as UTF-8 or raises
    assert len(page.encode("utf-8")) < MAX_PAGE_BYTES
    assert page.lstrip().lower().startswith("<!doctype html")
    assert parsed(path).xpath("//html/@lang") or re.search(r"<html[^>]* lang=", page)
    assert parsed(path).xpath('//link[@rel="canonical"]/@href')[0].startswith("https://")
    for prop in ("og:title", "og:url", "og:site_name", "og:locale"):
        assert meta_property(path, prop), prop
    article = news_article_ld(path)
    for key in ("headline", "author", "datePublished", "publisher"):
        assert article.get(key), key
    assert ".example" in parsed(path).xpath('//link[@rel="canonical"]/@href')[0]


@pytest.mark.parametrize("path", entries("article"))
def test_must_contain_sentences_appear_in_the_html(path: str) -> None:
    page = html.unescape(raw_page(path))
    for sentence in expected()[path]["must_contain"]:
        assert sentence in page, sentence


@pytest.mark.parametrize("path", entries("article"))
def test_clutter_lines_are_in_the_page_text(path: str) -> None:
    text = visible_text(path)
    for line in expected()[path]["clutter"]:
        assert squash(line) in text, line


@pytest.mark.parametrize("path", entries(story="seed"))
def test_seed_copy_opens_with_the_seed_lead_or_a_light_edit(path: str) -> None:
    lead = seed_content()[0]
    best = max(difflib.SequenceMatcher(None, lead, p).ratio() for p in paragraph_texts(path))
    assert best >= LIGHT_EDIT_RATIO


def test_one_seed_copy_is_verbatim_with_both_also_read_promos() -> None:
    also_read = [line for line in seed_lines() if line.startswith("Also Read:")]
    assert len(seed_content()) == 8 and len(also_read) == 2
    verbatim = [
        path
        for path in entries(story="seed")
        if set(seed_content()) <= set(paragraph_texts(path)) and set(also_read) <= set(paragraph_texts(path))
    ]
    assert verbatim, "no seed copy keeps all 8 paragraphs and both Also Read lines verbatim"


def test_seed_is_published_by_at_least_six_outlets_on_distinct_dates() -> None:
    seed_paths = entries(story="seed")
    outlets = Counter(outlet(p) for p in seed_paths)
    assert len(outlets) >= 6 and max(outlets.values()) == 1
    dates = [news_article_ld(p)["datePublished"] for p in seed_paths]
    assert len(set(dates)) == len(dates)
    assert all(d.startswith(("2026-02-11", "2026-02-12")) for d in dates)


def test_each_outlet_has_one_site_name() -> None:
    names: dict[str, set[str]] = defaultdict(set)
    for path in entries("article"):
        names[outlet(path)].add(meta_property(path, "og:site_name") or "")
    assert all(len(n) == 1 for n in names.values())
    assert len({next(iter(n)) for n in names.values()}) == len(names)


def test_story_mix_covers_other_events_unrelated_stories_and_repeat_outlets() -> None:
    stories: dict[str, set[str]] = defaultdict(set)
    for path in entries("article"):
        stories[expected()[path]["story"]].add(outlet(path))
    other_events = {s: o for s, o in stories.items() if s != "seed" and not s.startswith("unrelated-")}
    unrelated = [s for s in stories if s.startswith("unrelated-")]
    assert len(other_events) >= 3
    assert any(len(o) >= 2 for o in other_events.values()), "no second multi-source event"
    assert len(unrelated) >= 4
    pages_per_outlet = Counter(outlet(p) for p in entries("article"))
    assert sum(n >= 3 for n in pages_per_outlet.values()) >= 2


def test_broken_files_are_broken_in_the_documented_way() -> None:
    assert (DEMO / "broken/empty.html").read_bytes() == b""
    blob = (DEMO / "broken/image-saved-as-page.html").read_bytes()
    assert b"\x00" in blob
    with pytest.raises(UnicodeDecodeError):
        blob.decode("utf-8")
    api = (DEMO / "broken/api-response.html").read_text(encoding="utf-8")
    assert isinstance(json.loads(api), dict) and "<html" not in api.lower()
    with pytest.raises(EOFError):
        gzip.decompress((DEMO / "broken/storm-warning-truncated.html.gz").read_bytes())
    assert set(entries("rejected")) == {
        "broken/empty.html",
        "broken/image-saved-as-page.html",
        "broken/api-response.html",
        "broken/storm-warning-truncated.html.gz",
    }


@pytest.mark.parametrize("path", entries("article"))
def test_naive_extraction_keeps_the_listed_clutter_and_content(path: str) -> None:
    """expected.json promises what plain trafilatura output looks like: keep that promise checked."""
    trafilatura = pytest.importorskip("trafilatura")
    text = trafilatura.extract(raw_page(path), include_comments=False, include_tables=True) or ""
    lines = {squash(line) for line in text.splitlines()}
    for line in expected()[path]["clutter"]:
        assert squash(line) in lines, line
    for sentence in expected()[path]["must_contain"]:
        assert sentence in text, sentence
