"""The hostile corpus through the whole pipeline: nothing dies, nothing is lost, every outcome has a sensible reason.

One `cleaner extract` over the hostile corpus gives each document's outcome (checked case by case against the
generator's expectations); one `cleaner run` over the demo corpus plus the hostile corpus is compared with a run
over the demo corpus alone: the good documents' outputs must not change.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import multiprocessing
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cleaner import Config, RawDocument, RunConfig, api
from cleaner.cli import main as cli_main
from cleaner.engines import local
from tests.conftest import ROOT, load_make_hostile, read_jsonl

mh = load_make_hostile()
KNOWN_REASONS = mh.REASON_CATEGORIES


def category(reason: str | None) -> str:
    return (reason or "").split(":", 1)[0]


@contextlib.contextmanager
def chdir(folder: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def _case_list() -> list[Any]:
    # expectations do not depend on sizes: a tiny build at collection time names every document
    with tempfile.TemporaryDirectory() as scratch:
        return mh.build_corpus(Path(scratch), mh.Sizes(2_000, 2_000, 2_000, 10, 10))


CASES = _case_list()


def _case_params() -> list[Any]:
    params = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.expect.bug)] if case.expect.bug else []
        params.append(pytest.param(case, marks=marks, id=case.relative_source().replace("\n", "\\n")))
    return params


@dataclasses.dataclass
class HostileRuns:
    corpus: Path
    extracted: dict[str, dict[str, Any]]  # `cleaner extract` line by source
    extract_lines: list[dict[str, Any]]
    demo_out: Path  # `cleaner run fixtures/demo`
    mixed_out: Path  # `cleaner run fixtures/demo HOSTILE`
    mixed_exit: int


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> HostileRuns:
    base = tmp_path_factory.mktemp("hostile-run")
    corpus = base / "corpus"
    mh.build_corpus(corpus, mh.TEST_SIZES)
    extract_file, demo_out, mixed_out = base / "extract.jsonl", base / "demo-out", base / "mixed-out"
    with chdir(ROOT):  # demo sources are then the relative paths fixtures/demo/...
        assert cli_main(["extract", str(corpus), "-o", str(extract_file), "-j", "2", "-q"]) == 0
        assert cli_main(["run", "fixtures/demo", "-o", str(demo_out), "-j", "1", "-q"]) == 0
        mixed_exit = cli_main(["run", "fixtures/demo", str(corpus), "-o", str(mixed_out), "-j", "2", "-q"])
    lines = read_jsonl(extract_file)
    return HostileRuns(corpus, {line["source"]: line for line in lines}, lines, demo_out, mixed_out, mixed_exit)


@pytest.mark.parametrize("case", _case_params())
def test_hostile_document_outcome(case: Any, runs: HostileRuns) -> None:
    line = runs.extracted[case.source(runs.corpus)]
    expect = case.expect
    assert line["status"] in expect.statuses, (line["status"], line["reason"])
    if line["status"] == "rejected":
        assert category(line["reason"]) in expect.reasons, line["reason"]
        return
    text = line["text"]
    assert text and line["reason"] is None
    for needle in expect.contains:
        assert needle in text, f"missing {needle!r}"
    for needle in expect.absent:
        assert needle not in text, f"unexpected {needle!r}"


def _assert_accounted(actual: list[str], expected: list[str], corpus: Path) -> None:
    """Each expected source exactly once, nothing else; only a document a reported bug loses may be missing."""
    counts = Counter(actual)
    assert [source for source, n in counts.items() if n > 1] == [], "a document has two lines"
    assert set(actual) - set(expected) == set(), "a line for no input document"
    lost_by_known_bugs = {case.source(corpus) for case in CASES if case.expect.bug}
    assert set(expected) - set(actual) <= lost_by_known_bugs, "a document was lost"


def test_extract_has_one_line_per_document(runs: HostileRuns) -> None:
    actual = [line["source"] for line in runs.extract_lines]
    _assert_accounted(actual, [case.source(runs.corpus) for case in CASES], runs.corpus)
    ids = [line["id"] for line in runs.extract_lines]
    assert len(ids) == len(set(ids))


def test_every_rejection_has_a_specific_reason(runs: HostileRuns) -> None:
    reasons = [line["reason"] for line in runs.extract_lines if line["status"] == "rejected"]
    assert reasons
    assert {category(reason) for reason in reasons} <= KNOWN_REASONS


def test_mixed_run_completes_with_one_manifest_line_per_document(runs: HostileRuns) -> None:
    assert runs.mixed_exit == 0  # README: 0 ok; rejected documents are not an error
    demo = read_jsonl(runs.demo_out / "manifest.jsonl")
    mixed = read_jsonl(runs.mixed_out / "manifest.jsonl")
    expected = [entry["source"] for entry in demo] + [case.source(runs.corpus) for case in CASES]
    _assert_accounted([entry["source"] for entry in mixed], expected, runs.corpus)
    assert len({entry["id"] for entry in mixed}) == len(mixed)
    for entry in mixed:
        assert entry["status"] in ("kept", "duplicate", "rejected")
        assert (entry["status"] == "rejected") == (entry["reason"] is not None)


def test_mixed_run_agrees_with_extract(runs: HostileRuns) -> None:
    """Each hostile document gets the same outcome in `run` (next to the demo corpus) as in `extract`."""
    manifest = {entry["source"]: entry for entry in read_jsonl(runs.mixed_out / "manifest.jsonl")}
    for case in CASES:
        if case.source(runs.corpus) not in runs.extracted:  # lost by a reported bug: see its own test
            continue
        entry, line = manifest[case.source(runs.corpus)], runs.extracted[case.source(runs.corpus)]
        assert (entry["status"] == "rejected") == (line["status"] == "rejected"), case.path
        assert entry["reason"] == line["reason"], case.path


def _lines_by_id(path: Path) -> dict[str, str]:
    return {json.loads(line)["id"]: line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def test_good_documents_are_unchanged_by_hostile_neighbours(runs: HostileRuns) -> None:
    demo_manifest = read_jsonl(runs.demo_out / "manifest.jsonl")
    demo_ids = {entry["id"] for entry in demo_manifest}
    mixed_manifest = {entry["id"]: entry for entry in read_jsonl(runs.mixed_out / "manifest.jsonl")}
    assert [mixed_manifest[entry["id"]] for entry in demo_manifest] == demo_manifest
    for name in ("articles", "documents"):
        demo_lines = _lines_by_id(runs.demo_out / f"{name}.jsonl")
        mixed_lines = _lines_by_id(runs.mixed_out / f"{name}.jsonl")
        assert {i: mixed_lines[i] for i in demo_lines} == demo_lines, name
    demo_clusters = (runs.demo_out / "clusters.jsonl").read_text(encoding="utf-8").splitlines()
    mixed_clusters = [
        line
        for line in (runs.mixed_out / "clusters.jsonl").read_text(encoding="utf-8").splitlines()
        if {m["id"] for m in json.loads(line)["members"]} & demo_ids
    ]
    assert mixed_clusters == demo_clusters  # no hostile page joined (or split) a demo event


# --- the worker pool under hostile documents: a slow, crashing or raising page costs only itself ---


def _good_pages(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"good-{index}.html"
        path.write_text(mh.article_page(f"pool-{index}"), encoding="utf-8")
        paths.append(path)
    return paths


# `cleaner.extract.core` the attribute is the pipeline function (exported in __init__); the module is found by name
EXTRACT_MODULE = importlib.import_module("cleaner.extract.core")


def _misbehave_on(marker: str, action: str) -> Any:
    """A stand-in for extract_article that misbehaves on the document whose source holds `marker`."""
    real = EXTRACT_MODULE.extract_article

    def extract_article(doc: RawDocument, *args: Any) -> Any:
        if marker in doc.source:
            if action == "sleep":
                time.sleep(60)
            elif action == "sleep-signals-blocked":  # a hang inside C code: SIGALRM cannot interrupt it
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                time.sleep(60)
            elif action == "swallow":  # what trafilatura does around readability, justext and its recall retry
                with contextlib.suppress(Exception):
                    time.sleep(30)
                time.sleep(2)
            elif action == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif action == "raise":
                raise KeyError("an unexpected bug deep inside a parser")
        return real(doc, *args)

    return extract_article


def _warm_up() -> None:
    """Extract one page here first: forked workers then inherit trafilatura loaded, so a short per-document limit
    measures the page, not the first import (which can take longer than the limit on a busy machine)."""
    config = Config()
    page = RawDocument("warm", "warm.html", mh.article_page("warm-up").encode())
    EXTRACT_MODULE.extract_article(page, config.extract, config.clutter)


def _run_with(tmp_path: Path, jobs: int, timeout: float = 30.0) -> dict[str, dict[str, Any]]:
    _warm_up()
    out = tmp_path / f"out-{jobs}"
    config = Config(run=RunConfig(jobs=jobs, timeout_seconds=timeout, max_tasks_per_worker=4))
    api.run([tmp_path / "in"], out, config)
    return {Path(entry["source"]).name: entry for entry in read_jsonl(out / "manifest.jsonl")}


def _assert_only_marked_rejected(manifest: dict[str, dict[str, Any]], marked: str, reason: str) -> None:
    assert category(manifest[marked]["reason"]) == reason, manifest[marked]
    others = [entry for name, entry in manifest.items() if name != marked]
    assert others and all(entry["status"] != "rejected" for entry in others), others


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_slow_page_is_rejected_as_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    _good_pages(tmp_path / "in", 3)
    (tmp_path / "in" / "slow.html").write_text(mh.article_page("slow"), encoding="utf-8")
    monkeypatch.setattr(EXTRACT_MODULE, "extract_article", _misbehave_on("slow.html", "sleep"))
    _assert_only_marked_rejected(_run_with(tmp_path, jobs, timeout=1.0), "slow.html", "timeout")


def test_a_hang_that_ignores_signals_is_rejected_as_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGALRM cannot stop C code; the parent's watchdog and the isolated retry must."""
    _good_pages(tmp_path / "in", 2)
    (tmp_path / "in" / "stuck.html").write_text(mh.article_page("stuck"), encoding="utf-8")
    monkeypatch.setattr(EXTRACT_MODULE, "extract_article", _misbehave_on("stuck.html", "sleep-signals-blocked"))
    _assert_only_marked_rejected(_run_with(tmp_path, 2, timeout=0.5), "stuck.html", "timeout")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_timeout_swallowed_by_a_library_still_stops_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    _good_pages(tmp_path / "in", 2)
    (tmp_path / "in" / "swallow.html").write_text(mh.article_page("swallow"), encoding="utf-8")
    monkeypatch.setattr(EXTRACT_MODULE, "extract_article", _misbehave_on("swallow.html", "swallow"))
    _assert_only_marked_rejected(_run_with(tmp_path, jobs, timeout=1.0), "swallow.html", "timeout")


def test_a_worker_killed_by_its_page_costs_only_that_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _good_pages(tmp_path / "in", 5)
    (tmp_path / "in" / "crash.html").write_text(mh.article_page("crash"), encoding="utf-8")
    monkeypatch.setattr(EXTRACT_MODULE, "extract_article", _misbehave_on("crash.html", "sigkill"))
    _assert_only_marked_rejected(_run_with(tmp_path, 2), "crash.html", "worker crashed")


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_unexpected_exception_costs_only_its_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    _good_pages(tmp_path / "in", 3)
    (tmp_path / "in" / "raises.html").write_text(mh.article_page("raises"), encoding="utf-8")
    monkeypatch.setattr(EXTRACT_MODULE, "extract_article", _misbehave_on("raises.html", "raise"))
    manifest = _run_with(tmp_path, jobs)
    assert manifest["raises.html"]["status"] == "rejected"
    assert category(manifest["raises.html"]["reason"]) in KNOWN_REASONS
    assert all(entry["status"] != "rejected" for name, entry in manifest.items() if name != "raises.html")


def _run_in_child(folder: str, out: str) -> None:
    api.run([Path(folder)], Path(out), Config(run=RunConfig(jobs=1)))


def test_jobs_1_survives_a_crashing_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _good_pages(tmp_path / "in", 2)
    (tmp_path / "in" / "crash.html").write_text(mh.article_page("crash-1"), encoding="utf-8")
    monkeypatch.setattr(EXTRACT_MODULE, "extract_article", _misbehave_on("crash.html", "sigkill"))
    arguments = (str(tmp_path / "in"), str(tmp_path / "out"))
    child = multiprocessing.get_context("fork").Process(target=_run_in_child, args=arguments)
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0, f"the run died (exit code {child.exitcode})"


def test_memory_limit_is_configurable_and_reaches_the_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f.name for f in dataclasses.fields(RunConfig) if "memory" in f.name]
    assert names, "RunConfig has no memory limit setting"
    seen: list[Any] = []
    real_map = local.map_documents

    def spy(func: Any, items: Any, jobs: int, limits: Any = None) -> Any:
        seen.append(limits)
        return real_map(func, items, jobs, limits)

    monkeypatch.setattr(local, "map_documents", spy)
    _good_pages(tmp_path / "in", 1)
    config = Config(run=dataclasses.replace(RunConfig(jobs=2), **{names[0]: 4096}))
    api.run([tmp_path / "in"], tmp_path / "out", config)
    assert seen and seen[0].memory_bytes > 0


def test_a_file_name_that_is_not_utf8_does_not_end_the_run(tmp_path: Path) -> None:
    mh.build_corpus(tmp_path / "in", kinds=["undecodable-file-name"])
    _good_pages(tmp_path / "in", 1)
    out = tmp_path / "out"
    api.run([tmp_path / "in"], out, Config(run=RunConfig(jobs=1)))
    manifest = read_jsonl(out / "manifest.jsonl")  # valid UTF-8 JSON, one line per document
    assert len(manifest) == 2


@pytest.mark.skipif(
    not os.environ.get("CLEANER_SLOW_TESTS"),
    reason="full sizes (50 MB page, 1 GB gzip bomb, 10^5-deep nesting, 15 MB page): set CLEANER_SLOW_TESTS=1; "
    "bench/fuzz.py --big runs the same outside the test suite",
)
def test_full_size_kinds(tmp_path: Path) -> None:
    big = ["huge-page", "big-page", "gzip-bomb", "gzip-bomb-nested", "deep-nesting", "huge-attribute"]
    cases = mh.build_corpus(tmp_path / "corpus", mh.Sizes(), kinds=big)
    api.run([tmp_path / "corpus"], tmp_path / "out", Config(run=RunConfig(jobs=2)))
    manifest = {entry["source"]: entry for entry in read_jsonl(tmp_path / "out" / "manifest.jsonl")}
    assert len(manifest) == len(cases)
    for case in cases:
        entry = manifest[case.source(tmp_path / "corpus")]
        status = "rejected" if entry["status"] == "rejected" else "extracted"
        assert status in case.expect.statuses, (case.path, entry)
        if status == "rejected":
            assert category(entry["reason"]) in case.expect.reasons, (case.path, entry)
