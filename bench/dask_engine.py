"""The Dask engine against the local engine on wire-dedup-dev (`cleaner dedup`, records with text), one run each.

    python bench/dask_engine.py [--data ../shared/benchdata] [--variants val_web val_ocr] [--workers 2]

Each engine runs in its own child process (the Dask one starts a LocalCluster of `--workers` processes, one thread
each); this process samples the resident memory of the child's whole process tree every 50 ms (client, nanny and
worker processes summed: pages shared after fork count once per process, so this is an upper bound). Printed per
variant: whether both engines put the same documents together (clusters.jsonl), whether all four output files are
byte-identical, documents, clusters, wall time and peak tree memory of each engine, and the Dask engine's partitions,
candidate pairs and star rounds. The data is research-only: read from --data, never copied.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ("articles.jsonl", "clusters.jsonl", "documents.jsonl", "manifest.jsonl")


def child(engine: str, source: Path, out: Path, workers: int) -> None:
    """Run one engine here and print its report and stats as one JSON line."""
    sys.path.insert(0, str(ROOT))
    from cleaner.config import Config, RunConfig

    config = Config(run=RunConfig(jobs=workers))
    stats: dict[str, Any] = {}
    started = time.perf_counter()
    if engine == "local":
        from cleaner.api import run_dedup as dedup

        report = dedup([source], out, config)
    else:
        from cleaner.engines.dask_engine import DaskOptions, dedup

        report = dedup([source], out, config, options=DaskOptions(workers=workers), stats=stats)
    wall = time.perf_counter() - started
    print(json.dumps({"report": report.to_dict(), "stats": stats, "wall": wall}))


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(engine: str, source: Path, out: Path, workers: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", engine, "--source", str(source), "--out", str(out)]
    command += ["--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_rss(watched))
        time.sleep(0.05)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{engine} engine failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    result["peak_mb"] = peak / 2**20
    return result


def sorted_lines(path: Path) -> list[str]:
    return sorted(path.read_text(encoding="utf-8").splitlines())


def compare(local: Path, dask: Path) -> tuple[bool, bool]:
    same_clusters = sorted_lines(local / "clusters.jsonl") == sorted_lines(dask / "clusters.jsonl")
    identical = all((local / name).read_bytes() == (dask / name).read_bytes() for name in OUTPUTS)
    return same_clusters, identical


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--variants", nargs="+", default=["val_web", "val_ocr"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", choices=["local", "dask"], help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.source, args.out, args.workers)
        return 0
    print(f"workers: {args.workers} (Dask: LocalCluster, 1 thread each); peak = resident memory of the process tree")
    header = f"{'variant':8} {'engine':6} {'docs':>6} {'clusters':>8} {'seconds':>8} {'peak MB':>8}  notes"
    print(header)
    for variant in args.variants:
        source = args.data / "wire-dedup-dev" / f"{variant}.jsonl"
        with tempfile.TemporaryDirectory() as tmp:
            outs = {engine: Path(tmp) / engine for engine in ("local", "dask")}
            results = {engine: measure(engine, source, outs[engine], args.workers) for engine in outs}
            same, identical = compare(outs["local"], outs["dask"])
        for engine, result in results.items():
            report, stats = result["report"], result["stats"]
            notes = ""
            if engine == "dask":
                notes = (
                    f"partitions {stats.get('partitions')}, candidates {stats.get('candidates')}, "
                    f"rounds {stats.get('rounds')}"
                )
            print(
                f"{variant:8} {engine:6} {report['documents']:>6} {report['clusters']:>8} "
                f"{result['wall']:>8.1f} {result['peak_mb']:>8.0f}  {notes}"
            )
        print(
            f"{variant:8} same clusters: {'yes' if same else 'NO'}; all outputs byte-identical: "
            f"{'yes' if identical else 'NO'}"
        )
        print(f"{variant:8} dask seconds per stage: {results['dask']['stats'].get('seconds')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
