"""Exact duplicates, near-duplicates and repeated ids across the checked records and the baseline's records.

pre-commit passes only changed files, so the index holds the records of those files (fresh, with text) plus the
baseline's stored signatures of every other committed file. LSH proposes candidate pairs from signatures; each pair
is verified on the texts, the stored record's text being read back from its file on demand (only files holding a
candidate are read). When that text is gone the pair is judged on the signature estimate and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from cleaner.check import signatures as sigs
from cleaner.check.findings import Finding, RecordRef
from cleaner.check.records import Record, text_hash
from cleaner.dedup.config import DedupConfig

EMPTY_HASH = text_hash("")


@dataclass(slots=True)
class Entry:
    """One record in the duplicate index: fresh (from a checked file) or stored (from the baseline)."""

    ref: RecordRef
    hash: str
    sig: np.ndarray
    fresh: bool
    explicit_id: bool = True
    record: Record | None = None
    print: sigs.Fingerprint | None = None  # shingles and slots: known for fresh entries, loaded for stored ones

    def order(self) -> tuple[int, str, int]:
        # committed (stored) records are the originals; among fresh ones the earlier file/line is
        return (1 if self.fresh else 0, self.ref.path, self.ref.line)


@dataclass(frozen=True, slots=True)
class Pair:
    """A verified relation: `subject` (a fresh record) repeats `other`, which comes before it."""

    code: str  # CLN403 | CLN501 | CLN502
    subject: Entry
    other: Entry
    similarity: float | None = None
    estimated: bool = False


def fresh_entries(records: list[Record], spec: sigs.SignatureSpec, dedup: DedupConfig) -> list[Entry]:
    prints = sigs.fingerprints([record.text for record in records], spec, dedup)
    return [
        Entry(RecordRef(r.path, r.line, r.id), text_hash(r.text), p.sig, True, r.explicit_id, r, p)
        for r, p in zip(records, prints, strict=True)
    ]


TextLoader = Callable[[Entry], Record | None]


@dataclass(slots=True)
class DuplicateIndex:
    spec: sigs.SignatureSpec
    dedup: DedupConfig
    threshold: float
    load_text: TextLoader  # the current text of a stored record, or None when it cannot be found
    entries: list[Entry] = field(default_factory=list)
    verify: Callable[[sigs.Fingerprint, sigs.Fingerprint], float | None] = field(init=False)

    def __post_init__(self) -> None:
        self.verify = sigs.verifier(self.dedup, self.threshold)

    def add(self, entries: Iterable[Entry]) -> None:
        self.entries.extend(entries)

    def pairs(self, codes: frozenset[str]) -> list[Pair]:
        ordered = sorted(self.entries, key=Entry.order)
        found: list[Pair] = []
        if "CLN403" in codes:
            found.extend(self._repeated_ids(ordered))
        if "CLN501" in codes:
            found.extend(self._exact(ordered))
        if "CLN502" in codes:
            # one entry per distinct text: its exact copies are CLN501 already, and a thousand copies of one text
            # would otherwise fill every bucket
            unique = {entry.hash: entry for entry in reversed(ordered) if entry.hash != EMPTY_HASH}
            found.extend(self._near(sorted(unique.values(), key=Entry.order)))
        return found

    def _repeated_ids(self, ordered: list[Entry]) -> list[Pair]:
        first: dict[str, Entry] = {}
        pairs = []
        for entry in ordered:
            if not entry.explicit_id:
                continue
            if entry.ref.id in first and entry.fresh:
                pairs.append(Pair("CLN403", entry, first[entry.ref.id]))
            first.setdefault(entry.ref.id, entry)
        return pairs

    def _exact(self, ordered: list[Entry]) -> list[Pair]:
        first: dict[str, Entry] = {}
        pairs = []
        for entry in ordered:
            if entry.hash == EMPTY_HASH:  # empty texts are CLN201, not duplicates of each other
                continue
            if entry.hash in first and entry.fresh:
                pairs.append(Pair("CLN501", entry, first[entry.hash], 1.0))
            first.setdefault(entry.hash, entry)
        return pairs

    def _near(self, ordered: list[Entry]) -> list[Pair]:
        pairs = []
        for earlier, later in sigs.candidates([e.sig for e in ordered], self.spec, self.dedup.max_bucket):
            subject, other = ordered[later], ordered[earlier]
            if not subject.fresh:  # two committed records: judged when they were committed
                continue
            similarity, estimated = self._verify(subject, other)
            if similarity is not None and similarity >= self.threshold:
                pairs.append(Pair("CLN502", subject, other, similarity, estimated))
        return pairs

    def _fingerprint(self, entry: Entry) -> sigs.Fingerprint | None:
        if entry.print is None:
            record = self.load_text(entry)
            if record is not None:
                entry.record = record
                entry.ref = RecordRef(record.path, record.line, entry.ref.id)  # where it is now
                entry.print = sigs.fingerprints([record.text], self.spec, self.dedup)[0]
        return entry.print

    def _verify(self, subject: Entry, other: Entry) -> tuple[float | None, bool]:
        mine, theirs = self._fingerprint(subject), self._fingerprint(other)
        if mine is None or theirs is None:
            return sigs.estimate(subject.sig, other.sig), True
        return self.verify(mine, theirs), False


def pair_finding(pair: Pair) -> Finding:
    subject, other = pair.subject, pair.other
    where = f"{other.ref.path}:{other.ref.line}"
    named = f" (id {other.ref.id!r})" if other.explicit_id else ""  # whole-file records: the path is the id
    if pair.code == "CLN403":
        message = f"id {subject.ref.id!r} is also used by the record at {where}"
    elif pair.code == "CLN501":
        message = f"exact duplicate of {where}{named}"
    else:
        how = "estimated from stored signatures: its text is no longer readable" if pair.estimated else "containment"
        message = f"near-duplicate of {where}{named}, similarity {pair.similarity:.2f} ({how})"
    record = subject.record
    return Finding(
        subject.ref.path,
        subject.ref.line,
        pair.code,
        message,
        record_id=subject.ref.id,
        other=other.ref,
        similarity=pair.similarity,
        allow=record.allow if record is not None else frozenset(),
    )
