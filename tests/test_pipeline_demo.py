"""`cleaner run` on the bundled demo corpus: every document accounted for, each event once with all its sources."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.io.readers import iter_input_files
from tests.conftest import DEMO, ROOT, read_jsonl

GOLDEN = ROOT / "fixtures" / "demo-golden"
OUTPUT_FILES = ("articles.jsonl", "clusters.jsonl", "documents.jsonl", "manifest.jsonl")
GENERIC_REASONS = {"", "error", "unknown", "failed"}


def manifest_by_path(demo_run: Path) -> dict[str, dict[str, Any]]:
    prefix = "fixtures/demo/"
    return {entry["source"].removeprefix(prefix): entry for entry in read_jsonl(demo_run / "manifest.jsonl")}


def test_manifest_has_exactly_one_line_per_input_file(demo_run: Path) -> None:
    inputs = {str(path.relative_to(DEMO)) for path in iter_input_files([DEMO])}
    manifest = manifest_by_path(demo_run)
    assert len(read_jsonl(demo_run / "manifest.jsonl")) == len(inputs)
    assert set(manifest) == inputs


def test_expected_file_list_matches_the_corpus(demo_expected: dict[str, Any]) -> None:
    assert set(demo_expected) == {str(p.relative_to(DEMO)) for p in iter_input_files([DEMO])}


def test_broken_files_are_rejected_with_a_specific_reason(demo_run: Path, demo_expected: dict[str, Any]) -> None:
    manifest = manifest_by_path(demo_run)
    for path, expected in demo_expected.items():
        entry = manifest[path]
        if expected["expect"] == "rejected":
            assert entry["status"] == "rejected", path
            assert entry["reason"].split(":")[0].strip().lower() not in GENERIC_REASONS, entry["reason"]
        else:
            assert entry["status"] in ("kept", "duplicate"), (path, entry["reason"])


def test_clusters_are_exactly_the_stories(demo_run: Path, demo_expected: dict[str, Any]) -> None:
    manifest = manifest_by_path(demo_run)
    clusters_of_story: dict[str, set[str]] = defaultdict(set)
    stories_of_cluster: dict[str, set[str]] = defaultdict(set)
    for path, expected in demo_expected.items():
        if expected["expect"] != "article":
            continue
        cluster = manifest[path]["cluster"]
        clusters_of_story[expected["story"]].add(cluster)
        stories_of_cluster[cluster].add(expected["story"])
    # each story is one cluster (copies merged) and no cluster mixes stories (different events apart)
    assert {story: len(c) for story, c in clusters_of_story.items()} == {story: 1 for story in clusters_of_story}
    assert all(len(stories) == 1 for stories in stories_of_cluster.values()), stories_of_cluster


def test_seed_event_lists_every_outlet_as_a_source(demo_run: Path, demo_expected: dict[str, Any]) -> None:
    manifest = manifest_by_path(demo_run)
    seed_ids = {manifest[p]["id"] for p, e in demo_expected.items() if e["story"] == "seed"}
    assert len(seed_ids) >= 6
    (event,) = [a for a in read_jsonl(demo_run / "articles.jsonl") if a["id"] in seed_ids]
    assert {s["id"] for s in event["sources"]} == seed_ids
    assert len({s["site"] for s in event["sources"]}) == len(seed_ids)  # every outlet named
    assert all(s["url"] and s["title"] and s["published"] for s in event["sources"])
    assert all(0.0 < s["similarity"] <= 1.0 for s in event["sources"])


def test_articles_hold_one_line_per_event(demo_run: Path) -> None:
    articles = read_jsonl(demo_run / "articles.jsonl")
    clusters = read_jsonl(demo_run / "clusters.jsonl")
    kept = [e for e in read_jsonl(demo_run / "manifest.jsonl") if e["status"] == "kept"]
    assert len(articles) == len(clusters) == len(kept)
    assert {a["id"] for a in articles} == {c["kept"] for c in clusters} == {e["id"] for e in kept}
    for article in articles:
        for field in ("id", "url", "title", "site", "published", "language", "text", "sources"):
            assert field in article


def test_golden_outputs(demo_run: Path) -> None:
    """The demo run's three files match the reviewed golden copies (CLEANER_UPDATE_GOLDEN=1 rewrites them)."""
    if os.environ.get("CLEANER_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        for name in OUTPUT_FILES:
            (GOLDEN / name).write_bytes((demo_run / name).read_bytes())
    for name in OUTPUT_FILES:
        assert (demo_run / name).read_text(encoding="utf-8") == (GOLDEN / name).read_text(encoding="utf-8"), name


def test_cli_prints_the_summary_and_writes_three_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["run", "fixtures/demo", "-o", str(tmp_path), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "documents read" in result.output and "rejected" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*OUTPUT_FILES, "report.html", "run.json"])


def test_cli_json_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.chdir(ROOT)
    args = ["run", "fixtures/demo", "-o", str(tmp_path), "--jobs", "1", "--summary-format", "json", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["documents"] == summary["kept"] + summary["duplicates"] + summary["rejected"]
