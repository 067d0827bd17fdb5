"""bench/metrics.py, the metrics the benches and the evaluation gate share, on cases small enough to work by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.metrics import (
    WcxbTruth,
    aeb_scores,
    cluster_scores,
    read_run,
    relative_source,
    union_find_labels,
    wcxb_scores,
    wire_html_scores,
)


def test_aeb_scores_normalise_each_page_and_skip_empty_outputs_in_precision() -> None:
    truth = "one two three four five"  # two 4-token shingles
    scores = aeb_scores([(truth, truth + " six"), (truth, "")])
    # page 1: tp 2, fp 1 (shingle "two three four five six"), fn 0 -> P 2/3, R 1; page 2: no output -> R 0 only
    assert scores["P"] == pytest.approx(2 / 3)
    assert scores["R"] == pytest.approx(0.5)
    assert scores["F1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert scores["acc"] == 0.0


def test_wcxb_rates_average_over_the_pages_that_list_snippets() -> None:
    truths = [
        WcxbTruth("alpha beta gamma", with_=("Alpha",), without=("Menu", "Subscribe")),
        WcxbTruth("delta", with_=(), without=()),
    ]
    scores = wcxb_scores(truths, ["alpha beta menu", "delta"])
    assert scores["with%"] == pytest.approx(100.0)
    assert scores["without%"] == pytest.approx(50.0)  # only page 1 lists snippets: one of its two found
    assert scores["P"] == pytest.approx((2 / 3 + 1) / 2)
    assert scores["R"] == pytest.approx((2 / 3 + 1) / 2)


def test_cluster_scores_on_a_known_split() -> None:
    gold = ["a", "a", "a", "b", "c"]
    perfect = cluster_scores(gold, ["x", "x", "x", "y", "z"])
    assert perfect == {"ari": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    split = cluster_scores(gold, ["x", "x", "w", "y", "z"])  # one of three gold pairs found, none wrong
    assert split["precision"] == 1.0
    assert split["recall"] == pytest.approx(1 / 3)
    assert split["ari"] < 1.0
    merged = cluster_scores(gold, ["x", "x", "x", "x", "z"])  # 6 predicted pairs, 3 right
    assert merged["precision"] == pytest.approx(0.5)


def test_union_find_joins_transitively() -> None:
    labels = union_find_labels(5, [(0, 1), (1, 3)])
    assert labels[0] == labels[1] == labels[3]
    assert len(set(labels)) == 3


def test_wire_html_scores_paragraphs_promos_leak_and_rejections() -> None:
    rows = [
        {
            "file": "pages/a/1.html",
            "headline": "Big News",
            "paragraphs": ["First  paragraph here.", "Second one."],
            "promo_headlines": ["Other Story", "Third Story"],
        },
        {"file": "pages/a/2.html", "headline": "H", "paragraphs": ["Only one."], "promo_headlines": []},
        {"file": "pages/b/3.html", "headline": "G", "paragraphs": ["Lost."], "promo_headlines": []},
    ]
    texts = {
        "pages/a/1.html": "Big News\nFirst paragraph here.\nAlso Read: Other Story\nSecond one.\nMenu",
        "pages/a/2.html": "H\nOnly one.\nSubscribe",
        "pages/b/3.html": None,
    }
    scores = wire_html_scores(rows, texts)
    assert scores["paragraphs"] == pytest.approx(3 / 4)  # whitespace is normalised; page 3 was rejected
    assert scores["promos_removed"] == pytest.approx(0.5)
    # page 1: 12 tokens, 5 not the story's ("also", "read", "other", "story", "menu"); page 2: 4 tokens, 1 not
    assert scores["leak"] == pytest.approx((5 / 12 + 1 / 4) / 2)
    assert scores["leak_micro"] == pytest.approx(6 / 16)
    assert scores["rejected"] == 1.0


def test_read_run_joins_a_run_to_its_labels_by_relative_source(demo_run: Path, demo_expected: dict[str, Any]) -> None:
    result = read_run(demo_run, relative_source(Path("fixtures/demo")))  # the demo ran from the repository root
    assert set(result.texts) == set(result.clusters) == set(demo_expected)
    seed = {name for name, page in demo_expected.items() if page["story"] == "seed" and page["expect"] == "article"}
    assert len({result.clusters[name] for name in seed}) == 1
    rejected = [name for name, page in demo_expected.items() if page["expect"] == "rejected"]
    assert rejected and all(result.texts[name] is None for name in rejected)
    assert len({result.clusters[name] for name in rejected}) == len(rejected)  # each a cluster of its own
