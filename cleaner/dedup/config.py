"""Options for near-duplicate clustering."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Shingling, MinHash LSH and verification settings (defaults documented per field)."""

    num_perm: int = 128
    shingle_size: int = 5
    threshold: float = 0.5
    seed: int = 1
