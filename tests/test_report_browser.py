"""report.html in a real headless Chromium: no console error, no network request, the seed event with all its sources.

Skipped with a reason where no Chromium is installed (`apt-get install -y chromium`); CI (.ci/run) installs it and
sets CLEANER_REQUIRE_BROWSER=1, which turns a missing browser into a failure. `python bench/report_screenshot.py`
does the same checks outside the tests and keeps the screenshot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from bench import report_screenshot as BENCH
from cleaner.report import write_report
from tests.conftest import read_jsonl

EXTERNAL_IMAGE = "https://example.com/x.png"


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = BENCH.find_chromium()
    if binary is None:
        reason = "no Chromium on PATH: apt-get install -y chromium"
        if os.environ.get("CLEANER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (CLEANER_REQUIRE_BROWSER=1: CI installed it, the test must run)", pytrace=False)
        pytest.skip(reason)
    return binary


def _report(tmp_path: Path, demo_run: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(demo_run, out)
    write_report(out)
    return out


def test_demo_report_opens_cleanly_and_shows_the_seed_event(chromium: str, tmp_path: Path, demo_run: Path) -> None:
    out = _report(tmp_path, demo_run)
    png = tmp_path / "report.png"
    assert BENCH.check_report(chromium, out, png) == []
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    seed = max(read_jsonl(out / "clusters.jsonl"), key=lambda c: c["size"])
    assert seed["size"] == 7  # the check above found all seven sources of this event in the rendered DOM


def test_the_checker_catches_a_fetch_the_csp_blocks(chromium: str, tmp_path: Path, demo_run: Path) -> None:
    page = _report(tmp_path, demo_run) / "report.html"
    broken = page.read_text(encoding="utf-8").replace("</main>", f'</main><img src="{EXTERNAL_IMAGE}">')
    page.write_text(broken, encoding="utf-8")
    problems = BENCH.check_report(chromium, page.parent, tmp_path / "shot.png")
    assert any("Content Security Policy" in p for p in problems)


def test_the_checker_catches_a_request_even_without_the_csp(chromium: str, tmp_path: Path, demo_run: Path) -> None:
    """Were the CSP ever lost, a failed image load leaves nothing on Chromium's console: the net log must catch it."""
    page = _report(tmp_path, demo_run) / "report.html"
    html, csp_tags = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text(encoding="utf-8"))
    assert csp_tags == 1
    page.write_text(html.replace("</main>", f'</main><img src="{EXTERNAL_IMAGE}">'), encoding="utf-8")
    problems = BENCH.check_report(chromium, page.parent, tmp_path / "shot.png")
    assert f"network request: {EXTERNAL_IMAGE}" in problems, problems
    assert not any("Content Security Policy" in p for p in problems)  # so it was the net log that saw it


def _netlog(tmp_path: Path, *requests: dict[str, str]) -> Path:
    events = [{"type": 7, "params": params} for params in requests] + [{"type": 3, "params": {"url": "x"}}]
    path = tmp_path / "netlog.json"
    path.write_text(json.dumps({"constants": {"logEventTypes": {"URL_REQUEST_START_JOB": 7}}, "events": events}))
    return path


def test_page_requests_leave_out_the_browsers_own_and_count_an_unreadable_log(tmp_path: Path) -> None:
    own = {"url": "https://update.googleapis.com/service/update2/json", "initiator": "not an origin"}
    from_file_page = {"url": EXTERNAL_IMAGE, "initiator": "null"}
    from_web_page = {"url": "https://cdn.example/a.js", "initiator": "https://example.org"}
    log = _netlog(tmp_path, own, from_file_page, from_web_page)
    assert BENCH.page_requests(log) == [EXTERNAL_IMAGE, "https://cdn.example/a.js"]
    log.write_text('{"constants": {"logEventTypes": {"URL_REQUEST_START_JOB": 7}}, "events": [')  # cut short
    assert len(BENCH.page_requests(log)) == 1
