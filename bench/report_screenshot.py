"""Open a run's report.html in headless Chromium: console errors, blocked fetches, DOM content, and a screenshot.

    python bench/report_screenshot.py                      # runs the demo corpus into a temp folder first
    python bench/report_screenshot.py --out-dir OUT        # an existing run's folder (writes its report.html)
    python bench/report_screenshot.py --png report.png     # where the screenshot goes

Exit code 0 when the page loads with no console error, no blocked or failed request, and its DOM shows the largest
event with all its sources; 1 otherwise; 2 when no Chromium is installed (apt-get install -y chromium).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaner.explain import load_outputs  # noqa: E402
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
)
# Lines Chromium logs for page problems: console messages from the page, CSP refusals, failed loads.
PROBLEM_MARKERS = ("CONSOLE", "Uncaught", "Refused to", "net::ERR_", "Failed to load")


def find_chromium(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if Path(explicit).exists() else shutil.which(explicit)
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def chromium(binary: str, page: Path, extra: Sequence[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run Chromium once on `page` with a throwaway profile."""
    with tempfile.TemporaryDirectory(prefix="cleaner-chromium-") as profile:
        command = [binary, *BASE_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def page_problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(marker in line for marker in PROBLEM_MARKERS)]


def check_report(binary: str, out_dir: Path, png: Path, width: int = 1280, height: int = 2600) -> list[str]:
    """Problems found (empty: the page is fine); writes the screenshot to `png`."""
    report = out_dir / "report.html"
    dom = chromium(binary, report, ["--dump-dom", "--virtual-time-budget=2000"])
    problems = [f"console/network: {line}" for line in page_problems(dom.stderr)]
    if dom.returncode != 0 or "<main>" not in dom.stdout:
        problems.append(f"--dump-dom failed (exit {dom.returncode}): {dom.stderr[-500:]}")
    problems += missing_content(out_dir, dom.stdout)
    shot = chromium(binary, report, [f"--screenshot={png.resolve()}", f"--window-size={width},{height}"])
    problems += [f"console/network: {line}" for line in page_problems(shot.stderr)]
    if not png.exists() or png.stat().st_size == 0:
        problems.append(f"no screenshot written (exit {shot.returncode}): {shot.stderr[-500:]}")
    return problems


def missing_content(out_dir: Path, dom: str) -> list[str]:
    """The rendered DOM must show the largest event and every one of its sources' sites and ids."""
    import html

    outputs = load_outputs(out_dir)
    if not outputs.clusters:
        return ["the run has no clusters"]
    largest = min(outputs.clusters, key=lambda c: (-c["size"], c["cluster"]))
    sites = {d["id"]: d.get("site") for d in outputs.documents}
    problems = []
    if f'data-event="{largest["cluster"]}"' not in dom:
        problems.append(f"largest event {largest['cluster']} not in the page")
    for member in largest["members"]:
        if member["id"] not in dom:
            problems.append(f"source {member['id']} of the largest event not in the page")
        site = sites.get(member["id"])
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
    print("ok: no console errors, no blocked requests, largest event and all its sources shown" if not problems else "")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
