"""MinHash signatures, computed for many documents at once; the only module that imports datasketch.

Signatures follow datasketch's "affine32" scheme exactly: each 32-bit shingle hash is pre-mixed with the MurmurHash3
32-bit finaliser, then permutation k maps it to `a_k * h + b_k mod 2^32`, with the (a, b) that datasketch's
`MinHash(num_perm, seed)` draws. A row of our signature matrix therefore equals the `hashvalues` of a datasketch
MinHash fed the same shingle hashes (`to_minhash` rebuilds one; a test checks the equality), but is computed as a
few array operations per permutation over a whole batch instead of one Python call per shingle.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from cleaner.dedup.shingles import ShingleSets

SCHEME = "affine32"  # datasketch 2.x needs the scheme spelled out when rebuilding a MinHash from stored values
EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for "no shingle seen"
_F1 = np.uint32(0x85EBCA6B)
_F2 = np.uint32(0xC2B2AE35)
# Permutations applied per vector pass: bounds the temporary (block x hashes) array.
_PERM_BLOCK = 8
_HASH_CHUNK = 1 << 20


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a odd, b) for `num_perm` and `seed`, as uint32 arrays."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 32-bit finaliser (datasketch's pre-mix for affine32)."""
    h = h ^ (h >> np.uint32(16))
    h = h * _F1
    h = h ^ (h >> np.uint32(13))
    h = h * _F2
    return h ^ (h >> np.uint32(16))


def signature_blocks(
    sets: ShingleSets, num_perm: int, seed: int, block: int = _PERM_BLOCK
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first permutation, documents x block uint32 MinHash columns), `block` permutations at a time.

    Streaming the permutations lets LSH consume a few bands at a time, so the full signature matrix (1 KB per
    document at 256 permutations) never has to exist. Documents without shingles get EMPTY values.
    """
    a, b = permutations(num_perm, seed)
    n = len(sets)
    sizes = sets.sizes()
    bounds = _chunk_bounds(sets.offsets, _HASH_CHUNK) if n else []
    with np.errstate(over="ignore"):
        for p0 in range(0, num_perm, block):
            p1 = min(p0 + block, num_perm)
            out = np.full((n, p1 - p0), EMPTY, dtype=np.uint32)
            for lo, hi in bounds:
                nonempty = np.flatnonzero(sizes[lo:hi] > 0) + lo
                if len(nonempty) == 0:
                    continue
                base = sets.offsets[lo]
                mixed = fmix32(sets.hashes[base : sets.offsets[hi]])
                starts = sets.offsets[nonempty] - base
                permuted = np.empty((_PERM_BLOCK, len(mixed)), dtype=np.uint32)
                for q0 in range(p0, p1, _PERM_BLOCK):
                    q1 = min(q0 + _PERM_BLOCK, p1)
                    values = _permute(mixed, a[q0:q1], b[q0:q1], permuted[: q1 - q0])
                    out[nonempty, q0 - p0 : q1 - p0] = np.minimum.reduceat(values, starts, axis=1).T
            yield p0, out


def chunk_signatures(
    sets: ShingleSets,
    num_perm: int,
    seed: int,
    min_shingles: int = 1,
    mask: np.ndarray | None = None,
    perms: tuple[int, int] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (document, chunk index, chunks x num_perm MinHash) for the chunks of `sets`, documents range by range.

    A chunk's signature is the MinHash of its own shingles (`sets.chunks` says which chunk each shingle is in),
    exactly what datasketch computes from those hashes. Chunks with fewer than `min_shingles` shingles are left
    out, unless they are all their document has (then its largest chunk stands for it). `mask`, a boolean per
    hash, leaves the other hashes out (the frequent-shingle cut, without a copy of the sets). `perms` = (first,
    end) computes only those permutations' columns, so that LSH can take the bands a group at a time.
    """
    all_chunks = sets.chunk_ids()
    a, b = permutations(num_perm, seed)
    if perms is not None:
        a, b = a[perms[0] : perms[1]], b[perms[0] : perms[1]]
    width = len(a)
    sizes = sets.sizes()
    with np.errstate(over="ignore"):
        for lo, hi in _chunk_bounds(sets.offsets, _HASH_CHUNK) if len(sets) else []:
            base, top = sets.offsets[lo], sets.offsets[hi]
            if top == base:
                continue
            local_doc = np.repeat(np.arange(hi - lo, dtype=np.int64), sizes[lo:hi])
            hashes, chunks = sets.hashes[base:top], all_chunks[base:top]
            if mask is not None:
                kept = mask[base:top]
                local_doc, hashes, chunks = local_doc[kept], hashes[kept], chunks[kept]
                if len(hashes) == 0:
                    continue
            key = local_doc * 256 + chunks
            order = np.argsort(key, kind="stable")
            key = key[order]
            starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
            counts = np.diff(np.concatenate([starts, [len(key)]]))
            chunk_key = key[starts]
            keep = _chunks_to_index(chunk_key // 256, counts, min_shingles)
            mixed = fmix32(hashes[order])
            sig = np.empty((len(starts), width), dtype=np.uint32)
            permuted = np.empty((_PERM_BLOCK, len(mixed)), dtype=np.uint32)  # reused: no fresh pages per block
            for q0 in range(0, width, _PERM_BLOCK):
                q1 = min(q0 + _PERM_BLOCK, width)
                values = _permute(mixed, a[q0:q1], b[q0:q1], permuted[: q1 - q0])
                sig[:, q0:q1] = np.minimum.reduceat(values, starts, axis=1).T
            yield chunk_key[keep] // 256 + lo, (chunk_key[keep] % 256).astype(np.uint8), sig[keep]


def _permute(mixed: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`a * mixed + b mod 2^32` for each permutation (a row of `out` each), written into `out` in place."""
    np.multiply(mixed[None, :], a[:, None], out=out)
    np.add(out, b[:, None], out=out)
    return out


def _chunks_to_index(doc: np.ndarray, counts: np.ndarray, min_shingles: int) -> np.ndarray:
    """Mask of the chunks worth indexing: big enough, or the largest one of a document with no big enough chunk."""
    keep = counts >= min_shingles
    docs_with = np.unique(doc[keep])
    lonely = ~np.isin(doc, docs_with)
    if lonely.any():
        idx = np.flatnonzero(lonely)
        # the largest chunk per lonely document (the first on ties)
        order = idx[np.lexsort((-counts[idx], doc[idx]))]
        first = np.concatenate([[True], doc[order][1:] != doc[order][:-1]])
        keep[order[first]] = True
    return keep


def signatures(sets: ShingleSets, num_perm: int, seed: int) -> np.ndarray:
    """(documents x num_perm) uint32 MinHash matrix; documents without shingles get the EMPTY row."""
    blocks = [block for _, block in signature_blocks(sets, num_perm, seed, block=num_perm)]
    return blocks[0] if blocks else np.full((len(sets), num_perm), EMPTY, dtype=np.uint32)


def _chunk_bounds(offsets: np.ndarray, max_hashes: int) -> list[tuple[int, int]]:
    """Split documents into consecutive ranges holding at most ~max_hashes hashes (at least one document each)."""
    bounds: list[tuple[int, int]] = []
    n = len(offsets) - 1
    lo = 0
    while lo < n:
        hi = int(np.searchsorted(offsets, offsets[lo] + max_hashes, side="right")) - 1
        hi = max(hi, lo + 1)
        bounds.append((lo, min(hi, n)))
        lo = min(hi, n)
    return bounds


def to_minhash(row: np.ndarray, seed: int) -> MinHash:
    """A datasketch MinHash holding one signature row (for datasketch's LSH, LSH Forest, Jaccard, ...)."""
    a, b = permutations(len(row), seed)
    return MinHash(seed=seed, hashvalues=row, permutations=np.array([a, b]), scheme=SCHEME)


def minhash_update(hashes: Iterable[int], num_perm: int, seed: int) -> MinHash:
    """datasketch's own per-shingle path on our 32-bit shingle hashes: the reference for tests and benchmarks."""
    minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, scheme=SCHEME)
    for h in hashes:
        minhash.update(h)
    return minhash


def minhash_bulk(hash_lists: Sequence[Sequence[int]], num_perm: int, seed: int) -> list[MinHash]:
    """datasketch's `MinHash.bulk` on our 32-bit shingle hashes (its fastest stock path)."""
    return MinHash.bulk(hash_lists, num_perm=num_perm, seed=seed, hashfunc=int, scheme=SCHEME)


def word_shingles(text: str, size: int) -> set[bytes]:
    """The plain recipe's shingles: lower-cased whitespace tokens, `size` at a time (the baseline only)."""
    words = text.lower().split()
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def baseline_pairs(
    texts: Sequence[str], threshold: float = 0.5, num_perm: int = 128, size: int = 5
) -> list[tuple[int, int]]:
    """The usual datasketch recipe: word 5-shingles, MinHash per shingle, MinHashLSH, every candidate is a match.

    Returns the (i, j) index pairs the LSH proposes; the caller unions them (no verification, by design: this
    is the baseline the issue measures against).
    """
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    minhashes = MinHash.bulk([sorted(word_shingles(t, size)) for t in texts], num_perm=num_perm)
    pairs: list[tuple[int, int]] = []
    for i, minhash in enumerate(minhashes):
        pairs.extend((j, i) for j in lsh.query(minhash))
        lsh.insert(i, minhash)
    return pairs
