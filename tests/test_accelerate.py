"""The guard around trafilatura's internals: an incompatible trafilatura never empties a corpus silently.

- `auto` uses an accelerator only on the tested version range and the sources it was written from; a trafilatura
  whose internal function has another arity, or that lacks an internal name, gets the public path: same text.
- The start-up canary stops a run (exit 2, naming trafilatura and its version) when the public path is broken.
- The same internal error on every page stops a run too; `verify` stops on any accelerator difference.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trafilatura
import trafilatura.core

from cleaner import Config, clean_html, run
from cleaner.cli import main
from cleaner.config import ACCELERATE_ENV, ExtractConfig, RunConfig
from cleaner.errors import AcceleratorMismatchError, ConfigError, ExtractionStackError
from cleaner.extract import core
from cleaner.extract.accel import guard, pruning
from cleaner.extract.accel import metadata as metadata_walk
from cleaner.models import Outcome
from cleaner.stages import FailureTally, failure_tally
from tests.conftest import DEMO, ROOT, read_jsonl, required
from tests.test_metadata import fixture_pages, read_page

COMPAT = ROOT.parent / "shared" / "compat" / "trafilatura-e90b0ef"
PAGES = [path for path in fixture_pages() if "demo" in path.parts][:6]
MODES = ("auto", "off", "verify")


@pytest.fixture(autouse=True)
def fresh_guard() -> Iterator[None]:
    """Each test decides the accelerators again (and again after it, on the restored trafilatura)."""
    guard.reset()
    core._passed_canary.clear()
    yield
    guard.reset()
    core._passed_canary.clear()


def config(mode: str) -> Config:
    return Config(extract=ExtractConfig(accelerate=mode), run=RunConfig(jobs=1))


def extracted(mode: str) -> list[tuple[str, Any, Any, Any, dict[str, Any]]]:
    found = []
    for path in PAGES:
        article = clean_html(read_page(path), config=config(mode))
        found.append((article.text, article.title, article.published, article.site, article.metadata))
    return found


@pytest.fixture(scope="module")
def auto_answers() -> list[tuple[str, Any, Any, Any, dict[str, Any]]]:
    guard.reset()
    return extracted("auto")


def test_the_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="accelerate must be one of auto, off, verify"):
        ExtractConfig(accelerate="fast")


@pytest.mark.parametrize("mode", ["off", "verify"])
def test_every_mode_gives_the_same_text_and_metadata(
    mode: str, auto_answers: list[tuple[str, Any, Any, Any, dict[str, Any]]]
) -> None:
    assert len(PAGES) >= 5
    assert extracted(mode) == auto_answers


def test_off_reaches_no_internal_function(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("accelerate = off called an accelerator")

    monkeypatch.setattr(metadata_walk, "extract_metadata", forbidden)
    monkeypatch.setattr(pruning, "replacements", forbidden)
    monkeypatch.setattr("cleaner.extract.accel.cascade.cascade_text", forbidden)
    assert extracted("off")
    status = guard.accelerator_status(ExtractConfig(accelerate="off"))
    assert not any(state["active"] for state in status["accelerators"].values())


def test_an_internal_function_with_another_arity_falls_back_to_the_public_api(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    auto_answers: list[tuple[str, Any, Any, Any, dict[str, Any]]],
) -> None:
    """As in the trafilatura development snapshot: the cascade returns six values instead of four."""
    original = trafilatura.core.trafilatura_sequence

    def six_values(tree: Any, options: Any, url: str | None = None) -> tuple[Any, ...]:
        body, text, comments_body, comments = original(tree, options, url)
        return body, text, len(text), comments_body, comments, len(comments)

    def bare_extraction_of_that_release(*args: Any, **kwargs: Any) -> Any:
        with monkeypatch.context() as inner:  # its own callers unpack six values: restore four for them
            inner.setattr(trafilatura.core, "trafilatura_sequence", original)
            return real_bare_extraction(*args, **kwargs)

    real_bare_extraction = trafilatura.core.bare_extraction
    monkeypatch.setattr(trafilatura.core, "trafilatura_sequence", six_values)
    monkeypatch.setattr(trafilatura, "bare_extraction", bare_extraction_of_that_release)
    with caplog.at_level(logging.WARNING, logger="cleaner.extract.accel.guard"):
        assert extracted("auto") == auto_answers
    status = guard.accelerator_status(ExtractConfig(accelerate="auto"))["accelerators"]
    assert not status["cascade"]["active"] and "trafilatura_sequence changed" in status["cascade"]["reason"]
    assert status["metadata"]["active"] and status["pruning"]["active"]  # the others are unaffected
    assert [record.getMessage().count("cascade") for record in caplog.records] == [1]  # one warning, naming it


def test_a_missing_internal_name_turns_its_accelerator_off(
    monkeypatch: pytest.MonkeyPatch, auto_answers: list[tuple[str, Any, Any, Any, dict[str, Any]]]
) -> None:
    """The snapshot moved `block_text` out of trafilatura.baseline: the metadata walk steps aside."""
    monkeypatch.delattr(importlib.import_module("trafilatura.baseline"), "block_text")  # the package's `baseline`
    # attribute is the function of that name
    monkeypatch.setattr(metadata_walk, "block_text", None)  # the walk, already imported, must not be what runs
    assert extracted("auto") == auto_answers
    reason = guard.accelerator_status(ExtractConfig(accelerate="auto"))["accelerators"]["metadata"]["reason"]
    assert reason == "trafilatura.baseline.block_text is missing"


def test_a_version_outside_the_tested_range_turns_every_accelerator_off(
    monkeypatch: pytest.MonkeyPatch, auto_answers: list[tuple[str, Any, Any, Any, dict[str, Any]]]
) -> None:
    monkeypatch.setattr(trafilatura, "__version__", "2.4.0")
    status = guard.accelerator_status(ExtractConfig(accelerate="auto"))
    assert not status["in_tested_range"]
    assert {state["reason"] for state in status["accelerators"].values()} == {
        "trafilatura 2.4.0 is outside the tested range >=2.3.1,<2.4"
    }
    assert extracted("auto") == auto_answers


@pytest.mark.parametrize(
    ("version", "tested"),
    [("2.3.1", True), ("2.3.9", True), ("2.3", False), ("2.2.0", False), ("2.4.0", False), ("2.3.1rc1", False)],
)
def test_the_tested_range(version: str, tested: bool) -> None:
    assert guard.in_tested_range(version) is tested


# --- the canary ---------------------------------------------------------------------------------------------------


def broken_public_path(monkeypatch: pytest.MonkeyPatch, behaviour: str) -> None:
    def bare_extraction(*args: Any, **kwargs: Any) -> Any:
        if behaviour == "raises":
            raise AttributeError("module 'trafilatura.core' has no attribute 'trafilatura_sequence'")
        return None

    monkeypatch.setattr(trafilatura, "bare_extraction", bare_extraction)


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [("returns None", "returned no text"), ("raises", "raised AttributeError: module 'trafilatura.core'")],
)
def test_the_canary_names_trafilatura_and_its_version(
    monkeypatch: pytest.MonkeyPatch, behaviour: str, message: str
) -> None:
    broken_public_path(monkeypatch, behaviour)
    with pytest.raises(ExtractionStackError, match=f"^trafilatura {trafilatura.__version__}: the extraction canary"):
        core.check_extraction_stack(config("off"))
    with pytest.raises(ExtractionStackError, match=message):
        core.check_extraction_stack(config("off"))


def test_a_broken_public_path_stops_the_run_before_any_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken_public_path(monkeypatch, "returns None")
    monkeypatch.setattr(trafilatura, "__version__", "2.2.0")  # an untested release: auto takes the public path too
    read: list[Any] = []
    monkeypatch.setattr("cleaner.engines.local.iter_document_sources", lambda *args: read.append(args) or iter(()))
    assert main(["run", str(DEMO), "-o", str(tmp_path / "out"), "-q", "-j", "1"]) == 2
    assert "trafilatura 2.2.0: the extraction canary" in capsys.readouterr().err
    # nothing read and nothing written (the output folder itself may exist: it is checked for writing first)
    out = tmp_path / "out"
    assert read == [] and (not out.exists() or not any(out.iterdir()))


def test_the_canary_ignores_the_runs_own_rules_and_minimum() -> None:
    strict = Config(
        extract=ExtractConfig(min_text_chars=100_000),
        clutter=dataclasses.replace(Config().clutter, extra_patterns=("Local councils",)),
    )
    core.check_extraction_stack(strict)  # the canary's own page is judged, not by the run's settings


# --- the same internal error on every page ------------------------------------------------------------------------


def fail_real_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """An internal error that the canary's page does not reach (one on every real page does)."""
    real = core.extract_article

    def extract_article(doc: Any, *args: Any, **kwargs: Any) -> Any:
        if doc.source != core._CANARY_SOURCE:
            raise AttributeError("'NoneType' object has no attribute 'xpath'")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(core, "extract_article", extract_article)


def test_the_same_internal_error_on_every_page_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fail_real_pages(monkeypatch)
    every_page = r"every page failed with the same internal error \(\d+ pages, AttributeError"
    with pytest.raises(ExtractionStackError, match=every_page):
        run([DEMO], tmp_path / "lib", config("auto"))
    assert main(["run", str(DEMO), "-o", str(tmp_path / "cli"), "-q", "-j", "1"]) == 2
    assert f"trafilatura {trafilatura.__version__}: every page failed" in capsys.readouterr().err


def test_one_page_failing_is_that_pages_rejection(tmp_path: Path) -> None:
    tally = failure_tally([Outcome("a", "a.html", reason="extraction failed: KeyError: 'x'")])
    tally.check()  # one page: that page's problem
    pages = tmp_path / "in"
    pages.mkdir()
    (pages / "one.html").write_text("<html><body><p>" + "A sentence of news text here. " * 10 + "</p></body></html>")
    assert run([pages], tmp_path / "out", config("auto")).kept == 1


@pytest.mark.parametrize(
    ("reasons", "stops"),
    [
        (["extraction failed: KeyError: 'a'", "extraction failed: KeyError: 'b'", "not html: ..."], True),
        (["extraction failed: KeyError: 'a'", "extraction failed: TypeError: b"], False),  # two different errors
        (["extraction failed: trafilatura: ValueError: x"] * 3, False),  # pages trafilatura itself rejects
        (["extraction failed: KeyError: 'a'", "extraction failed: KeyError: 'a'", None], False),  # one extracted
    ],
)
def test_which_runs_the_failure_tally_stops(reasons: list[str | None], stops: bool) -> None:
    from cleaner.models import Article

    outcomes = [
        Outcome(str(n), f"{n}.html", reason=reason)
        if reason
        else Outcome(str(n), f"{n}.html", article=Article(id=str(n), source=f"{n}.html", url=None, text="t"))
        for n, reason in enumerate(reasons)
    ]
    halves = FailureTally.merged([failure_tally(outcomes[:1]), failure_tally(outcomes[1:])])  # as Dask adds them
    for tally in (failure_tally(outcomes), halves):
        if stops:
            with pytest.raises(ExtractionStackError, match=r"0\.html: extraction failed: KeyError"):
                tally.check()
        else:
            tally.check()


# --- verify stops on a difference ---------------------------------------------------------------------------------


def wrong_walk(root: Any) -> list[Any]:
    return list(root.iter("p"))[:1]


@pytest.mark.parametrize("accelerator", ["pruning", "readability", "metadata", "cascade"])
def test_verify_stops_on_a_difference_naming_the_accelerator_and_page(
    monkeypatch: pytest.MonkeyPatch, accelerator: str
) -> None:
    if accelerator == "pruning":
        digest, _walk = pruning._EVALUATORS[("OVERALL_DISCARD_XPATH", 0)]
        monkeypatch.setitem(pruning._EVALUATORS, ("OVERALL_DISCARD_XPATH", 0), (digest, wrong_walk))
    elif accelerator == "readability":  # a stand-in that finds every class or id unlikely
        remover = pruning._unlikely_remover
        monkeypatch.setattr(pruning, "_unlikely_remover", lambda _unlikely, *rest: remover(re.compile("."), *rest))
    elif accelerator == "metadata":
        monkeypatch.setattr(metadata_walk, "_sitename", lambda tree, found: "Somebody Else's Site")
    else:
        monkeypatch.setattr("cleaner.extract.accel.cascade._cascade", lambda tree, options, url: tree.find(".//body"))
    with pytest.raises(AcceleratorMismatchError, match=f"accelerator {accelerator}: .*page .*demo"):
        for path in PAGES:
            clean_html(read_page(path), url=f"file://{path.relative_to(ROOT)}", config=config("verify"))
    for path in PAGES:  # auto uses the changed accelerator without a word: what verify exists to catch
        clean_html(read_page(path), url=f"file://{path.relative_to(ROOT)}", config=config("auto"))


def test_a_verify_difference_stops_a_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(metadata_walk, "_sitename", lambda tree, found: "Somebody Else's Site")
    core._passed_canary.add(dataclasses.replace(config("verify").extract, min_text_chars=0))  # past the canary
    with pytest.raises(AcceleratorMismatchError, match="accelerator metadata"):
        run([DEMO], tmp_path / "out", config("verify"))
    assert main(["run", str(DEMO), "-o", str(tmp_path / "cli"), "-q", "-j", "2", "--accelerate", "verify"]) == 2


# --- the trafilatura development snapshot -------------------------------------------------------------------------


def test_the_trafilatura_snapshot_extracts_the_demo_through_the_public_api(tmp_path: Path) -> None:
    """The issue's case: with another trafilatura first on PYTHONPATH, every article page used to be rejected as
    "empty after extraction" and the run exited 0. Now: one warning, and the public API extracts every article."""
    snapshot = required(COMPAT / "trafilatura", "the trafilatura development snapshot (../shared/compat)")
    # the user's own default (this session may run with --accelerate=off)
    env = {name: value for name, value in os.environ.items() if name != ACCELERATE_ENV}
    env["PYTHONPATH"] = str(snapshot.parent)
    command = [sys.executable, "-m", "cleaner.cli", "run", "fixtures/demo", "-o", str(tmp_path / "out"), "-j", "2"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "trafilatura 2.2.0" in result.stderr and "outside the tested range" in result.stderr
    manifest = read_jsonl(tmp_path / "out" / "manifest.jsonl")
    expected = read_jsonl(ROOT / "fixtures" / "demo-golden" / "manifest.jsonl")
    assert {line["source"]: line["status"] != "rejected" for line in manifest} == {
        line["source"]: line["status"] != "rejected" for line in expected
    }
    assert sum(line["status"] != "rejected" for line in manifest) == 16


def test_pyproject_pins_the_tested_range() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"trafilatura{guard.TESTED_RANGE}" in pyproject["project"]["dependencies"]


# The modules whose tests extract pages; `pytest --accelerate=off` runs every module that way
OFF_MODULES = (
    "tests/test_extract.py",
    "tests/test_extract_real.py",
    "tests/test_metadata.py",
    "tests/test_pipeline_demo.py",
    "tests/test_demo_clutter.py",
    "tests/test_fixture_corpus.py",
    "tests/test_determinism.py",
)


def test_the_extraction_tests_pass_with_accelerators_off(request: pytest.FixtureRequest) -> None:
    """The default run (CI's) also runs the extraction tests on trafilatura's public API only, in a subprocess so
    that this session keeps its own setting."""
    if request.config.getoption("--accelerate") == "off":
        pytest.skip("this whole session runs with --accelerate=off already")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--accelerate=off", *OFF_MODULES]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1] and " skipped" not in result.stdout.splitlines()[-1]
