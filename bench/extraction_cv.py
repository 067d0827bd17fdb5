"""Site-grouped cross-validation of extraction on AEB and WCXB dev articles, next to the in-sample figures.

    python bench/extraction_cv.py [--data ../shared/benchdata] [--folds 5] [--jobs 2] [--dump out.jsonl]

Folds split the pages by site: the registered domain of each page's ground-truth URL, pooled over both sets (a
domain in both lands in one fold), dealt largest first to the fold with the fewest pages. What is chosen on the
training folds only: the recall check's setting (off, or one of RECALL_GAINS: the setting whose outputs score best
on the training pages' objective, below), then which clutter rules run. For each fold, every rule whose removals on
the training folds' pages score worse than keeping those lines is switched off, and the test fold's pages are then
extracted with that configuration (site templates learned on the test fold's own pages). The CV figure scores every
page as its own fold's configuration extracted it; in-sample scores every page with every rule on. A rule written
from these pages keeps only the effect that carries over to sites no rule was tuned on.

Objective on the training pages: the sum over pages of F1 (AEB: shingle F1, WCXB: bag-of-words F1) plus, on WCXB
pages, the share of must-contain snippets found minus the share of boilerplate snippets found. A rule is judged by
putting its removed lines back (an estimate: another rule could have caught them); the CV figure itself comes from
real runs. Bare trafilatura chooses nothing, so its CV and in-sample figures are the same run.

Each set is reported with its own metric (bench/metrics.py): AEB P/R/F1, WCXB F1, with% and without%; plus each
fold's test figure (min-max) and the rules dropped, with how many folds dropped them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.extraction import LOADERS, Page, _bare  # noqa: E402
from bench.metrics import aeb_page, aeb_scores, bag, wcxb_scores  # noqa: E402
from cleaner.clutter import strip_site_templates  # noqa: E402
from cleaner.config import Config, ExtractConfig  # noqa: E402
from cleaner.errors import ExtractionError  # noqa: E402
from cleaner.extract.core import extract_article  # noqa: E402
from cleaner.models import Article, RawDocument  # noqa: E402


@dataclass
class Output:
    """One page's text from one system, and the removals (rule, line) that made it."""

    text: str
    removed: list[tuple[str, str]]


# ---------------------------------------------------------------- folds


def site_folds(pages: Sequence[Page], folds: int) -> list[int]:
    """Fold index per page: whole sites, largest first into the fold with the fewest pages (ties: lowest index)."""
    by_site = Counter(page.site for page in pages)
    load = [0] * folds
    fold_of_site: dict[str, int] = {}
    for site, count in sorted(by_site.items(), key=lambda item: (-item[1], item[0])):
        fold = min(range(folds), key=lambda f: (load[f], f))
        fold_of_site[site] = fold
        load[fold] += count
    return [fold_of_site[page.site] for page in pages]


# ---------------------------------------------------------------- runs


def _extract(args: tuple[Page, Config]) -> Article | None:
    page, config = args
    doc = RawDocument(id=page.id, source=f"{page.set}/{page.id}", content=page.html, url=page.url or None)
    try:
        return extract_article(doc, config.extract, config.clutter)
    except ExtractionError:
        return None


def _bare_text(page: Page) -> str:
    doc = RawDocument(id=page.id, source=f"{page.set}/{page.id}", content=page.html, url=page.url or None)
    return _bare(doc, Config(), {})


def run_cleaner(pages: Sequence[Page], config: Config, jobs: int) -> list[Output]:
    """Extract every page (in `jobs` processes), then learn and strip site templates over them, as a run does."""
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        articles = list(pool.map(_extract, [(page, config) for page in pages], chunksize=8))
    kept = [article for article in articles if article is not None]
    stripped = {a.id: a for a in strip_site_templates(kept, config.clutter, config.extract.min_text_chars)}
    outputs = []
    for article in articles:
        final = stripped[article.id] if article is not None else None
        removed = [(r.rule, r.text) for r in final.removed] if final is not None else []
        outputs.append(Output(final.text if final is not None else "", removed))
    return outputs


def run_bare(pages: Sequence[Page], jobs: int) -> list[Output]:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [Output(text, []) for text in pool.map(_bare_text, pages, chunksize=8)]


# ---------------------------------------------------------------- choosing rules on training folds


def page_value(page: Page, text: str) -> float:
    """The objective's term for one page (see the module docstring)."""
    if page.set == "aeb":
        tp, fp, fn = aeb_page(page.truth, text)
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    gold, pred = bag(page.truth), bag(text)
    overlap = sum((gold & pred).values())
    f1 = 2 * overlap / (sum(gold.values()) + sum(pred.values())) if overlap else 0.0
    lowered = text.lower()
    found = sum(s.lower() in lowered for s in page.with_) / len(page.with_) if page.with_ else 0.0
    leaked = sum(s.lower() in lowered for s in page.without) / len(page.without) if page.without else 0.0
    return f1 + found - leaked


def rules_to_drop(pages: Sequence[Page], outputs: Sequence[Output]) -> set[str]:
    """The rules whose removals, put back, raise the objective on these pages."""
    gain: Counter[str] = Counter()
    for page, output in zip(pages, outputs, strict=True):
        if not output.removed:
            continue
        base = page_value(page, output.text)
        for rule in {rule for rule, _ in output.removed}:
            restored = "\n".join([output.text, *(line for r, line in output.removed if r == rule)])
            gain[rule] += page_value(page, restored) - base
    return {rule for rule, value in gain.items() if value > 0}


# ---------------------------------------------------------------- scores and report


def scores(pages: Sequence[Page], texts: Sequence[str]) -> dict[str, float]:
    if not pages:
        return {}
    if pages[0].set == "aeb":
        return aeb_scores([(page.truth, text) for page, text in zip(pages, texts, strict=True)])
    return wcxb_scores([page.wcxb_truth for page in pages], texts)


FIGURES = {"aeb": ("P", "R", "F1"), "wcxb": ("F1", "with%", "without%")}


def _cell(key: str, value: float) -> str:
    return f"{value:.2f}" if key.endswith("%") else f"{value:.4f}"


def report(
    pages: Sequence[Page],
    fold_of: Sequence[int],
    systems: dict[str, tuple[Sequence[Output], Sequence[Output]]],
) -> None:
    """systems: name -> (in-sample outputs, CV outputs), both in page order."""
    for name, figures in FIGURES.items():
        chosen = [i for i, page in enumerate(pages) if page.set == name]
        if not chosen:
            continue
        subset = [pages[i] for i in chosen]
        print(f"\n## {name}: {len(subset)} pages, {len({p.site for p in subset})} sites")
        print(f"{'system':<9}{'figure':<10}{'in-sample':>11}{'CV':>11}   CV per fold (min-max)")
        for system, (in_sample, cv) in systems.items():
            inside = scores(subset, [in_sample[i].text for i in chosen])
            outside = scores(subset, [cv[i].text for i in chosen])
            per_fold = []
            for fold in sorted(set(fold_of)):
                members = [i for i in chosen if fold_of[i] == fold]
                per_fold.append(scores([pages[i] for i in members], [cv[i].text for i in members]))
            for key in figures:
                values = [f[key] for f in per_fold if f]
                spread = f"{_cell(key, min(values))}-{_cell(key, max(values))}" if values else ""
                row = f"{system:<9}{key:<10}{_cell(key, inside[key]):>11}{_cell(key, outside[key]):>11}   {spread}"
                print(row)


# The recall check's settings tried on the training folds (cleaner.extract.core, ExtractConfig.recall_check_*):
# name -> (coverage, page share, gain); coverage 0 is off. "default" is ExtractConfig's.
_DEFAULT = ExtractConfig()
RECALL_SETTINGS: dict[str, tuple[float, float, float]] = {
    "off": (0.0, 0.0, 1.1),
    "default": (_DEFAULT.recall_check_coverage, _DEFAULT.recall_check_page_share, _DEFAULT.recall_check_gain),
    "gain 1.25": (0.9, 0.2, 1.25),
    "gain 1.5": (0.9, 0.2, 1.5),
    "narrow gate": (0.7, 0.1, 1.1),
    "root gate only": (0.9, 0.0, 1.1),
}


def recall_variant(config: Config, name: str) -> Config:
    coverage, page_share, gain = RECALL_SETTINGS[name]
    extract = replace(
        config.extract, recall_check_coverage=coverage, recall_check_page_share=page_share, recall_check_gain=gain
    )
    return replace(config, extract=extract)


def best_setting(pages: Sequence[Page], outputs: dict[str, Sequence[Output]], train: Sequence[int]) -> str:
    """The recall-check setting whose outputs score best on the training pages (ties: the first listed)."""

    def value(name: str) -> float:
        return sum(page_value(pages[i], outputs[name][i].text) for i in train)

    return max(outputs, key=value)


def cross_validate(
    pages: Sequence[Page],
    fold_of: Sequence[int],
    in_sample: dict[str, Sequence[Output]],
    config: Config,
    jobs: int,
) -> tuple[list[Output], dict[int, set[str]], dict[int, str]]:
    """in_sample: outputs per recall-check setting, every rule on. Per fold, the setting and then the rules are
    chosen on the training pages; the test pages are extracted with that choice."""
    cv = list(in_sample["default"])
    dropped: dict[int, set[str]] = {}
    settings: dict[int, str] = {}
    for fold in sorted(set(fold_of)):
        train = [i for i, f in enumerate(fold_of) if f != fold]
        test = [i for i, f in enumerate(fold_of) if f == fold]
        settings[fold] = best_setting(pages, in_sample, train)
        chosen = in_sample[settings[fold]]
        dropped[fold] = rules_to_drop([pages[i] for i in train], [chosen[i] for i in train])
        if not dropped[fold]:
            outputs = [chosen[i] for i in test]  # the configuration of an in-sample run: its outputs
        else:
            variant = recall_variant(config, settings[fold])
            clutter = replace(config.clutter, disabled_rules=config.clutter.disabled_rules | dropped[fold])
            outputs = run_cleaner([pages[i] for i in test], replace(variant, clutter=clutter), jobs)
        for i, output in zip(test, outputs, strict=True):
            cv[i] = output
        print(f"fold {fold}: {len(test)} test pages, recall check {settings[fold]!r}, dropped {sorted(dropped[fold])}")
    return cv, dropped, settings


def _summary(pages: Sequence[Page], outputs: Sequence[Output]) -> str:
    """Each set's headline figures, for the in-sample line of one setting."""
    parts = []
    for name, figures in FIGURES.items():
        chosen = [i for i, page in enumerate(pages) if page.set == name]
        if chosen:
            values = scores([pages[i] for i in chosen], [outputs[i].text for i in chosen])
            parts.append(f"{name} " + " ".join(f"{key} {_cell(key, values[key])}" for key in figures))
    return "; ".join(parts)


def load(data: Path, sets: Iterable[str]) -> list[Page]:
    return [page for name in sets for page in LOADERS[name](data)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "benchdata")
    parser.add_argument("--sets", default="aeb,wcxb", help="comma-separated: aeb, wcxb")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dump", type=Path, help="per page: set, id, site, fold, bare, in-sample and CV text")
    args = parser.parse_args(argv)
    pages = load(args.data, [name.strip() for name in args.sets.split(",")])
    fold_of = site_folds(pages, args.folds)
    config = Config()
    bare = run_bare(pages, args.jobs)
    variants = {name: run_cleaner(pages, recall_variant(config, name), args.jobs) for name in RECALL_SETTINGS}
    for name, outputs in variants.items():
        print(f"in-sample, recall check {name!r}: {_summary(pages, outputs)}", flush=True)
    ours = variants["default"]
    cv, dropped, settings = cross_validate(pages, fold_of, variants, config, args.jobs)
    report(pages, fold_of, {"bare": (bare, bare), "cleaner": (ours, cv)})
    counts = Counter(rule for rules in dropped.values() for rule in rules)
    print(f"\nrules dropped on training folds (folds of {args.folds}): {dict(sorted(counts.items())) or 'none'}")
    print(f"recall check chosen on training folds: {dict(Counter(settings.values()))}")
    sizes = Counter(fold_of)
    print(f"pages per fold: {[sizes[f] for f in range(args.folds)]}; median {statistics.median(sizes.values())}")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for page, fold, b, o, c in zip(pages, fold_of, bare, ours, cv, strict=True):
                row = {"set": page.set, "id": page.id, "site": page.site, "fold": fold}
                row |= {"bare": b.text, "ours": o.text, "cv": c.text, "removed": o.removed}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
