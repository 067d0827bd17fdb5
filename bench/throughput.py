"""Pipeline throughput vs bare trafilatura on the same pages, and --jobs 2 vs --jobs 1, from one invocation.

    python bench/throughput.py [--data ../shared/benchdata] [--rounds 3] [--sets aeb,wcxb]

Every figure is a median over rounds that alternate baseline and ours, so machine noise hits both alike.
The baselines:
  bare extract      trafilatura.extract(html, include_comments=False): text only
  bare + metadata   trafilatura.extract(html, output_format="json", with_metadata=True, include_comments=False):
                    what a user calls to get text and metadata, which is what `cleaner run` returns
Ours is the whole `cleaner run` (read files, extract, strip clutter, site templates, cluster, write three files).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from cleaner import Config, run  # noqa: E402
from cleaner.config import RunConfig  # noqa: E402


def load_pages(data: Path, name: str) -> list[bytes]:
    folder = {"aeb": data / "aeb" / "html", "wcxb": data / "wcxb-dev-articles" / "html"}[name]
    return [gzip.decompress(path.read_bytes()) for path in sorted(folder.glob("*.html.gz"))]


def bare(pages: list[bytes], with_metadata: bool) -> None:
    for page in pages:
        if with_metadata:
            trafilatura.extract(page, output_format="json", with_metadata=True, include_comments=False)
        else:
            trafilatura.extract(page, include_comments=False)


def ours(folder: Path, jobs: int) -> None:
    with tempfile.TemporaryDirectory() as out:
        run([folder], Path(out), Config(run=RunConfig(jobs=jobs)))


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def write_corpus(pages: list[bytes], folder: Path) -> None:
    for index, page in enumerate(pages):
        (folder / f"{index:05d}.html").write_bytes(page)


def bench_set(name: str, pages: list[bytes], rounds: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    write_corpus(pages, folder)
    times: dict[str, list[float]] = {"bare": [], "bare+meta": [], "ours j1": [], "ours j2": []}
    try:
        bare(pages[:5], False)  # warm imports and caches outside the clock
        ours(folder, 1)
        for _ in range(rounds):
            times["bare"].append(timed(lambda: bare(pages, False)))
            times["ours j1"].append(timed(lambda: ours(folder, 1)))
            times["bare+meta"].append(timed(lambda: bare(pages, True)))
            times["ours j2"].append(timed(lambda: ours(folder, 2)))
    finally:
        shutil.rmtree(folder)
    return {key: len(pages) / statistics.median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sets", default="aeb,wcxb")
    args = parser.parse_args()
    print(
        f"{'set':6} {'pages':>5} {'bare p/s':>9} {'bare+meta':>9} {'ours j1':>8} {'ours j2':>8} "
        f"{'j1/bare':>8} {'j1/b+meta':>9} {'j2/j1':>6}"
    )
    for name in args.sets.split(","):
        pages = load_pages(args.data, name)
        rate = bench_set(name, pages, args.rounds)
        print(
            f"{name:6} {len(pages):5d} {rate['bare']:9.1f} {rate['bare+meta']:9.1f} {rate['ours j1']:8.1f} "
            f"{rate['ours j2']:8.1f} {rate['ours j1'] / rate['bare']:8.2f} {rate['ours j1'] / rate['bare+meta']:9.2f} "
            f"{rate['ours j2'] / rate['ours j1']:6.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
