"""Clustering without chaining: every member is verified against its cluster's representative.

Documents are visited best representative first (the policy's order). A document becomes a member of the
representative it verifies against best, among the representatives already chosen; if it verifies against none,
it becomes a representative itself. A~B and B~C therefore never put A and C together unless C matches the
representative directly. The order is a total order on content (size, date, id), so the result does not depend on
the order documents were added in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def priority_rank(
    policy: str, content: np.ndarray, text_length: np.ndarray, dates: Sequence[str | None], ids: Sequence[str]
) -> np.ndarray:
    """rank[i] = position of document i in representative order (0 = first choice).

    most_complete: more content shingles first; earliest: earlier date first; longest_text: longer text first.
    Ties: earlier date (undated last), then more content, then smaller id.
    """
    n = len(ids)
    id_rank = _string_rank(list(ids))
    dated = np.array([d is not None for d in dates], dtype=bool)
    date_rank = _string_rank([d or "" for d in dates])
    date_key = np.where(dated, date_rank, n)  # undated after every dated document
    if policy == "earliest":
        keys = (id_rank, -content, date_key)
    elif policy == "longest_text":
        keys = (id_rank, -content, date_key, -text_length)
    else:
        keys = (id_rank, date_key, -content)
    order = np.lexsort(keys)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def _string_rank(values: list[str]) -> np.ndarray:
    """Rank of each string in sorted order (equal strings share a rank)."""
    if not values:
        return np.zeros(0, dtype=np.int64)
    uniq, inverse = np.unique(np.array(values, dtype=object).astype(str), return_inverse=True)
    del uniq
    return inverse.astype(np.int64)


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
        best, best_score = -1, -1.0
        for b in better_all[lo:hi]:  # sorted best-ranked first, so ties keep the better representative
            if not is_rep[b]:
                continue
            score = verify(b, w)
            if score is not None and score > best_score:
                best, best_score = b, score
        if best >= 0:
            is_rep[w] = False
            rep[w] = best
            similarity[w] = best_score
    return rep, similarity
