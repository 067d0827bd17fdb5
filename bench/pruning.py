"""trafilatura's regex XPaths and readability methods vs cleaner.extract.accel.pruning's stand-ins: same results,
time saved.

    python bench/pruning.py [--data ../shared/benchdata] [--sets aeb,wcxb] [--rounds 3]

For each set (AEB 181 pages, WCXB dev articles 793), two parts:
  same      every call of an XPath stand-in trafilatura makes while extracting each page (text only; also with
            favor_precision and favor_recall, which take other paths) is evaluated both ways on the same tree:
            calls compared and calls that differ (element lists compared by identity, in order); and every tree
            trafilatura hands readability in those extractions is summarised without and with the readability
            stand-ins: summaries compared and summaries that differ
  time      bare `trafilatura.extract(html, include_comments=False)` as it is, then inside
            `cleaner.extract.accel.pruning.faster_pruning()` (XPath and readability stand-ins), back to back in each
            round;
            medians of ms per page, their ratio, and whether every page's output text is identical
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from copy import copy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from lxml.html import HtmlElement  # noqa: E402
from trafilatura import external  # noqa: E402
from trafilatura.readability_lxml import Document  # noqa: E402

from cleaner.extract.accel.pruning import FastXPath, faster_pruning  # noqa: E402

FOLDERS = {"aeb": "aeb", "wcxb": "wcxb-dev-articles"}
SETTINGS = ({}, {"favor_precision": True}, {"favor_recall": True})


def load_pages(data: Path, name: str) -> list[bytes]:
    folder = data / FOLDERS[name] / "html"
    return [gzip.decompress(path.read_bytes()) for path in sorted(folder.glob("*.html.gz"))]


def compare_calls(pages: list[bytes]) -> tuple[int, int, int, int]:
    """(XPath calls compared, calls whose element lists differ, readability summaries compared, summaries that
    differ) over every extraction of every page."""
    counts = [0, 0]
    call = FastXPath.__call__

    def checking(self: FastXPath, tree: Any, **variables: Any) -> Any:
        ours, theirs = call(self, tree, **variables), self.xpath(tree, **variables)
        counts[0] += 1
        counts[1] += [id(e) for e in ours] != [id(e) for e in theirs]
        return ours

    handed: list[HtmlElement] = []
    try_readability = external.try_readability

    def recording(tree: HtmlElement) -> HtmlElement:
        handed.append(copy(tree))
        return try_readability(tree)

    summaries = [0, 0]
    FastXPath.__call__ = checking  # type: ignore[method-assign]
    external.try_readability = recording
    try:
        for page in pages:
            with faster_pruning():
                for settings in SETTINGS:
                    trafilatura.extract(page, include_comments=False, **settings)
            for tree in handed:  # outside faster_pruning(): readability's own methods
                theirs = summary(tree)
                with faster_pruning():
                    ours = summary(tree)
                summaries[0] += 1
                summaries[1] += ours != theirs
            handed.clear()
    finally:
        FastXPath.__call__ = call  # type: ignore[method-assign]
        external.try_readability = try_readability
    return counts[0], counts[1], summaries[0], summaries[1]


def summary(tree: HtmlElement) -> str:
    """readability's summary as trafilatura asks for it (of a copy: it changes the tree), or the error it raised."""
    try:
        return Document(copy(tree), min_text_length=25).summary()
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"


def time_both(pages: list[bytes], rounds: int) -> tuple[float, float, bool]:
    """Median ms per page of trafilatura as it is and with the stand-ins, and whether all outputs are equal."""
    for page in pages[:3]:  # warm: trafilatura builds some tables on first use
        trafilatura.extract(page, include_comments=False)
    bare_times, fast_times, same = [], [], True
    for _ in range(rounds):
        started = time.perf_counter()
        expected = [trafilatura.extract(page, include_comments=False) for page in pages]
        bare_times.append(time.perf_counter() - started)
        with faster_pruning():
            started = time.perf_counter()
            found = [trafilatura.extract(page, include_comments=False) for page in pages]
            fast_times.append(time.perf_counter() - started)
        same = same and found == expected
    per_page = 1000 / len(pages)
    return statistics.median(bare_times) * per_page, statistics.median(fast_times) * per_page, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--sets", default="aeb,wcxb")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        "set    pages  calls compared  differ  summaries compared  differ"
        "   bare ms  stand-ins ms  x faster  same output"
    )
    for name in args.sets.split(","):
        pages = load_pages(args.data, name)
        calls, differ, summaries, summaries_differ = compare_calls(pages)
        bare_ms, fast_ms, same = time_both(pages, args.rounds)
        print(
            f"{name:<6} {len(pages):>5}  {calls:>14}  {differ:>6}  {summaries:>18}  {summaries_differ:>6}"
            f"  {bare_ms:>8.2f}  {fast_ms:>12.2f}  {bare_ms / fast_ms:>8.3f}  {same}"
        )


if __name__ == "__main__":
    main()
