"""The local engine: the plans of `cleaner.stages` on this machine, extraction on a pool of forked workers.

iter_outcomes    read + extract + strip clutter, one Outcome per input document, in input order
plan_outcomes    read, then the plan's steps over the whole corpus in memory (a group step groups in a dict)
run / dedup      ... then clustering and the output files (with an index: against and into it)
extract          ... then one line per input document
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cleaner.config import Config
from cleaner.dedup import EarlyPreparations
from cleaner.engines.pool import Failure, Limits, map_documents
from cleaner.io.readers import (
    HtmlFile,
    Record,
    count_documents,
    document_id,
    iter_document_sources,
    iter_jsonl_inputs,
    record_document,
)
from cleaner.io.writers import STDOUT, write_jsonl_stream, write_records
from cleaner.models import Outcome, PathLike, ProgressHook, RawDocument, RunReport, announce_total, wants_totals
from cleaner.outputs.files import RunOutputs, extract_file_format, write_run_records
from cleaner.outputs.records import DocumentLine, extraction_report
from cleaner.stages import (
    FailureTally,
    GroupStep,
    Plan,
    Step,
    cluster_articles,
    extract_document,
    output_order,
    plan,
    read_options_for,
    text_outcome,
)

# called with (out_dir, the records just written when at hand, the run's counts) once a run's files are written,
# before an index commits: the api layer records run.json and writes report.html there
Finish = Callable[[Path, RunOutputs | None, RunReport], None]


def limits_for(config: Config) -> Limits:
    return Limits(
        timeout_seconds=config.run.timeout_seconds,
        memory_bytes=config.run.max_memory_mb << 20,
        batch_size=config.run.max_tasks_per_worker,
    )


def as_outcome(result: Outcome | Failure[RawDocument | HtmlFile]) -> Outcome:
    if isinstance(result, Failure):
        return Outcome(result.item.id, result.item.source, reason=result.reason)
    return result


def iter_outcomes(
    paths: Iterable[PathLike], config: Config | None = None, progress: ProgressHook | None = None
) -> Iterator[Outcome]:
    """Stream one Outcome per input document, in input order, extracting on `config.run.jobs` workers."""
    config = config or Config()
    _check_before_reading(config)
    options = read_options_for(config)
    if wants_totals(progress):
        paths = list(paths)  # listed twice: counted, then read
        announce_total(progress, "extract", count_documents(paths, options))
    # HTML files come unread: each worker reads its own, so the parent, which shares the cores, only lists them
    documents = iter_document_sources(paths, options)
    yield from extract_stream(documents, config, config.run.worker_count(), progress)


def iter_record_outcomes(records: Iterable[Record], config: Config, jobs: int) -> Iterator[Outcome]:
    """One Outcome per record (a mapping with `id`, `html`, optional `url`, or a RawDocument), in input order.

    The records are taken lazily: the pool reads at most its reorder window ahead of the outcomes handed out.
    """
    documents = (record_document(record, position) for position, record in enumerate(records))
    yield from extract_stream(documents, config, jobs)


def extract_stream(
    documents: Iterable[RawDocument | HtmlFile], config: Config, jobs: int, progress: ProgressHook | None = None
) -> Iterator[Outcome]:
    """Extract on `jobs` workers: one Outcome per document, in input order, its `position` set."""
    _check_before_reading(config)
    work = functools.partial(extract_document, config=config)
    tally = FailureTally()
    for position, result in enumerate(map_documents(work, documents, jobs, limits_for(config))):
        outcome = as_outcome(result)
        outcome.position = position
        tally.add(outcome)
        if progress is not None:
            progress("extract", 1)
        yield outcome
    tally.check()  # the same internal error on every page: the stack is broken, the run stops


def _check_before_reading(config: Config) -> None:
    """Settings and the extraction stack, checked before any input is listed or read (each once per process)."""
    from cleaner.clutter import check_config
    from cleaner.extract.core import check_extraction_stack

    check_config(config.clutter)  # a misspelt rule id or a bad regex fails here, before any worker starts
    # the canary; forked workers then inherit trafilatura's tables instead of building them
    check_extraction_stack(config)


@contextmanager
def stage(progress: ProgressHook | None, name: str, total: int) -> Iterator[None]:
    """A step done in one go, shown as a stage of `total` items (articles, documents) finished all at once."""
    announce_total(progress, name, total)
    yield
    if progress is not None:
        progress(name, total)


def run_group_step(step: GroupStep[Any, Any], outcomes: Sequence[Outcome]) -> list[Outcome]:
    """`step` over outcomes held in memory: grouped by key in a dict, each group in input order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for position, outcome in enumerate(outcomes):
        key = step.key(outcome)
        if key is not None:
            groups[key].append(position)
    result = list(outcomes)
    for positions in groups.values():
        for i, verdict in step.decide([step.summary(outcomes[p]) for p in positions]):
            result[positions[i]] = step.apply(outcomes[positions[i]], verdict)
    return result


def run_steps(steps: Iterable[Step], outcomes: Sequence[Outcome]) -> list[Outcome]:
    result = list(outcomes)
    for step in steps:
        result = run_group_step(step, result)
    return result


def plan_outcomes(
    job_plan: Plan,
    paths: Iterable[PathLike],
    config: Config,
    progress: ProgressHook | None = None,
    early: EarlyPreparations | None = None,
) -> list[Outcome]:
    """Read every input document, then the plan's steps; in the order the outputs list them.

    With `early`, each extracted article is also prepared for dedup as it arrives, while the workers extract the
    next ones.
    """
    if job_plan.mode == "html":
        outcomes = []
        for outcome in iter_outcomes(paths, config, progress):
            outcomes.append(outcome)
            if early is not None and outcome.article is not None:
                early.add(outcome.article.text)
    else:
        outcomes = list(iter_text_records(paths, config))
        announce_total(progress, "read", len(outcomes))
        if progress is not None:
            progress("read", len(outcomes))
    with stage(progress, "templates", sum(o.article is not None for o in outcomes)):
        return sorted(run_steps(job_plan.steps, outcomes), key=output_order)


def extract_outcomes(
    paths: Iterable[PathLike],
    config: Config | None = None,
    progress: ProgressHook | None = None,
    early: EarlyPreparations | None = None,
) -> list[Outcome]:
    """Every page extracted, then the steps that `run` and `extract` take before clustering."""
    config = config or Config()
    return plan_outcomes(plan("extract", config), paths, config, progress, early)


def run(
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config,
    progress: ProgressHook | None,
    index: PathLike | None,
    finish: Finish,
) -> RunReport:
    """Extract, cluster and write a run's files (`finish` adds the run record and the report)."""
    return _clustered_job(plan("run", config), paths, Path(out_dir), config, progress, index, finish)


def dedup(
    paths: Iterable[PathLike],
    out_dir: PathLike,
    config: Config,
    progress: ProgressHook | None,
    index: PathLike | None,
    finish: Finish,
) -> RunReport:
    """Cluster JSONL records that already hold text; same output files as `run`."""
    return _clustered_job(plan("dedup", config), paths, Path(out_dir), config, progress, index, finish)


def _clustered_job(
    job_plan: Plan,
    paths: Iterable[PathLike],
    out_dir: Path,
    config: Config,
    progress: ProgressHook | None,
    index: PathLike | None,
    finish: Finish,
) -> RunReport:
    # extraction keeps the parent waiting for its workers: prepare each article for dedup meanwhile
    early = EarlyPreparations(config.dedup) if index is None and job_plan.mode == "html" else None
    outcomes = plan_outcomes(job_plan, paths, config, progress, early)
    return cluster_and_write(out_dir, outcomes, config, index, finish, early, progress)


def cluster_and_write(
    out_dir: Path,
    outcomes: list[Outcome],
    config: Config,
    index: PathLike | None,
    finish: Finish,
    early: EarlyPreparations | None = None,
    progress: ProgressHook | None = None,
) -> RunReport:
    """Cluster and write the outputs plus report.html; with `index`, against (and into) a persistent event index."""
    articles = [o.article for o in outcomes if o.article is not None]
    if index is not None:
        from cleaner.index import write_run_with_index

        with stage(progress, "clustering and writing", len(articles)):
            return write_run_with_index(out_dir, outcomes, index, config, finish)
    with stage(progress, "clustering", len(articles)):
        clusters = cluster_articles(articles, config, early)
    with stage(progress, "writing", len(outcomes)):
        report, written = write_run_records(out_dir, outcomes, clusters, config.run.output_format)
        finish(out_dir, written, report)
    return report


def extract(paths: Iterable[PathLike], out_file: PathLike, config: Config, progress: ProgressHook | None) -> RunReport:
    """Extract and clean every document into one file, one line per input document."""
    started = time.perf_counter()
    outcomes = extract_outcomes(paths, config, progress)
    out_path = Path(out_file)
    lines = (DocumentLine.of(o).to_dict() for o in outcomes)
    with stage(progress, "writing", len(outcomes)):
        if str(out_file) == STDOUT:
            sys.stdout.flush()  # anything printed before goes first
            write_jsonl_stream(sys.stdout.buffer, lines)
        else:
            write_records(out_path, lines, extract_file_format(out_path, config))
    report = extraction_report(outcomes)
    report.outputs = {"extract": str(out_path)}
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def iter_text_records(paths: Iterable[PathLike], config: Config | None = None) -> Iterator[Outcome]:
    """Records of JSONL files that already hold text (for `dedup`), one Outcome per line."""
    config = config or Config()
    for position, (source, record, error) in enumerate(iter_jsonl_inputs(paths)):
        if record is None:
            yield Outcome(document_id(source), source, reason=error, position=position)
        else:
            yield dataclasses.replace(text_outcome(source, record, config), position=position)
