"""The Dask engine: `run`, `extract` and `dedup` on a Dask cluster, with the local engine's results.

    from cleaner.engines import dask_engine
    report = dask_engine.run(["crawl/"], "out", scheduler="tcp://scheduler:8786")   # None: a LocalCluster

Workers read the inputs themselves from shared storage (the client only lists files and cuts big JSONL files into
byte ranges) and every stage is a partition-wise map or a shuffle (`Bag.groupby(shuffle="tasks")`):

    read + extract + clutter  map over input pieces
    repeated ids              group-by on id (ids and positions only)
    site templates            group-by on site (the site's pages move; strip_site_templates runs per group)
    shingles, value slots     map
    frequent-shingle cut      shuffle of (hash, count) by hash, sum per hash, the few frequent hashes broadcast
    representative rank       distributed sample sort on the local engine's key
    MinHash + LSH             map (chunk signatures, band-key digests), shuffle by (band, digest), bucket pairs
    star clustering           rounds: each partition decides what it can, decisions (and representatives'
                              shingles) go to the partitions of their candidates; see cleaner.engines.dedup_parts
    clusters, outputs         members shuffled to their representative; records sorted by a distributed sort
                              and written per partition, then concatenated into the usual files

This is the only module that imports Dask (`pip install 'cleaner[dask]'`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cleaner.config import Config
from cleaner.dedup import max_document_frequency
from cleaner.engines import dedup_parts as dp
from cleaner.engines import partitions as pt
from cleaner.errors import ConfigError
from cleaner.models import RunReport
from cleaner.pipeline import OUTPUT_NAMES, PathLike, ProgressHook, clear_previous_outputs, extract_file_format
from cleaner.writers import atomic_path, format_for, write_records

try:
    import dask
    import dask.bag as db
    from distributed import Client, LocalCluster
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ConfigError("the Dask engine needs Dask: pip install 'cleaner[dask]'") from exc

log = logging.getLogger(__name__)
delayed = dask.delayed


@dataclass(frozen=True, slots=True)
class DaskOptions:
    """Where to run and how finely to cut the work."""

    scheduler: str | None = None  # "tcp://host:8786"; None: a LocalCluster of `workers` processes here
    workers: int = 0  # LocalCluster worker processes (0: config.run.jobs, i.e. all cores)
    partition_bytes: int = 64 << 20  # input bytes per partition at most; big JSONL files are cut to this size
    partitions_per_thread: int = 2  # at least this many partitions per worker thread, so that all work


@contextlib.contextmanager
def connect(scheduler: str | Client | None = None, workers: int = 0) -> Iterator[Client]:
    """A client: the one given, one connected to `scheduler`, or one on a LocalCluster started (and stopped) here."""
    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    n_workers = workers or os.cpu_count() or 1
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _destination(item: tuple[int, Any]) -> int:
    return item[0]


def _group_keys(partition: Iterable[tuple[int, list[Any]]]) -> list[list[int]]:
    return [[key for key, _ in partition]]


def _inbox_of(partition: Iterable[tuple[int, list[tuple[int, Any]]]], dest: int) -> list[Any]:
    for key, items in partition:
        if key == dest:
            return [payload for _, payload in items]
    return []


def _pair(first: Any, second: Any) -> tuple[Any, Any]:
    return first, second


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _second(pair: tuple[Any, Any]) -> Any:
    return pair[1]


class _Engine:
    """The client side: builds each stage's task graph, persists it on the workers, keeps only small results."""

    def __init__(self, client: Client, config: Config, options: DaskOptions) -> None:
        self.client = client
        self.config = config
        self.options = options
        self.stats: dict[str, Any] = {}

    # --- primitives ---------------------------------------------------------------------------------------------

    def persist(self, items: list[Any]) -> list[Any]:
        return list(self.client.persist(items)) if items else []

    def pairs(self, items: list[Any]) -> list[tuple[Any, Any]]:
        """Persist both halves of tasks returning pairs (`delayed(..., nout=2)`), once."""
        persisted = self.persist([i[0] for i in items] + [i[1] for i in items])
        return list(zip(persisted[: len(items)], persisted[len(items) :], strict=True))

    def gather(self, items: list[Any]) -> list[Any]:
        return list(self.client.compute(items, sync=True)) if items else []

    def exchange(self, outboxes: list[Any], partitions: int) -> list[Any]:
        """Shuffle: outbox i holds (destination, payload) pairs; inbox d gets every payload sent to d."""
        grouped = self.client.persist(db.from_delayed(outboxes).groupby(_destination, shuffle="tasks"))
        layout = self.client.compute(grouped.map_partitions(_group_keys), sync=True)
        where = {dest: index for index, dests in enumerate(layout) for dest in dests}
        parts = grouped.to_delayed(optimize_graph=False)
        return [delayed(_inbox_of)(parts[where[d]], d) if d in where else [] for d in range(partitions)]

    def sort(self, parts: list[Any], partitions: int) -> list[Any]:
        """Rows (key first) of all parts, globally sorted: range i holds keys below those of range i + 1."""
        parts = self.persist(parts)  # read twice (samples, then rows): a key computed twice can be lost between
        samples = self.gather([delayed(pt.sample_keys)(part) for part in parts])
        splitters = pt.choose_splitters(samples, partitions)
        inboxes = self.exchange([delayed(pt.range_outbox)(part, splitters) for part in parts], partitions)
        return self.persist([delayed(pt.sorted_range)(inbox) for inbox in inboxes])

    def timed(self, stage: str, started: float) -> None:
        self.stats.setdefault("seconds", {})[stage] = round(time.perf_counter() - started, 3)
        log.info("dask engine: %s done in %.2f s", stage, time.perf_counter() - started)

    # --- reading --------------------------------------------------------------------------------------------------

    def threads(self) -> int:
        return max(sum(self.client.nthreads().values()), 1)

    def read(self, paths: Iterable[PathLike], mode: pt.Mode) -> list[Any]:
        """Plan pieces here (listing and sizes only), read and extract them on the workers."""
        started = time.perf_counter()
        files = pt.plan_pieces(paths, mode, self.options.partition_bytes)
        total = sum(size for _, size in files)
        wanted = max(
            self.threads() * self.options.partitions_per_thread, math.ceil(total / self.options.partition_bytes)
        )
        target = max(math.ceil(total / wanted), 1)
        if target < self.options.partition_bytes:  # cut big JSONL files finer, so that every worker has work
            files = pt.plan_pieces(paths, mode, target)
        pieces = [piece for piece, _ in files]
        split = [i for i, piece in enumerate(pieces) if piece.end is not None]
        counts = [0] * len(pieces)
        for i, count in zip(split, self.gather([delayed(pt.newline_count)(pieces[i]) for i in split]), strict=True):
            counts[i] = count
        pieces = pt.number_blocks(pieces, counts)
        groups: list[list[pt.Piece]] = []
        filled = target
        for piece, (_, size) in zip(pieces, files, strict=True):
            if filled >= target:
                groups.append([])
                filled = 0
            groups[-1].append(piece)
            filled += max(size, 1)
        parts = self.persist([delayed(pt.read_partition)(group, self.config, mode) for group in groups])
        self.stats["partitions"] = len(parts)
        self.timed("read", started)
        return parts

    def unique_ids(self, parts: list[Any], mode: pt.Mode) -> list[Any]:
        started = time.perf_counter()
        n = len(parts)
        inboxes = self.exchange([delayed(pt.id_outbox)(i, part, n) for i, part in enumerate(parts)], n)
        decisions = self.persist([delayed(pt.id_decisions)(inbox, mode) for inbox in inboxes])
        if sum(self.gather([delayed(len)(d) for d in decisions])):
            inboxes = self.exchange(decisions, n)
            parts = self.persist(
                [delayed(pt.apply_id_decisions)(p, i, mode) for p, i in zip(parts, inboxes, strict=True)]
            )
        self.timed("ids", started)
        return parts

    def templates(self, parts: list[Any]) -> list[Any]:
        started = time.perf_counter()
        n = len(parts)
        if pt.templates_enabled(self.config):
            split = self.pairs([delayed(pt.site_outbox, nout=2)(part, n) for part in parts])
            inboxes = self.exchange([s[1] for s in split], n)
            parts = [delayed(pt.strip_sites)(s[0], inbox, self.config) for s, inbox in zip(split, inboxes, strict=True)]
        parts = self.persist([delayed(pt.drop_short)(part, self.config) for part in parts])
        self.timed("templates", started)
        return parts

    # --- dedup ------------------------------------------------------------------------------------------------------

    def cluster(self, parts: list[Any]) -> list[Any]:
        """Per partition: (placements of its articles, the clusters whose representative it holds)."""
        cfg = self.config.dedup
        n = len(parts)
        started = time.perf_counter()
        dparts = self.persist([delayed(dp.prepare)(i, part, cfg) for i, part in enumerate(parts)])
        documents = sum(self.gather([delayed(dp.article_count)(d) for d in dparts]))
        self.stats["documents"] = documents
        self.timed("shingles", started)
        started = time.perf_counter()
        max_df = max_document_frequency(documents, cfg)
        inboxes = self.exchange([delayed(dp.hash_count_outbox)(d, n) for d in dparts], n)
        frequent = np.unique(
            np.concatenate(
                [np.zeros(0, np.uint32), *self.gather([delayed(dp.frequent_of)(i, max_df) for i in inboxes])]
            )
        )
        self.stats["frequent_shingles"] = len(frequent)
        shared = self.client.scatter(frequent, broadcast=True)
        dparts = self.persist([delayed(dp.cut_frequent)(d, shared, cfg) for d in dparts])
        self.timed("frequent", started)
        started = time.perf_counter()
        ranges = self.sort([delayed(dp.rank_rows)(d, cfg.representative) for d in dparts], n)
        sizes = self.gather([delayed(len)(r) for r in ranges])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
        inboxes = self.exchange([delayed(dp.rank_outbox)(r, o) for r, o in zip(ranges, offsets, strict=True)], n)
        dparts = self.persist([delayed(dp.set_rank)(d, i) for d, i in zip(dparts, inboxes, strict=True)])
        self.timed("rank", started)
        started = time.perf_counter()
        inboxes = self.exchange([delayed(dp.band_outbox)(d, cfg, n) for d in dparts], n)
        candidates = self.persist([delayed(dp.bucket_candidates)(i, cfg) for i in inboxes])
        self.stats["candidates"] = sum(self.gather([delayed(len)(c) for c in candidates]))
        inboxes = self.exchange([delayed(dp.pair_outbox)(c) for c in candidates], n)
        states = self.persist([delayed(dp.init_stars)(d, i) for d, i in zip(dparts, inboxes, strict=True)])
        self.timed("lsh", started)
        started = time.perf_counter()
        inboxes = self.exchange([delayed(dp.shingles_outbox)(s) for s in states], n)
        states = self.persist([delayed(dp.verify_stars)(s, i, cfg) for s, i in zip(states, inboxes, strict=True)])
        self.stats["verified_pairs"] = sum(self.gather([delayed(dp.verified_pairs)(s) for s in states]))
        self.timed("verify", started)
        started = time.perf_counter()
        states = self.rounds(states)
        self.timed("stars", started)
        started = time.perf_counter()
        placed = self.pairs([delayed(dp.member_outbox, nout=2)(s) for s in states])
        inboxes = self.exchange([p[1] for p in placed], n)
        # dependencies as positional arguments: Dask drops persisted ones nested in a list argument
        result = [
            delayed(_pair)(p[0], delayed(dp.clusters_here)(s, i))
            for p, s, i in zip(placed, states, inboxes, strict=True)
        ]
        self.timed("members", started)
        return result

    def rounds(self, states: list[Any]) -> list[Any]:
        inboxes: list[Any] = [[] for _ in states]
        for number in range(1, 1_000_000):
            steps = [delayed(dp.star_round, nout=3)(s, i) for s, i in zip(states, inboxes, strict=True)]
            persisted = self.persist([s[0] for s in steps] + [s[1] for s in steps] + [s[2] for s in steps])
            k = len(steps)
            states, outboxes, counts = persisted[:k], persisted[k : 2 * k], self.gather(persisted[2 * k :])
            open_documents = sum(c[0] for c in counts)
            messages = sum(c[1] for c in counts)
            log.info("dask engine: round %d: %d documents not final, %d messages", number, open_documents, messages)
            if open_documents == 0:
                self.stats["rounds"] = number
                return states
            if messages == 0:
                raise RuntimeError("star clustering made no progress: a decision was not delivered (a bug)")
            inboxes = self.exchange(outboxes, len(states))
        raise RuntimeError("star clustering did not converge")

    # --- outputs ----------------------------------------------------------------------------------------------------

    def write(
        self, rows: list[Any], targets: Sequence[tuple[str, Path, str]], folder: Path, replaces_run: bool = False
    ) -> None:
        """Sort every output line globally, write the ranges per partition, then concatenate them in order."""
        started = time.perf_counter()
        ranges = self.sort(rows, len(rows))
        names = [name for name, _, _ in targets]
        folder.mkdir(parents=True, exist_ok=True)
        parts_dir = Path(tempfile.mkdtemp(prefix=".cleaner-dask-", dir=folder))
        try:
            written = self.gather([delayed(pt.write_part)(r, str(parts_dir), i, names) for i, r in enumerate(ranges)])
            if replaces_run:  # every format of an earlier run's files goes, as in a local run
                clear_previous_outputs(folder)
            for index, (_, path, fmt) in enumerate(targets):
                _concatenate([part for parts in written for output, part in parts if output == index], path, fmt)
        finally:
            shutil.rmtree(parts_dir, ignore_errors=True)
        self.timed("write", started)


def _concatenate(parts: Sequence[str], path: Path, fmt: str) -> None:
    """The final file from sorted part files of JSON lines: bytes as the local writer writes them."""
    if fmt == "jsonl":  # part lines are writers.dumps(record) + "\n": the same bytes write_records writes
        with atomic_path(path) as temporary, open(temporary, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out)
        return

    def records() -> Iterator[dict[str, Any]]:
        for part in parts:
            with open(part, encoding="utf-8") as handle:
                yield from (json.loads(line) for line in handle)

    write_records(path, records(), fmt)


def _job(
    paths: Iterable[PathLike],
    config: Config | None,
    scheduler: str | Client | None,
    options: DaskOptions | None,
    stats: dict[str, Any] | None,
    body: Callable[[_Engine, list[PathLike]], RunReport],
) -> RunReport:
    config = config or Config()
    options = options or DaskOptions()
    started = time.perf_counter()
    paths = list(paths)
    with connect(scheduler or options.scheduler, options.workers or config.run.worker_count()) as client:
        engine = _Engine(client, config, options)
        report = body(engine, paths)
    report.seconds = round(time.perf_counter() - started, 3)
    if stats is not None:
        stats.update(engine.stats)
    return report


def _report_progress(engine: _Engine, parts: list[Any], stage: str, progress: ProgressHook | None) -> None:
    if progress is not None:
        progress(stage, sum(engine.gather([delayed(len)(p) for p in parts])))


def _cluster_and_write(engine: _Engine, parts: list[Any], out_dir: Path) -> RunReport:
    clustered = engine.cluster(parts)
    results = engine.persist(
        [
            delayed(pt.run_rows)(part, delayed(_first)(c), delayed(_second)(c))
            for part, c in zip(parts, clustered, strict=True)
        ]
    )
    fmt = format_for(out_dir / "articles", engine.config.run.output_format)
    targets = [(name, out_dir / f"{name}.{fmt}", fmt) for name in OUTPUT_NAMES]
    engine.write([delayed(_first)(r) for r in results], targets, out_dir, replaces_run=True)
    report = pt.merge_reports(engine.gather([delayed(_second)(r) for r in results]))
    report.outputs = {name: str(path) for name, path, _ in targets}
    return report


def run(
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    scheduler: str | Client | None = None,
    options: DaskOptions | None = None,
    stats: dict[str, Any] | None = None,
) -> RunReport:
    """cleaner.pipeline.run on Dask: the same four files, line for line.

    `scheduler`: a scheduler address, a connected `distributed.Client`, or None for a LocalCluster here.
    `stats` (optional) receives the partition count, candidate pairs, star rounds and seconds per stage.
    """

    def body(engine: _Engine, inputs: list[PathLike]) -> RunReport:
        parts = engine.read(inputs, "html")
        _report_progress(engine, parts, "extract", progress)
        parts = engine.templates(engine.unique_ids(parts, "html"))
        return _cluster_and_write(engine, parts, Path(out_dir))

    return _job(paths, config, scheduler, options, stats, body)


def dedup(
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    scheduler: str | Client | None = None,
    options: DaskOptions | None = None,
    stats: dict[str, Any] | None = None,
) -> RunReport:
    """cleaner.pipeline.dedup on Dask: cluster JSONL records that hold text; the same files, line for line."""

    def body(engine: _Engine, inputs: list[PathLike]) -> RunReport:
        parts = engine.read(inputs, "text")
        _report_progress(engine, parts, "read", progress)
        parts = engine.unique_ids(parts, "text")
        return _cluster_and_write(engine, parts, Path(out_dir))

    return _job(paths, config, scheduler, options, stats, body)


def extract(
    paths: Iterable[PathLike],
    out_file: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    scheduler: str | Client | None = None,
    options: DaskOptions | None = None,
    stats: dict[str, Any] | None = None,
) -> RunReport:
    """cleaner.pipeline.extract on Dask: one line per input document, ordered by id."""

    def body(engine: _Engine, inputs: list[PathLike]) -> RunReport:
        parts = engine.read(inputs, "html")
        _report_progress(engine, parts, "extract", progress)
        parts = engine.templates(engine.unique_ids(parts, "html"))
        results = engine.persist([delayed(pt.extract_rows)(part) for part in parts])
        out_path = Path(out_file)
        fmt = format_for(out_path, extract_file_format(out_path, engine.config))
        engine.write([delayed(_first)(r) for r in results], [("extract", out_path, fmt)], out_path.parent)
        report = pt.merge_reports(engine.gather([delayed(_second)(r) for r in results]))
        report.outputs = {"extract": str(out_path)}
        return report

    return _job(paths, config, scheduler, options, stats, body)


__all__ = ["DaskOptions", "connect", "dedup", "extract", "run"]
