"""Open a run's report.html in headless Chromium: console errors, network requests, DOM content, and a screenshot.

    python bench/report_screenshot.py                      # runs the demo corpus into a temp folder first
    python bench/report_screenshot.py --out-dir OUT        # an existing run's folder (writes its report.html)
    python bench/report_screenshot.py --png report.png     # where the screenshot goes

Exit code 0 when the page loads with no console error, no network request, and its DOM shows the largest event with
all its sources; 1 otherwise; 2 when no Chromium is installed (apt-get install -y chromium).

Network requests are read from Chromium's net log, not from its console: a request that the page's CSP does not
block (an image, say, were the CSP ever loosened) fails silently on the console, but the net log records it. Every
host name resolves to nothing (--host-resolver-rules), so no request leaves the machine even while it is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaner.outputs.files import load_outputs  # noqa: E402
from cleaner.report import write_report  # noqa: E402

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags from the issue: no sandbox (containers), no GPU, nothing phoning home, a fresh profile per run.
BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
    # Nothing resolves: a request the page makes fails at once instead of reaching the network (it is still logged).
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
# Lines Chromium logs for page problems: console messages from the page, CSP refusals, failed loads.
PROBLEM_MARKERS = ("CONSOLE", "Uncaught", "Refused to", "net::ERR_", "Failed to load")


def find_chromium(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if Path(explicit).exists() else shutil.which(explicit)
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


@dataclass(frozen=True)
class Visit:
    """What one Chromium run on a page gave: exit code, stdout (the DOM with --dump-dom), stderr (the log) and the
    URLs of the network requests the page made."""

    returncode: int
    stdout: str
    stderr: str
    requests: list[str]


def chromium(binary: str, page: Path, extra: Sequence[str], timeout: float = 60.0) -> Visit:
    """Run Chromium once on `page` with a throwaway profile, recording its network activity in a net log."""
    with tempfile.TemporaryDirectory(prefix="cleaner-chromium-") as profile:
        netlog = Path(profile) / "netlog.json"
        flags = [f"--user-data-dir={profile}", f"--log-net-log={netlog}"]
        command = [binary, *BASE_FLAGS, *flags, *extra, page.resolve().as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        return Visit(done.returncode, done.stdout, done.stderr, page_requests(netlog))


def page_requests(netlog: Path) -> list[str]:
    """URLs the page asked the network for, from a Chromium net log. The browser's own background requests (update
    checks, account and time queries, which run even headless) have no initiating origin ("not an origin"); a
    request made by a page loaded from a file has the opaque origin "null", and one from a web page its origin.
    An unreadable log counts as a request: the check must not pass for want of evidence."""
    try:
        log = json.loads(netlog.read_text(encoding="utf-8"))
        start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        events = log["events"]
    except (OSError, ValueError, KeyError) as error:
        return [f"(net log {netlog.name} unreadable: {error})"]
    requests = []
    for event in events:
        params = event.get("params") or {}
        if event.get("type") == start and "url" in params and params.get("initiator") != "not an origin":
            requests.append(params["url"])
    return requests


def page_problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(marker in line for marker in PROBLEM_MARKERS)]


def visit_problems(visit: Visit) -> list[str]:
    problems = [f"console/network: {line}" for line in page_problems(visit.stderr)]
    return problems + [f"network request: {url}" for url in visit.requests]


def check_report(binary: str, out_dir: Path, png: Path, width: int = 1280, height: int = 2600) -> list[str]:
    """Problems found (empty: the page is fine); writes the screenshot to `png`."""
    report = out_dir / "report.html"
    dom = chromium(binary, report, ["--dump-dom", "--virtual-time-budget=2000"])
    problems = visit_problems(dom)
    if dom.returncode != 0 or "<main>" not in dom.stdout:
        problems.append(f"--dump-dom failed (exit {dom.returncode}): {dom.stderr[-500:]}")
    problems += missing_content(out_dir, dom.stdout)
    shot = chromium(binary, report, [f"--screenshot={png.resolve()}", f"--window-size={width},{height}"])
    problems += visit_problems(shot)
    if not png.exists() or png.stat().st_size == 0:
        problems.append(f"no screenshot written (exit {shot.returncode}): {shot.stderr[-500:]}")
    return problems


def missing_content(out_dir: Path, dom: str) -> list[str]:
    """The rendered DOM must show the largest event and every one of its sources' sites and ids."""
    import html

    outputs = load_outputs(out_dir)
    if not outputs.clusters:
        return ["the run has no clusters"]
    largest = min(outputs.clusters, key=lambda c: (-c.size, c.cluster))
    sites = {d.id: d.site for d in outputs.documents}
    problems = []
    if f'data-event="{largest.cluster}"' not in dom:
        problems.append(f"largest event {largest.cluster} not in the page")
    for member in largest.members:
        if member.id not in dom:
            problems.append(f"source {member.id} of the largest event not in the page")
        site = sites.get(member.id)
        if site and html.escape(site) not in dom:
            problems.append(f"site {site!r} of the largest event not in the page")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, help="An existing run's output folder (default: run the demo).")
    parser.add_argument("--corpus", type=Path, default=ROOT / "fixtures" / "demo", help="Corpus to run first.")
    parser.add_argument("--png", type=Path, default=Path("report.png"), help="Screenshot path.")
    parser.add_argument("--chromium", help="Chromium binary (default: the first on PATH).")
    args = parser.parse_args(argv)
    binary = find_chromium(args.chromium)
    if binary is None:
        print("no Chromium found: apt-get install -y chromium (or pass --chromium PATH)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cleaner-report-") as scratch:
        out_dir = args.out_dir
        if out_dir is None:
            from cleaner import Config, run
            from cleaner.config import RunConfig

            out_dir = Path(scratch) / "out"
            os.chdir(ROOT)  # sources relative to the repository, as in the README
            report = run([os.path.relpath(args.corpus, ROOT)], out_dir, Config(run=RunConfig(jobs=1)))
            print(f"ran {args.corpus}: {report.documents} documents, {report.clusters} clusters")
        page = write_report(out_dir)
        print(f"report: {page} ({page.stat().st_size} bytes)")
        problems = check_report(binary, out_dir, args.png)
    for problem in problems:
        print(f"PROBLEM {problem}")
    print(f"screenshot: {args.png.resolve()}")
    print("ok: no console errors, no network requests, largest event and all its sources shown" if not problems else "")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
