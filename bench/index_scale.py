"""The persistent index at scale: a day's run against indexes of growing size, and daily runs vs one run.

    python bench/index_scale.py [--data ../shared/benchdata] [--cache FOLDER]
                                [--sizes 20000 200000 1000000] [--day 2000] [--skip-scale] [--skip-days]

1. Scale. For each size N an index of N synthetic documents is built once (one run over all of them, the documents
   generated as bench/dedup_scale.py does from the wire-dedup-dev val_web texts, never stored) and kept in the cache
   folder between runs of this bench. Then, in a fresh process and on a hard-linked copy of it (segments are never
   modified, so the cached index stays as built), one day of `--day` documents runs through `write_run_with_index`:
   half copies of indexed stories (trimmed, a paragraph dropped, OCR-like noise, outlet chrome), half new stories.
   Printed: the day's wall and CPU seconds (medians of --rounds days, each on a fresh copy), its peak RSS (the
   largest), the index's bytes on disk per document, and the share of the day's copies found (placed in an event
   holding an indexed copy of their story).
2. Daily runs. val_web and val_ocr are split into five days by a hash of the id, each day run with --index into
   its own output folder. Printed: ARI of the final index partition against one run over the whole set, the same
   against the gold labels next to the one run's, and whether the partition `cleaner index show` reads back equals
   the replay of the days' outputs (each day's clusters file lists every event the day created or changed, with
   all of its members).

The data is research-only: it is read from --data, never copied; the cache holds only index files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dedup_scale import copy_of, load_texts, synthetic, variant, with_chrome  # noqa: E402

from bench.metrics import cluster_scores  # noqa: E402  (ARI and pairwise scores)
from cleaner.config import Config  # noqa: E402
from cleaner.dedup import DedupConfig, Deduplicator  # noqa: E402
from cleaner.index import add_documents, iter_events, write_run_with_index  # noqa: E402
from cleaner.models import Article, Outcome  # noqa: E402

DAYS = 5


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1. a day against indexes of growing size ---------------------------------------------------------------------


def build(data: Path, folder: Path, n: int) -> None:
    """Index n synthetic documents in one run; write the gold story of every document next to the index."""
    texts = load_texts(data)
    articles, stories = [], []
    for doc_id, text, story in synthetic(texts, n):
        articles.append(Article(doc_id, doc_id, None, text))
        stories.append(story)
    started = time.perf_counter()
    add_documents(folder / "index", articles, DedupConfig(), label=f"build {n}")
    seconds = time.perf_counter() - started
    (folder / "stories.txt").write_text("\n".join(stories) + "\n", encoding="utf-8")
    (folder / "built.json").write_text(json.dumps({"documents": n, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


def day_documents(texts: Sequence[str], indexed: Sequence[str], size: int, seed: int) -> Iterator[tuple[str, str, str]]:
    """(id, text, story): size/2 copies of indexed stories (distinct, chosen at random), size/2 new stories."""
    rng = random.Random(seed)
    known = sorted(set(indexed), key=lambda s: int(s[1:]))
    for k, story in enumerate(rng.sample(known, size // 2)):
        number = int(story[1:])
        yield f"day-copy-{k:05d}", copy_of(variant(texts[number % len(texts)], number // len(texts)), rng), story
    first_new = int(known[-1][1:]) + 1
    for k in range(size - size // 2):
        number = first_new + k
        yield (
            f"day-new-{k:05d}",
            with_chrome(variant(texts[number % len(texts)], number // len(texts)), rng),
            f"s{number}",
        )


def run_day(data: Path, folder: Path, size: int) -> dict[str, float]:
    """One day against a hard-linked copy of the cached index, in this (fresh) process."""
    work = folder / "day"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(folder / "index", work / "index", copy_function=os.link)
    stories = (folder / "stories.txt").read_text(encoding="utf-8").split()
    texts = load_texts(data)
    day = list(day_documents(texts, stories, size, seed=len(stories)))
    del texts
    outcomes = [Outcome(i, f"day/{i}", article=Article(i, f"day/{i}", None, text)) for i, text, _ in day]
    rss_before = peak_rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    write_run_with_index(work / "out", outcomes, work / "index", Config())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    story_of = {f"d{i:08d}": s for i, s in enumerate(stories)} | {i: s for i, _, s in day}
    manifest = [json.loads(line) for line in (work / "out" / "manifest.jsonl").open(encoding="utf-8")]
    copies = [e for e in manifest if e["id"].startswith("day-copy-")]
    # found: its event is named after an indexed document of its story (a copy kept as a new event is missed)
    found = sum(1 for e in copies if story_of.get(e["cluster"]) == story_of[e["id"]] and e["cluster"] != e["id"])
    index_bytes = sum(p.stat().st_size for p in (folder / "index").iterdir() if p.is_file())
    run = json.loads((work / "index" / (work / "index" / "CURRENT").read_text().strip()).read_text())["runs"][-1]
    shutil.rmtree(work)
    return {
        "indexed": len(stories),
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "bytes_per_doc": index_bytes / len(stories),
        "copies": len(copies),
        "copies_found": found,
        "revisited": run["revisited"],
        "changed": run["changed"],
    }


def scale(args: argparse.Namespace) -> None:
    print(f"a day of {args.day} documents (half copies of indexed stories, half new) against indexes of N documents")
    rows = []
    for n in args.sizes:
        folder = args.cache / f"n{n}"
        if not (folder / "built.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            _child(args, "--build", n)
        built = json.loads((folder / "built.json").read_text())
        rounds = [_child(args, "--run-day", n) for _ in range(args.rounds)]
        row = {key: statistics.median(r[key] for r in rounds) for key in ("wall_s", "cpu_s")}
        row = {**rounds[0], **row, "peak_rss_mb": max(r["peak_rss_mb"] for r in rounds)}
        rows.append(row)
        print(
            f"N={n:>9,}  day {row['wall_s']:6.2f} s wall, {row['cpu_s']:6.2f} s CPU"
            f"  peak RSS {row['peak_rss_mb']:6.0f} MB (before the run {row['rss_before_mb']:.0f} MB)"
            f"  index {row['bytes_per_doc']:,.0f} B/doc"
            f"  copies found {row['copies_found']}/{row['copies']} ({row['copies_found'] / row['copies']:.1%})"
            f"  revisited {row['revisited']}, events changed {row['changed']}"
            f"  [built in {built['seconds']:.0f} s, peak {built['peak_rss_mb']:.0f} MB]"
            f"  CPU per round: {', '.join(format(r['cpu_s'], '.2f') for r in rounds)}",
            flush=True,
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(
            f"largest vs smallest index ({last['indexed']:,} vs {first['indexed']:,} documents): "
            f"wall x{last['wall_s'] / first['wall_s']:.2f}, CPU x{last['cpu_s'] / first['cpu_s']:.2f}"
        )


def _child(args: argparse.Namespace, mode: str, n: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--data", str(args.data), "--cache", str(args.cache), mode, str(n)]
    cmd += ["--day", str(args.day)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


# --- 2. five daily runs vs one run ------------------------------------------------------------------------------


def daily_runs(data: Path, work: Path) -> None:
    for name in ("val_web", "val_ocr"):
        rows = [json.loads(line) for line in (data / "wire-dedup-dev" / f"{name}.jsonl").open(encoding="utf-8")]
        articles = [Article(str(r["id"]), f"{name}.jsonl#{i}", None, r["text"]) for i, r in enumerate(rows)]
        gold = {str(r["id"]): str(r["cluster"]) for r in rows}
        one = Deduplicator(DedupConfig())
        one.add_many(articles)
        one_run = {m.id: c.cluster for c in one.clusters() for m in c.members}
        folder = work / name
        shutil.rmtree(folder, ignore_errors=True)
        days = [[a for a in articles if _day_of(a.id) == k] for k in range(DAYS)]
        seconds = []
        for k, day in enumerate(days):
            started = time.perf_counter()
            outcomes = [Outcome(a.id, a.source, article=a) for a in day]
            write_run_with_index(folder / f"day{k}", outcomes, folder / "index", Config())
            seconds.append(time.perf_counter() - started)
        shown = {s.id: line.event for line in iter_events(folder / "index") for s in line.sources}
        replayed = replay([folder / f"day{k}" for k in range(DAYS)])
        ids = sorted(one_run)
        vs_one = cluster_scores([one_run[i] for i in ids], [shown[i] for i in ids])
        daily_gold = cluster_scores([gold[i] for i in ids], [shown[i] for i in ids])["ari"]
        one_gold = cluster_scores([gold[i] for i in ids], [one_run[i] for i in ids])["ari"]
        print(
            f"{name}: {DAYS} days of {', '.join(str(len(d)) for d in days)} documents "
            f"({', '.join(f'{s:.1f}' for s in seconds)} s): ARI vs one run {vs_one['ari']:.4f} "
            f"(pairwise P {vs_one['precision']:.4f} R {vs_one['recall']:.4f}); vs gold: daily "
            f"{daily_gold:.4f}, one run {one_gold:.4f}; index show == replay of the "
            f"days' outputs: {shown == replayed} ({len(shown)} documents, {len(set(shown.values()))} events)",
            flush=True,
        )


def _day_of(doc_id: str) -> int:
    return int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % DAYS


def replay(days: Sequence[Path]) -> dict[str, str]:
    """Document -> event after the days, from their outputs alone: each day's clusters file lists every event it
    created or changed with all its members; its updates file names the events merged away."""
    event: dict[str, str] = {}
    for day in days:
        for line in (day / "clusters.jsonl").open(encoding="utf-8"):
            cluster = json.loads(line)
            for member in cluster["members"]:
                event[member["id"]] = cluster["cluster"]
    return event


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cleaner-index-bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    parser.add_argument("--day", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="days run per size (medians are printed)")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-days", action="store_true")
    parser.add_argument("--build", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--run-day", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build is not None:
        build(args.data, args.cache / f"n{args.build}", args.build)
        return 0
    if args.run_day is not None:
        print(json.dumps(run_day(args.data, args.cache / f"n{args.run_day}", args.day)))
        return 0
    if not args.skip_scale:
        scale(args)
    if not args.skip_days:
        daily_runs(args.data, args.cache / "daily")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
