"""Executors of the plans in `cleaner.stages`: `local` (this machine, a pool of forked workers) and `dask_engine`.

`dask_engine` runs the same steps on a Dask cluster: `partitions` and `dedup_parts` hold the per-partition work
as pure functions (no Dask import), so they can be read and tested on their own; only `dask_engine` imports Dask.
"""
