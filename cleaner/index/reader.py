"""Read access to the segments of one generation: documents by number, ids, postings, shingle counts and the
current record of each document and event (the newest segment holding one wins).

Documents are numbered in the order they were indexed; segment k holds numbers [first_doc, first_doc + docs). Every
lookup takes a batch of keys and touches only the pages that hold them (or scans a sorted table window by window),
so a run reads what its documents need, never the whole index.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import xxhash

from cleaner.index import arrays
from cleaner.index.store import Generation, Segment, Store


def id_keys(ids: Sequence[str]) -> np.ndarray:
    """64-bit keys of document ids (the id table is sorted by them; the id itself is compared after a hit)."""
    return np.fromiter(
        (xxhash.xxh3_64_intdigest(i.encode("utf-8", "surrogatepass")) for i in ids), dtype=np.uint64, count=len(ids)
    )


@dataclass(slots=True)
class Assignments:
    """The current record of some documents: the event (its anchor document), representative and similarity, and
    the run whose new event the document anchors (-1: none), and its content shingles under the cut it was last
    decided with (its rank)."""

    event: np.ndarray  # int64 document numbers
    rep: np.ndarray
    similarity: np.ndarray
    anchor_run: np.ndarray
    content: np.ndarray


@dataclass(slots=True)
class EventRecord:
    """The current record of an event (keyed by its anchor document): live or merged away, and if live, its
    representative, members (document numbers) with their similarity, credited agency and representative text."""

    key: int
    live: bool
    rep: int
    members: np.ndarray
    similarity: np.ndarray
    origin: str | None
    text: str | None


F = TypeVar("F", bound=Callable[..., Any])


def _releasing(method: F) -> F:
    """After a lookup, the mapped pages it touched leave the process (they stay in the page cache): the kernel maps
    up to 64 KB around every page a lookup reads, so scattered reads would otherwise add up to whole arrays."""

    @functools.wraps(method)
    def wrapper(self: IndexReader, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            for segment in self.segments:
                segment.release_all()

    return wrapper  # type: ignore[return-value]


class IndexReader:
    """The segments of one generation (an empty index has none)."""

    def __init__(self, store: Store, generation: Generation | None) -> None:
        self.store = store
        self.generation = generation
        infos = generation.segments if generation is not None else []
        self.segments: list[Segment] = [store.segment(info) for info in infos]
        self.starts = np.array([s.first_doc for s in self.segments] + [self.documents], dtype=np.int64)
        self._bands: list[np.ndarray] | None = None

    @property
    def documents(self) -> int:
        return self.generation.documents if self.generation is not None else 0

    @property
    def run(self) -> int:
        """Runs committed so far."""
        return len(self.generation.runs) if self.generation is not None else 0

    def close(self) -> None:
        for segment in self.segments:
            segment.close()

    # --- documents by number ---------------------------------------------------------------------------------

    def locate(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(segment index, row in it) of each document number."""
        docs = np.asarray(docs, dtype=np.int64)
        where = np.searchsorted(self.starts, docs, side="right") - 1
        return where, docs - self.starts[where]

    def _by_segment(self, docs: np.ndarray) -> list[tuple[Segment, np.ndarray, np.ndarray]]:
        """(segment, positions in `docs`, rows) for each segment holding some of `docs`."""
        where, rows = self.locate(docs)
        return [(self.segments[s], np.flatnonzero(where == s), rows[where == s]) for s in np.unique(where).tolist()]

    @_releasing
    def values(self, name: str, docs: np.ndarray, dtype: str) -> np.ndarray:
        """A per-document array (`doc.length`, `doc.first_run`) for `docs`."""
        out = np.zeros(len(docs), dtype=dtype)
        for segment, at, rows in self._by_segment(docs):
            out[at] = segment.take(name, rows)
        return out

    @_releasing
    def strings(self, name: str, docs: np.ndarray) -> list[str | None]:
        """A per-document string column (`doc.id`, `doc.source`, `doc.url`, ...) for `docs`."""
        out: list[str | None] = [None] * len(docs)
        for segment, at, rows in self._by_segment(docs):
            for i, value in zip(at.tolist(), arrays.read_strings(segment, name, rows), strict=True):
                out[i] = value
        return out

    @_releasing
    def rows(self, table: str, fields: Sequence[str], docs: np.ndarray) -> tuple[np.ndarray, ...]:
        """(offsets, field arrays...) of CSR table `table` (`sets`, `slots`, `cut`) for `docs`, in their order."""
        sizes = np.zeros(len(docs), dtype=np.int64)
        parts: list[tuple[np.ndarray, list[np.ndarray]]] = []
        for segment, at, rows in self._by_segment(docs):
            offsets, *values = arrays.csr_rows(segment, table, fields, rows)
            sizes[at] = np.diff(offsets)
            parts.append((at, values))
        out_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        outs = [np.zeros(int(out_offsets[-1]), dtype=self._dtype(table, f)) for f in fields]
        for at, values in parts:
            target = arrays.ranges_of(out_offsets, at)
            for out, value in zip(outs, values, strict=True):
                out[target] = value
        return (out_offsets, *outs)

    def _dtype(self, table: str, field: str) -> np.dtype:
        return np.dtype(self.segments[0].info.files[f"{table}.{field}"].dtype)

    # --- ids -----------------------------------------------------------------------------------------------------

    @_releasing
    def find_ids(self, ids: Sequence[str]) -> np.ndarray:
        """The document number of each id, -1 for ids not indexed."""
        if not ids or not self.segments:
            return np.full(len(ids), -1, dtype=np.int64)
        unique, inverse = np.unique(id_keys(ids), return_inverse=True)
        doc_of = np.full(len(unique), -1, dtype=np.int64)
        for segment in self.segments:
            at = arrays.find_sorted(segment, "idkey.key", unique)
            hit = at >= 0
            doc_of[hit] = segment.take("idkey.doc", at[hit])
        found = doc_of[inverse]
        confirmed = self.strings("doc.id", found[found >= 0])
        for position, value in zip(np.flatnonzero(found >= 0).tolist(), confirmed, strict=True):
            if value != ids[position]:  # a 64-bit key collision, not the same id
                found[position] = -1
        return found

    # --- current records ---------------------------------------------------------------------------------------

    @_releasing
    def assignments(self, docs: np.ndarray) -> Assignments:
        """The current record of each of `docs` (every indexed document has one)."""
        docs = np.asarray(docs, dtype=np.int64)
        unique, inverse = np.unique(docs, return_inverse=True)
        where, rows = arrays.newest(self.segments, "assign", unique.astype(np.uint32))
        if (where < 0).any():
            raise AssertionError(f"documents without a record: {unique[where < 0][:5].tolist()}")
        dtypes = {"event": np.int64, "rep": np.int64, "similarity": np.float64, "anchor_run": np.int32}
        dtypes["content"] = np.int64
        columns = {name: np.zeros(len(unique), dtype=dtype) for name, dtype in dtypes.items()}
        for s in np.unique(where).tolist():
            mine = where == s
            for name, column in columns.items():
                column[mine] = self.segments[s].take(f"assign.{name}", rows[mine])
        return Assignments(*(columns[n][inverse] for n in dtypes))

    @_releasing
    def events(self, keys: np.ndarray) -> dict[int, EventRecord]:
        """The current record of each event key that has one."""
        unique = np.unique(np.asarray(keys, dtype=np.int64))
        where, rows = arrays.newest(self.segments, "event", unique.astype(np.uint32))
        out: dict[int, EventRecord] = {}
        for s in np.unique(where[where >= 0]).tolist():
            mine = np.flatnonzero(where == s)
            out.update(self._event_records(self.segments[s], unique[mine], rows[mine]))
        return out

    @staticmethod
    def _event_records(segment: Segment, keys: np.ndarray, rows: np.ndarray) -> dict[int, EventRecord]:
        offsets, members, similarity = arrays.csr_rows(segment, "event.members", ("doc", "similarity"), rows)
        live = segment.take("event.live", rows)
        reps = segment.take("event.rep", rows)
        origins = arrays.read_strings(segment, "event.origin", rows)
        texts = arrays.read_strings(segment, "event.text", rows)
        return {
            int(key): EventRecord(
                int(key),
                bool(live[i]),
                int(reps[i]),
                members[offsets[i] : offsets[i + 1]].astype(np.int64),
                similarity[offsets[i] : offsets[i + 1]].astype(np.float64),
                origins[i],
                texts[i],
            )
            for i, key in enumerate(keys.tolist())
        }

    # --- LSH postings and shingle counts ---------------------------------------------------------------------

    @_releasing
    def postings(self, band: int, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(digest, document, chunk) of every indexed chunk whose band-`band` digest is one of `digests` (sorted)."""
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for segment, bounds in zip(self.segments, self._band_bounds(), strict=True):
            lo, hi = int(bounds[band]), int(bounds[band + 1])
            first, end = arrays.match_ranges(segment, "post.digest", digests, lo, hi)
            owner, positions = arrays.expand_ranges(first, end)
            if len(positions):
                # a day's hits spread over the whole band: mapping the band beats reading each hit
                docs = segment.gather("post.doc", positions, lo, hi).astype(np.int64)
                found.append((digests[owner], docs, segment.gather("post.chunk", positions, lo, hi)))
        if not found:
            return np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.uint8)
        return tuple(np.concatenate(column) for column in zip(*found, strict=True))  # type: ignore[return-value]

    def _band_bounds(self) -> list[np.ndarray]:
        if self._bands is None:
            self._bands = [segment.load("post.bands") for segment in self.segments]
        return self._bands

    def frequent(self) -> tuple[np.ndarray, np.ndarray]:
        """(hashes, document counts) of the shingles the last run found frequent (sorted by hash)."""
        if not self.segments:
            return np.zeros(0, np.uint32), np.zeros(0, np.int64)
        newest = self.segments[-1]
        return newest.load("frequent.hash"), newest.load("frequent.n").astype(np.int64)

    def count_bounds(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(counted, bound): per hash (sorted, unique), the documents counted in the segments whose heavy table lists
        it, and an upper bound on its documents in the others (each lists every hash it holds `heavy_min` times)."""
        counted = np.zeros(len(hashes), dtype=np.int64)
        bound = np.zeros(len(hashes), dtype=np.int64)
        for segment in self.segments:
            heavy = segment.load("heavy.hash")
            at = arrays.positions_in(heavy, hashes)
            listed = at >= 0
            counted[listed] += segment.load("heavy.n")[at[listed]].astype(np.int64)
            bound[~listed] += segment.info.heavy_min - 1
        return counted, bound

    @_releasing
    def exact_counts(self, hashes: np.ndarray) -> np.ndarray:
        """Documents holding each hash (sorted, unique) over the whole index."""
        total = np.zeros(len(hashes), dtype=np.int64)
        for segment in self.segments:
            at = arrays.find_sorted(segment, "count.hash", hashes)
            hit = at >= 0
            total[hit] += segment.take("count.n", at[hit]).astype(np.int64)
        return total
