"""The arrays of one segment: the documents a run added, their LSH postings and shingle counts, and the records of
every document and event the run changed.

    doc.*            per document (row = number - first_doc): id, source, url, site, title, date, origin (strings),
                     length (canonical characters), first run
    idkey.key/doc    64-bit keys of the ids, sorted, with the document number: finding an id is a binary search
    sets.*           raw sampled shingle sets (offsets, hashes, chunks); slots.* value slots
    cut.*            per document, the hashes its day's frequent-shingle cut removed (its band keys are recomputed
                     from sets minus these, exactly as they were stored)
    post.*           LSH postings: for each band (post.bands gives its range) digest, document, chunk, sorted
    count.*          every shingle hash of the segment's documents with the number of documents holding it;
    heavy.*          the hashes counted at least heavy_min times; frequent.* the cut after the segment's last run
    assign.*         records by document (key): event (anchor document), representative, similarity, anchor run,
                     content (shingles left by the cut it was last decided under: its rank)
    event.*          records by event (key = anchor document): live, representative, members with their similarity,
                     credited agency, representative text
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from cleaner.dedup.shingles import ShingleSets, segment_counts
from cleaner.index.arrays import string_column
from cleaner.index.features import Features
from cleaner.index.reader import id_keys

DOC_COLUMNS = {"ids": "id", "sources": "source", "urls": "url", "sites": "site", "titles": "title"}
DOC_COLUMNS |= {"dates": "date", "origins": "origin"}


class AssignRow(NamedTuple):
    event: int
    rep: int
    similarity: float
    anchor_run: int
    content: int


class EventRow(NamedTuple):
    key: int
    rep: int
    members: list[int]
    similarity: list[float]
    origin: str | None
    text: str | None


def day_arrays(
    day: Features,
    first_doc: int,
    run: int,
    mask: np.ndarray,
    owner: np.ndarray,
    chunk: np.ndarray,
    keys: np.ndarray,
) -> dict[str, np.ndarray]:
    """The document and posting arrays of a run's documents (numbered from `first_doc`, in `day` order)."""
    n = len(day)
    docs = np.arange(first_doc, first_doc + n, dtype=np.int64)
    out: dict[str, np.ndarray] = {}
    for attribute, column in DOC_COLUMNS.items():
        out.update(string_column(f"doc.{column}", getattr(day, attribute)))
    out["doc.length"] = day.lengths.astype(np.int64)
    out["doc.first_run"] = np.full(n, run, dtype=np.int32)
    id_key = id_keys(day.ids)
    order = np.argsort(id_key, kind="stable")
    out["idkey.key"], out["idkey.doc"] = id_key[order], docs[order].astype(np.uint32)
    out.update(_csr("sets", day.sets.offsets, hashes=day.sets.hashes, chunks=day.sets.chunk_ids()))
    out.update(_csr("slots", day.slots.offsets, slots=day.slots.slots))
    out.update(_cut_lists(day.sets, mask))
    out.update(postings(keys, docs[owner] if len(owner) else np.zeros(0, np.int64), chunk))
    return out


def _csr(name: str, offsets: np.ndarray, **fields: np.ndarray) -> dict[str, np.ndarray]:
    return {f"{name}.offsets": offsets.astype(np.int64), **{f"{name}.{k}": v for k, v in fields.items()}}


def _cut_lists(sets: ShingleSets, mask: np.ndarray) -> dict[str, np.ndarray]:
    removed = ~mask
    offsets = np.concatenate([[0], np.cumsum(segment_counts(removed, sets.offsets))]).astype(np.int64)
    return _csr("cut", offsets, hashes=sets.hashes[removed].astype(np.uint32))


def postings(keys: np.ndarray, docs: np.ndarray, chunk: np.ndarray) -> dict[str, np.ndarray]:
    """Postings of chunks (rows of `keys`, a chunks x bands digest matrix): band by band, sorted by (digest,
    document, chunk)."""
    bands = keys.shape[1] if keys.ndim == 2 else 0
    digests, owners, chunks, sizes = [], [], [], []
    for band in range(bands):
        order = np.lexsort((chunk, docs, keys[:, band]))
        digests.append(keys[order, band])
        owners.append(docs[order])
        chunks.append(chunk[order])
        sizes.append(len(order))
    return merged_postings(digests, owners, chunks, sizes)


def merged_postings(
    digests: Sequence[np.ndarray], owners: Sequence[np.ndarray], chunks: Sequence[np.ndarray], sizes: Sequence[int]
) -> dict[str, np.ndarray]:
    return {
        "post.bands": np.concatenate([[0], np.cumsum(np.asarray(sizes, dtype=np.int64))]).astype(np.int64),
        "post.digest": np.concatenate([np.zeros(0, np.uint32), *digests]).astype(np.uint32),
        "post.doc": np.concatenate([np.zeros(0, np.uint32), *owners]).astype(np.uint32),
        "post.chunk": np.concatenate([np.zeros(0, np.uint8), *chunks]).astype(np.uint8),
    }


def record_arrays(
    assign: dict[int, AssignRow], events: Sequence[EventRow], dead: Sequence[int]
) -> dict[str, np.ndarray]:
    """The records of a run: documents whose assignment changed, events it changed (live) or merged away (dead)."""
    docs = sorted(assign)
    rows = [assign[d] for d in docs]
    out: dict[str, np.ndarray] = {
        "assign.key": np.array(docs, dtype=np.uint32),
        "assign.event": np.array([r.event for r in rows], dtype=np.uint32),
        "assign.rep": np.array([r.rep for r in rows], dtype=np.uint32),
        "assign.similarity": np.array([r.similarity for r in rows], dtype=np.float64),
        "assign.anchor_run": np.array([r.anchor_run for r in rows], dtype=np.int32),
        "assign.content": np.array([r.content for r in rows], dtype=np.int64),
    }
    tombstones = [EventRow(key, key, [], [], None, None) for key in dead]
    live = [True] * len(events) + [False] * len(tombstones)
    out.update(event_arrays([*events, *tombstones], live))
    return out


def event_arrays(events: Sequence[EventRow], live: Sequence[bool]) -> dict[str, np.ndarray]:
    """Event records sorted by key (members in the order given)."""
    order = sorted(range(len(events)), key=lambda k: events[k].key)
    rows = [events[k] for k in order]
    sizes = np.array([len(r.members) for r in rows], dtype=np.int64)
    out: dict[str, np.ndarray] = {
        "event.key": np.array([r.key for r in rows], dtype=np.uint32),
        "event.live": np.array([live[k] for k in order], dtype=np.uint8),
        "event.rep": np.array([r.rep for r in rows], dtype=np.uint32),
        "event.members.offsets": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        "event.members.doc": np.array([m for r in rows for m in r.members], dtype=np.uint32),
        "event.members.similarity": np.array([s for r in rows for s in r.similarity], dtype=np.float64),
    }
    out.update(string_column("event.origin", [r.origin for r in rows]))
    out.update(string_column("event.text", [r.text for r in rows]))
    return out
