"""Metadata benchmark: trafilatura's `extract_metadata` vs `cleaner.extract.accel.metadata`, accuracy and time on
the same pages.

    python bench/metadata.py [--data ../shared/benchdata] [--limit N] [--rounds 3]

Pages: the WCXB dev articles, whose ground truth names the title (793 pages), the author (618; the others have
none) and the publication date (659; the others have none). Every page is parsed once; each system reads the same
tree (trafilatura gets a copy, as `bare_extraction` makes one), with no URL, as for a folder of saved pages.
Systems:
  trafilatura       trafilatura.metadata.extract_metadata with the date settings bare_extraction passes
                    (htmldate extensive search on)
  cleaner           cleaner.extract.accel.metadata.extract_metadata: the same rules, one walk instead of the
                    whole-tree searches
  cleaner, fast date  the same with htmldate's extensive search off (ExtractConfig.extensive_date_search=False)
Scores (text compared casefolded, punctuation and spacing collapsed):
  title exact       share of pages whose title equals the ground truth
  title F1          mean word-level F1 against the ground truth
  author            share of pages right: the ground-truth author, or none when the ground truth has none
  date              the same for the publication date (YYYY-MM-DD); then split: the share of dated pages given
                    their date, and the share of undated pages given a date anyway
  same as traf.     share of pages where every field equals trafilatura's
Time: per page, the systems run back to back on each page; medians over rounds of the total, divided by pages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from copy import copy
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trafilatura.metadata import extract_metadata as trafilatura_metadata  # noqa: E402
from trafilatura.settings import Document, Extractor  # noqa: E402

from cleaner.errors import ExtractionError  # noqa: E402
from cleaner.extract.accel.metadata import extract_metadata  # noqa: E402
from cleaner.extract.core import parse_html  # noqa: E402
from cleaner.io.encoding import decode_html  # noqa: E402

_NON_WORD = re.compile(r"[\W_]+")


@dataclass
class Page:
    id: str
    tree: object
    title: str | None
    author: str | None
    date: str | None


def load_pages(data: Path, limit: int | None) -> list[Page]:
    folder = data / "wcxb-dev-articles"
    pages = []
    for path in sorted((folder / "html").glob("*.html.gz"))[:limit]:
        page_id = path.name.removesuffix(".html.gz")
        truth = json.loads((folder / "ground-truth" / f"{page_id}.json").read_text())["ground_truth"]
        try:
            tree = parse_html(decode_html(gzip.decompress(path.read_bytes()), None))
        except ExtractionError:
            continue
        date = (truth.get("publish_date") or "")[:10] or None
        pages.append(Page(page_id, tree, truth.get("title"), truth.get("author"), date))
    return pages


def normalise(value: str | None) -> str:
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", value or "").casefold()).strip()


def word_f1(predicted: str | None, truth: str | None) -> float:
    guess, gold = normalise(predicted).split(), normalise(truth).split()
    if not guess or not gold:
        return float(guess == gold)
    common = sum(min(guess.count(word), gold.count(word)) for word in set(gold))
    if not common:
        return 0.0
    precision, recall = common / len(guess), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def systems() -> dict[str, Callable[[object], Document]]:
    options = Extractor()
    return {
        "trafilatura": lambda tree: trafilatura_metadata(
            copy(tree), None, options.date_params, options.fast, options.author_blacklist
        ),
        "cleaner": lambda tree: extract_metadata(tree, None),
        "cleaner, fast date": lambda tree: extract_metadata(tree, None, extensive_date_search=False),
    }


def run_round(pages: list[Page], named: dict[str, Callable[[object], Document]]) -> tuple[dict, dict]:
    seconds = dict.fromkeys(named, 0.0)
    results: dict[str, list[Document]] = {name: [] for name in named}
    for page in pages:
        for name, system in named.items():
            started = time.perf_counter()
            results[name].append(system(page.tree))
            seconds[name] += time.perf_counter() - started
    return seconds, results


def score(pages: list[Page], found: list[Document], reference: list[Document]) -> dict[str, float]:
    n = len(pages)
    same_fields = ("title", "author", "date", "url", "sitename", "categories", "tags", "license", "description")
    return {
        "title exact": sum(normalise(d.title) == normalise(p.title) for p, d in zip(pages, found, strict=True)) / n,
        "title F1": statistics.fmean(word_f1(d.title, p.title) for p, d in zip(pages, found, strict=True)),
        "author": sum(normalise(d.author) == normalise(p.author) for p, d in zip(pages, found, strict=True)) / n,
        "date": sum((d.date or None) == p.date for p, d in zip(pages, found, strict=True)) / n,
        "dated: right": _share((d.date or None) == p.date for p, d in zip(pages, found, strict=True) if p.date),
        "undated: invented": _share(bool(d.date) for p, d in zip(pages, found, strict=True) if not p.date),
        "same as traf.": sum(
            all(getattr(d, f) == getattr(r, f) for f in same_fields) for d, r in zip(found, reference, strict=True)
        )
        / n,
    }


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = load_pages(args.data, args.limit)
    named = systems()
    run_round(pages[:20], named)  # warm: htmldate and dateparser build their tables on first use
    rounds = [run_round(pages, named) for _ in range(args.rounds)]
    results = rounds[0][1]
    ms = {name: statistics.median(r[0][name] for r in rounds) / len(pages) * 1000 for name in named}
    print(f"WCXB dev articles: {len(pages)} pages, {args.rounds} rounds")
    header = ("system", "ms/page", "x traf.", "title exact", "title F1", "author", "date")
    header += ("dated: right", "undated: invented", "same as traf.")
    print(" | ".join(header))
    for name in named:
        scores = score(pages, results[name], results["trafilatura"])
        cells = [name, f"{ms[name]:.2f}", f"{ms['trafilatura'] / ms[name]:.2f}"]
        cells += [f"{value:.3f}" for value in scores.values()]
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
