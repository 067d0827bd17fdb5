"""What an index was built with, and whether this run may extend it: format, library versions, a digest of the
hashes a fixed text gets (the implementation's identity), and the dedup parameters that shape results."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from cleaner.dedup.config import DedupConfig
from cleaner.dedup.lsh import all_band_keys
from cleaner.dedup.minhash import SCHEME, signatures
from cleaner.errors import IndexMismatchError
from cleaner.index.features import csr_fields, document_features
from cleaner.models import Article

FORMAT = "cleaner-event-index"
# 2: append-only segments with per-run records (1 rewrote every array as one generation folder per run)
FORMAT_VERSION = 2
# DedupConfig fields that do not change any result (memory/speed knobs), so an index may be reused across them.
NEUTRAL_PARAMS = frozenset({"batch_size"})
# What the probe digest checks bit for bit (see `hash_scheme`).
SHINGLE_HASH = "cleaner.dedup.shingles.shingle_sets: uint32 window hashes, consistent 1/shingle_sample"
SLOT_HASH = "cleaner.dedup.normalize.value_slots: uint32 (context, value) hashes"
_PROBE_TEXT = (
    "GENEVA, March 3 (Reuters) - Talks ended without a deal; 60 pct enrichment, 1,200 centrifuges, officials said."
)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    import datasketch

    try:
        cleaner_version = version("cleaner")
    except PackageNotFoundError:
        cleaner_version = "unknown"
    return {"cleaner": cleaner_version, "numpy": np.__version__, "datasketch": str(datasketch.__version__)}


def dedup_params(config: DedupConfig) -> dict[str, Any]:
    """The DedupConfig fields that shape stored features or clusters (all but memory/speed knobs)."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in NEUTRAL_PARAMS}


def hash_scheme(config: DedupConfig) -> dict[str, Any]:
    """Names of the hashes, plus a digest of a fixed text's shingles, slots, signature and band keys.

    The digest is the implementation's identity: any change in normalising, shingle hashing, slot hashing or
    datasketch's permutations changes it, and features stored under another digest cannot be mixed with new ones.
    """
    probe = document_features([Article("probe", "probe", None, _PROBE_TEXT)], config)
    sig = signatures(probe.sets, config.num_perm, config.seed)
    digest = hashlib.sha256()
    for array in (
        *csr_fields(probe.sets).values(),
        *csr_fields(probe.slots).values(),
        sig,
        all_band_keys(sig, config.band_rows),
    ):
        digest.update(np.ascontiguousarray(array).tobytes())
    return {
        "shingle": SHINGLE_HASH,
        "slots": SLOT_HASH,
        "minhash": f"datasketch {SCHEME}",
        "band_keys": f"{config.band_rows} rows per band",
        "layout": {
            "shingles": {name: str(a.dtype) for name, a in csr_fields(probe.sets).items()},
            "slots": {name: str(a.dtype) for name, a in csr_fields(probe.slots).items()},
        },
        "probe_sha256": digest.hexdigest(),
    }


def index_identity(config: DedupConfig) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "hash_scheme": hash_scheme(config),
        "dedup": dedup_params(config),
    }


def check_compatible(stored: dict[str, Any], current: dict[str, Any], where: Path) -> None:
    """Raise IndexMismatchError, saying what differs and how to proceed, unless `stored` can be extended now."""
    if (stored.get("format"), stored.get("format_version")) != (FORMAT, FORMAT_VERSION):
        raise IndexMismatchError(
            f"{where} is index format {stored.get('format')!r} v{stored.get('format_version')}, this cleaner reads "
            f"{FORMAT!r} v{FORMAT_VERSION}: rebuild it by rerunning over the corpus with a new --index folder"
        )
    params = [
        f"{k} = {stored['dedup'].get(k)!r} (this run: {v!r})"
        for k, v in current["dedup"].items()
        if stored["dedup"].get(k) != v
    ]
    if params:
        raise IndexMismatchError(
            f"{where} was built with other [dedup] settings: {'; '.join(params)}. Run with the index's settings "
            "(set them in [tool.cleaner.dedup] or --config) or start a new --index folder"
        )
    old_v, new_v = stored["versions"], current["versions"]
    for lib in ("numpy", "datasketch"):
        if old_v[lib].split(".")[0] != new_v[lib].split(".")[0]:
            raise IndexMismatchError(
                f"{where} was built with {lib} {old_v[lib]}, this run has {lib} {new_v[lib]} (another major "
                f"version): install {lib}=={old_v[lib]} or rebuild the index in a new folder"
            )
    if stored["hash_scheme"] != current["hash_scheme"]:
        raise IndexMismatchError(
            f"{where} was built with another hash scheme (cleaner {old_v['cleaner']}, numpy {old_v['numpy']}, "
            f"datasketch {old_v['datasketch']}; now cleaner {new_v['cleaner']}, numpy {new_v['numpy']}, datasketch "
            f"{new_v['datasketch']}): its stored shingles cannot be mixed with new ones; rebuild it in a new folder"
        )
