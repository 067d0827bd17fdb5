"""trafilatura's regex XPaths (pruning, body search) vs cleaner.pruning's walks: same elements, time saved.

    python bench/pruning.py [--data ../shared/benchdata] [--sets aeb,wcxb] [--rounds 3]

For each set (AEB 181 pages, WCXB dev articles 793), two parts:
  same      every call of a stand-in trafilatura makes while extracting each page (text only; also with
            favor_precision and favor_recall, which take other paths) is evaluated both ways on the same tree:
            calls compared and calls that differ (element lists compared by identity, in order)
  time      bare `trafilatura.extract(html, include_comments=False)` with its XPaths, then inside
            `cleaner.pruning.faster_pruning()`, back to back in each round; medians of ms per page, their ratio,
            and whether every page's output text is identical
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from cleaner.pruning import FastXPath, faster_pruning  # noqa: E402

FOLDERS = {"aeb": "aeb", "wcxb": "wcxb-dev-articles"}
SETTINGS = ({}, {"favor_precision": True}, {"favor_recall": True})


def load_pages(data: Path, name: str) -> list[bytes]:
    folder = data / FOLDERS[name] / "html"
    return [gzip.decompress(path.read_bytes()) for path in sorted(folder.glob("*.html.gz"))]


def compare_calls(pages: list[bytes]) -> tuple[int, int]:
    """(calls compared, calls whose element lists differ) over every call of a stand-in in every extraction."""
    counts = [0, 0]
    call = FastXPath.__call__

    def checking(self: FastXPath, tree: Any, **variables: Any) -> Any:
        ours, theirs = call(self, tree, **variables), self.xpath(tree, **variables)
        counts[0] += 1
        counts[1] += [id(e) for e in ours] != [id(e) for e in theirs]
        return ours

    FastXPath.__call__ = checking  # type: ignore[method-assign]
    try:
        with faster_pruning():
            for page in pages:
                for settings in SETTINGS:
                    trafilatura.extract(page, include_comments=False, **settings)
    finally:
        FastXPath.__call__ = call  # type: ignore[method-assign]
    return counts[0], counts[1]


def time_both(pages: list[bytes], rounds: int) -> tuple[float, float, bool]:
    """Median ms per page with trafilatura's XPaths and with the walks, and whether all outputs are equal."""
    for page in pages[:3]:  # warm: trafilatura builds some tables on first use
        trafilatura.extract(page, include_comments=False)
    xpath_times, walk_times, same = [], [], True
    for _ in range(rounds):
        started = time.perf_counter()
        expected = [trafilatura.extract(page, include_comments=False) for page in pages]
        xpath_times.append(time.perf_counter() - started)
        with faster_pruning():
            started = time.perf_counter()
            found = [trafilatura.extract(page, include_comments=False) for page in pages]
            walk_times.append(time.perf_counter() - started)
        same = same and found == expected
    per_page = 1000 / len(pages)
    return statistics.median(xpath_times) * per_page, statistics.median(walk_times) * per_page, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--sets", default="aeb,wcxb")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("set    pages  calls compared  differ   xpath ms  walks ms  x faster  same output")
    for name in args.sets.split(","):
        pages = load_pages(args.data, name)
        calls, differ = compare_calls(pages)
        xpath_ms, walk_ms, same = time_both(pages, args.rounds)
        print(
            f"{name:<6} {len(pages):>5}  {calls:>14}  {differ:>6}  {xpath_ms:>8.2f}  {walk_ms:>8.2f}"
            f"  {xpath_ms / walk_ms:>8.3f}  {same}"
        )


if __name__ == "__main__":
    main()
