"""The evaluation gate: a change that makes the results worse fails CI, as a change that breaks the code does.

On the shared benchmark data (`../shared/benchdata` next to the repository, or `$CLEANER_BENCHDATA`) the product runs
as a user gets it, through the public API, once per data set and session (2 workers):
- `cleaner.run` on AEB's and WCXB dev articles' pages: AEB F1 and precision, WCXB with-rate and without-rate (WCXB
  in sample: the gate guards against regression, it does not claim a held-out figure);
- `cleaner.run_dedup` on wire-dedup-dev `val_web` and `val_ocr`: ARI and pair precision;
- wire-html, built into a temporary folder by its `build.py`, then `cleaner.run` on its pages: ARI, story
  paragraphs kept, inline promos removed, boilerplate leak (mean per page and micro).
Every figure is the data set's own metric (bench/metrics.py, shared with the benches). Bounds, directions and the
figures measured on the landed code live in tests/eval_floors.toml, whose header says how to change them, with a
digest of each data set read: a changed data set fails the gate instead of being scored silently.

Without the data (a clone outside this workplace) the gate skips, naming the path it looked at; CI sets
CLEANER_REQUIRE_EVAL_GATE=1, which makes missing data a failure.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bench import wire_html
from bench.metrics import (
    RunResult,
    WcxbTruth,
    aeb_scores,
    cluster_scores,
    read_jsonl,
    read_run,
    relative_source,
    wcxb_scores,
)
from cleaner import Config, run_dedup
from cleaner.config import RunConfig
from tests.conftest import ROOT, required

BENCHDATA = Path(os.environ.get("CLEANER_BENCHDATA") or ROOT.parent / "shared" / "benchdata")
FLOORS_FILE = ROOT / "tests" / "eval_floors.toml"
FLOORS: dict[str, Any] = tomllib.loads(FLOORS_FILE.read_text(encoding="utf-8"))
# The setting: 2 cores. The figures do not depend on it (the output is byte-identical whatever the jobs).
CONFIG = Config(run=RunConfig(jobs=2))

# The data sets whose digests the floors file records, each a path under BENCHDATA (a folder or one file); the
# built wire-html labels are checked from the build itself (test_built_wire_html_is_the_one_measured).
DATA_SETS = ("aeb", "wcxb-dev-articles", "wire-dedup-dev/val_web.jsonl", "wire-dedup-dev/val_ocr.jsonl")
BUILD_SCRIPT = "wire-html/build.py"
BUILT_LABELS = "wire-html/labels.jsonl (built)"


# ---------------------------------------------------------------- data


def data(relative: str) -> Path:
    """A path of the benchmark data; skips the test where it is missing, fails in CI."""
    return required(BENCHDATA / relative, "benchmark data (the gate reads ../shared/benchdata or $CLEANER_BENCHDATA)")


def digest(path: Path) -> str:
    """SHA-256 over the sorted relative paths and bytes of the files under `path` (or of the one file `path`)."""
    if path.is_dir():
        named = sorted((f.relative_to(path).as_posix(), f) for f in path.rglob("*") if f.is_file())
    else:
        named = [(path.name, path)]
    sha = hashlib.sha256()
    for name, file in named:
        # name and size frame each file, so that bytes moving from one file to the next change the digest
        sha.update(f"{name}\0{file.stat().st_size}\0".encode())
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                sha.update(chunk)
    return sha.hexdigest()


def changed_message(name: str, found: str) -> str:
    return (
        f"data set {name} changed (digest {found}, the floors were measured on {FLOORS['digests'][name]}): "
        f"re-measure and update the floors and this digest in {FLOORS_FILE.relative_to(ROOT)} in a commit"
    )


# ---------------------------------------------------------------- runs (once per session)

SECONDS: dict[str, float] = {}  # wall time of each set's run, for the table's footer


def timed(name: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    SECONDS[name] = time.perf_counter() - started
    return result


def session_run(runs: Callable[[str], Path], folder: Path) -> RunResult:
    """The session's `cleaner run` of a benchmark set (tests/conftest.py, shared with the accelerator check)."""
    return read_run(runs("auto"), relative_source(folder))


@pytest.fixture(scope="session")
def aeb_figures(aeb_run: Callable[[str], Path]) -> dict[str, float]:
    folder = data("aeb")
    result = session_run(aeb_run, folder / "html")
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pairs = [(page["articleBody"], result.texts[f"{key}.html.gz"] or "") for key, page in sorted(truth.items())]
    scores = aeb_scores(pairs)
    return {"aeb.F1": scores["F1"], "aeb.precision": scores["P"]}


def wcxb_truth(path: Path) -> WcxbTruth:
    truth = json.loads(path.read_text(encoding="utf-8"))["ground_truth"]
    return WcxbTruth(truth.get("main_content") or "", truth.get("with") or (), truth.get("without") or ())


@pytest.fixture(scope="session")
def wcxb_figures(wcxb_run: Callable[[str], Path]) -> dict[str, float]:
    folder = data("wcxb-dev-articles")
    result = session_run(wcxb_run, folder / "html")
    paths = sorted((folder / "ground-truth").glob("*.json"))
    outputs = [result.texts[f"{path.stem}.html.gz"] or "" for path in paths]
    scores = wcxb_scores([wcxb_truth(path) for path in paths], outputs)
    return {"wcxb.with_rate": scores["with%"], "wcxb.without_rate": scores["without%"]}


def dedup_figures(variant: str, out: Path) -> dict[str, float]:
    path = data(f"wire-dedup-dev/{variant}.jsonl")
    gold = {str(row["id"]): row["cluster"] for row in read_jsonl(path)}
    timed(variant, lambda: run_dedup([path], out, CONFIG))
    predicted = read_run(out, lambda record: record["id"]).clusters
    scores = cluster_scores(list(gold.values()), [predicted[key] for key in gold])
    return {f"wire-dedup.{variant}.ARI": scores["ari"], f"wire-dedup.{variant}.pair_precision": scores["precision"]}


@pytest.fixture(scope="session")
def wire_dedup_figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    figures: dict[str, float] = {}
    for variant in ("val_web", "val_ocr"):
        figures |= dedup_figures(variant, tmp_path_factory.mktemp(f"gate-{variant}"))
    return figures


@pytest.fixture(scope="session")
def wire_html_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """The wire-html dev set, built with build.py's defaults; removed after the session (~300 MB of pages)."""
    data(BUILD_SCRIPT)
    folder = tmp_path_factory.mktemp("gate-wire-html")
    labels = timed("wire-html build", lambda: wire_html.build(BENCHDATA, folder / "built"))
    yield folder / "built", labels
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def wire_html_figures(wire_html_built: tuple[Path, list[dict[str, Any]]]) -> dict[str, float]:
    built, labels = wire_html_built
    result = timed("wire-html", lambda: wire_html.run_cleaner(built, built.parent / "cleaner-out", jobs=2))
    scores = wire_html.scores(labels, result)
    names = ("ARI", "paragraphs", "promos_removed", "leak", "leak_micro")
    keys = ("ari", "paragraphs", "promos_removed", "leak", "leak_micro")
    return {f"wire-html.{name}": scores[key] for name, key in zip(names, keys, strict=True)}


# ---------------------------------------------------------------- the table


def slack(figure: Mapping[str, Any], value: float) -> float:
    """How far `value` is on the good side of the figure's bound (negative: past it, by that much)."""
    return value - figure["bound"] if figure["direction"] == "min" else figure["bound"] - value


def table(measured: Mapping[str, float]) -> str:
    failed = [name for name, value in measured.items() if not slack(FLOORS["figure"][name], value) >= 0]
    head = f"evaluation gate ({FLOORS_FILE.relative_to(ROOT)}): {len(measured)} figures, "
    lines = [head + (f"{len(failed)} past their bound: {', '.join(failed)}" if failed else "all hold")]
    lines.append(f"{'figure':<36}{'bound':>12}{'value':>11}{'margin':>11}{'recorded':>10}")
    for name, value in measured.items():
        figure = FLOORS["figure"][name]
        sign = ">=" if figure["direction"] == "min" else "<="
        lines.append(
            f"{name:<36}{sign:>4} {figure['bound']:7.4f}{value:11.5f}{slack(figure, value):+11.5f}"
            f"{figure['measured']:10.4f}" + ("  FAIL" if name in failed else "")
        )
    lines.append("margin: how far the value is on the good side of its bound (negative: past it by that much)")
    lines.append("runs: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in SECONDS.items()))
    return "\n".join(lines)


# ---------------------------------------------------------------- tests


def outward(value: float, step: float, direction: str) -> float:
    """`value` rounded to a multiple of `step`, away from the measured figure (down for a floor, up for a ceiling)."""
    rounded = (math.floor if direction == "min" else math.ceil)(round(value / step, 6)) * step
    return round(rounded, 6)


def test_every_bound_follows_the_rule_in_the_floors_files_header() -> None:
    rule = FLOORS["rule"]
    for name, figure in FLOORS["figure"].items():
        assert figure["direction"] in ("min", "max"), name
        scale = rule[figure["scale"]]
        away = -scale["margin"] if figure["direction"] == "min" else scale["margin"]
        expected = outward(figure["measured"] + away, scale["step"], figure["direction"])
        assert figure["bound"] == pytest.approx(expected), f"{name}: bound {figure['bound']}, the rule gives {expected}"


@pytest.mark.parametrize("name", DATA_SETS)
def test_data_set_is_the_one_the_floors_were_measured_on(name: str) -> None:
    found = digest(data(name))
    assert found == FLOORS["digests"][name], changed_message(name, found)


def test_built_wire_html_is_the_one_measured(wire_html_built: tuple[Path, list[dict[str, Any]]]) -> None:
    for name, path in ((BUILD_SCRIPT, BENCHDATA / BUILD_SCRIPT), (BUILT_LABELS, wire_html_built[0] / "labels.jsonl")):
        found = digest(path)
        assert found == FLOORS["digests"][name], changed_message(name, found)


def test_every_figure_holds_its_bound(
    record_eval_gate_table: Callable[[str], None],
    aeb_figures: dict[str, float],
    wcxb_figures: dict[str, float],
    wire_dedup_figures: dict[str, float],
    wire_html_figures: dict[str, float],
) -> None:
    measured = aeb_figures | wcxb_figures | wire_dedup_figures | wire_html_figures
    assert set(measured) == set(FLOORS["figure"]), "the floors file and the gate list different figures"
    report = table(measured)
    record_eval_gate_table(report)
    # the table is the whole message: which figure fell and by how much (no traceback around it)
    if not all(slack(FLOORS["figure"][name], value) >= 0 for name, value in measured.items()):
        pytest.fail(report, pytrace=False)
