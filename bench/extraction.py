"""Extraction benchmark: bare trafilatura vs our pipeline (extract + clutter + site templates), same pages, one run.

    python bench/extraction.py [--data ../shared/benchdata] [--sets aeb,wcxb] [--limit N] [--dump out.jsonl]

Sets (see benchdata/README.md):
- aeb: Scrapinghub article-extraction-benchmark, its own metric (4-token shingles, per-page normalised, precision
  averaged over pages with output, recall over pages with ground truth, F1 of the averages, exact-token accuracy).
- wcxb: WCXB dev articles: bag-of-words P/R/F1 averaged per page, with-rate and without-rate (case-insensitive
  substring checks, per-page shares averaged over pages that list snippets).
Every set is also reported on two fixed halves split by site (a hash of the registered domain of each page's URL:
pages of one site never straddle them), so that rule development on one half can be checked on sites it has not
seen; bench/extraction_cv.py gives the site-grouped cross-validated figures, with rules chosen on training folds.

Timing: per page, bare trafilatura and ours run back to back on the same bytes (alternating which goes first), one
process; ours is broken down by stage. "bare" here is `trafilatura.bare_extraction(html, with_metadata=True)`: text
and metadata, as ours returns. Metadata costs trafilatura about a third more than text alone (`extract(html)`);
bench/throughput.py times both baselines against the whole `cleaner run`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xxhash

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402  (bench compares against the bare library on purpose)
from tld import get_fld  # noqa: E402  (courlan's dependency: the public suffix list)

from bench.metrics import WcxbTruth, aeb_scores, wcxb_scores  # noqa: E402
from cleaner.clutter import strip_site_templates  # noqa: E402
from cleaner.config import Config, config_from_mapping  # noqa: E402
from cleaner.errors import ExtractionError  # noqa: E402
from cleaner.extract.core import extract_article  # noqa: E402
from cleaner.models import Article, RawDocument  # noqa: E402


@dataclass
class Page:
    set: str
    id: str
    url: str
    html: bytes
    truth: str
    with_: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)

    @property
    def site(self) -> str:
        """The registered domain of the page's URL (its host, or the page id, where there is none)."""
        return get_fld(self.url, fail_silently=True) or self.url or f"{self.set}:{self.id}"

    @property
    def half(self) -> str:
        return "dev" if xxhash.xxh64_intdigest(self.site.encode("utf-8")) % 2 == 0 else "held-out"

    @property
    def wcxb_truth(self) -> WcxbTruth:
        return WcxbTruth(self.truth, self.with_, self.without)


@dataclass
class Result:
    page: Page
    bare: str
    ours: str
    removed: list[dict[str, str]]
    error: str | None = None


# ---------------------------------------------------------------- data


def load_aeb(data: Path) -> Iterator[Page]:
    folder = data / "aeb"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth):
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        yield Page("aeb", page_id, truth[page_id].get("url", ""), html, truth[page_id].get("articleBody", ""))


def load_wcxb(data: Path) -> Iterator[Page]:
    folder = data / "wcxb-dev-articles"
    for path in sorted((folder / "ground-truth").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        truth = record["ground_truth"]
        html = gzip.decompress((folder / "html" / f"{path.stem}.html.gz").read_bytes())
        yield Page(
            "wcxb",
            path.stem,
            record.get("url", ""),
            html,
            truth.get("main_content") or "",
            list(truth.get("with") or []),
            list(truth.get("without") or []),
        )


LOADERS: dict[str, Callable[[Path], Iterator[Page]]] = {"aeb": load_aeb, "wcxb": load_wcxb}


# ---------------------------------------------------------------- runs


def run(pages: Sequence[Page], config: Config, timings: dict[str, float], repeat: int = 1) -> list[Result]:
    """Both systems on every page, back to back, alternating which goes first. With `repeat` > 1 each page runs
    that many times per system and the fastest run of each counts (robust to other load on a shared machine)."""
    results: list[Result] = []
    articles: list[Article | None] = []
    for number, page in enumerate(pages):
        doc = RawDocument(id=page.id, source=f"{page.set}/{page.id}", content=page.html, url=page.url or None)
        best_bare: dict[str, float] | None = None
        best_ours: dict[str, float] | None = None
        for attempt in range(repeat):
            steps = (_bare, _ours) if (number + attempt) % 2 == 0 else (_ours, _bare)
            outcome: dict[str, object] = {}
            for step in steps:
                clock: dict[str, float] = {}
                outcome[step.__name__] = step(doc, config, clock)
                if step is _bare and (best_bare is None or clock["bare"] < best_bare["bare"]):
                    best_bare = clock
                if step is _ours and (best_ours is None or clock["ours"] < best_ours["ours"]):
                    best_ours = clock
        for clock in (best_bare, best_ours):
            for stage, seconds in (clock or {}).items():
                timings[stage] = timings.get(stage, 0.0) + seconds
        bare = outcome["_bare"]
        article, error = outcome["_ours"]  # type: ignore[misc]
        articles.append(article)
        results.append(Result(page, bare if isinstance(bare, str) else "", "", [], error))
    started = time.perf_counter()
    kept = [a for a in articles if a is not None]
    stripped = {a.id: a for a in strip_site_templates(kept, config.clutter)}
    timings["templates"] = timings.get("templates", 0.0) + time.perf_counter() - started
    for result, article in zip(results, articles, strict=True):
        if article is not None:
            final = stripped[article.id]
            result.ours = final.text
            result.removed = [r.to_dict() for r in final.removed]
    return results


def _bare(doc: RawDocument, config: Config, timings: dict[str, float]) -> str:
    started = time.perf_counter()
    page = trafilatura.bare_extraction(
        doc.content,
        url=doc.url,
        with_metadata=True,
        include_comments=config.extract.include_comments,
        include_tables=config.extract.include_tables,
    )
    timings["bare"] = timings.get("bare", 0.0) + time.perf_counter() - started
    return (page.text or "") if page is not None else ""


def _ours(doc: RawDocument, config: Config, timings: dict[str, float]) -> tuple[Article | None, str | None]:
    started = time.perf_counter()
    try:
        article: Article | None = extract_article(doc, config.extract, config.clutter, timings)
        error = None
    except ExtractionError as exc:
        article, error = None, exc.reason
    timings["ours"] = timings.get("ours", 0.0) + time.perf_counter() - started
    return article, error


# ---------------------------------------------------------------- report


def report(results: Sequence[Result]) -> None:
    for name in sorted({r.page.set for r in results}):
        subset = [r for r in results if r.page.set == name]
        print(f"\n## {name}: {len(subset)} pages")
        for half in ("dev", "held-out", "all"):
            chosen = [r for r in subset if half == "all" or r.page.half == half]
            for system in ("bare", "ours"):
                outputs = [getattr(r, system) for r in chosen]
                if name == "aeb":
                    scores = aeb_scores([(r.page.truth, o) for r, o in zip(chosen, outputs, strict=True)])
                else:
                    scores = wcxb_scores([r.page.wcxb_truth for r in chosen], outputs)
                cells = "  ".join(
                    f"{k}={v:.3f}" if k in ("P", "R", "F1", "acc") else f"{k}={v:.2f}" for k, v in scores.items()
                )
                print(f"{half:<9} n={len(chosen):<4} {system:<5} {cells}")
        errors = Counter(r.error for r in subset if r.error)
        removed = sum(len(r.removed) for r in subset)
        rules = Counter(item["rule"] for r in subset for item in r.removed)
        print(
            f"ours: rejected {sum(errors.values())} {dict(errors)}; "
            f"removed {removed} lines: {dict(rules.most_common())}"
        )


def report_timing(timings: dict[str, float], pages: int) -> None:
    print(f"\n## timing: {pages} pages, one process (per page and system: fastest of --repeat runs)")
    bare, ours = timings.get("bare", 0.0), timings.get("ours", 0.0) + timings.get("templates", 0.0)
    for stage in ("decode", "parse", "trafilatura", "structure", "clutter", "metadata", "templates"):
        seconds = timings.get(stage, 0.0)
        print(f"  ours.{stage:<12} {seconds:7.2f} s  {1000 * seconds / max(pages, 1):7.2f} ms/page")
    print(f"  bare+metadata     {bare:7.2f} s  {pages / bare if bare else 0:7.1f} pages/s  (with_metadata=True)")
    print(f"  ours (all stages) {ours:7.2f} s  {pages / ours if ours else 0:7.1f} pages/s")
    print(f"  speed ours/bare+metadata {bare / ours if ours else 0:.3f}x")


def _configured(changes: list[str]) -> Config:
    """`--set section.key=value` (JSON values) read as a `[tool.cleaner]` table, with its checks."""
    table: dict[str, dict[str, object]] = {}
    for change in changes:
        key, _, value = change.partition("=")
        section, _, name = key.partition(".")
        table.setdefault(section, {})[name] = json.loads(value)
    return config_from_mapping(table, "--set")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "benchdata")
    parser.add_argument("--sets", default="aeb,wcxb", help="comma-separated: aeb, wcxb")
    parser.add_argument("--limit", type=int, default=0, help="first N pages of each set (0: all)")
    parser.add_argument("--dump", type=Path, help="write per-page bare/ours/removed as JSONL for inspection")
    parser.add_argument("--repeat", type=int, default=1, help="runs per page and system; the fastest counts")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a Config change, e.g. extract.fast=true",
    )
    args = parser.parse_args(argv)
    config = _configured(args.set)
    pages: list[Page] = []
    for name in args.sets.split(","):
        loaded = list(LOADERS[name.strip()](args.data))
        pages.extend(loaded[: args.limit] if args.limit else loaded)
    timings: dict[str, float] = {}
    results = run(pages, config, timings, max(1, args.repeat))
    report(results)
    report_timing(timings, len(pages))
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for r in results:
                row = {
                    "set": r.page.set,
                    "id": r.page.id,
                    "half": r.page.half,
                    "url": r.page.url,
                    "bare": r.bare,
                    "ours": r.ours,
                    "removed": r.removed,
                    "error": r.error,
                    "truth": r.page.truth,
                    "with": r.page.with_,
                    "without": r.page.without,
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
