"""The Dask engine: the plans of `cleaner.stages` (`run`, `extract`, `dedup`) on a Dask cluster, with the local
engine's results.

    from cleaner.engines import dask_engine
    report = dask_engine.run(["crawl/"], "out", scheduler="tcp://scheduler:8786")   # None: a LocalCluster

Workers read the inputs themselves from shared storage (the client only lists files and cuts big JSONL files into
byte ranges) and every stage is a partition-wise map or a shuffle (`Bag.groupby(shuffle="tasks")`):

    read + extract + clutter  map over input pieces
    a group step              summaries shuffled to the partition owning their key (an id: a flag; a site: its
                              pages), decided there per key, verdicts shuffled back to the outcomes' partitions
    shingles, value slots     map
    frequent-shingle cut      shuffle of (hash, count) by hash, sum per hash, the few frequent hashes broadcast
    representative rank       distributed sample sort on the local engine's key
    MinHash + LSH             map (chunk signatures, band-key digests), shuffle by (band, digest), bucket pairs
    star clustering           rounds: each partition decides what it can, decisions (and representatives'
                              shingles) go to the partitions of their candidates; see cleaner.engines.dedup_parts
    clusters, outputs         members shuffled to their representative; records sorted by a distributed sort
                              and written per partition, then concatenated into the usual files
    with --index              outcomes and dedup features made on the workers, then the index updated on the
                              client against its store (a day's update reads only what the day touches) and the
                              outputs written by cleaner.index.write_run_with_index, as the local engine does

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
from cleaner.index import Features, write_run_with_index
from cleaner.io.writers import atomic_path, format_for, write_records
from cleaner.models import PathLike, ProgressHook, RunReport, announce_total
from cleaner.outputs.files import OUTPUT_NAMES, clear_previous_outputs, extract_file_format
from cleaner.stages import FailureTally, GroupStep, Job, Step, failure_tally, output_order, plan

try:
    import dask
    import dask.bag as db
    from distributed import Client, LocalCluster, wait
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ConfigError("the Dask engine needs Dask: pip install 'cleaner[dask]'") from exc

log = logging.getLogger(__name__)
delayed = dask.delayed
# called with (out_dir, the records written or None, the report) before an index commits: run.json, report.html
Finish = Callable[[Path, Any, RunReport], None]


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
        if mode == "html":
            from cleaner.extract.core import check_extraction_stack

            check_extraction_stack(self.config)  # the canary, here, before any input is read
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
        if mode == "html":  # the same internal error on every page: the stack is broken, the run stops
            FailureTally.merged(self.gather([delayed(failure_tally)(part) for part in parts])).check()
        # input positions (the manifest's order): partitions hold consecutive pieces, in the local engine's order
        sizes = self.gather([delayed(len)(part) for part in parts])
        firsts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist() if sizes else []
        parts = self.persist([delayed(pt.numbered)(part, first) for part, first in zip(parts, firsts, strict=True)])
        self.stats["partitions"] = len(parts)
        self.timed("read", started)
        return parts

    def steps(self, parts: list[Any], steps: Sequence[Step]) -> list[Any]:
        """The plan's steps in order, each a shuffle of its summaries by key."""
        for step in steps:
            started = time.perf_counter()
            parts = self.group_step(parts, step)
            wait(parts)
            self.timed(step.name, started)
        return parts

    def group_step(self, parts: list[Any], step: GroupStep[Any, Any]) -> list[Any]:
        """Summaries go to the partition owning their key, which decides; verdicts go back to the outcomes."""
        n = len(parts)
        inboxes = self.exchange([delayed(pt.key_outbox)(step, i, part, n) for i, part in enumerate(parts)], n)
        verdicts = self.persist([delayed(pt.group_verdicts)(step, inbox) for inbox in inboxes])
        if not sum(self.gather([delayed(len)(v) for v in verdicts])):
            return parts
        inboxes = self.exchange(verdicts, n)
        return self.persist([delayed(pt.apply_verdicts)(step, p, i) for p, i in zip(parts, inboxes, strict=True)])

    # --- dedup ------------------------------------------------------------------------------------------------------

    def cluster(self, parts: list[Any]) -> list[Any]:
        """The corpus step over the articles of `parts`: per partition, (placements of its articles, the clusters
        whose representative it holds)."""
        started = time.perf_counter()
        dparts = self.persist([delayed(dp.prepare)(i, part, self.config.dedup) for i, part in enumerate(parts)])
        wait(dparts)
        self.timed("shingles", started)
        return self.cluster_prepared(dparts)

    def cluster_prepared(self, dparts: list[Any]) -> list[Any]:
        """`cluster` from prepared documents (`dedup_parts.DedupPart`, per partition): where documents whose
        preparation is stored (a persistent index) can join this run's."""
        cfg = self.config.dedup
        n = len(dparts)
        documents = sum(self.gather([delayed(dp.article_count)(d) for d in dparts]))
        self.stats["documents"] = documents
        started = time.perf_counter()
        inboxes = self.exchange([delayed(dp.site_hash_outbox)(d, n) for d in dparts], n)
        inboxes = self.exchange([delayed(dp.site_frequent)(i, cfg) for i in inboxes], n)
        dparts = self.persist([delayed(dp.set_site_cut)(d, i) for d, i in zip(dparts, inboxes, strict=True)])
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


def execute(
    job: Job,
    paths: Iterable[PathLike],
    out: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    scheduler: str | Client | None = None,
    options: DaskOptions | None = None,
    stats: dict[str, Any] | None = None,
    index: PathLike | None = None,
    finish: Finish | None = None,
) -> RunReport:
    """The plan of `job` on Dask: read, its steps, then clustering and a run's files in folder `out` (`run`,
    `dedup`) or one line per input document in file `out` (`extract`).

    `scheduler`: a scheduler address, a connected `distributed.Client`, or None for a LocalCluster here.
    `stats` (optional) receives the partition count, candidate pairs, star rounds and seconds per stage.
    `index` (run, dedup): cluster against and into a persistent event index, `finish` called before it commits.
    """
    config = config or Config()
    options = options or DaskOptions()
    job_plan = plan(job, config)
    started = time.perf_counter()
    paths = list(paths)
    with connect(scheduler or options.scheduler, options.workers or config.run.worker_count()) as client:
        engine = _Engine(client, config, options)
        parts = engine.read(paths, job_plan.mode)
        if progress is not None:
            stage = "extract" if job_plan.mode == "html" else "read"
            done = sum(engine.gather([delayed(len)(p) for p in parts]))
            announce_total(progress, stage, done)  # known only now: Dask reads the inputs on its workers
            progress(stage, done)
        parts = engine.steps(parts, job_plan.steps)
        if index is not None and job_plan.clusters:
            report = _index_and_write(engine, parts, Path(out), index, finish)
        else:
            write = _cluster_and_write if job_plan.clusters else _write_lines
            report = write(engine, parts, Path(out))
    report.seconds = round(time.perf_counter() - started, 3)
    if stats is not None:
        stats.update(engine.stats)
    return report


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


def _write_lines(engine: _Engine, parts: list[Any], out_path: Path) -> RunReport:
    """`cleaner extract`'s file: one line per input document, ordered as the local engine orders them."""
    results = engine.persist([delayed(pt.extract_rows)(part) for part in parts])
    fmt = format_for(out_path, extract_file_format(out_path, engine.config))
    engine.write([delayed(_first)(r) for r in results], [("extract", out_path, fmt)], out_path.parent)
    report = pt.merge_reports(engine.gather([delayed(_second)(r) for r in results]))
    report.outputs = {"extract": str(out_path)}
    return report


def _index_and_write(
    engine: _Engine, parts: list[Any], out_dir: Path, index: PathLike, finish: Finish | None
) -> RunReport:
    """--index on Dask: the workers make the day's outcomes and their dedup features (`dedup_parts.prepare`); the
    client then updates the index against its store, as the local engine does (an update reads only what the day
    touches). Outputs, index and commit are the local engine's: `write_run_with_index` writes them."""
    started = time.perf_counter()
    prepared = engine.persist([delayed(dp.prepare)(i, part, engine.config.dedup) for i, part in enumerate(parts)])
    outcomes = sorted((o for part in engine.gather(parts) for o in part), key=output_order)
    features = Features.concat([_features(part) for part in engine.gather(prepared)])
    engine.timed("features", started)
    return write_run_with_index(out_dir, outcomes, index, engine.config, finish, features=features)


def _features(part: dp.DedupPart) -> Features:
    """A partition's features as the index takes them (`document_features` of its articles, made by the worker)."""
    return Features.of(part.articles, part.dates, part.origins, part.lengths, part.sets, part.slots)


def run(
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    scheduler: str | Client | None = None,
    options: DaskOptions | None = None,
    stats: dict[str, Any] | None = None,
    index: PathLike | None = None,
    finish: Finish | None = None,
) -> RunReport:
    """cleaner.engines.local.run on Dask: the same four files, line for line.

    `index`: dedup against a persistent event index and extend it, calling `finish` before the index commits.
    """
    return execute(
        "run",
        paths,
        out_dir,
        config,
        progress,
        scheduler=scheduler,
        options=options,
        stats=stats,
        index=index,
        finish=finish,
    )


def dedup(
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    scheduler: str | Client | None = None,
    options: DaskOptions | None = None,
    stats: dict[str, Any] | None = None,
    index: PathLike | None = None,
    finish: Finish | None = None,
) -> RunReport:
    """cleaner.engines.local.dedup on Dask: cluster JSONL records that hold text; the same files, line for line."""
    return execute(
        "dedup",
        paths,
        out_dir,
        config,
        progress,
        scheduler=scheduler,
        options=options,
        stats=stats,
        index=index,
        finish=finish,
    )


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
    """cleaner.engines.local.extract on Dask: one line per input document, ordered by id."""
    return execute("extract", paths, out_file, config, progress, scheduler=scheduler, options=options, stats=stats)


__all__ = ["DaskOptions", "connect", "dedup", "execute", "extract", "run"]
