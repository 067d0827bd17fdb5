"""Decide whether a candidate pair is the same story: shingle containment, then the templated-story guard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cleaner.dedup.config import DedupConfig
from cleaner.dedup.normalize import slot_conflicts
from cleaner.dedup.shingles import MaskedSets, ShingleSets


@dataclass(slots=True)
class SlotSets:
    """Per-document value slots (`context_hash << 32 | value_hash`, sorted), CSR like ShingleSets."""

    offsets: np.ndarray  # int64, len = documents + 1
    slots: np.ndarray  # uint64

    def row(self, i: int) -> list[int]:
        return self.slots[self.offsets[i] : self.offsets[i + 1]].tolist()

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[int]]) -> SlotSets:
        sizes = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        flat = np.fromiter((s for r in rows for s in r), dtype=np.uint64, count=int(sizes.sum()))
        return cls(offsets, flat)

    @classmethod
    def concat(cls, parts: Sequence[SlotSets]) -> SlotSets:
        if not parts:
            return cls(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint64))
        sizes = np.concatenate([np.diff(p.offsets) for p in parts])
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return cls(offsets, np.concatenate([p.slots for p in parts]))


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Size of the intersection of two sorted unique arrays."""
    if len(a) > len(b):
        a, b = b, a
    if len(a) == 0:
        return 0
    idx = np.searchsorted(b, a)
    idx[idx == len(b)] = 0
    return int(np.count_nonzero(b[idx] == a))


def containment(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """(share of the smaller set found in the larger, shared count): 1.0 for a trimmed copy of the larger."""
    shared = overlap(a, b)
    smaller = min(len(a), len(b))
    return (shared / smaller if smaller else 0.0), shared


def is_other_event(agreeing: int, conflicting: int, config: DedupConfig) -> bool:
    """Same wording, different values: this week's report is not last week's, however alike they read."""
    return conflicting >= config.min_conflicts and conflicting >= config.max_conflict_share * (agreeing + conflicting)


def verify_pair(i: int, j: int, sets: ShingleSets | MaskedSets, slots: SlotSets, config: DedupConfig) -> float | None:
    """The pair's similarity (containment) if it is verified as one story, else None."""
    score, shared = containment(sets.row(i), sets.row(j))
    if score < config.containment_threshold or shared < config.min_shared:
        return None
    agreeing, conflicting = slot_conflicts(slots.row(i), slots.row(j))
    if is_other_event(agreeing, conflicting, config):
        return None
    return score
