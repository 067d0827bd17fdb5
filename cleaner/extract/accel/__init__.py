"""Below trafilatura's public API: guarded accelerators, each used only where `guard` lets it.

    guard     which accelerators may run: trafilatura's version in the tested range, their sources' digests
    pruning   the pruning XPaths (walks) and two readability methods (stand-ins), the same answers faster
    metadata  extract_metadata's whole-tree searches as one walk
    cascade   trafilatura's internal cascade called directly, without bare_extraction's copy of the tree
    checks    accelerate = "verify": differences from trafilatura's own answers, noted per page
    digests   the source digests the guards compare

`accelerator_status(config)` says, for a run record, which accelerators are active and why.
"""

from cleaner.extract.accel.guard import accelerator_status

__all__ = ["accelerator_status"]
