"""One day against the index: find the day's copies of indexed documents, revisit only the events they touch.

A run without an index visits documents best representative first; each joins the best-scoring representative
among its better-ranked LSH candidates that it verifies against, else becomes a representative itself
(`cleaner.dedup.cluster.star_clusters`). A day changes that outcome only locally. So a run decides again, in rank
order, the day's documents together with every event holding an LSH candidate of one of them (found through the
stored postings); then, while a revisited document has become (or stopped being) a representative ranked before a
candidate outside, that candidate's event is revisited too (`_Work.propagate`). Every other document keeps its
recorded decision. With a frequent-shingle cut that has not moved, this gives one run's decisions.

Revisited documents are ranked and verified under today's cut, the exact cut over everything indexed plus the day;
the others keep the rank and decision of the last run that revisited them, and every document keeps the band keys
of its first run. That is where the two can differ (docs/INDEX.md lists it, with the measured difference).

Event ids follow the first run's anchors, as before: a group of documents takes the id of the oldest anchor it
holds (earliest run, then smallest id); a group holding none is a new event anchored at its representative; an
event whose anchor now sits in a group named after an older anchor is merged into it (its id is an alias).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleaner.dedup.cluster import priority_key, priority_rank, star_clusters
from cleaner.dedup.config import DedupConfig
from cleaner.dedup.deduplicator import chunk_band_digests, site_cut
from cleaner.dedup.lsh import bucket_pairs, chunk_candidate_pairs
from cleaner.dedup.origin import cluster_origin
from cleaner.dedup.shingles import MaskedSets, ShingleSets, content_mask
from cleaner.dedup.verify import verify_pair
from cleaner.index.cut import Cut, heavy_min, heavy_table, next_cut
from cleaner.index.features import Features, content_row
from cleaner.index.reader import Assignments, EventRecord, IndexReader
from cleaner.index.segment import AssignRow, EventRow, day_arrays, record_arrays
from cleaner.models import Member, site_key

_U32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)


@dataclass(slots=True, frozen=True)
class DocInfo:
    """What outputs show of a document: where it came from and its metadata."""

    id: str
    source: str | None
    url: str | None
    site: str | None
    title: str | None
    date: str | None


@dataclass(slots=True)
class EventChange:
    """An event created or changed by a run: its members now, and what changed since the previous run."""

    event: str
    rep: str
    origin: str | None
    members: list[Member]  # every member, old and new, sorted by id
    new: list[str]  # members added by this run's input
    created: bool  # the event first appears in this run
    previous_rep: str | None = None
    joined: list[str] = field(default_factory=list)  # earlier documents that moved into this event
    left: list[str] = field(default_factory=list)  # earlier members that now belong to another event
    absorbed: list[str] = field(default_factory=list)  # event ids merged into this one by this run
    previous_text: str | None = None  # text of the earlier representative, when this run replaced it


@dataclass(slots=True)
class IndexUpdate:
    """The result of `update_index`: the segment to add, the changes to report (nothing written yet)."""

    arrays: dict[str, np.ndarray]  # the new segment
    first_doc: int
    documents: int  # indexed documents after this run
    events: int  # live events after this run
    run: dict[str, Any]  # this run's line of the run log
    heavy_min: int
    changes: list[EventChange]
    merged: dict[str, str]  # events merged away by this run -> the event they joined
    candidates: int
    info: dict[str, DocInfo]  # every document the changes name
    similarity: dict[str, float]  # this run's documents: similarity to their representative
    texts: dict[str, str | None]  # changed events -> their representative's text, when the index has it


def update_index(
    reader: IndexReader,
    features: Features,
    texts: dict[str, str],
    config: DedupConfig,
    label: str = "",
) -> IndexUpdate:
    """Add the documents of `features` (ids not indexed yet, sorted by id) to the index `reader` reads. Pure.

    `texts` holds the day's article texts (an event's representative text is kept with the event).
    """
    run = reader.run + 1
    cut = next_cut(reader, features.sets, config)
    work = _Work(reader, features, cut, config)
    if reader.documents == 0:
        work.cluster_all()
    else:
        work.propagate()
    return work.result(run, texts, label)


class _Work:
    """The documents a run reaches, each at a place `i` here: the day's (first, in id order), then indexed ones as
    they are reached. A `revisited` document is decided again this run, ranked and verified under today's cut; the
    others keep their recorded decision and rank (they matter as candidates of revisited ones)."""

    def __init__(self, reader: IndexReader, day: Features, cut: Cut, config: DedupConfig) -> None:
        self.reader, self.day, self.cut, self.config = reader, day, cut, config
        self.base = reader.documents
        n = len(day)
        # the per-site cut counts the day's pages of each site (indexed pages are not recounted: docs/INDEX.md)
        sites = [site_key(url, site) for url, site in zip(day.urls, day.sites, strict=True)]
        self.mask = content_mask(day.sets, cut.frequent, config.df_keep_min_share, site_cut(day.sets, sites, config))
        day_content = MaskedSets(day.sets, self.mask).sizes().tolist()
        digests = chunk_band_digests(day.sets, config, self.mask)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.uint8), np.zeros((0, config.bands), np.uint32))
        self.day_owner: np.ndarray
        self.day_chunk: np.ndarray
        self.day_keys: np.ndarray
        self.day_owner, self.day_chunk, self.day_keys = digests if digests is not None else empty
        self.doc: list[int] = list(range(self.base, self.base + n))
        self.where: dict[int, int] = {d: i for i, d in enumerate(self.doc)}
        self.ids: list[str] = list(day.ids)
        self.dates: list[str | None] = list(day.dates)
        self.length: list[int] = day.lengths.tolist()
        self.content: list[int] = list(day_content)  # content shingles: the rank; today's cut for revisited ones
        self.new: list[bool] = [True] * n
        self.revisited: list[bool] = [True] * n
        self.fetched: list[bool] = [False] * n
        self.adj: list[set[int]] = [set() for _ in range(n)]
        # the recorded state of indexed documents (for new ones: none), then this run's decision
        self.old = _Recorded(n)
        self.anchor_run: list[int] = [-1] * n
        self.rep: list[int] = list(self.doc)
        self.sim: list[float] = [1.0] * n
        self.pairs = 0
        self._rank: np.ndarray | None = None
        self._scores: dict[tuple[int, int], float | None] = {}
        self.content_rows = _Rows()
        self.slot_rows = _Rows()

    def __len__(self) -> int:
        return len(self.doc)

    # --- the documents reached -----------------------------------------------------------------------------------

    def add_indexed(self, docs: Iterable[int]) -> list[int]:
        """Places of indexed documents `docs`, loading the ones not reached yet (with their recorded state)."""
        docs = [int(d) for d in docs]
        missing = np.array(sorted({d for d in docs if d not in self.where}), dtype=np.int64)
        if len(missing):
            reader = self.reader
            state = reader.assignments(missing)
            start = len(self.doc)
            self.doc += missing.tolist()
            self.where.update({d: start + k for k, d in enumerate(missing.tolist())})
            self.ids += [str(i) for i in reader.strings("doc.id", missing)]
            self.dates += reader.strings("doc.date", missing)
            self.length += reader.values("doc.length", missing, "int64").tolist()
            self.content += state.content.tolist()
            self.new += [False] * len(missing)
            self.revisited += [False] * len(missing)
            self.fetched += [False] * len(missing)
            self.adj += [set() for _ in range(len(missing))]
            self.old.extend(state)
            self.anchor_run += state.anchor_run.tolist()
            self.rep += state.rep.tolist()
            self.sim += state.similarity.tolist()
            self._rank = None
        return [self.where[d] for d in docs]

    def rank(self) -> np.ndarray:
        """Representative order of every document reached (0 = best), consistent with one run's order."""
        if self._rank is None:
            content, length = np.array(self.content, dtype=np.int64), np.array(self.length, dtype=np.int64)
            self._rank = priority_rank(self.config.representative, content, length, self.dates, self.ids)
        return self._rank

    def old_key(self, i: int) -> tuple[Any, ...]:
        """The rank key it was decided with (recorded)."""
        return priority_key(self.config.representative, self.old.content[i], self.length[i], self.dates[i], self.ids[i])

    def key(self, i: int) -> tuple[Any, ...]:
        return priority_key(self.config.representative, self.content[i], self.length[i], self.dates[i], self.ids[i])

    def is_rep(self, i: int) -> bool:
        return self.rep[i] == self.doc[i]

    def was_rep(self, i: int) -> bool:
        return not self.new[i] and self.old.rep[i] == self.doc[i]

    # --- candidates ---------------------------------------------------------------------------------------------

    def fetch(self, probes: Sequence[int]) -> None:
        """Find every candidate pair of `probes`: the chunks sharing a band bucket with theirs, indexed or new."""
        probes = [p for p in probes if not self.fetched[p]]
        if not probes:
            return
        keys = self._probe_digests(probes)
        buckets = [self._bucket(band, np.unique(keys[:, band])) for band in range(self.config.bands)]
        indexed = np.unique(np.concatenate([np.zeros(0, np.int64), *(b[3] for b in buckets)]))
        self.add_indexed(indexed[indexed >= 0].tolist())
        probing = np.zeros(len(self), dtype=bool)
        probing[probes] = True
        for b, w in zip(*self._pairs(buckets, probing), strict=True):
            if w not in self.adj[b]:
                self.adj[b].add(w)
                self.adj[w].add(b)
                self.pairs += 1
        for p in probes:
            self.fetched[p] = True

    def _probe_digests(self, probes: Sequence[int]) -> np.ndarray:
        """(chunks x bands) digests of the probes' chunks: the day's as computed today, an indexed document's
        recomputed from its stored shingles under the cut of its own day (so they equal its stored postings)."""
        fresh = [p for p in probes if self.new[p]]
        parts = [self.day_keys[np.isin(self.day_owner, fresh)]]
        old = [p for p in probes if not self.new[p]]
        if old:
            docs = np.array([self.doc[p] for p in old], dtype=np.int64)
            offsets, hashes, chunks = self.reader.rows("sets", ("hashes", "chunks"), docs)
            cut_offsets, cut_hashes = self.reader.rows("cut", ("hashes",), docs)
            sets = ShingleSets(offsets, hashes, chunks)
            digests = chunk_band_digests(sets, self.config, ~_in_rows(sets, cut_offsets, cut_hashes))
            if digests is not None:
                parts.append(digests[2])
        return np.concatenate(parts)

    def _bucket(self, band: int, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every chunk whose band-`band` digest is one of `digests`, indexed and new: (digest, day place or -1,
        chunk, indexed document or -1)."""
        found, docs, chunks = self.reader.postings(band, digests)
        day = np.flatnonzero(np.isin(self.day_keys[:, band], digests))
        return (
            np.concatenate([found, self.day_keys[day, band]]).astype(np.uint32),
            np.concatenate([np.full(len(docs), -1, np.int64), self.day_owner[day].astype(np.int64)]),
            np.concatenate([chunks, self.day_chunk[day]]).astype(np.uint8),
            np.concatenate([docs, np.full(len(day), -1, np.int64)]),
        )

    def _pairs(
        self, buckets: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], probing: np.ndarray
    ) -> tuple[list[int], list[int]]:
        """(better, worse) places of the candidate pairs with a probe in them: every band's buckets ordered as one run
        orders them and linked as `bucket_pairs` links a bucket (all bands in one call: a bucket is a (band,
        digest) and ranks are offset by band, so that each band keeps one run's order)."""
        keys: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        chunks: list[np.ndarray] = []
        for band_number, (digest, day_place, bucket_chunks, doc) in enumerate(buckets):
            place = np.where(day_place >= 0, day_place, 0)
            if (doc >= 0).any():
                place[doc >= 0] = [self.where[d] for d in doc[doc >= 0].tolist()]
            keys.append(np.uint64(band_number) << _U32 | digest.astype(np.uint64))
            owners.append(place)
            chunks.append(bucket_chunks)
        key, owner, chunk = (np.concatenate([np.zeros(0, a[0].dtype), *a]) for a in (keys, owners, chunks))
        if len(key) < 2:
            return [], []
        band = (key >> _U32).astype(np.int64)
        bucket = np.unique(key, return_inverse=True)[1].astype(np.uint32)
        order = np.lexsort((chunk, self.rank()[owner], band))  # by band, then as one run orders a band's chunks
        item_rank = np.empty(len(order), dtype=np.int64)
        item_rank[order] = np.arange(len(order), dtype=np.int64)
        packed = bucket_pairs(bucket, item_rank, self.config.max_bucket, by_rank=order)
        better, worse = owner[(packed >> _U32).astype(np.int64)], owner[(packed & _LOW32).astype(np.int64)]
        keep = (better != worse) & (probing[better] | probing[worse])
        pairs = np.unique(better[keep].astype(np.uint64) << _U32 | worse[keep].astype(np.uint64))
        return (pairs >> _U32).astype(np.int64).tolist(), (pairs & _LOW32).astype(np.int64).tolist()

    # --- decisions ----------------------------------------------------------------------------------------------

    def cluster_all(self) -> None:
        """The first run: every document is new, so the decisions are exactly one run's (`cluster_arrays`)."""
        n = len(self.day)
        rank = self.rank()
        pairs = chunk_candidate_pairs(self.day_keys, self.day_owner, self.day_chunk, rank, self.config.max_bucket)
        content = MaskedSets(self.day.sets, self.mask)
        rep, similarity = star_clusters(
            n, pairs, rank, lambda b, w: verify_pair(b, w, content, self.day.slots, self.config)
        )
        self.rep = [self.doc[r] for r in rep.tolist()]
        self.sim = similarity.tolist()
        self.pairs = len(pairs)

    def propagate(self) -> None:
        """Decide the day's documents together with every event they touch, in rank order, then widen to the events
        whose decisions those changed, until none is left."""
        day = list(range(len(self.day)))
        self.fetch(day)
        pending = self._copies_of(day)
        while True:
            if pending:
                self._revisit(pending)
            self._decide_all()
            pending = self._affected_outside()
            if not pending:
                return

    def _copies_of(self, day: Sequence[int]) -> set[int]:
        """The indexed candidates of `day` that verify with one of them under today's cut: their events are the ones
        the day touches. (A band bucket shared by chance, with no verified copy, changes no decision.)"""
        rank = self.rank()
        pairs = [(i, c) if rank[i] < rank[c] else (c, i) for i in day for c in self.adj[i] if not self.new[c]]
        self._load_rows(sorted({p for pair in pairs for p in pair}))
        return {b if self.new[w] else w for b, w in pairs if self._verify(b, w) is not None}

    def _revisit(self, docs: Iterable[int]) -> None:
        """The whole events of `docs` (places of indexed documents) are decided again: ranked under today's cut."""
        events = sorted({self.old.event[i] for i in docs})
        records = self.reader.events(np.array(events, dtype=np.int64))
        members = [m for record in records.values() if record.live for m in record.members.tolist()]
        places = [p for p in self.add_indexed(members) if not self.revisited[p]]
        places += [i for i in docs if not self.revisited[i]]
        places = sorted(set(places))
        self._load_rows(places)
        for p in places:
            self.revisited[p] = True
            self.content[p] = len(self.content_rows.rows[p])
        self._rank = None
        self.fetch(places)

    def _decide_all(self) -> None:
        rank = self.rank()
        revisited = sorted((i for i in range(len(self)) if self.revisited[i]), key=rank.__getitem__)
        self._load_rows(sorted({c for w in revisited for c in self.adj[w] if rank[c] < rank[w]} | set(revisited)))
        for w in revisited:
            self._decide(w, rank)

    def _decide(self, w: int, rank: np.ndarray) -> None:
        """Star clustering's decision for `w`: the best-scoring better-ranked representative it verifies against."""
        better = sorted((b for b in self.adj[w] if rank[b] < rank[w] and self.is_rep(b)), key=rank.__getitem__)
        best, best_score = -1, -1.0
        for b in better:  # best-ranked first, so ties keep the better representative
            score = self._verify(b, w)
            if score is not None and score > best_score:
                best, best_score = b, score
        self.rep[w] = self.doc[w] if best < 0 else self.doc[best]
        self.sim[w] = 1.0 if best < 0 else best_score

    def _verify(self, b: int, w: int) -> float | None:
        if (b, w) not in self._scores:
            self._load_rows([b, w])
            self._scores[b, w] = verify_pair(b, w, self.content_rows, self.slot_rows, self.config)  # type: ignore[arg-type]
        return self._scores[b, w]

    def _affected_outside(self) -> set[int]:
        """Documents not revisited whose decision can change: a revisited candidate ranked before them is now a
        representative that verifies with them and was not one ranked before them, or was their representative and
        is not one any more."""
        rank = self.rank()
        gained: list[tuple[int, int]] = []
        affected: set[int] = set()
        for b in (i for i in range(len(self)) if self.revisited[i]):
            for c in self.adj[b]:
                if self.revisited[c]:
                    continue
                now = self.is_rep(b) and rank[b] < rank[c]
                before = self.was_rep(b) and self.old_key(b) < self.key(c)
                if now and not before:
                    gained.append((b, c))
                elif before and not now and self.old.rep[c] == self.doc[b]:
                    affected.add(c)
        self._load_rows(sorted({p for pair in gained for p in pair}))
        return affected | {c for b, c in gained if self._verify(b, c) is not None}

    def _load_rows(self, places: Sequence[int]) -> None:
        """Content shingles (under today's cut) and value slots of `places`, for verification."""
        todo = [i for i in places if i not in self.content_rows.rows]
        cut, share = self.cut.frequent, self.config.df_keep_min_share
        for i in todo:
            if self.new[i]:  # the day's cut, per site included, as the postings were made
                lo, hi = int(self.day.sets.offsets[i]), int(self.day.sets.offsets[i + 1])
                self.content_rows.rows[i] = self.day.sets.hashes[lo:hi][self.mask[lo:hi]]
                self.slot_rows.rows[i] = self.day.slots.row(i)
        old = [i for i in todo if not self.new[i]]
        if old:
            docs = np.array([self.doc[i] for i in old], dtype=np.int64)
            offsets, hashes = self.reader.rows("sets", ("hashes",), docs)
            slot_offsets, slots = self.reader.rows("slots", ("slots",), docs)
            for k, i in enumerate(old):
                self.content_rows.rows[i] = content_row(hashes[offsets[k] : offsets[k + 1]], cut, share)
                self.slot_rows.rows[i] = slots[slot_offsets[k] : slot_offsets[k + 1]].tolist()

    # --- the result ---------------------------------------------------------------------------------------------

    def result(self, run: int, texts: dict[str, str], label: str) -> IndexUpdate:
        return _Result(self, run, texts).build(label)


class _Recorded:
    """The recorded state of the documents reached, by place (new documents have none: -1)."""

    def __init__(self, n: int) -> None:
        self.event: list[int] = [-1] * n
        self.rep: list[int] = [-1] * n
        self.sim: list[float] = [1.0] * n
        self.anchor_run: list[int] = [-1] * n
        self.content: list[int] = [-1] * n

    def extend(self, state: Assignments) -> None:
        self.event += state.event.tolist()
        self.rep += state.rep.tolist()
        self.sim += state.similarity.tolist()
        self.anchor_run += state.anchor_run.tolist()
        self.content += state.content.tolist()


class _Rows:
    """Rows by place, as `verify_pair` reads them (`.row(i)`)."""

    def __init__(self) -> None:
        self.rows: dict[int, Any] = {}

    def row(self, i: int) -> Any:
        return self.rows[i]


def _in_rows(sets: ShingleSets, offsets: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mask over `sets.hashes`: whether each hash is among its own row's `values` (CSR with `offsets`)."""
    owner = sets.doc_index().astype(np.uint64)
    keys = owner << _U32 | sets.hashes.astype(np.uint64)
    value_owner = np.repeat(np.arange(len(offsets) - 1, dtype=np.uint64), np.diff(offsets))
    table = np.sort(value_owner << _U32 | values.astype(np.uint64))
    if len(table) == 0:
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[at] == keys


class _Result:
    """Groups, event names, changes and the records to store, from the decisions of a `_Work`."""

    def __init__(self, work: _Work, run: int, texts: dict[str, str]) -> None:
        self.work, self.run, self.texts = work, run, texts
        self.reader = work.reader
        self.changed = {i for i in range(len(work)) if work.revisited[i] and self._moved(i)}
        self.info = _Info(work)

    def _moved(self, i: int) -> bool:
        w = self.work
        return w.new[i] or (w.rep[i], w.sim[i], w.content[i]) != (w.old.rep[i], w.old.sim[i], w.old.content[i])

    def id_of(self, doc: int) -> str:
        w = self.work
        return w.ids[w.add_indexed([doc])[0]]

    def build(self, label: str) -> IndexUpdate:
        w = self.work
        groups = self._groups()
        heads = {rep: self._head(rep, members) for rep, members in groups.items()}
        event = {m: w.doc[heads[rep]] for rep, members in groups.items() for m in members}
        old_keys = {w.old.event[m] for m in event if not w.new[m]}
        live_now = {w.doc[h] for h in heads.values()}
        records = self.reader.events(np.array(sorted(old_keys | live_now), dtype=np.int64))
        old_events = {k: r for k, r in records.items() if r.live}
        dead = sorted(k for k in old_keys - live_now if k in old_events)
        changes: list[EventChange] = []
        rows: list[EventRow] = []
        texts: dict[str, str | None] = {}
        named: list[int] = []  # places the changes name
        w.add_indexed(d for record in old_events.values() for d in _members_of(record))
        self.info.load_origins(event)
        for rep, members in groups.items():
            key = w.doc[heads[rep]]
            ordered = sorted(members, key=w.rank().__getitem__)
            origin = cluster_origin(self.info.origins(ordered))
            text = self._rep_text(rep, old_events)
            rows.append(
                EventRow(key, w.doc[rep], [w.doc[m] for m in ordered], [w.sim[m] for m in ordered], origin, text)
            )
            change = self._change(key, rep, ordered, origin, old_events.get(key), set(dead))
            if change is not None:
                changes.append(change)
                texts[change.event] = text
                named += [*ordered, *w.add_indexed(_members_of(old_events.get(key)))]
        self.info.note(named)
        return self._update(label, groups, event, rows, dead, changes, texts, len(live_now - old_events.keys()))

    def _update(
        self,
        label: str,
        groups: dict[int, list[int]],
        event: dict[int, int],
        rows: list[EventRow],
        dead: list[int],
        changes: list[EventChange],
        texts: dict[str, str | None],
        created: int,
    ) -> IndexUpdate:
        w = self.work
        gen = self.reader.generation
        events = (gen.events if gen is not None else 0) + created - len(dead)
        documents = self.reader.documents + len(w.day)
        log = {
            "run": self.run,
            "label": label,
            "documents": len(w.day),
            "indexed": documents,
            "events": events,
            "changed": len(changes),
            "revisited": sum(1 for i in range(len(w.day), len(w)) if w.revisited[i]),
            "frequent_shingles": len(w.cut.frequent),
        }
        heavy = heavy_min(len(w.day), w.config)
        arrays = day_arrays(w.day, w.base, self.run, w.mask, w.day_owner, w.day_chunk, w.day_keys)
        arrays.update(_count_arrays(w.cut, heavy))
        arrays.update(record_arrays(self._assign_records(groups, event), rows, dead))
        return IndexUpdate(
            arrays=arrays,
            first_doc=w.base,
            documents=documents,
            events=events,
            run=log,
            heavy_min=heavy,
            changes=sorted(changes, key=lambda c: c.event),
            merged={self.id_of(k): self.id_of(event[w.where[k]]) for k in dead},
            candidates=w.pairs,
            info=self.info.infos,
            similarity={w.ids[i]: w.sim[i] for i in range(len(w.day))},
            texts=texts,
        )

    def _groups(self) -> dict[int, list[int]]:
        """Place of each representative whose group changed -> places of its members now (itself included)."""
        w = self.work
        reps = {w.rep[i] for i in self.changed} | {w.old.rep[i] for i in self.changed if not w.new[i]}
        places = [p for p in w.add_indexed(sorted(reps)) if w.is_rep(p)]
        groups: dict[int, set[int]] = {p: {p} for p in places}
        kept_before = [p for p in places if not w.new[p] and w.old.rep[p] == w.doc[p]]
        records = self.reader.events(np.array([w.old.event[p] for p in kept_before], dtype=np.int64))
        for p in kept_before:  # a representative before: its members stay, unless they moved
            staying = w.add_indexed(_members_of(records.get(w.old.event[p])))
            groups[p].update(m for m in staying if m not in self.changed or w.rep[m] == w.doc[p])
        for i in self.changed:
            groups[w.where[w.rep[i]]].add(i)
        return {rep: sorted(members) for rep, members in groups.items()}

    def _head(self, rep: int, members: list[int]) -> int:
        """The member whose id names the group's event: its oldest anchor, or its representative (a new event)."""
        w = self.work
        anchors = [m for m in members if w.anchor_run[m] >= 0]
        if anchors:
            return min(anchors, key=lambda m: (w.anchor_run[m], w.ids[m]))
        w.anchor_run[rep] = self.run
        return rep

    def _rep_text(self, rep: int, old_events: dict[int, EventRecord]) -> str | None:
        """The representative's text: this run's article, else the one kept with the event it represented."""
        w = self.work
        if w.new[rep]:
            return self.texts.get(w.ids[rep])
        if w.old.rep[rep] != w.doc[rep]:
            return None  # a member until now: the index never had its text
        record = old_events.get(w.old.event[rep])
        if record is None:
            record = self.reader.events(np.array([w.old.event[rep]])).get(w.old.event[rep])
        return record.text if record is not None else None

    def _change(
        self, key: int, rep: int, members: list[int], origin: str | None, previous: EventRecord | None, dead: set[int]
    ) -> EventChange | None:
        """The event's line in this run's outputs, or None when it did not change."""
        w = self.work
        added = sorted(w.ids[m] for m in members if w.new[m])
        moved_in = [m for m in members if not w.new[m] and w.old.event[m] != key]
        left = sorted({self.id_of(d) for d in _members_of(previous)} - {w.ids[m] for m in members})
        if not (added or moved_in or left) and previous is not None and previous.rep == w.doc[rep]:
            return None
        return EventChange(
            event=self.id_of(key),
            rep=w.ids[rep],
            origin=origin,
            members=sorted((Member(w.ids[m], round(float(w.sim[m]), 4)) for m in members), key=lambda m: m.id),
            new=added,
            created=previous is None,
            previous_rep=self.id_of(previous.rep) if previous is not None else None,
            joined=sorted(w.ids[m] for m in moved_in),
            left=left,
            absorbed=sorted({self.id_of(w.old.event[m]) for m in moved_in if w.old.event[m] in dead}),
            previous_text=previous.text if previous is not None and previous.rep != w.doc[rep] else None,
        )

    def _assign_records(self, groups: dict[int, list[int]], event: dict[int, int]) -> dict[int, AssignRow]:
        """Document -> its new record, for every document whose event, representative, similarity, anchor run or
        rank changed (every new document)."""
        w = self.work
        out: dict[int, AssignRow] = {}
        for members in groups.values():
            for m in members:
                row = AssignRow(event[m], w.rep[m], float(w.sim[m]), w.anchor_run[m], w.content[m])
                recorded = AssignRow(w.old.event[m], w.old.rep[m], w.old.sim[m], w.old.anchor_run[m], w.old.content[m])
                if w.new[m] or row != recorded:
                    out[w.doc[m]] = row
        return out


def _members_of(record: EventRecord | None) -> list[int]:
    return record.members.tolist() if record is not None and record.live else []


class _Info:
    """Metadata of the documents that outputs name, read once for all of them."""

    def __init__(self, work: _Work) -> None:
        self.work = work
        self.infos: dict[str, DocInfo] = {}
        self._origins: dict[int, str | None] = {}

    def note(self, places: Iterable[int]) -> None:
        w, day = self.work, self.work.day
        todo = sorted({p for p in places if w.ids[p] not in self.infos})
        for p in (p for p in todo if w.new[p]):
            self.infos[day.ids[p]] = DocInfo(
                day.ids[p], day.sources[p], day.urls[p], day.sites[p], day.titles[p], day.dates[p]
            )
        old = [p for p in todo if not w.new[p]]
        if old:
            docs = np.array([w.doc[p] for p in old], dtype=np.int64)
            columns = [w.reader.strings(f"doc.{name}", docs) for name in ("source", "url", "site", "title", "date")]
            for k, p in enumerate(old):
                self.infos[w.ids[p]] = DocInfo(w.ids[p], *(column[k] for column in columns))

    def load_origins(self, places: Iterable[int]) -> None:
        """Read the credited agencies of `places` at once (the indexed ones are stored)."""
        w = self.work
        old = sorted(p for p in places if not w.new[p])
        stored = w.reader.strings("doc.origin", np.array([w.doc[p] for p in old], dtype=np.int64))
        self._origins = dict(zip(old, stored, strict=True))

    def origins(self, places: Sequence[int]) -> list[str | None]:
        """Credited agencies of `places` (loaded by `load_origins`), in that order."""
        w = self.work
        return [w.day.origins[p] if w.new[p] else self._origins[p] for p in places]


def _count_arrays(cut: Cut, heavy: int) -> dict[str, np.ndarray]:
    heavy_hashes, heavy_counts = heavy_table(cut.day_hashes, cut.day_counts, heavy)
    return {
        "count.hash": cut.day_hashes.astype(np.uint32),
        "count.n": cut.day_counts.astype(np.uint32),
        "heavy.hash": heavy_hashes.astype(np.uint32),
        "heavy.n": heavy_counts.astype(np.uint32),
        "frequent.hash": cut.frequent.astype(np.uint32),
        "frequent.n": cut.frequent_counts.astype(np.uint64),
    }
