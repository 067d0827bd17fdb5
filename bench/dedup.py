"""Near-duplicate clustering on wire-dedup-dev: the plain datasketch recipe vs cleaner's Deduplicator, one run.

    python bench/dedup.py [--data ../shared/benchdata] [--variants val_web val_ocr] [--limit N]

Baseline (the issue's reference): word 5-shingles, datasketch MinHash (128 permutations) + MinHashLSH at threshold
0.5, union-find over every candidate, no verification. Ours: `cleaner.dedup.Deduplicator` with its default
DedupConfig, the same for both variants. Printed per variant: adjusted Rand index (singletons included), pairwise
precision / recall / F1 over duplicate pairs, documents per second, clusters. The data is research-only: it is read
from --data, never copied.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.metrics import cluster_scores, union_find_labels  # noqa: E402
from cleaner.dedup import DedupConfig, Deduplicator  # noqa: E402
from cleaner.dedup.minhash import baseline_pairs  # noqa: E402
from cleaner.models import Article  # noqa: E402


def load(path: Path, limit: int | None) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return rows[:limit] if limit else rows


def run_baseline(rows: list[dict]) -> tuple[list[str], float]:
    start = time.perf_counter()
    pairs = baseline_pairs([r["text"] for r in rows], threshold=0.5, num_perm=128, size=5)
    labels = union_find_labels(len(rows), pairs)
    return labels, time.perf_counter() - start


def run_ours(rows: list[dict], config: DedupConfig) -> tuple[list[str], float, dict[str, Any]]:
    start = time.perf_counter()
    dedup = Deduplicator(config)
    dedup.add_many(Article(id=str(r["id"]), source="", url=None, text=r["text"]) for r in rows)
    clusters = dedup.clusters()
    seconds = time.perf_counter() - start
    label = {m.id: c.cluster for c in clusters for m in c.members}
    multi = [c for c in clusters if len(c.members) > 1]
    origins = Counter(c.origin for c in multi)
    extra = {"clusters": len(clusters), "multi": len(multi), "origins": dict(origins.most_common())}
    return [label[str(r["id"])] for r in rows], seconds, extra


def report(name: str, variant: str, n: int, seconds: float, metrics: dict[str, float], clusters: int) -> None:
    print(
        f"{variant:8s} {name:9s} ARI {metrics['ari']:.3f}  P {metrics['precision']:.4f}  R {metrics['recall']:.4f}  "
        f"F1 {metrics['f1']:.4f}  {n / seconds:8.0f} docs/s  ({seconds:.1f} s, {clusters} clusters)",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--variants", nargs="+", default=["val_web", "val_ocr"])
    parser.add_argument("--limit", type=int, default=None, help="first N documents only (quick checks)")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args(argv)
    folder = args.data / "wire-dedup-dev"
    if not folder.is_dir():
        parser.error(f"{folder} not found: pass --data pointing at the benchdata folder")
    config = DedupConfig()
    print(f"ours: DedupConfig() defaults: {config}")
    for variant in args.variants:
        rows = load(folder / f"{variant}.jsonl", args.limit)
        gold = [r["cluster"] for r in rows]
        if not args.skip_baseline:
            labels, seconds = run_baseline(rows)
            report("baseline", variant, len(rows), seconds, cluster_scores(gold, labels), len(set(labels)))
        labels, seconds, extra = run_ours(rows, config)
        report("ours", variant, len(rows), seconds, cluster_scores(gold, labels), len(set(labels)))
        origins = ", ".join(f"{k}: {v}" for k, v in extra["origins"].items())
        print(f"{variant:8s} ours      origin of the {extra['multi']} multi-copy clusters: {origins}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
