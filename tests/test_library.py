"""The library in someone else's pipeline: pages from memory with the caller's ids, on worker processes, in input
order; questions to a Deduplicator; config objects built from lists."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cleaner import (
    ClutterConfig,
    Config,
    DedupConfig,
    Deduplicator,
    ExtractConfig,
    ExtractionError,
    InputError,
    RawDocument,
    clean_html,
    clean_records,
)
from cleaner.config import RunConfig
from cleaner.dedup.deduplicator import max_document_frequency, site_cut
from cleaner.dedup.shingles import MaskedSets, content_mask, frequent_hashes
from cleaner.dedup.verify import verify_pair
from cleaner.engines.pool import REORDER_WINDOW
from cleaner.errors import ConfigError
from tests.conftest import DEMO, ROOT

REAL = [ROOT / "fixtures" / "aeb", ROOT / "fixtures" / "aeb-more"]  # 4 + 36 real pages (AEB, MIT)
# trafilatura's fast mode halves the time of the 40-page comparison (5.3 -> 2.4 s serially); the plumbing under test
# (workers, ids, order) is the same in either mode
FAST = Config(extract=ExtractConfig(fast=True))


def real_pages() -> list[tuple[str, bytes, str]]:
    """(benchmark id, html, url) of the first 40 real pages, in file-name order."""
    pages = []
    for folder in REAL:
        urls = json.loads((folder / "urls.json").read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.html.gz")):
            page_id = path.name.removesuffix(".html.gz")
            pages.append((page_id, gzip.decompress(path.read_bytes()), urls[page_id]["url"]))
    return pages[:40]


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes, str]]:
    found = real_pages()
    assert len(found) == 40
    return found


def test_clean_records_keeps_ids_and_order_and_gives_clean_htmls_texts(pages: list[tuple[str, bytes, str]]) -> None:
    # the caller's ids run against the order of the files (so neither id nor file order can pass for input order);
    # html as bytes and as str, with and without a url, and one RawDocument
    records: list[Any] = []
    for n, (_, html, url) in enumerate(pages):
        record_id = f"item-{len(pages) - n:03d}"
        if n % 3 == 0:
            records.append({"id": record_id, "html": html.decode("utf-8", "replace"), "url": url})
        elif n % 3 == 1:
            records.append({"id": record_id, "html": html})
        else:
            records.append({"id": record_id, "html": html, "url": url})
    records[5] = RawDocument(id="raw-document", source="memory#5", content=pages[5][1], url=pages[5][2])
    outcomes = list(clean_records(iter(records), config=FAST, jobs=2))
    expected_ids = [r.id if isinstance(r, RawDocument) else r["id"] for r in records]
    assert [o.id for o in outcomes] == expected_ids
    assert [o.position for o in outcomes] == list(range(len(records)))
    for record, outcome in zip(records, outcomes, strict=True):
        if isinstance(record, RawDocument):
            html, url, record_id = record.content, record.url, record.id
        else:
            html, url, record_id = record["html"], record.get("url"), record["id"]
        assert html is not None
        try:
            expected = clean_html(html, url=url, config=FAST, id=record_id)
        except ExtractionError as error:
            reason = f"{error.reason}: {error.detail}" if error.detail else error.reason
            assert (outcome.status, outcome.article, outcome.reason) == ("rejected", None, reason)
            continue
        assert outcome.status == "extracted" and outcome.reason is None
        assert outcome.article is not None
        assert (outcome.article.id, outcome.article.text) == (record_id, expected.text)
    assert sum(o.status == "extracted" for o in outcomes) >= 35  # real articles: nearly all of them extract


def test_clean_records_reads_an_endless_stream_a_bounded_window_ahead() -> None:
    wanted = 3 * REORDER_WINDOW
    received = 0
    # the pool may hold this many records it has not handed back: the reorder window (its own bound)
    bound = REORDER_WINDOW

    def endless() -> Iterator[dict[str, Any]]:
        n = 0
        while True:
            # a stream read to its end, or far ahead, fails here instead of filling memory
            assert n - received <= bound, f"record {n} read while only {received} outcomes were taken"
            yield {"id": f"r{n}", "html": ""}  # empty pages are rejected at once: the test measures the reading
            n += 1

    for outcome in clean_records(endless(), jobs=2):
        assert outcome.id == f"r{received}"
        assert (outcome.status, outcome.reason) == ("rejected", f"empty file: r{received} has no content")
        received += 1
        if received == wanted:
            break


def test_clean_records_rejects_a_record_without_html_and_refuses_one_without_id() -> None:
    outcomes = list(clean_records([{"id": 7, "url": "https://example.com/a"}], jobs=1))
    assert [(o.id, o.status, o.reason) for o in outcomes] == [
        ("7", "rejected", "missing field: no 'html' string or bytes")
    ]
    with pytest.raises(InputError, match="record 1: no 'id'"):
        list(clean_records([{"id": "a", "html": ""}, {"html": "<p>x</p>"}], jobs=1))
    with pytest.raises(ConfigError, match="jobs"):
        clean_records([], jobs=-1)


def test_clean_html_takes_the_callers_id_and_its_errors_name_it(pages: list[tuple[str, bytes, str]]) -> None:
    _, html, url = pages[0]
    assert clean_html(html, url=url, id="mine").id == "mine"
    assert clean_html(html, url=url).id == clean_html(html, url=url).id != "mine"
    with pytest.raises(ExtractionError, match=r"^mine: empty file") as by_id:
        clean_html(b"", id="mine")
    assert by_id.value.reason == "empty file"
    with pytest.raises(ExtractionError, match=r"^https://example\.com/x: not html"):
        clean_html(b"\x89PNG\r\n\x1a\n", url="https://example.com/x")


def demo_articles() -> list[Any]:
    articles = []
    for path in sorted(DEMO.rglob("*.html")):
        try:
            articles.append(clean_html(path.read_bytes(), id=str(path.relative_to(DEMO))))
        except ExtractionError:
            continue  # the demo's broken pages
    return articles


@pytest.fixture(scope="module")
def demo() -> list[Any]:
    return demo_articles()


def test_query_finds_a_trimmed_copy_and_nothing_for_an_unrelated_text(
    demo: list[Any], pages: list[tuple[str, bytes, str]]
) -> None:
    story = next(a for a in demo if a.id == "gulf-ledger/uae-non-oil-pmi-january.html")
    deduplicator = Deduplicator()
    deduplicator.add_many(demo)
    before = deduplicator.clusters()
    paragraphs = story.text.split("\n")
    trimmed = "\n".join(paragraphs[: len(paragraphs) // 2])  # the inverted pyramid: a copy cut after a few paragraphs
    assert len(trimmed) < 0.7 * len(story.text)
    assert (story.id, 1.0) in deduplicator.query(trimmed)
    unrelated = clean_html(pages[0][1], url=pages[0][2])  # a real article none of the demo sites ran
    assert deduplicator.query(unrelated) == []
    assert deduplicator.query("") == []
    assert len(deduplicator) == len(demo) and deduplicator.clusters() == before  # nothing was added
    deduplicator.add(unrelated)  # adding after clusters() keeps working
    assert [c.kept for c in deduplicator.clusters() if c.kept == unrelated.id] == [unrelated.id]
    assert Deduplicator().query(story) == []


def synthetic_outlets() -> list[Any]:
    from tests.test_index import synthetic_corpus  # outlets whose every page ends in the same chrome line

    return synthetic_corpus(seed=5, stories=12)


# The corpus cut on the demo, with a tiny floor so that its seven-copy story is "frequent" and the cut (and its
# fallback) decide; the per-site cut on outlets of three to seven pages, each with a chrome line on all of them.
QUERY_CUTS = [
    (demo_articles, DedupConfig(df_floor=2, df_fraction=0.001)),
    (synthetic_outlets, DedupConfig(site_df_floor=2)),
]


@pytest.mark.parametrize(("corpus", "config"), QUERY_CUTS, ids=["corpus cut", "per-site cut"])
def test_query_applies_the_frequent_shingle_cuts_of_the_corpus_with_the_text_in_it(
    corpus: Any, config: DedupConfig
) -> None:
    """The reference: add the text for real and verify it against every other document on the cut sets."""
    articles = corpus()
    site_cut_removed = 0
    for probe in articles:
        others = [a for a in articles if a.id != probe.id]
        deduplicator = Deduplicator(config)
        deduplicator.add_many(others)
        answer = deduplicator.query(probe)
        reference = Deduplicator(config)
        reference.add_many([*others, probe])
        features = reference.features()
        by_site = site_cut(features.sets, features.sites, config)
        site_cut_removed += 0 if by_site is None else int(by_site.sum())
        max_df = max_document_frequency(len(features.ids), config)
        frequent = frequent_hashes(features.sets, max_df)
        # the cuts over the whole corpus, the text included
        content = MaskedSets(features.sets, content_mask(features.sets, frequent, config.df_keep_min_share, by_site))
        last = len(others)
        expected = []
        for i, other in enumerate(others):
            score = verify_pair(i, last, content, features.slots, config)
            if score is not None:
                expected.append((other.id, round(score, 4)))
        assert answer == sorted(expected, key=lambda hit: (-hit[1], hit[0])), probe.id
    assert (site_cut_removed > 0) == (config.site_df_floor == 2)  # the per-site case really cut something


def test_config_objects_take_lists_as_the_toml_file_writes_them() -> None:
    clutter = ClutterConfig(
        disabled_rules=["text.follow_us"], families=["text", "structure"], extra_patterns=["^Click here"]
    )
    assert clutter == ClutterConfig(
        disabled_rules=frozenset({"text.follow_us"}),
        families=frozenset({"text", "structure"}),
        extra_patterns=("^Click here",),
    )
    hash(Config(clutter=clutter))  # settings are hashable, whatever they were built from
    page = (DEMO / "gulf-ledger" / "uae-non-oil-pmi-january.html").read_bytes()
    assert clean_html(page, config=Config(clutter=clutter)).text
    assert ClutterConfig(disabled_rules="text.follow_us").disabled_rules == frozenset({"text.follow_us"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"timeout_seconds": -5}, "timeout_seconds"), ({"jobs": -1}, "jobs"), ({"max_tasks_per_worker": 0}, "tasks")],
)
def test_run_settings_out_of_range_are_config_errors(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RunConfig(**changes)


def test_the_real_pages_carry_their_license() -> None:
    for folder in REAL:
        assert (folder / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
        assert Path(folder / "README.md").is_file()
