"""Fingerprints for the near-duplicate check, built from `cleaner.dedup`'s pure functions so that the check and the
pipeline agree on what a copy is: canonical text (dedup.normalize), sampled character shingles (dedup.shingles),
MinHash (dedup.minhash), LSH candidates (dedup.lsh) and verification by containment with the templated-story guard
(dedup.verify). This module is the only place the check touches them: one place to change.

Two deliberate differences from the pipeline: fewer permutations (the baseline stores one signature per committed
record, in git), and no corpus-frequency shingle filter (a pre-commit run sees a few files, not the corpus).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from cleaner.dedup.config import DedupConfig
from cleaner.dedup.lsh import all_band_keys, candidate_pairs
from cleaner.dedup.minhash import EMPTY, signatures
from cleaner.dedup.normalize import canonical, clean_for_matching, value_slots
from cleaner.dedup.shingles import ShingleSets, shingle_sets
from cleaner.dedup.verify import SlotSets, verify_pair

METHOD = "dedup-char-v1"  # bump when the fingerprint changes: stored baselines are then rebuilt, not misread
# A dateline, case, punctuation and numbers: enough to notice any change in normalising, shingling or hashing.
_PROBE_TEXT = "LONDON, March 3 (Reuters) - Wheat deliveries ROSE to 41,200 tonnes; barley fell 3.5 pct, the board said."


@dataclass(frozen=True, slots=True)
class SignatureSpec:
    """Everything that changes a stored signature; a baseline built with another spec must be rebuilt."""

    num_perm: int = 64
    band_rows: int = 2
    shingle_size: int = 10
    shingle_sample: int = 4
    seed: int = 1
    method: str = METHOD
    probe: str = ""  # digest of a fixed text's fingerprint: changes whenever cleaner.dedup's functions do

    @classmethod
    def create(cls, dedup: DedupConfig, num_perm: int, band_rows: int) -> SignatureSpec:
        spec = cls(num_perm, band_rows, dedup.shingle_size, dedup.shingle_sample, dedup.seed)
        return dataclasses.replace(spec, probe=_probe())

    def to_dict(self) -> dict[str, int | str]:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class Fingerprint:
    shingles: np.ndarray  # sorted unique uint32 shingle hashes (sampled)
    slots: list[int]  # value slots (context hash << 32 | value hash): the templated-story evidence
    sig: np.ndarray  # uint32 MinHash, num_perm values


def fingerprints(texts: Sequence[str], spec: SignatureSpec, dedup: DedupConfig) -> list[Fingerprint]:
    """Fingerprints of many texts at once (shingling and MinHash are vectorised over the batch)."""
    if not texts:  # a file without readable records: nothing to shingle (shingle_sets([]) is not defined)
        return []
    # the steps of dedup.engine.Deduplicator.add: slots from the cleaned text, shingles from its canonical form
    cleaned = [clean_for_matching(text) for text in texts]
    canon = [canonical(text, dedup.fold_confusables) for text in cleaned]
    sets = shingle_sets(canon, spec.shingle_size, spec.shingle_sample)
    sig = signatures(sets, spec.num_perm, spec.seed)
    slots = [value_slots(text, dedup.slot_context) for text in cleaned]
    return [Fingerprint(sets.row(i).copy(), slots[i], sig[i]) for i in range(len(texts))]


@functools.cache
def _probe() -> str:
    """The fingerprint of a fixed text under fixed parameters: the implementation's identity, not the settings'."""
    reference = DedupConfig()
    (sample,) = fingerprints([_PROBE_TEXT], SignatureSpec(num_perm=16, shingle_size=5, shingle_sample=1), reference)
    parts = (sample.sig, sample.shingles, np.array(sample.slots, dtype=np.uint64))
    return xxhash.xxh3_64_hexdigest(b"".join(np.ascontiguousarray(part).tobytes() for part in parts))


def candidates(sigs: Sequence[np.ndarray], spec: SignatureSpec, max_bucket: int) -> list[tuple[int, int]]:
    """LSH candidate pairs (earlier, later) over signatures listed in priority order (index 0 = first)."""
    if len(sigs) < 2:
        return []
    matrix = np.stack(sigs)
    rank = np.arange(len(sigs), dtype=np.int64)
    skip = np.all(matrix == EMPTY, axis=1)
    keys = all_band_keys(matrix, spec.band_rows)  # documents x bands
    pairs = candidate_pairs(keys.T, rank, max_bucket, skip)
    return [(int(a), int(b)) for a, b in pairs]


def verifier(dedup: DedupConfig, threshold: float) -> Callable[[Fingerprint, Fingerprint], float | None]:
    """`dedup.verify.verify_pair` at the check's threshold: a pair's containment if it is one story, else None."""
    config = dataclasses.replace(dedup, containment_threshold=threshold)

    def verify(a: Fingerprint, b: Fingerprint) -> float | None:
        offsets = np.array([0, len(a.shingles), len(a.shingles) + len(b.shingles)], dtype=np.int64)
        sets = ShingleSets(offsets, np.concatenate([a.shingles, b.shingles]))
        return verify_pair(0, 1, sets, SlotSets.from_rows([a.slots, b.slots]), config)

    return verify


def estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Jaccard estimate from two signatures: used only when the other record's text can no longer be read."""
    return float(np.mean(sig_a == sig_b))


def encode(sig: np.ndarray) -> str:
    return base64.b64encode(np.asarray(sig, dtype="<u4").tobytes()).decode("ascii")


def decode(text: str, spec: SignatureSpec) -> np.ndarray:
    sig = np.frombuffer(base64.b64decode(text, validate=True), dtype="<u4").astype(np.uint32)
    if len(sig) != spec.num_perm:
        raise ValueError(f"a signature has {len(sig)} values, expected {spec.num_perm}")
    return sig
