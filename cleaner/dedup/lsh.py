"""LSH band keys as one uint64 array per band, and candidate pairs by sorting the keys.

No hash table of Python objects: for each band the keys of all documents are sorted once, equal keys form runs
(buckets), and the pairs inside each run are emitted with vector operations. Memory is O(documents) per band plus
the candidate pairs themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from cleaner.dedup.shingles import fmix64

_U32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_DIGEST = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xC4CEB9FE1A85EC53)


def band_keys(sig: np.ndarray, band: int, rows: int) -> np.ndarray:
    """One uint64 key per document for `band`: the band's rows packed (2 rows: exactly) or hashed together."""
    block = sig[:, band * rows : (band + 1) * rows].astype(np.uint64)
    if rows == 1:
        return block[:, 0]
    if rows == 2:
        return block[:, 0] << _U32 | block[:, 1]
    key = np.full(len(sig), np.uint64(band), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            key = fmix64(key * np.uint64(0x9E3779B97F4A7C15) + block[:, r])
    return key


def digest32(keys: np.ndarray) -> np.ndarray:
    """uint64 band keys -> uint32 digests (multiply-shift): half the memory, for a few extra candidates."""
    with np.errstate(over="ignore"):
        return ((keys.astype(np.uint64) * _DIGEST) >> _U32).astype(np.uint32)


def band_digests(sig: np.ndarray, rows: int) -> np.ndarray:
    """(documents or chunks x bands) uint32 band-key digests: what the chunk index keeps (4 bytes per band)."""
    bands = sig.shape[1] // rows
    if rows == 4 and len(sig):  # the common case in one pass: a band is two uint64 words, multiply-shift mixed
        words = np.ascontiguousarray(sig[:, : bands * 4]).view(np.uint64).reshape(len(sig), bands, 2)
        with np.errstate(over="ignore"):
            return ((words[:, :, 0] * _DIGEST + words[:, :, 1]) * _MIX >> _U32).astype(np.uint32)
    out = np.empty((len(sig), bands), dtype=np.uint32)
    for b in range(bands):
        out[:, b] = digest32(band_keys(sig, b, rows))
    return out


def all_band_keys(sig: np.ndarray, rows: int) -> np.ndarray:
    """(documents x bands) uint64 matrix of band keys: what a persistent index stores per document."""
    bands = sig.shape[1] // rows
    return np.stack([band_keys(sig, b, rows) for b in range(bands)], axis=1) if bands else np.zeros((len(sig), 0))


def bucket_pairs(
    keys: np.ndarray,
    rank: np.ndarray,
    max_bucket: int,
    skip: np.ndarray | None = None,
    by_rank: np.ndarray | None = None,
) -> np.ndarray:
    """Candidate pairs from one band: documents with equal keys, as uint64 `lo << 32 | hi` with rank[lo] < rank[hi].

    `rank` orders documents by priority (0 = best representative). Documents are sorted by (key, rank), so each
    bucket lists its members best first; every member is paired with the members before it among the bucket's
    first `max_bucket`: all pairs in a bucket of up to `max_bucket` documents, a star on its best members in a
    larger one. `skip` masks documents that must not take part (no shingles). `by_rank`, the inverse of `rank`
    (item of each rank), saves recomputing it per band.
    """
    if skip is not None:
        idx = np.flatnonzero(~skip)
        keys, ranks = keys[idx], rank[idx]
    else:
        ranks = rank
    if len(keys) < 2:
        return np.zeros(0, dtype=np.uint64)
    # One sort of (32-bit key digest, rank) words instead of a two-key argsort: about twice as fast. Two keys that
    # share a digest but differ merely add a candidate, which verification then rejects.
    digest = keys.astype(np.uint64) if keys.dtype == np.uint32 else digest32(keys).astype(np.uint64)
    digest <<= _U32
    digest |= ranks.astype(np.uint64)
    digest.sort()
    words = digest
    if by_rank is None:
        by_rank = np.empty(len(rank), dtype=np.int64)
        by_rank[rank] = np.arange(len(rank), dtype=np.int64)
    order = by_rank[(words & _LOW32).astype(np.int64)]
    k = words >> _U32
    starts_run = np.concatenate([[True], k[1:] != k[:-1]])
    run_start = np.flatnonzero(starts_run)
    run_len = np.diff(np.concatenate([run_start, [len(k)]]))
    if run_len.max() < 2:
        return np.zeros(0, dtype=np.uint64)
    # keep only elements of runs with at least two members
    in_run = np.repeat(run_len > 1, run_len)
    first = np.repeat(run_start, run_len)[in_run]  # index (in `order`) of each element's run head
    pos = np.flatnonzero(in_run) - first  # position inside the run
    elem = np.flatnonzero(in_run)
    out: list[np.ndarray] = []
    for head in range(min(int(run_len.max()) - 1, max_bucket)):
        later = pos > head
        if not later.any():
            break
        elem, first, pos = elem[later], first[later], pos[later]
        out.append(order[first + head].astype(np.uint64) << _U32 | order[elem].astype(np.uint64))
    return np.concatenate(out)


def iter_band_keys(blocks: Iterable[tuple[int, np.ndarray]], rows: int) -> Iterator[np.ndarray]:
    """Band keys from signature column blocks (as `minhash.signature_blocks` yields them, `rows` divides each)."""
    for _, block in blocks:
        for band in range(block.shape[1] // rows):
            yield band_keys(block, band, rows)


def candidate_pairs(
    keys: Iterable[np.ndarray], rank: np.ndarray, max_bucket: int, skip: np.ndarray | None = None
) -> np.ndarray:
    """Unique candidate pairs over all bands, as an (m, 2) int64 array [better, worse] sorted by (worse, better).

    `keys` yields one uint64 key array per band (`iter_band_keys`, or the columns of `all_band_keys`).
    """
    return _unique_pairs((bucket_pairs(band_key, rank, max_bucket, skip) for band_key in keys), rank)


def chunk_order(chunk: np.ndarray, doc_rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, rank) of chunks sorted by (document rank, chunk index): the item ranks `bucket_pairs` wants, so that
    buckets, and the star rule of large ones, depend only on content, never on input order."""
    order = np.lexsort((chunk, doc_rank))
    item_rank = np.empty(len(chunk), dtype=np.int64)
    item_rank[order] = np.arange(len(chunk), dtype=np.int64)
    return order, item_rank


def chunk_candidate_pairs(
    keys: np.ndarray, owner: np.ndarray, chunk: np.ndarray, rank: np.ndarray, max_bucket: int
) -> np.ndarray:
    """Document pairs with a chunk in common in any band: (m, 2) int64 [better, worse], sorted by (worse, better).

    `keys` is the (chunks x bands) band-key matrix (uint64 keys or uint32 digests) of chunk signatures, `owner` the
    document of each chunk, `chunk` its index inside the document and `rank` the documents' priority (0 = best
    representative); chunks are ordered as `chunk_order` says.
    """
    if len(owner) >= 1 << 32:
        raise ValueError("chunk_candidate_pairs: at most 2^32 chunks")
    item_order, item_rank = chunk_order(chunk, rank[owner])

    def document_pairs(band: int) -> np.ndarray:
        keys_of_band = np.ascontiguousarray(keys[:, band])
        better, worse = chunk_pairs(keys_of_band, item_rank, item_order, owner, max_bucket)
        return owner[better].astype(np.uint64) << _U32 | owner[worse].astype(np.uint64)

    return _unique_pairs((document_pairs(band) for band in range(keys.shape[1])), rank)


def chunk_pairs(
    keys: np.ndarray, item_rank: np.ndarray, item_order: np.ndarray, owner: np.ndarray, max_bucket: int
) -> tuple[np.ndarray, np.ndarray]:
    """(better, worse) chunk indices of the pairs that one band's buckets propose (`bucket_pairs`, chunks ranked
    as `chunk_order` gives them), without pairs of two chunks of one document (`owner`: a chunk's document)."""
    items = bucket_pairs(keys, item_rank, max_bucket, by_rank=item_order)
    better = (items >> _U32).astype(np.int64)
    worse = (items & _LOW32).astype(np.int64)
    other = owner[better] != owner[worse]
    return better[other], worse[other]


def merge_pairs(found: Iterable[np.ndarray], rank: np.ndarray) -> np.ndarray:
    """Several (m, 2) [better, worse] pair arrays as one, deduplicated and sorted like each of them."""
    return _unique_pairs((p[:, 0].astype(np.uint64) << _U32 | p[:, 1].astype(np.uint64) for p in found), rank)


def _unique_pairs(packed: Iterable[np.ndarray], rank: np.ndarray) -> np.ndarray:
    """Packed (better << 32 | worse) pairs, deduplicated, as (m, 2) int64 [better, worse] sorted by (worse, better).

    Deduplicated in blocks: a pair of true copies collides in most bands, so raw emissions are many times the
    unique pairs; merging every few million keeps memory near the unique count.
    """
    found = np.zeros(0, dtype=np.uint64)
    pending: list[np.ndarray] = []
    pending_size = 0
    for pairs in packed:
        pending.append(pairs)
        pending_size += len(pairs)
        if pending_size > 4_000_000:
            found = np.unique(np.concatenate([found, *pending]))
            pending, pending_size = [], 0
    found = np.unique(np.concatenate([found, *pending]))
    better = (found >> _U32).astype(np.int64)
    worse = (found & _LOW32).astype(np.int64)
    order = np.lexsort((rank[better], rank[worse]))
    return np.stack([better[order], worse[order]], axis=1)
