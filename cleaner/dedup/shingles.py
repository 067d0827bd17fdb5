"""Character shingles of many documents at once, as one compact CSR structure of uint32 hashes.

A batch of canonical strings is laid end to end as one byte buffer; every window of `size` bytes (at most 16) is
read as two overlapping unaligned 64-bit words straight from that buffer and hashed by multiply-shift, a handful
of vector operations for the whole batch and no Python loop over shingles. Canonical text is mostly ASCII, where a
byte is a character; in other scripts a 10-byte shingle spans 3-5 characters, still specific enough for news.
Each document's hashes are then made a sorted set.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_K1 = np.uint64(0x9E3779B97F4A7C15)  # odd multipliers (golden ratio, MurmurHash3's fmix constant)
_K2 = np.uint64(0xC4CEB9FE1A85EC53)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_U32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_U8 = np.uint64(8)
_U40 = np.uint64(40)
_LOW8 = np.uint64(0xFF)
_HASH_SPACE = 1 << 32
# below this many hashes, sorting them all costs less than the bucket pass (a 16 MB counter array, whatever the size)
_SORT_ALL_BELOW = 1 << 19
_BLOCK = 1 << 22  # elements per block in whole-corpus passes: bounds their temporaries to a few tens of MB


@dataclass(slots=True)
class ShingleSets:
    """Per-document sorted, unique uint32 shingle hashes: document i owns `hashes[offsets[i]:offsets[i + 1]]`.

    `chunks` runs parallel to `hashes`: the index (0-255) of the chunk of its document each shingle first occurs
    in (see normalize.canonical_chunks); LSH works on chunks, verification on whole documents. None (sets built
    elsewhere) means one chunk per document.
    """

    offsets: np.ndarray  # int64, len = documents + 1
    hashes: np.ndarray  # uint32
    chunks: np.ndarray | None = None  # uint8

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]

    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def doc_index(self) -> np.ndarray:
        """The document each hash belongs to."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.sizes())

    def chunk_ids(self) -> np.ndarray:
        return self.chunks if self.chunks is not None else np.zeros(len(self.hashes), dtype=np.uint8)

    @classmethod
    def concat(cls, parts: Sequence[ShingleSets]) -> ShingleSets:
        if not parts:
            return cls(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint8))
        sizes = np.concatenate([p.sizes() for p in parts])
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        chunks = np.concatenate([p.chunk_ids() for p in parts])
        return cls(offsets, np.concatenate([p.hashes for p in parts]), chunks)

    @classmethod
    def consume(cls, parts: list[ShingleSets]) -> ShingleSets:
        """concat(parts), releasing each part as soon as it is copied: the peak stays near one copy, not two."""
        if not parts:
            merged = cls.concat(parts)
            parts.clear()
            return merged
        sizes = np.concatenate([p.sizes() for p in parts])
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        hashes = np.empty(int(offsets[-1]), dtype=np.uint32)  # pages are touched only as they are filled
        chunks = np.empty(int(offsets[-1]), dtype=np.uint8)
        at = 0
        for k in range(len(parts)):
            part = parts[k]
            hashes[at : at + len(part.hashes)] = part.hashes
            chunks[at : at + len(part.hashes)] = part.chunk_ids()
            at += len(part.hashes)
            parts[k] = None  # type: ignore[call-overload]
            if k % 4 == 3:
                release_memory()
        parts.clear()
        release_memory()
        return cls(offsets, hashes, chunks)

    def select(self, keep: np.ndarray) -> ShingleSets:
        """The same documents with only the hashes where `keep` (a mask over `hashes`) is true."""
        offsets = np.concatenate([[0], np.cumsum(segment_counts(keep, self.offsets))]).astype(np.int64)
        return ShingleSets(offsets, self.hashes[keep], self.chunk_ids()[keep])


def segment_counts(mask: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Number of true values of `mask` in each segment `offsets[i]:offsets[i + 1]`.

    A running count over blocks of the mask: no per-element int64 array (8 bytes per hash) is ever built.
    """
    before = np.zeros(len(offsets), dtype=np.int64)  # true values before each offset
    carry = 0
    for lo in range(0, len(mask), _BLOCK):
        hi = min(lo + _BLOCK, len(mask))
        running = np.cumsum(mask[lo:hi], dtype=np.int64)
        a, b = np.searchsorted(offsets, [lo, hi], side="right")
        before[a:b] = carry + running[offsets[a:b] - lo - 1]
        carry += int(running[-1])
    return np.diff(before)


def release_memory() -> None:
    """Hand freed heap memory back to the OS (glibc only; elsewhere a no-op).

    Batches of a few MB land on the C heap; once copied into one array and freed they leave holes that glibc
    keeps mapped, so the process would carry both copies' worth of RSS into clustering.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 64-bit finaliser: an avalanching bijection, so nearby polynomial values spread out."""
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    return h ^ (h >> _S33)


def sample_limit(sample: int) -> int:
    """Hashes below this value are the kept `1 / sample` of the hash range."""
    return _HASH_SPACE // sample


def _mix(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """Two overlapping little-endian 8-byte words of a window -> a 32-bit hash (multiply-shift, 2-universal)."""
    with np.errstate(over="ignore"):
        return ((w1 * _K1 + w2) * _K2 >> _U32).astype(np.uint32)


def shingle_sets(
    texts: Sequence[str], size: int, sample: int = 1, chunk_starts: Sequence[Sequence[int]] | None = None
) -> ShingleSets:
    """Sorted unique hashes of every `size`-byte window of each text's UTF-8, keeping the consistent `1 / sample`.

    A text shorter than `size` bytes (but not empty) is one shingle. Windows never cross from one text into the
    next: texts are laid out with `size` zero bytes between them, and a window that would reach into them is
    dropped (only a short text's single window includes them). With `chunk_starts` (per text, ascending UTF-8
    byte offsets starting at 0), each shingle also records the chunk its window starts in (capped at 255).
    """
    if not 1 <= size <= 16:
        raise ValueError("shingle size must be 1-16 bytes")
    encoded = [t.encode("utf-8") for t in texts]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    sep = b"\0" * size
    buffer = np.frombuffer(sep.join(encoded) + sep + b"\0" * 16, dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths + size)[:-1]]).astype(np.int64)
    counts = np.where(lengths >= size, lengths - size + 1, np.minimum(lengths, 1))
    # Hash every position of the buffer with contiguous vector ops (cheaper than gathering the valid ones), then
    # keep the windows that start inside a document and end inside it (a short document: its one window).
    span = len(buffer) - 16
    words = np.ndarray(shape=(len(buffer) - 7,), dtype="<u8", buffer=buffer, strides=(1,))
    head = words[:span]
    if size < 8:  # keep only the window's own bytes
        hashes = _mix(head & np.uint64((1 << (8 * size)) - 1), np.zeros(1, dtype=np.uint64))
    else:
        hashes = _mix(head, words[size - 8 : size - 8 + span])
    edges = np.zeros(span + 1, dtype=np.int8)
    np.add.at(edges, starts, 1)
    np.add.at(edges, starts + counts, -1)
    valid = np.cumsum(edges[:-1], dtype=np.int8).astype(bool)
    if sample > 1:
        valid &= hashes < np.uint32(sample_limit(sample))
    positions = np.flatnonzero(valid)
    hashes = hashes[positions]
    doc = np.searchsorted(starts, positions, side="right") - 1
    if chunk_starts is None:  # one chunk per document
        keys = np.sort(doc.astype(np.uint64) << _U32 | hashes.astype(np.uint64))
        if len(keys):
            keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
        per_doc = np.bincount((keys >> _U32).astype(np.int64), minlength=len(texts))
        offsets = np.concatenate([[0], np.cumsum(per_doc)]).astype(np.int64)
        return ShingleSets(offsets, (keys & _LOW32).astype(np.uint32), np.zeros(len(keys), dtype=np.uint8))
    chunk = _chunk_of(positions, doc, starts, chunk_starts)
    # one sort of (doc, hash, chunk) words; the first of equal (doc, hash) is the shingle's first chunk
    keys = np.sort(doc.astype(np.uint64) << _U40 | hashes.astype(np.uint64) << _U8 | chunk.astype(np.uint64))
    if len(keys):
        keys = keys[np.concatenate([[True], (keys[1:] >> _U8) != (keys[:-1] >> _U8)])]
    per_doc = np.bincount((keys >> _U40).astype(np.int64), minlength=len(texts))
    offsets = np.concatenate([[0], np.cumsum(per_doc)]).astype(np.int64)
    return ShingleSets(offsets, ((keys >> _U8) & _LOW32).astype(np.uint32), (keys & _LOW8).astype(np.uint8))


def _chunk_of(
    positions: np.ndarray, doc: np.ndarray, starts: np.ndarray, chunk_starts: Sequence[Sequence[int]]
) -> np.ndarray:
    """The chunk (index within its document, at most 255) of each window start."""
    if len(chunk_starts) >= 1 << 24:
        raise ValueError("shingle_sets: at most 2^24 texts per call when chunks are tracked")
    per_doc = np.fromiter((len(c) for c in chunk_starts), dtype=np.int64, count=len(chunk_starts))
    flat = np.fromiter((o for c in chunk_starts for o in c), dtype=np.int64, count=int(per_doc.sum()))
    first = np.concatenate([[0], np.cumsum(per_doc)[:-1]]).astype(np.int64)
    boundaries = np.repeat(starts, per_doc) + flat  # absolute buffer offsets, ascending
    global_chunk = np.searchsorted(boundaries, positions, side="right") - 1
    return np.minimum(global_chunk - first[doc], 255)


def frequent_hashes(sets: ShingleSets, max_df: int) -> np.ndarray:
    """Sorted hashes present in more than `max_df` documents (each document counts a hash once).

    Exact. A small corpus sorts all its hashes. A large one does not: a first pass counts hashes per bucket of
    1024 neighbouring values (16 MB of counters); a hash can only be frequent if its bucket is, so only the hashes
    of such buckets are sorted.
    """
    hashes = sets.hashes
    if len(hashes) <= max_df:
        return np.zeros(0, dtype=np.uint32)
    suspects = np.sort(hashes) if len(hashes) < _SORT_ALL_BELOW else _suspects(hashes, max_df)
    if len(suspects) <= max_df:
        return np.zeros(0, dtype=np.uint32)
    # runs of equal hashes in sorted order: each run's length is a document count (a set holds a hash once)
    starts = np.flatnonzero(np.concatenate([[True], suspects[1:] != suspects[:-1]]))
    repeated = frequent_among(suspects[starts], np.diff(np.append(starts, len(suspects))), max_df)
    del suspects
    release_memory()
    return repeated


def frequent_among(values: np.ndarray, documents: np.ndarray, max_df: int) -> np.ndarray:
    """The hashes the frequent-shingle cut takes, given each hash with the number of documents holding it: those in
    more than `max_df` documents (engines that count in pieces sum the counts first)."""
    return values[documents > max_df]


def _suspects(hashes: np.ndarray, max_df: int) -> np.ndarray:
    """Sorted, the hashes whose bucket of 1024 neighbouring values holds more than `max_df` of them."""
    shift = np.uint32(10)
    buckets = np.zeros(1 << 22, dtype=np.uint32)
    step = _BLOCK
    for lo in range(0, len(hashes), step):
        buckets += np.bincount(hashes[lo : lo + step] >> shift, minlength=1 << 22).astype(np.uint32)
    heavy = buckets > max_df
    if not heavy.any():
        return np.zeros(0, dtype=np.uint32)
    suspects = np.concatenate(
        [h[heavy[h >> shift]] for h in (hashes[lo : lo + step] for lo in range(0, len(hashes), step))]
    )
    suspects.sort()
    return suspects


def is_in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each of `values` is in the sorted array `sorted_set` (a binary search each)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    where = np.searchsorted(sorted_set, values)
    where[where == len(sorted_set)] = 0
    return sorted_set[where] == values


def content_mask(
    sets: ShingleSets, frequent: np.ndarray, keep_min_share: float, cut: np.ndarray | None = None
) -> np.ndarray:
    """Mask over `sets.hashes`: not in `frequent` nor marked in `cut` (a mask over the hashes, e.g. the per-site
    cut), except in documents that would keep less than `keep_min_share`."""
    keep = np.ones(len(sets.hashes), dtype=bool) if cut is None else ~cut
    if len(frequent) == 0 and cut is None:
        return keep
    step = _BLOCK
    if len(frequent):
        for lo in range(0, len(keep), step):
            chunk = sets.hashes[lo : lo + step]
            where = np.searchsorted(frequent, chunk)  # `frequent` is sorted and small: a binary search per hash
            where[where == len(frequent)] = 0
            keep[lo : lo + step] &= frequent[where] != chunk
    sizes = sets.sizes()
    fallback = segment_counts(keep, sets.offsets) < keep_min_share * sizes
    if fallback.any():
        keep |= np.repeat(fallback, sizes)
    release_memory()
    return keep


def drop_frequent(
    sets: ShingleSets, frequent: np.ndarray, keep_min_share: float, cut: np.ndarray | None = None
) -> ShingleSets:
    """Remove `frequent` (and `cut`) hashes from every set, except from documents that would keep less than
    `keep_min_share`."""
    if len(frequent) == 0 and cut is None:
        return sets
    return sets.select(content_mask(sets, frequent, keep_min_share, cut))


def group_frequent(sets: ShingleSets, groups: np.ndarray, fraction: float, floor: int) -> np.ndarray | None:
    """Mask over `sets.hashes`: the hashes found in more than max(`floor`, `fraction` * n) of the n documents of
    their document's group (`groups`: one non-negative code per document, -1 for none); None when no group is
    large enough to have any.

    Each group large enough is counted on its own rows (each row holds a hash once, so a count is a document
    frequency): the work is linear in the hashes of those groups, with no corpus-wide key array.
    """
    in_group = groups >= 0
    if not in_group.any():
        return None
    sizes = np.bincount(groups[in_group])
    large = np.flatnonzero(sizes > floor)  # a group of `floor` documents or fewer has no hash in more of them
    if not len(large):
        return None
    cut = np.zeros(len(sets.hashes), dtype=bool)
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    row_sizes = sets.sizes()
    for group in large.tolist():
        lo, hi = np.searchsorted(ordered, [group, group + 1])
        positions = _row_positions(sets.offsets, row_sizes, order[lo:hi])
        _, inverse, counts = np.unique(sets.hashes[positions], return_inverse=True, return_counts=True)
        cut[positions] = (counts > max(floor, fraction * (hi - lo)))[inverse]
    return cut


def _row_positions(offsets: np.ndarray, sizes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions in the hash array of every hash of `rows`, row after row."""
    lengths = sizes[rows]
    starts = np.repeat(offsets[rows] - (np.cumsum(lengths) - lengths), lengths)
    return starts + np.arange(int(lengths.sum()), dtype=np.int64)


@dataclass(slots=True)
class MaskedSets:
    """ShingleSets seen through a mask over its hashes, without copying them: rows are cut when read.

    The corpus-wide frequent-shingle cut keeps ~90% of the hashes; holding that as one boolean per hash instead of
    a second copy of the sets saves 4 bytes per kept hash (about 0.8 GB at a million documents).
    """

    sets: ShingleSets
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.sets)

    def row(self, i: int) -> np.ndarray:
        lo, hi = self.sets.offsets[i], self.sets.offsets[i + 1]
        return self.sets.hashes[lo:hi][self.mask[lo:hi]]

    def sizes(self) -> np.ndarray:
        return segment_counts(self.mask, self.sets.offsets)
