"""The library's entry points: what `cleaner run`, `extract` and `dedup` do, on the engine asked for.

run(paths, out_dir)          the whole job: articles, clusters, documents, manifest, report.html
run_extract(paths, out_file) one line per input document, no clustering
run_dedup(paths, out_dir)    cluster JSONL records that already hold text; same files as `run`
iter_outcomes(paths)         the streaming core: one Outcome per input document, in input order
clean_records(records)       the same for pages handed over in memory, with the caller's ids
clean_html(html, url)        one page -> Article
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Literal

from cleaner.config import Config
from cleaner.engines import local
from cleaner.engines.local import iter_outcomes
from cleaner.errors import ConfigError, ExtractionError
from cleaner.extract.accel import accelerator_status
from cleaner.io.readers import Record, html_document
from cleaner.io.writers import STDOUT, check_output_file, check_output_folder
from cleaner.models import Article, Outcome, PathLike, ProgressHook, RunReport
from cleaner.outputs.files import RunOutputs
from cleaner.outputs.run_info import RunInfo, write_run_info

__all__ = ["ENGINES", "clean_html", "clean_records", "iter_outcomes", "run", "run_dedup", "run_extract"]

ENGINES = ("local", "dask")


def _dask_engine(engine: str) -> ModuleType | None:
    """None for the local engine; the Dask engine module otherwise (it needs the cleaner[dask] extra)."""
    if engine == "local":
        return None
    if engine != "dask":
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    from cleaner.engines import dask_engine

    return dask_engine


def _finisher(command: str, engine: str, config: Config, index: PathLike | None) -> local.Finish:
    """A run's last step, once its files are written (and before an index commits): OUT/run.json, the record of
    its settings, versions and counts, then report.html, which shows them."""
    from cleaner.report import write_report

    started = time.perf_counter()

    def finish(out_dir: Path, written: RunOutputs | None, report: RunReport) -> None:
        report.seconds = round(time.perf_counter() - started, 3)
        index_info = {"path": str(index)} if index is not None else None
        info = RunInfo.of(command, engine, config, report, accelerator_status(config.extract), index_info)
        report.outputs["run"] = str(write_run_info(out_dir, info))
        if written is not None:
            written.info = info
        report.outputs["report"] = str(write_report(out_dir, outputs=written))

    return finish


def run(
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    index: PathLike | None = None,
) -> RunReport:
    """The whole job on scraped HTML: one record per news event with its sources, plus a manifest.

    `engine="dask"` runs the same decisions on a Dask cluster (`scheduler` address, or a LocalCluster).
    `index` is a persistent event index folder: dedup against the events kept by earlier runs, then extend it.
    """
    return _clustered("run", paths, out_dir, config, progress, engine, scheduler, index)


def run_extract(
    paths: Iterable[PathLike],
    out_file: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
) -> RunReport:
    """Extract and clean every document into one file, one line per input document ("-": JSON lines on stdout)."""
    check_output_file(Path(out_file))
    if str(out_file) == STDOUT and (engine != "local" or (config or Config()).run.output_format != "jsonl"):
        raise ConfigError("output to stdout (-) is JSON lines from the local engine: drop --engine or --format")
    if (distributed := _dask_engine(engine)) is not None:
        return distributed.extract(paths, out_file, config, progress, scheduler=scheduler)
    return local.extract(paths, out_file, config or Config(), progress)


def run_dedup(
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    index: PathLike | None = None,
) -> RunReport:
    """Cluster JSONL records that already hold text; same output files as `run`."""
    return _clustered("dedup", paths, out_dir, config, progress, engine, scheduler, index)


def _clustered(
    job: Literal["run", "dedup"],
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config | None,
    progress: ProgressHook | None,
    engine: str,
    scheduler: str | None,
    index: PathLike | None,
) -> RunReport:
    """`run` and `run_dedup`: the job's files in `out_dir` on the engine asked for, then run.json and report.html."""
    check_output_folder(Path(out_dir))
    config = config or Config()
    finish = _finisher(job, engine, config, index)
    if (distributed := _dask_engine(engine)) is not None:
        report = distributed.execute(
            job, paths, out_dir, config, progress, scheduler=scheduler, index=index, finish=finish
        )
        if index is None:  # with an index, the engine calls it before the index commits
            finish(Path(out_dir), None, report)
        return report
    local_job = local.run if job == "run" else local.dedup
    return local_job(paths, out_dir, config, progress, index, finish)


def clean_html(
    html: str | bytes, url: str | None = None, config: Config | None = None, *, id: str | None = None
) -> Article:
    """Library convenience: one HTML string/bytes -> Article (raises ExtractionError naming the id or url).

    `id` is the article's id (default: a hash of the url, else of the bytes: two byte-identical pages given without
    ids get the same one, so give ids when they go into one Deduplicator).
    """
    from cleaner.extract.core import extract_article

    config = config or Config()
    doc = html_document(html, url, id)
    try:
        return extract_article(doc, config.extract, config.clutter)
    except ExtractionError as exc:
        raise ExtractionError(exc.reason, exc.detail, source=url or doc.id) from exc


def clean_records(
    records: Iterable[Record], *, config: Config | None = None, jobs: int | None = None
) -> Iterator[Outcome]:
    """Clean pages handed over in memory, on `jobs` worker processes: one Outcome per record, in input order.

    `records`: any iterable (an endless generator too) of mappings with `id`, `html` (str or bytes) and an optional
    `url`, or of `RawDocument`s. Each outcome keeps the record's id and has `.status` ("extracted" or "rejected"),
    `.article` (or None) and `.reason`; its text equals `clean_html`'s for the same page. A page that fails, hangs
    past `config.run.timeout_seconds` or kills its worker costs only its own outcome. Records are taken lazily, at
    most a bounded window ahead of the outcomes consumed. Per page only: the corpus steps of a run (repeated pages,
    site templates) need the whole corpus and are not applied. `jobs`: None takes `config.run.jobs` (0: all cores).
    A record with no id raises InputError.
    """
    config = config or Config()
    if jobs is not None and jobs < 0:
        raise ConfigError(f"jobs must be 0 (all cores) or more, got {jobs}")
    workers = config.run.worker_count() if jobs is None else replace(config.run, jobs=jobs).worker_count()
    return local.iter_record_outcomes(records, config, workers)
