"""wire-html end to end: `cleaner run` vs bare trafilatura + plain datasketch, on pages built from ../shared, one run.

    python bench/wire_html.py [--data ../shared/benchdata] [--jobs 2] [--keep DIR]

Builds the wire-html dev set with its build.py and the defaults its README gives (`--stories
../wire-dedup-dev/val_web.jsonl --templates ../wcxb-dev-articles`) into a temporary folder (or --keep DIR), runs both
systems on its pages and prints the README's figures side by side:
- cleaner: `cleaner.run([pages], out, Config(run=RunConfig(jobs=N)))`, as a user runs it on a crawl;
- baseline: `trafilatura.extract(html)` with its defaults on every page, then datasketch
  `MinHashLSH(threshold=0.5, num_perm=128)` over word 5-shingles of the lowercased, punctuation-stripped text, every
  page queried then inserted, union-find over the candidates, no verification; pages with no text stay singletons.
The built pages hold Reuters text (research use only): they stay in the scratch folder, never in the project.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402  (the baseline is the bare library on purpose)

from bench.metrics import (  # noqa: E402
    WORD,
    RunResult,
    cluster_scores,
    read_jsonl,
    read_run,
    relative_source,
    union_find_labels,
    wire_html_scores,
)
from cleaner import Config, run  # noqa: E402
from cleaner.config import RunConfig  # noqa: E402
from cleaner.dedup.minhash import baseline_pairs  # noqa: E402

# The README's build command, run from the wire-html folder (its paths are relative to it).
BUILD_ARGS = ("--stories", "../wire-dedup-dev/val_web.jsonl", "--templates", "../wcxb-dev-articles")


def default_data() -> Path:
    return Path(os.environ.get("CLEANER_BENCHDATA") or ROOT.parent / "shared" / "benchdata")


def build(data: Path, out: Path) -> list[dict[str, Any]]:
    """Build the set into `out` with build.py's defaults; returns its labels (one row per page)."""
    command = [sys.executable, "build.py", *BUILD_ARGS, "--out", str(out.resolve())]
    done = subprocess.run(command, cwd=data / "wire-html", capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"build.py failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return read_jsonl(out / "labels.jsonl")


def run_cleaner(built: Path, result: Path, jobs: int) -> RunResult:
    """`cleaner run` on the built pages; texts and clusters keyed by the labels' `file` (relative to `built`)."""
    run([built / "pages"], result, Config(run=RunConfig(jobs=jobs)))
    return read_run(result, relative_source(built))


def _bare_text(path: Path) -> str:
    return trafilatura.extract(path.read_bytes()) or ""


def baseline_clusters(texts: Sequence[str]) -> list[str]:
    """The README's baseline clustering; a page without text is a singleton (an empty MinHash would match all)."""
    with_text = [i for i, text in enumerate(texts) if text.strip()]
    # "punctuation-stripped" read as the text's lowercased `\w+` words (punctuation splits words: "U.S." is "u s"):
    # this reproduces the README's figures exactly (ARI 0.561, P 0.450 / R 0.747), where deleting punctuation
    # ("us") gives ARI 0.639
    shingled = [" ".join(WORD.findall(texts[i].lower())) for i in with_text]
    pairs = baseline_pairs(shingled, threshold=0.5, num_perm=128, size=5)
    labels = union_find_labels(len(with_text), pairs)
    by_page = {page: f"lsh:{label}" for page, label in zip(with_text, labels, strict=True)}
    return [by_page.get(i, f"alone:{i}") for i in range(len(texts))]


def run_baseline(built: Path, labels: Sequence[Mapping[str, Any]], jobs: int) -> RunResult:
    """Bare trafilatura on every page (dealt over `jobs` processes: the result does not depend on it), then LSH."""
    files = [row["file"] for row in labels]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        texts = list(pool.map(_bare_text, [built / f for f in files], chunksize=16))
    clusters = baseline_clusters(texts)
    # bare trafilatura returns None for a page it gives up on: that is this system's rejection
    return RunResult(
        {f: (t or None) for f, t in zip(files, texts, strict=True)}, dict(zip(files, clusters, strict=True))
    )


def scores(labels: Sequence[Mapping[str, Any]], result: RunResult) -> dict[str, float]:
    """The README's figures for one system: clustering over all pages, then the extraction figures."""
    files = [row["file"] for row in labels]
    clustering = cluster_scores([row["cluster"] for row in labels], [result.clusters[f] for f in files])
    return {**clustering, **wire_html_scores(labels, result.texts)}


ROWS = (
    ("ARI", "ari", "{:.3f}"),
    ("pair precision", "precision", "{:.3f}"),
    ("pair recall", "recall", "{:.3f}"),
    ("pair F1", "f1", "{:.3f}"),
    ("story paragraphs kept", "paragraphs", "{:.3f}"),
    ("inline promos removed", "promos_removed", "{:.3f}"),
    ("boilerplate leak, mean per page", "leak", "{:.3f}"),
    ("boilerplate leak, micro", "leak_micro", "{:.3f}"),
    ("pages rejected", "rejected", "{:.0f}"),
)


def table(systems: Mapping[str, Mapping[str, float]]) -> str:
    names = list(systems)
    lines = [f"{'figure':<34}" + "".join(f"{name:>12}" for name in names)]
    for label, key, fmt in ROWS:
        lines.append(f"{label:<34}" + "".join(f"{fmt.format(systems[n][key]):>12}" for n in names))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data(), help="the benchdata folder")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for both systems")
    parser.add_argument("--keep", type=Path, help="build and run into this folder and keep it (default: a temp one)")
    args = parser.parse_args(argv)
    if not (args.data / "wire-html" / "build.py").is_file():
        parser.error(f"{args.data / 'wire-html' / 'build.py'} not found: pass --data or set CLEANER_BENCHDATA")
    with tempfile.TemporaryDirectory(prefix="cleaner-wire-html-") as scratch:
        folder = args.keep or Path(scratch)
        started = time.perf_counter()
        labels = build(args.data, folder / "built")
        print(f"built {len(labels)} pages in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        ours = run_cleaner(folder / "built", folder / "cleaner-out", args.jobs)
        print(f"cleaner run: {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        baseline = run_baseline(folder / "built", labels, args.jobs)
        print(f"baseline: {time.perf_counter() - started:.1f} s\n", flush=True)
        print(table({"cleaner": scores(labels, ours), "baseline": scores(labels, baseline)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
