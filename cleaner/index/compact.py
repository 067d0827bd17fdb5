"""Merging segments, so that a run searches a few of them, not one per day.

Policy (size-tiered, as LSM stores do): a segment's tier is log4 of its documents over TIER_BASE; whenever the
newest FANOUT segments share a tier, they are merged into one (which may then complete a tier above). A document
is rewritten about log4(index / day) times over its life, and a run searches at most FANOUT - 1 segments per tier.

A merge streams: per-document arrays are copied piece by piece, postings band by band, shingle counts hash range by
hash range, and records keep the newest of each key, so its memory stays far below the segments' size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cleaner.dedup.config import DedupConfig
from cleaner.index import arrays
from cleaner.index.cut import heavy_min
from cleaner.index.segment import DOC_COLUMNS
from cleaner.index.store import Segment, SegmentInfo, SegmentWriter, Store

FANOUT = 4
TIER_BASE = 1024
_PIECE = 1 << 24  # items copied at once
_HASH_RANGES = 64  # count tables are merged one 1/64 of the hash range at a time
_RECORDS_AT_ONCE = 1 << 16  # event records whose strings are gathered at once


def tier(documents: int) -> int:
    return int(math.log(max(documents, 1) / TIER_BASE, FANOUT)) if documents > TIER_BASE else 0


def plan(sizes: Sequence[int]) -> int:
    """How many of the newest segments (documents each, oldest first) to merge now: FANOUT or 0."""
    if len(sizes) < FANOUT:
        return 0
    tail = [tier(n) for n in sizes[-FANOUT:]]
    return FANOUT if len(set(tail)) == 1 else 0


def compact(store: Store, generation: int, segments: list[SegmentInfo], config: DedupConfig) -> list[SegmentInfo]:
    """The segment list after merging the newest ones as `plan` says, repeatedly (merged segments are written as
    seg-GENERATION-1, -2, ...; nothing is committed here)."""
    k = 0
    while (count := plan([s.docs for s in segments])) > 0:
        k += 1
        merged = merge(
            store, generation, k, [store.segment(s) for s in segments[-count:]], len(segments) == count, config
        )
        segments = [*segments[:-count], merged]
    return segments


def merge(
    store: Store, generation: int, k: int, parts: Sequence[Segment], oldest: bool, config: DedupConfig
) -> SegmentInfo:
    """One segment holding the documents, postings, counts and newest records of `parts` (consecutive, oldest
    first). With `oldest` (no segment before them), records of events merged away are dropped: nothing older can
    hold a live record they must hide."""
    for part in parts:
        part.verify()  # read whole anyway: a damaged file must not spread into the merged segment
    documents = sum(len(p) for p in parts)
    heavy = heavy_min(documents, config)
    with store.segment_writer(generation, k) as writer:
        _documents(writer, parts)
        _ids(writer, parts)
        _postings(writer, parts, config.bands)
        _counts(writer, parts, heavy)
        for name in ("frequent.hash", "frequent.n"):
            writer.add(name, parts[-1].load(name))
        _assignments(writer, parts)
        _events(writer, parts, drop_dead=oldest)
        meta: dict[str, Any] = {"first_doc": parts[0].first_doc, "docs": documents, "heavy_min": heavy}
        meta["runs"] = (parts[0].info.runs[0], parts[-1].info.runs[1])
        return writer.finish(meta)


def _copy(writer: SegmentWriter, name: str, parts: Sequence[Segment]) -> None:
    """Concatenate array `name` of every part, a piece at a time."""
    for part in parts:
        total = part.length(name)
        for lo in range(0, max(total, 1), _PIECE):
            hi = min(lo + _PIECE, total)
            writer.append(name, part.window(name, lo, hi))
            part.release(name, lo, hi)


def _copy_offsets(writer: SegmentWriter, name: str, parts: Sequence[Segment]) -> None:
    """Concatenate CSR offsets (each part's first 0 dropped, shifted by the items before it)."""
    writer.append(name, np.zeros(1, dtype=np.int64))
    before = 0
    for part in parts:
        offsets = part.load(name)
        writer.append(name, offsets[1:] + before)
        before += int(offsets[-1])


def _documents(writer: SegmentWriter, parts: Sequence[Segment]) -> None:
    for column in DOC_COLUMNS.values():
        _copy(writer, f"doc.{column}.blob", parts)
        _copy_offsets(writer, f"doc.{column}.offsets", parts)
        _copy(writer, f"doc.{column}.null", parts)
    for name in ("doc.length", "doc.first_run"):
        _copy(writer, name, parts)
    for table, fields in (("sets", ("hashes", "chunks")), ("slots", ("slots",)), ("cut", ("hashes",))):
        _copy_offsets(writer, f"{table}.offsets", parts)
        for field in fields:
            _copy(writer, f"{table}.{field}", parts)


def _ids(writer: SegmentWriter, parts: Sequence[Segment]) -> None:
    keys = np.concatenate([p.load("idkey.key") for p in parts])
    docs = np.concatenate([p.load("idkey.doc") for p in parts])
    order = np.argsort(keys, kind="stable")
    writer.add("idkey.key", keys[order])
    writer.add("idkey.doc", docs[order])


def _postings(writer: SegmentWriter, parts: Sequence[Segment], bands: int) -> None:
    sizes = [0] * bands
    for band in range(bands):
        columns: dict[str, list[np.ndarray]] = {"digest": [], "doc": [], "chunk": []}
        for part in parts:
            bounds = part.load("post.bands")
            lo, hi = int(bounds[band]), int(bounds[band + 1])
            for field, values in columns.items():
                values.append(np.array(part.window(f"post.{field}", lo, hi)))
                part.release(f"post.{field}", lo, hi)
        digest, doc, chunk = (np.concatenate(v) for v in columns.values())
        order = np.lexsort((chunk, doc, digest))
        writer.append("post.digest", digest[order].astype(np.uint32))
        writer.append("post.doc", doc[order].astype(np.uint32))
        writer.append("post.chunk", chunk[order].astype(np.uint8))
        sizes[band] = len(order)
    writer.add("post.bands", np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))


def _counts(writer: SegmentWriter, parts: Sequence[Segment], heavy: int) -> None:
    edges = np.linspace(0, 1 << 32, _HASH_RANGES + 1).astype(np.int64)
    heavy_hashes, heavy_counts = [], []
    writer.append("count.hash", np.zeros(0, dtype=np.uint32))
    writer.append("count.n", np.zeros(0, dtype=np.uint32))
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        hashes, counts = [], []
        for part in parts:
            table = part.array("count.hash")
            a = int(np.searchsorted(table, np.uint32(lo)))  # only the pages of a binary search are read
            b = len(table) if hi >= 1 << 32 else int(np.searchsorted(table, np.uint32(hi)))
            hashes.append(np.array(table[a:b]))
            counts.append(np.array(part.window("count.n", a, b)))
            part.release("count.hash", a, b)
            part.release("count.n", a, b)
        unique, inverse = np.unique(np.concatenate(hashes), return_inverse=True)
        totals = np.bincount(inverse, weights=np.concatenate(counts), minlength=len(unique)).astype(np.uint32)
        writer.append("count.hash", unique.astype(np.uint32))
        writer.append("count.n", totals)
        heavy_hashes.append(unique[totals >= heavy])
        heavy_counts.append(totals[totals >= heavy])
    writer.add("heavy.hash", np.concatenate(heavy_hashes).astype(np.uint32))
    writer.add("heavy.n", np.concatenate(heavy_counts).astype(np.uint32))


def _newest_rows(parts: Sequence[Segment], table: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(key, part, row) of the newest record of every key over `parts`, sorted by key."""
    keys = [p.load(f"{table}.key").astype(np.int64) for p in parts]
    key = np.concatenate([np.zeros(0, np.int64), *keys])
    part = np.concatenate([np.zeros(0, np.int64), *(np.full(len(k), i, np.int64) for i, k in enumerate(keys))])
    row = np.concatenate([np.zeros(0, np.int64), *(np.arange(len(k), dtype=np.int64) for k in keys)])
    order = np.lexsort((-part, key))
    first = np.concatenate([[True], key[order][1:] != key[order][:-1]]) if len(order) else np.zeros(0, bool)
    pick = order[first]
    return key[pick], part[pick], row[pick]


def _gather(parts: Sequence[Segment], name: str, part: np.ndarray, row: np.ndarray) -> np.ndarray:
    out = np.zeros(len(row), dtype=np.dtype(parts[0].info.files[name].dtype))
    for i, segment in enumerate(parts):
        mine = part == i
        out[mine] = segment.take(name, row[mine])
    return out


def _assignments(writer: SegmentWriter, parts: Sequence[Segment]) -> None:
    key, part, row = _newest_rows(parts, "assign")
    writer.add("assign.key", key.astype(np.uint32))
    for field in ("event", "rep", "similarity", "anchor_run", "content"):
        writer.add(f"assign.{field}", _gather(parts, f"assign.{field}", part, row))


def _events(writer: SegmentWriter, parts: Sequence[Segment], drop_dead: bool) -> None:
    key, part, row = _newest_rows(parts, "event")
    if drop_dead:
        live = _gather(parts, "event.live", part, row).astype(bool)
        key, part, row = key[live], part[live], row[live]
    writer.add("event.key", key.astype(np.uint32))
    for field in ("live", "rep"):
        writer.add(f"event.{field}", _gather(parts, f"event.{field}", part, row))
    _event_members(writer, parts, part, row)
    for column in ("origin", "text"):
        _event_strings(writer, parts, column, part, row)


def _event_members(writer: SegmentWriter, parts: Sequence[Segment], part: np.ndarray, row: np.ndarray) -> None:
    sizes = np.zeros(len(row), dtype=np.int64)
    found: list[tuple[np.ndarray, tuple[np.ndarray, ...]]] = []
    for i, segment in enumerate(parts):
        mine = np.flatnonzero(part == i)
        rows_offsets, *member_values = arrays.csr_rows(segment, "event.members", ("doc", "similarity"), row[mine])
        sizes[mine] = np.diff(rows_offsets)
        found.append((mine, tuple(member_values)))
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    for k, field in enumerate(("doc", "similarity")):
        name = f"event.members.{field}"
        out = np.zeros(int(offsets[-1]), dtype=np.dtype(parts[0].info.files[name].dtype))
        for mine, values in found:
            out[arrays.ranges_of(offsets, mine)] = values[k]
        writer.add(name, out)
    writer.add("event.members.offsets", offsets)


def _event_strings(
    writer: SegmentWriter, parts: Sequence[Segment], column: str, part: np.ndarray, row: np.ndarray
) -> None:
    """A string column of the chosen records, in key order, a batch of records at a time."""
    name = f"event.{column}"
    writer.append(f"{name}.offsets", np.zeros(1, dtype=np.int64))
    writer.append(f"{name}.blob", np.zeros(0, dtype=np.uint8))
    writer.append(f"{name}.null", np.zeros(0, dtype=np.uint8))
    before = 0
    for lo in range(0, len(row), _RECORDS_AT_ONCE):
        values: list[str | None] = [None] * min(_RECORDS_AT_ONCE, len(row) - lo)
        for i, segment in enumerate(parts):
            mine = np.flatnonzero(part[lo : lo + len(values)] == i)
            for k, value in zip(mine.tolist(), arrays.read_strings(segment, name, row[lo + mine]), strict=True):
                values[k] = value
        piece = arrays.string_column(name, values)
        writer.append(f"{name}.blob", piece[f"{name}.blob"])
        writer.append(f"{name}.offsets", piece[f"{name}.offsets"][1:] + before)
        writer.append(f"{name}.null", piece[f"{name}.null"])
        before += int(piece[f"{name}.offsets"][-1])
