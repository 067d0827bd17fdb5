"""Does the pre-commit check agree with the run? `cleaner run` on a benchmark set, then `cleaner check --no-baseline`
on the run's own articles.jsonl and documents.jsonl: the residual clutter lines (CLN101) it reports should be none.

    python bench/check_agreement.py [--data ../shared/benchdata] [--sets wcxb,aeb] [--jobs N] [--out DIR]

Both commands run as a user runs them (the `cleaner` script of this interpreter, with this checkout first on the
path). Printed per set: documents, CLN101 findings per output file, and each finding. Exits 1 when any set has one.
The outputs go to a temporary folder unless --out names one (they hold the benchmark's text: keep them out of git).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETS = {"wcxb": "wcxb-dev-articles/html", "aeb": "aeb/html"}
OUTPUTS = ("articles.jsonl", "documents.jsonl")


def cleaner_script() -> str:
    script = shutil.which("cleaner", path=str(Path(sys.executable).parent)) or shutil.which("cleaner")
    if script is None:
        sys.exit("no `cleaner` script next to this interpreter or on PATH: pip install -e . first")
    return script


def run_cleaner(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([cleaner_script(), *args], capture_output=True, text=True, env=env, check=False)


def residual_clutter(path: Path) -> list[dict[str, Any]]:
    """The CLN101 findings of `cleaner check --no-baseline` on one output file."""
    checked = run_cleaner(["check", "--no-baseline", "--select", "CLN101", "--format", "json", str(path)])
    if checked.returncode not in (0, 1):
        sys.exit(f"cleaner check failed on {path} (exit {checked.returncode}):\n{checked.stderr}")
    return json.loads(checked.stdout)["findings"]


def measure(name: str, pages: Path, out: Path, jobs: int) -> int:
    started = time.perf_counter()
    ran = run_cleaner(["run", str(pages), "-o", str(out), "-q", "--jobs", str(jobs)])
    if ran.returncode != 0:
        sys.exit(f"cleaner run failed on {pages} (exit {ran.returncode}):\n{ran.stderr}")
    run_seconds = time.perf_counter() - started
    documents = sum(1 for _ in (out / "documents.jsonl").open(encoding="utf-8"))
    total = 0
    for output in OUTPUTS:
        started = time.perf_counter()
        found = residual_clutter(out / output)
        seconds = time.perf_counter() - started
        print(f"{name}: {output}: CLN101 {len(found)} ({documents} documents; check {seconds:.1f} s)")
        for finding in found:
            print(f"    line {finding['line']}: {finding['message']}")
        total += len(found)
    print(f"{name}: run {run_seconds:.1f} s, CLN101 total {total}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "benchdata")
    parser.add_argument("--sets", default="wcxb", help=f"comma-separated: {', '.join(SETS)}")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes of the run (0: all cores)")
    parser.add_argument("--out", type=Path, help="keep the run outputs here (default: a temporary folder)")
    args = parser.parse_args()
    names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SETS))
    if unknown:
        parser.error(f"unknown sets {unknown}; known: {', '.join(SETS)}")
    with tempfile.TemporaryDirectory(prefix="check-agreement-") as scratch:
        base = args.out or Path(scratch)
        total = sum(measure(name, args.data / SETS[name], base / name, args.jobs) for name in names)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
