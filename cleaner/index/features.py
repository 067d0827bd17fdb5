"""What the index keeps of each document: the inputs of the clustering (prepared exactly as a run without an index
prepares them) and the metadata that sources and reports show."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from cleaner.dedup.config import DedupConfig
from cleaner.dedup.deduplicator import Deduplicator
from cleaner.dedup.shingles import ShingleSets, is_in_sorted
from cleaner.dedup.verify import SlotSets
from cleaner.models import Article

CSR = TypeVar("CSR", ShingleSets, SlotSets)

DOC_STRINGS = ("ids", "sources", "urls", "sites", "titles", "dates", "origins")


@dataclass(slots=True)
class Features:
    """Per-document inputs of the clustering (raw sampled shingle sets, before the frequent-shingle cut), plus the
    metadata that an event's sources list."""

    ids: list[str]
    sources: list[str | None]
    urls: list[str | None]
    sites: list[str | None]
    titles: list[str | None]
    dates: list[str | None]
    origins: list[str | None]
    lengths: np.ndarray  # int64: canonical length
    sets: ShingleSets
    slots: SlotSets

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, order: Sequence[int] | np.ndarray) -> Features:
        idx = np.asarray(order, dtype=np.int64)
        pick = idx.tolist()
        strings = {name: [getattr(self, name)[i] for i in pick] for name in DOC_STRINGS}
        return Features(
            **strings, lengths=self.lengths[idx], sets=take_rows(self.sets, idx), slots=take_rows(self.slots, idx)
        )

    @classmethod
    def of(
        cls,
        articles: Sequence[Article],
        dates: Sequence[str | None],
        origins: Sequence[str | None],
        lengths: np.ndarray,
        sets: ShingleSets,
        slots: SlotSets,
    ) -> Features:
        """The articles' metadata beside their prepared clustering inputs (one row per article, in order)."""
        return cls(
            ids=[a.id for a in articles],
            sources=[a.source for a in articles],
            urls=[a.url for a in articles],
            sites=[a.site for a in articles],
            titles=[a.title for a in articles],
            dates=list(dates),
            origins=list(origins),
            lengths=lengths,
            sets=sets,
            slots=slots,
        )

    def sorted_by_id(self) -> Features:
        return self.take(sorted(range(len(self)), key=self.ids.__getitem__))

    @classmethod
    def concat(cls, parts: Sequence[Features]) -> Features:
        strings = {name: [v for p in parts for v in getattr(p, name)] for name in DOC_STRINGS}
        return cls(
            **strings,
            lengths=np.concatenate([np.zeros(0, np.int64), *(p.lengths for p in parts)]).astype(np.int64),
            sets=ShingleSets.concat([p.sets for p in parts]),
            slots=SlotSets.concat([p.slots for p in parts]),
        )


def document_features(articles: Sequence[Article], config: DedupConfig) -> Features:
    """The per-document inputs of the clustering, prepared by `Deduplicator.add` itself.

    Going through the Deduplicator (rather than re-implementing its normalisation) keeps the stored features
    identical to what a run without an index clusters, whatever the dedup package changes in its preparation.
    """
    dedup = Deduplicator(config)
    dedup.add_many(articles)
    prepared = dedup.features()
    return Features.of(articles, prepared.dates, prepared.origins, prepared.lengths, prepared.sets, prepared.slots)


def csr_fields(csr: Any) -> dict[str, np.ndarray]:
    """The arrays of a CSR dataclass of cleaner.dedup (ShingleSets, SlotSets): `offsets` plus per-item arrays."""
    return {f.name: getattr(csr, f.name) for f in dataclasses.fields(csr)}


def take_rows(csr: CSR, order: np.ndarray) -> CSR:
    """Rows `order` of a CSR dataclass, in that order (whatever per-item arrays it holds besides `offsets`)."""
    fields = csr_fields(csr)
    offsets = fields.pop("offsets")
    sizes = np.diff(offsets)[order]
    new_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    gather = np.repeat(offsets[order] - new_offsets[:-1], sizes) + np.arange(int(new_offsets[-1]), dtype=np.int64)
    values = {name: (array[gather] if array is not None else None) for name, array in fields.items()}
    return type(csr)(offsets=new_offsets, **values)


def content_row(row: np.ndarray, frequent: np.ndarray, keep_min_share: float) -> np.ndarray:
    """One document's content shingles: `row` without the `frequent` hashes, unless that would leave it less than
    `keep_min_share` of them (then all of them), as `cleaner.dedup.shingles.content_mask` decides for a corpus."""
    if len(frequent) == 0 or len(row) == 0:
        return row
    keep = ~is_in_sorted(row, frequent)
    if np.count_nonzero(keep) < keep_min_share * len(row):
        return row
    return row[keep]
