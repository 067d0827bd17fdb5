"""`explain`: why a document was merged, kept or rejected, and every clutter span removed from it."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from cleaner.config import Config
from cleaner.dedup.config import DedupConfig
from cleaner.errors import InputError
from cleaner.explain import MIN_PASSAGE_WORDS, explain_document, render_text, shared_passages
from cleaner.index import write_run_with_index
from cleaner.models import Article, Outcome
from tests.conftest import read_jsonl
from tests.test_index import CUT, _story, _words

DEMO_PREFIX = "fixtures/demo/"


def manifest(out: Path) -> dict[str, dict[str, Any]]:
    return {e["source"].removeprefix(DEMO_PREFIX): e for e in read_jsonl(out / "manifest.jsonl")}


def documents(out: Path) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in read_jsonl(out / "documents.jsonl")}


def seed_paths(demo_expected: dict[str, Any]) -> list[str]:
    return sorted(p for p, e in demo_expected.items() if e["story"] == "seed")


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def test_a_merged_document_names_its_event_rule_similarity_and_shared_passages(
    demo_run: Path, demo_expected: dict[str, Any]
) -> None:
    entries = manifest(demo_run)
    path = next(p for p in seed_paths(demo_expected) if entries[p]["status"] == "duplicate")
    expl = explain_document(demo_run, entries[path]["id"])
    docs = documents(demo_run)
    assert expl.status == "duplicate" and expl.cluster == entries[path]["cluster"]
    assert expl.representative == entries[path]["duplicate_of"]
    config = DedupConfig()
    assert expl.match is not None and expl.match.verified
    assert expl.match.similarity >= config.containment_threshold and expl.match.shared_shingles >= config.min_shared
    # recomputed with the run's own corpus cut, the pair scores what the run recorded
    assert expl.match.similarity == pytest.approx(entries[path]["similarity"], abs=1e-4)
    assert expl.rule["containment_threshold"] == config.containment_threshold
    assert expl.shared and all(p.words >= MIN_PASSAGE_WORDS for p in expl.shared)
    rep_text = _norm(docs[expl.representative]["text"])
    assert all(_norm(p.text) in rep_text and p.text in docs[expl.id]["text"] for p in expl.shared)
    text = render_text(expl)
    assert f"duplicate of event {expl.cluster}" in text and "containment >=" in text and "shared passages" in text


def test_a_rejected_file_gives_its_reason(demo_run: Path, demo_expected: dict[str, Any]) -> None:
    entries = manifest(demo_run)
    for path in (p for p, e in demo_expected.items() if e["expect"] == "rejected"):
        expl = explain_document(demo_run, DEMO_PREFIX + path)  # by source, as the manifest lists it
        assert expl.status == "rejected" and expl.reason == entries[path]["reason"]
        assert expl.reason in render_text(expl) and expl.match is None and expl.removed == []


def test_removed_promos_are_listed_with_their_rules(demo_run: Path, demo_expected: dict[str, Any]) -> None:
    docs = documents(demo_run)
    entries = manifest(demo_run)
    checked = 0
    for path, expected in demo_expected.items():
        removed = docs[entries[path]["id"]]["removed"] if path in entries else []
        promos = {line for line in expected["clutter"]} & {r["text"] for r in removed}
        if not promos:
            continue
        expl = explain_document(demo_run, path)  # by the path as a user types it
        assert expl.removed == removed  # every span, with its rule and reason
        text = render_text(expl)
        assert all(r["rule"] in text for r in removed)
        assert all(f'"{promo[:40]}' in text for promo in promos)
        checked += 1
    assert checked >= 5


def test_a_kept_document_lists_its_copies_and_why_others_stayed_apart(demo_run: Path) -> None:
    clusters = read_jsonl(demo_run / "clusters.jsonl")
    seed = max(clusters, key=lambda c: c["size"])
    expl = explain_document(demo_run, seed["kept"])
    assert expl.status == "kept" and {m["id"] for m in expl.members} == {m["id"] for m in seed["members"]}
    assert "most_complete" in expl.summary
    sizes = [m["content_shingles"] for m in expl.members]
    assert max(sizes) == next(m["content_shingles"] for m in expl.members if m["id"] == seed["kept"])
    assert expl.nearest and all(not m.verified for m in expl.nearest)
    assert all(m.other not in {x["id"] for x in seed["members"]} for m in expl.nearest)
    singleton = next(c for c in clusters if c["size"] == 1)
    alone = explain_document(demo_run, singleton["kept"])
    assert "no other document" in alone.summary and all("rule" in m.verdict for m in alone.nearest)


def test_unknown_or_ambiguous_documents_are_usage_errors(demo_run: Path) -> None:
    with pytest.raises(InputError, match="no document"):
        explain_document(demo_run, "no-such-id")
    with pytest.raises(InputError, match="matches"):
        explain_document(demo_run, ".html")
    with pytest.raises(InputError, match="no manifest"):
        explain_document(demo_run / "nowhere", "x")


def test_the_explanation_is_json(demo_run: Path) -> None:
    entry = next(e for e in read_jsonl(demo_run / "manifest.jsonl") if e["status"] == "duplicate")
    data = json.loads(json.dumps(explain_document(demo_run, entry["id"]).to_dict()))
    assert data["status"] == "duplicate" and data["match"]["verified"] is True and data["shared"]


def test_shared_passages_are_word_runs_both_texts_hold() -> None:
    text = "Alpha beta gamma delta epsilon zeta eta theta iota. Unrelated words here."
    other = "Intro line. alpha BETA gamma, delta epsilon zeta eta theta iota! The end."
    passages, share = shared_passages(text, other)
    assert [p.text for p in passages] == ["Alpha beta gamma delta epsilon zeta eta theta iota"]
    assert share == pytest.approx(9 / 12)


def test_a_duplicate_of_an_event_kept_by_an_earlier_run_is_explained_from_the_update(tmp_path: Path) -> None:
    rng = random.Random(21)
    story = _story(rng, _words(rng, 500), 8)
    first = Article("e-first", "day1/a", None, "\n".join(story), site="A")
    later = Article("e-later", "day2/b", None, "\n".join(story[:5]), site="B")
    config = Config(dedup=CUT)
    for day, article in (("day1", first), ("day2", later)):
        write_run_with_index(
            tmp_path / day, [Outcome(article.id, article.source, article=article)], tmp_path / "index", config
        )
    expl = explain_document(tmp_path / "day2", "e-later", CUT)
    assert expl.status == "duplicate" and expl.cluster == "e-first" and expl.representative == "e-first"
    assert expl.match is not None and expl.match.verified and expl.match.similarity == pytest.approx(1.0)
    assert expl.shared and expl.shared_share == pytest.approx(1.0)


def test_the_explain_command_prints_text_or_json_and_fails_cleanly(demo_run: Path) -> None:
    from typer.testing import CliRunner

    from cleaner.cli import app

    entry = next(e for e in read_jsonl(demo_run / "manifest.jsonl") if e["status"] == "duplicate")
    result = CliRunner().invoke(app, ["explain", str(demo_run), entry["source"]])
    assert result.exit_code == 0 and f"duplicate of event {entry['cluster']}" in result.output
    result = CliRunner().invoke(app, ["explain", str(demo_run), entry["id"], "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["cluster"] == entry["cluster"]
    assert CliRunner().invoke(app, ["explain", str(demo_run), "no-such-document"]).exit_code == 2


def test_a_later_more_complete_copy_is_explained_against_the_copy_it_replaced(tmp_path: Path) -> None:
    rng = random.Random(22)
    story = _story(rng, _words(rng, 500), 8)
    trimmed = Article("r-trimmed", "day1/a", None, "\n".join(story[:4]), site="A")
    full = Article("r-full", "day2/b", None, "\n".join(story), site="B")
    config = Config(dedup=CUT)
    for day, article in (("day1", trimmed), ("day2", full)):
        write_run_with_index(
            tmp_path / day, [Outcome(article.id, article.source, article=article)], tmp_path / "index", config
        )
    expl = explain_document(tmp_path / "day2", "r-full", CUT)
    assert expl.status == "duplicate" and expl.cluster == "r-trimmed" and expl.representative == "r-full"
    assert (expl.compared_with, expl.compared_source) == ("r-trimmed", "day1/a")
    assert expl.match is not None and expl.match.verified and "now represents the event" in expl.summary
