"""Reading an index's current state without replaying days: every live event with its members (`cleaner index
show`), and what the index holds and weighs (`cleaner index stats`)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cleaner.errors import InputError
from cleaner.index.core import open_index
from cleaner.index.reader import IndexReader
from cleaner.index.store import Segment
from cleaner.outputs.records import EventLine, RepresentativeLine, SourceLine

_EVENTS_AT_ONCE = 4096  # events whose members are read at once: memory stays flat however large the index


@dataclass(slots=True, frozen=True)
class _Current:
    """The newest record of every key of one record table: its key, segment and row, sorted by key."""

    key: np.ndarray
    segment: np.ndarray
    row: np.ndarray


def _current(segments: Sequence[Segment], table: str) -> _Current:
    keys = [s.load(f"{table}.key").astype(np.int64) for s in segments]
    key = np.concatenate([np.zeros(0, np.int64), *keys])
    segment = np.concatenate([np.zeros(0, np.int64), *(np.full(len(k), i, np.int64) for i, k in enumerate(keys))])
    row = np.concatenate([np.zeros(0, np.int64), *(np.arange(len(k), dtype=np.int64) for k in keys)])
    order = np.lexsort((-segment, key))
    first = np.concatenate([[True], key[order][1:] != key[order][:-1]]) if len(order) else np.zeros(0, bool)
    pick = order[first]
    return _Current(key[pick], segment[pick], row[pick])


def _column(segments: Sequence[Segment], name: str, current: _Current, dtype: str) -> np.ndarray:
    out = np.zeros(len(current.key), dtype=dtype)
    for i, segment in enumerate(segments):
        mine = current.segment == i
        out[mine] = segment.take(name, current.row[mine])
    return out


def _existing(index_dir: str | os.PathLike[str]) -> IndexReader:
    """The index in a folder that must exist (reading a mistyped path must not look like reading an empty index)."""
    if not Path(index_dir).is_dir():
        raise InputError(f"{index_dir} is not a folder: give the folder that --index was given")
    return open_index(index_dir)


def iter_events(index_dir: str | os.PathLike[str]) -> Iterator[EventLine]:
    """Every live event of the index, sorted by event id: representative, members (sorted by id), aliases."""
    reader = _existing(index_dir)
    try:
        yield from _events(reader)
    finally:
        reader.close()


def _events(reader: IndexReader) -> Iterator[EventLine]:
    events = _current(reader.segments, "event")
    live = _column(reader.segments, "event.live", events, "uint8").astype(bool)
    keys = events.key[live]
    ids = [str(i) for i in reader.strings("doc.id", keys)]
    aliases = _aliases(reader)
    order = sorted(range(len(keys)), key=ids.__getitem__)
    for lo in range(0, len(order), _EVENTS_AT_ONCE):
        batch = keys[order[lo : lo + _EVENTS_AT_ONCE]]
        records = reader.events(batch)
        members = np.unique(np.concatenate([np.zeros(0, np.int64), *(records[k].members for k in batch.tolist())]))
        info = _Metadata(reader, members)
        for key in batch.tolist():
            record = records[key]
            sources = sorted(
                (info.source(m, s) for m, s in zip(record.members.tolist(), record.similarity.tolist(), strict=True)),
                key=lambda line: line.id,
            )
            yield EventLine(
                event=info.id(key),
                kept=info.id(record.rep),
                size=len(sources),
                origin=record.origin,
                aliases=sorted(aliases.get(key, [])),
                representative=info.representative(record.rep, record.text),
                sources=sources,
            )


def _aliases(reader: IndexReader) -> dict[int, list[str]]:
    """Event key -> ids of the events merged into it: anchors whose current event is another one."""
    current = _current(reader.segments, "assign")
    anchor_run = _column(reader.segments, "assign.anchor_run", current, "int32")
    event = _column(reader.segments, "assign.event", current, "int64")
    merged = np.flatnonzero((anchor_run >= 0) & (event != current.key))
    ids = reader.strings("doc.id", current.key[merged])
    out: dict[int, list[str]] = {}
    for target, alias in zip(event[merged].tolist(), ids, strict=True):
        out.setdefault(target, []).append(str(alias))
    return out


class _Metadata:
    """Ids and metadata of a batch of documents, read once."""

    def __init__(self, reader: IndexReader, docs: np.ndarray) -> None:
        self.position = {d: i for i, d in enumerate(docs.tolist())}
        names = ("id", "source", "url", "site", "title", "date")
        self.columns = {name: reader.strings(f"doc.{name}", docs) for name in names}
        self.reader = reader

    def _get(self, name: str, doc: int) -> Any:
        if doc in self.position:
            return self.columns[name][self.position[doc]]
        return self.reader.strings(f"doc.{name}", np.array([doc]))[0]

    def id(self, doc: int) -> str:
        return str(self._get("id", doc))

    def source(self, doc: int, similarity: float) -> SourceLine:
        url, site, title, date = (self._get(name, doc) for name in ("url", "site", "title", "date"))
        return SourceLine(self.id(doc), url, site, title, date, round(similarity, 4))

    def representative(self, doc: int, text: str | None) -> RepresentativeLine:
        source, url, site, title, date = (self._get(name, doc) for name in ("source", "url", "site", "title", "date"))
        return RepresentativeLine(self.id(doc), source, url, site, title, date, text)


def index_stats(index_dir: str | os.PathLike[str], verify: bool = False) -> dict[str, Any]:
    """Documents, events, runs, segments and bytes of an index (read from its generation file); with `verify`, every
    file is checked against its checksum first."""
    reader = _existing(index_dir)
    try:
        generation = reader.generation
        if generation is None:
            return {"documents": 0, "events": 0, "runs": 0, "generation": 0, "segments": [], "bytes": 0}
        if verify:
            for segment in reader.segments:
                segment.verify()
        data = sum(s.bytes for s in generation.segments)
        return {
            "documents": generation.documents,
            "events": generation.events,
            "runs": len(generation.runs),
            "generation": generation.number,
            "segments": [
                {"name": s.name, "documents": s.docs, "runs": list(s.runs), "bytes": s.bytes}
                for s in generation.segments
            ],
            "bytes": data,
            "bytes_per_document": round(data / generation.documents, 1) if generation.documents else 0.0,
            "frequent_shingles": len(reader.frequent()[0]),
            "last_run": generation.runs[-1] if generation.runs else None,
            "verified": verify,
        }
    finally:
        reader.close()
