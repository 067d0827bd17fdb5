"""The benchmark data sets' own metrics, in one place: the benches and the evaluation gate all score with these.

Each function follows its data set's README in ../shared/benchdata (the definitions are quoted where they leave a
choice open), so a figure printed by a bench and one asserted by tests/test_eval_gate.py mean the same thing.

- AEB (aeb/): 4-token shingle precision / recall / F1, normalised per page, averaged over pages.
- WCXB (wcxb-dev-articles/): bag-of-words P/R/F1 averaged per page, with-rate and without-rate.
- Clustering (wire-dedup-dev/, wire-html/): adjusted Rand index and pairwise precision / recall / F1.
- wire-html/: story paragraphs kept, inline promos removed, boilerplate leak (mean per page and micro), rejected.

`read_run` joins a `cleaner run` or `cleaner dedup` output folder to a data set's labels.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------- AEB


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of overlapping n-token shingles (a text shorter than n is one shingle of what it has)."""
    tokens = WORD.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def aeb_page(truth: str, pred: str) -> tuple[float, float, float]:
    """Scrapinghub's string_shingle_matching: tp/fp/fn over 4-token shingles, normalised to sum 1."""
    t, p = shingles(truth), shingles(pred)
    tp = fp = fn = 0.0
    for key in t.keys() | p.keys():
        tp += min(t[key], p[key])
        fp += max(0, p[key] - t[key])
        fn += max(0, t[key] - p[key])
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _aeb_precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)


def _aeb_recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)


def aeb_scores(pairs: Sequence[tuple[str, str]]) -> dict[str, float]:
    """P, R, F1 and exact-token accuracy over (truth, output) pairs. Pages with empty output are left out of the
    precision average and pages with empty truth out of the recall average, as the benchmark's evaluator does."""
    counts = [aeb_page(truth, pred) for truth, pred in pairs]
    p = statistics.mean(_aeb_precision(*c) for c in counts if c[0] + c[1] > 0)
    r = statistics.mean(_aeb_recall(*c) for c in counts if c[0] + c[2] > 0)
    accuracy = statistics.mean(WORD.findall(t) == WORD.findall(o) for t, o in pairs)
    return {"P": p, "R": r, "F1": 2 * p * r / (p + r), "acc": accuracy}


# ---------------------------------------------------------------- WCXB


@dataclass(frozen=True)
class WcxbTruth:
    """One WCXB page's ground truth: the main content and the snippets the output must / must not contain."""

    text: str
    with_: Sequence[str] = field(default_factory=tuple)
    without: Sequence[str] = field(default_factory=tuple)


def bag(text: str) -> Counter[str]:
    return Counter(WORD.findall((text or "").lower()))


def _share_found(snippets: Sequence[str], lowered: str) -> float:
    return sum(s.lower() in lowered for s in snippets) / len(snippets)


def wcxb_scores(truths: Sequence[WcxbTruth], outputs: Sequence[str]) -> dict[str, float]:
    """Bag-of-words P/R/F1 averaged per page; with% and without% are per-page shares of the snippets found
    (case-insensitive substrings), averaged over the pages that list such snippets."""
    precisions, recalls, f1s, with_rates, without_rates = [], [], [], [], []
    for truth, out in zip(truths, outputs, strict=True):
        gold, pred = bag(truth.text), bag(out)
        overlap = sum((gold & pred).values())
        p = overlap / sum(pred.values()) if pred else 0.0
        r = overlap / sum(gold.values()) if gold else 0.0
        precisions.append(p)
        recalls.append(r)
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        lowered = out.lower()
        if truth.with_:
            with_rates.append(_share_found(truth.with_, lowered))
        if truth.without:
            without_rates.append(_share_found(truth.without, lowered))
    return {
        "P": statistics.mean(precisions),
        "R": statistics.mean(recalls),
        "F1": statistics.mean(f1s),
        "with%": 100 * statistics.mean(with_rates) if with_rates else float("nan"),
        "without%": 100 * statistics.mean(without_rates) if without_rates else float("nan"),
    }


# ---------------------------------------------------------------- clustering


def _comb2(x: np.ndarray) -> float:
    return float((x * (x - 1) // 2).sum())


def cluster_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """ARI and pairwise precision / recall / F1 of a predicted clustering against gold labels (one label per item,
    singletons included: an item alone in its label is a cluster of one)."""
    _, g = np.unique(np.asarray(gold, dtype=str), return_inverse=True)
    _, p = np.unique(np.asarray(predicted, dtype=str), return_inverse=True)
    n = len(g)
    joint = np.unique(g.astype(np.int64) * (p.max() + 1) + p, return_counts=True)[1]
    both = _comb2(joint)
    gold_pairs = _comb2(np.bincount(g))
    pred_pairs = _comb2(np.bincount(p))
    total = n * (n - 1) / 2
    expected = gold_pairs * pred_pairs / total if total else 0.0
    top = (gold_pairs + pred_pairs) / 2
    ari = (both - expected) / (top - expected) if top != expected else 1.0
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / gold_pairs if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"ari": ari, "precision": precision, "recall": recall, "f1": f1}


def union_find_labels(n: int, pairs: Iterable[tuple[int, int]]) -> list[str]:
    """Cluster labels of items 0..n-1 joined by `pairs` (transitively: how an unverified baseline clusters)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [str(find(i)) for i in range(n)]


# ---------------------------------------------------------------- wire-html


def norm(text: str) -> str:
    """wire-html's `norm`: whitespace runs collapsed to one space, stripped."""
    return _SPACES.sub(" ", text).strip()


def leaked_tokens(text: str, story: str) -> tuple[int, int]:
    """(tokens of `text` not in `story`, tokens of `text`): multisets of lowercased `\\w+` tokens."""
    out = bag(text)
    return sum((out - bag(story)).values()), sum(out.values())


def wire_html_scores(labels: Sequence[Mapping], texts: Mapping[str, str | None]) -> dict[str, float]:
    """wire-html's extraction figures. `labels` are labels.jsonl rows; `texts` maps each row's `file` to the text
    the tool gave for that page, None (or missing) for a page it rejected.

    paragraphs: share of gold paragraphs found (normalised substring) over all pages; promos_removed: share of
    inserted promos whose linked headline is not in the text; leak: share of the text's tokens that are not the
    story's (headline + paragraphs), averaged over pages with text, and `leak_micro` over all their tokens.
    """
    found = paragraphs = promos = removed = rejected = 0
    leak_shares: list[float] = []
    leaked_sum = token_sum = 0
    for row in labels:
        text = texts.get(row["file"])
        rejected += text is None
        page = norm(text or "")
        paragraphs += len(row["paragraphs"])
        found += sum(norm(p) in page for p in row["paragraphs"])
        promos += len(row["promo_headlines"])
        removed += sum(norm(h) not in page for h in row["promo_headlines"])
        leaked, tokens = leaked_tokens(text or "", "\n".join([row["headline"], *row["paragraphs"]]))
        if tokens:
            leak_shares.append(leaked / tokens)
            leaked_sum += leaked
            token_sum += tokens
    return {
        "paragraphs": found / paragraphs if paragraphs else float("nan"),
        "promos_removed": removed / promos if promos else float("nan"),
        "leak": statistics.mean(leak_shares) if leak_shares else float("nan"),
        "leak_micro": leaked_sum / token_sum if token_sum else float("nan"),
        "rejected": float(rejected),
    }


# ---------------------------------------------------------------- a cleaner run's outputs


@dataclass(frozen=True)
class RunResult:
    """Per document of a run, keyed as the labels are: its text (None when rejected) and its predicted cluster."""

    texts: dict[str, str | None]
    clusters: dict[str, str]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_run(out_dir: Path, key: Callable[[Mapping[str, Any]], str]) -> RunResult:
    """documents.jsonl's texts and manifest.jsonl's clusters, keyed by `key(record)` (both files carry `id` and
    `source`). A document with no cluster (rejected) is a cluster of its own, as the metrics count it."""
    texts = {key(d): d["text"] for d in read_jsonl(out_dir / "documents.jsonl")}
    clusters = {key(e): e["cluster"] or f"alone:{e['id']}" for e in read_jsonl(out_dir / "manifest.jsonl")}
    return RunResult(texts, clusters)


def relative_source(folder: Path) -> Callable[[Mapping[str, Any]], str]:
    """A `read_run` key: the document's source path relative to `folder`, with forward slashes."""
    return lambda record: Path(record["source"]).relative_to(folder).as_posix()
