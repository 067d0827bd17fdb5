"""OUT/run.json: every run records the settings it used, and `explain` judges with them, not with today's config."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from cleaner import Config, run_dedup
from cleaner.config import ExtractConfig, config_from_mapping, config_to_mapping
from cleaner.dedup.config import DedupConfig
from cleaner.explain import explain_document, render_text
from cleaner.outputs.run_info import read_run_info
from tests.conftest import read_jsonl

STRICT = Config(dedup=DedupConfig(containment_threshold=0.99))


@pytest.fixture(scope="module")
def strict_run(tmp_path_factory: pytest.TempPathFactory, demo_run: Path) -> Path:
    """The demo corpus's texts clustered with containment >= 0.99: fewer merges than the default would make."""
    out = tmp_path_factory.mktemp("strict")
    run_dedup([demo_run / "documents.jsonl"], out, STRICT)
    return out


def test_a_run_records_its_settings_versions_and_counts(demo_run: Path) -> None:
    info = read_run_info(demo_run)
    assert info is not None and info.command == "run" and info.engine == "local"
    assert info.run_config().dedup == DedupConfig() and info.run_config().run.jobs == 1
    assert {"cleaner", "trafilatura", "lxml", "datasketch", "python"} <= info.versions.keys()
    manifest = read_jsonl(demo_run / "manifest.jsonl")
    assert info.counts["documents"] == len(manifest)
    assert info.counts["kept"] == sum(e["status"] == "kept" for e in manifest)
    assert info.schema_version == 1 and info.seconds > 0


def test_every_setting_round_trips_through_the_record() -> None:
    changed = dataclasses.replace(
        STRICT, clutter=dataclasses.replace(STRICT.clutter, disabled_rules=frozenset({"text.follow_us"}))
    )
    mapping = json.loads(json.dumps(config_to_mapping(changed)))  # as run.json stores it
    assert config_from_mapping(mapping) == changed


def test_explain_judges_with_the_runs_settings_not_the_defaults(strict_run: Path) -> None:
    manifest = read_jsonl(strict_run / "manifest.jsonl")
    alone = [
        e
        for e in manifest
        if e["status"] == "kept" and not any(m.get("cluster") == e["cluster"] and m["id"] != e["id"] for m in manifest)
    ]
    assert alone, "the strict run should leave some documents without copies"
    verdicts = []
    for entry in alone:
        explanation = explain_document(strict_run, entry["id"])  # no --config: run.json decides
        assert explanation.settings.startswith("the run's own")
        assert explanation.rule["containment_threshold"] == 0.99
        for match in explanation.nearest:
            # consistent: a document kept alone is never "same event" with a neighbour without saying why they
            # were not merged (the neighbour joined another event's kept copy: events do not chain)
            verdicts.append(match.verified)
            assert not match.verified or "do not chain" in match.verdict or "did not propose" in match.verdict
        if any(match.verified for match in explanation.nearest):
            assert "belong to other events" in explanation.summary
        else:
            assert "no other document was verified" in explanation.summary
    assert verdicts and not all(verdicts)


def test_explain_with_a_different_config_shows_both_verdicts(strict_run: Path) -> None:
    manifest = read_jsonl(strict_run / "manifest.jsonl")
    found = False
    for entry in (e for e in manifest if e["status"] == "kept"):
        explanation = explain_document(strict_run, entry["id"], DedupConfig())
        assert explanation.alternative is not None
        assert "containment_threshold 0.6 instead of the run's 0.99" in explanation.alternative.settings
        if any(match.verified for match in explanation.alternative.nearest):
            found = True
            text = render_text(explanation)
            assert "settings: the run's own" in text and "with your --config (containment_threshold 0.6" in text
    assert found, "at the default threshold some document the strict run kept alone has a copy"


def test_a_folder_without_run_json_says_which_settings_were_used(strict_run: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(strict_run, old)
    (old / "run.json").unlink()
    entry = read_jsonl(old / "manifest.jsonl")[0]
    explanation = explain_document(old, entry["id"])
    assert explanation.settings == "the default settings"
    assert any("no run.json" in note for note in explanation.notes)


def test_the_record_names_the_imported_trafilatura_and_its_accelerators(demo_run: Path) -> None:
    import trafilatura

    info = read_run_info(demo_run)
    assert info is not None and info.versions["trafilatura"] == trafilatura.__version__
    assert info.accelerators["mode"] == ExtractConfig().accelerate
    assert set(info.accelerators["accelerators"]) >= {"pruning", "metadata"}
    page = (demo_run / "report.html").read_text(encoding="utf-8")
    assert "trafilatura accelerators" in page and f"trafilatura {trafilatura.__version__}" in page
