"""Shared fixtures: the repository root, the demo corpus and one run over it, the benchmark pages' runs (each
computed once per session), and the `--accelerate` option.

`pytest --accelerate=off` runs the whole suite with trafilatura's public API only (no accelerator): it sets
CLEANER_ACCELERATE, the default of `ExtractConfig.accelerate`, for this process and every subprocess a test starts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cleaner.config import ACCELERATE_ENV, ACCELERATE_MODES

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
SEED = next((ROOT / "seeds").glob("*.txt"))
# The evaluation gate's table of figures, printed at the end of every run that measured them (tests/test_eval_gate.py)
_EVAL_GATE_TABLE = pytest.StashKey[str]()
# The shared benchmark data next to the repository; CI sets CLEANER_REQUIRE_EVAL_GATE=1, which makes it required
BENCHDATA = Path(os.environ.get("CLEANER_BENCHDATA") or ROOT.parent / "shared" / "benchdata")
REQUIRED = os.environ.get("CLEANER_REQUIRE_EVAL_GATE") == "1"
BENCH_SECONDS: dict[tuple[str, str], float] = {}  # (set, accelerate mode) -> wall seconds of its run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--accelerate",
        choices=ACCELERATE_MODES,
        default=os.environ.get(ACCELERATE_ENV) or "auto",
        help="the default of extract.accelerate for the whole suite (off: trafilatura's public API only)",
    )


def pytest_configure(config: pytest.Config) -> None:
    os.environ[ACCELERATE_ENV] = config.getoption("--accelerate")


def required(path: Path, what: str) -> Path:
    """`path`, or a skip naming where it was looked for; a failure instead when CLEANER_REQUIRE_EVAL_GATE=1."""
    if not path.exists():
        message = f"{what} not found at {path}"
        if REQUIRED:
            pytest.fail(f"{message}; CLEANER_REQUIRE_EVAL_GATE=1 makes it required", pytrace=False)
        pytest.skip(message)
    return path


def load_make_hostile() -> ModuleType:
    """fixtures/ is not a package: load the hostile corpus generator from its path (once)."""
    if "make_hostile" not in sys.modules:
        spec = importlib.util.spec_from_file_location("make_hostile", ROOT / "fixtures" / "hostile" / "make_hostile.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_hostile"] = module
        spec.loader.exec_module(module)
    return sys.modules["make_hostile"]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def demo_expected() -> dict[str, Any]:
    return json.loads((DEMO / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cleaner run fixtures/demo` once, from the repository root so that sources are relative paths."""
    from cleaner import Config, run
    from cleaner.config import RunConfig

    out = tmp_path_factory.mktemp("demo-run")
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        run(["fixtures/demo"], out, Config(run=RunConfig(jobs=1)))
    finally:
        os.chdir(previous)
    return out


@pytest.fixture
def record_eval_gate_table(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Keep the gate's table for the terminal summary. A fixture rather than an import: pytest loads this file as
    `conftest`, so `tests.conftest` imported by a test module is a second copy with a key of its own."""

    def record(table: str) -> None:
        request.config.stash[_EVAL_GATE_TABLE] = table

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    """Show the evaluation gate's figures on success too, so that a CI log records them (on failure the failing
    test's message holds the same table), and the benchmark runs' wall times per accelerate mode."""
    table = config.stash.get(_EVAL_GATE_TABLE, None)
    if table:
        terminalreporter.section("evaluation gate")
        terminalreporter.write_line(table)
    if BENCH_SECONDS:
        terminalreporter.section("benchmark runs")
        for (name, mode), seconds in sorted(BENCH_SECONDS.items()):
            terminalreporter.write_line(f"{name} accelerate={mode}: {seconds:.1f} s")


def _bench_runs(tmp_path_factory: pytest.TempPathFactory, name: str, folder: str) -> Callable[[str], Path]:
    """`cleaner.run` on one benchmark set's pages with 2 workers, once per accelerate mode and session."""
    runs: dict[str, Path] = {}

    def run_in(mode: str) -> Path:
        if mode not in runs:
            from cleaner import Config, run
            from cleaner.config import ExtractConfig, RunConfig

            pages = required(BENCHDATA / folder / "html", f"benchmark pages ({name})")
            out = tmp_path_factory.mktemp(f"{name}-{mode}")
            started = time.perf_counter()
            run([pages], out, Config(extract=ExtractConfig(accelerate=mode), run=RunConfig(jobs=2)))
            BENCH_SECONDS[(name, mode)] = time.perf_counter() - started
            runs[mode] = out
        return runs[mode]

    return run_in


@pytest.fixture(scope="session")
def aeb_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """AEB's 181 pages: `aeb_run(mode)` is the output folder of the session's run in that accelerate mode."""
    return _bench_runs(tmp_path_factory, "aeb", "aeb")


@pytest.fixture(scope="session")
def wcxb_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """WCXB dev articles' 793 pages, likewise."""
    return _bench_runs(tmp_path_factory, "wcxb", "wcxb-dev-articles")
