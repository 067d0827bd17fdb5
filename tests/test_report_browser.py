"""report.html in a real headless Chromium: no console error, no blocked fetch, the seed event with all its sources.

Skipped when no Chromium is installed (CI images often lack it): `apt-get install -y chromium`, or run
`python bench/report_screenshot.py`, which does the same checks and keeps the screenshot.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from cleaner.report import write_report
from tests.conftest import ROOT, read_jsonl


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("report_screenshot", ROOT / "bench" / "report_screenshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()
CHROMIUM = BENCH.find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH: apt-get install -y chromium")


def test_demo_report_opens_cleanly_and_shows_the_seed_event(tmp_path: Path, demo_run: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(demo_run, out)
    write_report(out)
    png = tmp_path / "report.png"
    assert BENCH.check_report(CHROMIUM, out, png) == []
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    seed = max(read_jsonl(out / "clusters.jsonl"), key=lambda c: c["size"])
    assert seed["size"] == 7  # the check above found all seven sources of this event in the rendered DOM


def test_the_checker_catches_console_errors_and_blocked_fetches(tmp_path: Path, demo_run: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(demo_run, out)
    page = write_report(out)
    broken = page.read_text(encoding="utf-8").replace("</main>", '</main><img src="https://example.com/x.png">')
    page.write_text(broken, encoding="utf-8")
    problems = BENCH.check_report(CHROMIUM, out, tmp_path / "shot.png")
    assert any("Content Security Policy" in p for p in problems)
