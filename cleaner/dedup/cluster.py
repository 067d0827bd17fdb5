"""Clustering without chaining: every member is verified against its cluster's representative.

Documents are visited best representative first (the policy's order). A document becomes a member of the
representative it verifies against best, among the representatives already chosen; if it verifies against none,
it becomes a representative itself. A~B and B~C therefore never put A and C together unless C matches the
representative directly. The order is a total order on content (size, date, id), so the result does not depend on
the order documents were added in.

The decisions are written once here and called by both engines: the order (`PRIORITY`, evaluated on arrays by
`priority_rank` and per document by `priority_key`, which a distributed sort needs), a document's choice among
its verified better-ranked representatives (`choose_representative`: in memory by `star_clusters`, in rounds by
the Dask engine), and the cluster record (`listed_similarity`, `cluster_record`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cleaner.dedup.origin import cluster_origin
from cleaner.models import Cluster, Member

# The representative order of each policy: fields compared in turn, (name, larger first). "date" puts dated
# documents before undated ones, then earlier first; the id last makes the order total.
PRIORITY: dict[str, tuple[tuple[str, bool], ...]] = {
    "most_complete": (("content", True), ("date", False), ("id", False)),
    "earliest": (("date", False), ("content", True), ("id", False)),
    "longest_text": (("length", True), ("date", False), ("content", True), ("id", False)),
}


def priority_rank(
    policy: str, content: np.ndarray, text_length: np.ndarray, dates: Sequence[str | None], ids: Sequence[str]
) -> np.ndarray:
    """rank[i] = position of document i in representative order (0 = first choice), by `PRIORITY[policy]`.

    `content`: content shingles per document; `text_length`: its canonical length.
    """
    n = len(ids)
    dated = np.array([d is not None for d in dates], dtype=bool)
    columns = {
        "content": np.asarray(content),
        "length": np.asarray(text_length),
        "date": np.where(dated, _string_rank([d or "" for d in dates]), n),  # undated after every dated document
        "id": _string_rank(list(ids)),
    }
    # lexsort sorts by its last key first
    keys = [-columns[name] if larger_first else columns[name] for name, larger_first in reversed(PRIORITY[policy])]
    order = np.lexsort(keys)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def priority_key(policy: str, content: int, text_length: int, date: str | None, doc_id: str) -> tuple[Any, ...]:
    """One document's sort key in `priority_rank`'s order: comparable across partitions, for a distributed sort."""
    values: dict[str, Any] = {
        "content": content,
        "length": text_length,
        "date": (date is None, date or ""),
        "id": doc_id,
    }
    return tuple(-values[name] if larger_first else values[name] for name, larger_first in PRIORITY[policy])


def _string_rank(values: list[str]) -> np.ndarray:
    """Rank of each string in sorted order (equal strings share a rank)."""
    if not values:
        return np.zeros(0, dtype=np.int64)
    uniq, inverse = np.unique(np.array(values, dtype=object).astype(str), return_inverse=True)
    del uniq
    return inverse.astype(np.int64)


def choose_representative(candidates: Iterable[tuple[int, float | None]]) -> tuple[int, float] | None:
    """The representative a document joins and its similarity, or None: it becomes a representative itself.

    `candidates`: its better-ranked candidates that are representatives, best-ranked first, each with the
    similarity it verified at (None: not verified as the same story). The highest similarity wins; a tie keeps the
    better-ranked one. Give them lazily to verify only as far as needed.
    """
    best: tuple[int, float] | None = None
    for candidate, score in candidates:
        if score is not None and (best is None or score > best[1]):
            best = (candidate, score)
    return best


def star_clusters(
    n: int, pairs: np.ndarray, rank: np.ndarray, verify: Callable[[int, int], float | None]
) -> tuple[np.ndarray, np.ndarray]:
    """(representative of each document, its similarity to it) from candidate `pairs` [better, worse].

    `pairs` must be sorted by rank of the worse document. Only pairs whose better document is a representative
    are verified, so each document costs about one verification.
    """
    rep = np.arange(n, dtype=np.int64)
    similarity = np.ones(n, dtype=np.float64)
    is_rep = np.ones(n, dtype=bool)
    if len(pairs) == 0:
        return rep, similarity
    worse = pairs[:, 1]
    starts = np.flatnonzero(np.concatenate([[True], worse[1:] != worse[:-1]]))
    ends = np.concatenate([starts[1:], [len(worse)]])
    better_all = pairs[:, 0].tolist()
    for lo, hi, w in zip(starts.tolist(), ends.tolist(), worse[starts].tolist(), strict=True):
        # sorted best-ranked first; a document visited earlier has its final status
        choice = choose_representative((b, verify(b, w)) for b in better_all[lo:hi] if is_rep[b])
        if choice is not None:
            is_rep[w] = False
            rep[w], similarity[w] = choice
    return rep, similarity


@dataclass(frozen=True, slots=True)
class ClusterMember:
    """One document of a cluster, as its record needs it."""

    id: str
    rank: int  # in representative order
    similarity: float  # as listed: `listed_similarity`
    origin: str | None  # the agency it credits (origin.detect_origin)


def listed_similarity(is_representative: bool, similarity: float) -> float:
    """A member's similarity as the outputs list it: 1.0 for the kept copy, else its verified score to 4 places."""
    return 1.0 if is_representative else round(float(similarity), 4)


def cluster_record(representative: str, members: Iterable[ClusterMember]) -> Cluster:
    """The cluster kept as `representative` (one of `members`): members sorted by id, origin by majority."""
    by_rank = sorted(members, key=lambda m: m.rank)
    listed = sorted((Member(m.id, m.similarity) for m in by_rank), key=lambda m: m.id)
    return Cluster(representative, representative, listed, cluster_origin([m.origin for m in by_rank]))
