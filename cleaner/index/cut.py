"""The frequent-shingle cut, kept exact as the index grows, without counting the whole index again.

A run over a corpus drops the shingles found in more than max(df_floor, df_fraction * documents) documents. The
index keeps the document count of every shingle hash per segment, so the cut after a day is exact: a hash is
frequent now if it was frequent before and still clears the (possibly higher) threshold, or if the day's documents
took its count over it; no other hash can be. The day's hashes are not looked up one by one in every segment:
each segment also lists the hashes it holds at least `heavy_min` times, so a hash absent from those lists has at
most `heavy_min - 1` documents there. Only hashes whose bound reaches the threshold are counted exactly: the
site chrome and stock phrases that make up the cut, a few thousand, not the day's hundreds of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleaner.dedup.config import DedupConfig
from cleaner.dedup.deduplicator import max_document_frequency
from cleaner.dedup.shingles import ShingleSets
from cleaner.index.arrays import positions_in
from cleaner.index.reader import IndexReader

# A segment's heavy table lists the hashes held by at least this share of the cut threshold its documents alone would
# give: over all segments the hashes left out can then add at most about a quarter of the threshold, so only hashes
# already near the cut need an exact count. The floor keeps a day's table to its repeated chrome.
HEAVY_SHARE = 0.25
HEAVY_FLOOR = 4


@dataclass(slots=True)
class Cut:
    """The cut after a day: the threshold, the frequent hashes with their counts, and the day's own counts."""

    threshold: int  # a hash in more documents than this is frequent
    frequent: np.ndarray  # sorted uint32 hashes
    frequent_counts: np.ndarray  # documents holding each, over the index and the day
    day_hashes: np.ndarray  # sorted uint32: every hash of the day's documents
    day_counts: np.ndarray  # how many of the day's documents hold each


def heavy_min(documents: int, config: DedupConfig) -> int:
    """The count from which a segment of `documents` lists a hash in its heavy table."""
    return max(HEAVY_FLOOR, int(HEAVY_SHARE * config.df_fraction * documents))


def next_cut(reader: IndexReader, day: ShingleSets, config: DedupConfig) -> Cut:
    """The frequent-shingle cut over the index plus the day's documents, as one run over all of them would make it."""
    threshold = max_document_frequency(reader.documents + len(day), config)
    day_hashes, day_counts = np.unique(day.hashes, return_counts=True)  # a set per document: counts are documents
    day_counts = day_counts.astype(np.int64)
    old, old_counts = reader.frequent()
    at = positions_in(day_hashes, old)
    carried = old_counts.copy()
    carried[at >= 0] += day_counts[at[at >= 0]]
    fresh = positions_in(old, day_hashes) < 0
    hashes, counts = day_hashes[fresh], day_counts[fresh]
    counted, bound = reader.count_bounds(hashes)
    suspects = np.flatnonzero(counted + bound + counts > threshold)
    totals = reader.exact_counts(hashes[suspects]) + counts[suspects]
    crossed = totals > threshold
    frequent = np.concatenate([old[carried > threshold], hashes[suspects][crossed]])
    frequent_counts = np.concatenate([carried[carried > threshold], totals[crossed]])
    order = np.argsort(frequent, kind="stable")
    return Cut(threshold, frequent[order], frequent_counts[order], day_hashes, day_counts)


def heavy_table(hashes: np.ndarray, counts: np.ndarray, floor: int) -> tuple[np.ndarray, np.ndarray]:
    keep = counts >= floor
    return hashes[keep], counts[keep]
