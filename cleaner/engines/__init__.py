"""Execution engines beside the default in-process one (`cleaner.pipeline`).

`dask_engine` runs the same stages on a Dask cluster: `partitions` and `dedup_parts` hold the per-partition work
as pure functions (no Dask import), so they can be read and tested on their own; only `dask_engine` imports Dask.
"""
