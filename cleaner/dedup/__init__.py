"""Near-duplicate clustering of wire-story copies: MinHash LSH candidates, exact verification, no chaining.

The stages are pure functions on compact arrays, so a persistent index or a distributed engine can call them one
by one: `prepare_text` / `prepare_documents` (normalise, paragraph chunks, value slots, origin) ->
`shingles.shingle_sets` -> `shingles.frequent_hashes` + `shingles.content_mask` (the corpus-frequent cut) ->
`cluster.priority_rank` -> `minhash.chunk_signatures` -> `lsh.band_digests` -> `lsh.chunk_candidate_pairs` ->
`verify.verify_pair` -> `cluster.star_clusters` -> `build_clusters`. `cluster_arrays` runs the corpus-wide part;
`Deduplicator` wires everything together for in-memory use. The Dask engine runs the corpus-wide part in rounds on
the same decisions: the frequent cut (`shingles.frequent_among`), the representative order (`cluster.PRIORITY`),
the bucket rule (`lsh.chunk_pairs`), the choice of a representative and the cluster record (`cluster`).
Whole-document signatures (`minhash.signatures`, `lsh.band_keys`) stay available, row for row equal to
datasketch's MinHash.
"""

from __future__ import annotations

from cleaner.dedup.config import DedupConfig
from cleaner.dedup.deduplicator import (
    Assignment,
    Deduplicator,
    EarlyPreparations,
    Features,
    Prepared,
    build_clusters,
    cluster_arrays,
    content_sets,
    max_document_frequency,
    prepare_documents,
    prepare_text,
)
from cleaner.dedup.origin import detect_origin

__all__ = [
    "Assignment",
    "DedupConfig",
    "Deduplicator",
    "EarlyPreparations",
    "Features",
    "Prepared",
    "build_clusters",
    "cluster_arrays",
    "content_sets",
    "detect_origin",
    "max_document_frequency",
    "prepare_documents",
    "prepare_text",
]
