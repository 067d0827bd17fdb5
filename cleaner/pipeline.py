"""The stages, wired: read -> extract + strip clutter -> site templates -> cluster -> write.

run(paths, out_dir)                   the whole job: articles.jsonl, clusters.jsonl, manifest.jsonl
extract(paths, out_file)              one line per input document, no clustering
dedup(paths, out_dir)                 cluster records that already hold text (JSONL)
iter_outcomes(paths)                  the streaming core: one Outcome per input document, in input order
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cleaner.config import Config
from cleaner.dedup import Deduplicator, EarlyPreparations
from cleaner.errors import ConfigError, ExtractionError
from cleaner.explain import RunOutputs
from cleaner.models import Article, Cluster, ManifestEntry, RawDocument, RunReport
from cleaner.readers import (
    HtmlFile,
    ReadOptions,
    document_id,
    iter_document_sources,
    iter_input_files,
    iter_jsonl_records,
    load_document,
)
from cleaner.workers import Failure, Limits, map_documents
from cleaner.writers import FORMATS, write_records

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
# called with (stage name, documents just finished); the CLI turns it into a progress bar
ProgressHook = Callable[[str, int], None]

ARTICLE_FIELDS = ("id", "url", "title", "author", "site", "published", "language")
SOURCE_FIELDS = ("id", "url", "site", "title", "published")


@dataclass(slots=True)
class Outcome:
    """One input document after extraction: an article, or the reason it was rejected."""

    id: str
    source: str
    article: Article | None = None
    reason: str | None = None


def read_options_for(config: Config) -> ReadOptions:
    return ReadOptions(
        html_key=config.run.html_key, url_key=config.run.url_key, max_bytes=config.extract.max_html_bytes
    )


def limits_for(config: Config) -> Limits:
    return Limits(
        timeout_seconds=config.run.timeout_seconds,
        memory_bytes=config.run.max_memory_mb << 20,
        batch_size=config.run.max_tasks_per_worker,
    )


def process_document(item: RawDocument | HtmlFile, config: Config) -> Outcome:
    """Read (an `HtmlFile`) and extract one document; every failure becomes a rejection reason, never an exception."""
    from cleaner.extract import extract_article  # the only trafilatura importer; loaded where it runs

    doc = load_document(item)
    if doc.error is not None or doc.content is None:
        return Outcome(doc.id, doc.source, reason=doc.error or "unreadable")
    try:
        return Outcome(doc.id, doc.source, article=extract_article(doc, config.extract, config.clutter))
    except ExtractionError as exc:
        return Outcome(doc.id, doc.source, reason=str(exc))
    except (MemoryError, RecursionError):
        raise  # the worker pool names these: "memory limit", "too deeply nested"
    except Exception as exc:  # a parser bug on one odd page must cost that page only, never the run
        log.warning("%s: extraction failed: %s: %s", doc.source, type(exc).__name__, exc)
        return Outcome(doc.id, doc.source, reason=f"extraction failed: {type(exc).__name__}: {exc}")


def as_outcome(result: Outcome | Failure[RawDocument | HtmlFile]) -> Outcome:
    if isinstance(result, Failure):
        return Outcome(result.item.id, result.item.source, reason=result.reason)
    return result


def iter_outcomes(
    paths: Iterable[PathLike], config: Config | None = None, progress: ProgressHook | None = None
) -> Iterator[Outcome]:
    """Stream one Outcome per input document, in input order, extracting on `config.run.jobs` workers."""
    from cleaner.clutter import check_config
    from cleaner.extract import warm_up

    config = config or Config()
    check_config(config.clutter)  # a misspelt rule id or a bad regex fails here, before any worker starts
    warm_up(config)  # once, here: forked workers inherit trafilatura's tables instead of each building them
    # HTML files come unread: each worker reads its own, so the parent, which shares the cores, only lists them
    documents = iter_document_sources(paths, read_options_for(config))
    work = functools.partial(process_document, config=config)
    for result in map_documents(work, documents, config.run.worker_count(), limits_for(config)):
        if progress is not None:
            progress("extract", 1)
        yield as_outcome(result)


def _strip_templates(outcomes: list[Outcome], config: Config) -> None:
    from cleaner.clutter import strip_site_templates

    articles = [o.article for o in outcomes if o.article is not None]
    if not (config.clutter.enabled and "template" in config.clutter.families) or not articles:
        return
    by_id = {a.id: a for a in strip_site_templates(articles, config.clutter)}
    for outcome in outcomes:
        if outcome.article is not None:
            outcome.article = by_id[outcome.article.id]


def _unique_ids(outcomes: list[Outcome]) -> None:
    # the same file named twice on the command line is one document, not two ids colliding later
    repeats: Counter[str] = Counter()
    for outcome in outcomes:
        repeats[outcome.id] += 1
        if repeats[outcome.id] > 1:
            outcome.article = None
            outcome.reason = f"duplicate input: {outcome.source} was already read"
            outcome.id = document_id(f"{outcome.source}#repeat{repeats[outcome.id] - 1}")


def extract_outcomes(
    paths: Iterable[PathLike],
    config: Config | None = None,
    progress: ProgressHook | None = None,
    early: EarlyPreparations | None = None,
) -> list[Outcome]:
    """Extract every document, then learn and strip each site's template lines (needs the whole corpus).

    With `early`, each article is also prepared for dedup as it arrives, while the workers extract the next ones.
    """
    config = config or Config()
    outcomes = []
    for outcome in iter_outcomes(paths, config, progress):
        outcomes.append(outcome)
        if early is not None and outcome.article is not None:
            early.add(outcome.article.text)
    _unique_ids(outcomes)
    _strip_templates(outcomes, config)
    return sorted((reject_short(o, config) for o in outcomes), key=lambda o: o.id)


def reject_short(outcome: Outcome, config: Config) -> Outcome:
    """Template removal can leave too little text: such a page is rejected like an empty extraction."""
    if outcome.article is not None and len(outcome.article.text) < config.extract.min_text_chars:
        reason = "empty after extraction: too little text after clutter removal"
        return Outcome(outcome.id, outcome.source, reason=reason)
    return outcome


def cluster_articles(
    articles: Sequence[Article], config: Config | None = None, early: EarlyPreparations | None = None
) -> list[Cluster]:
    config = config or Config()
    deduplicator = Deduplicator(config.dedup, early)
    deduplicator.add_many(articles)
    return deduplicator.clusters()


def _source_entry(article: Article, similarity: float) -> dict[str, Any]:
    entry: dict[str, Any] = {name: getattr(article, name) for name in SOURCE_FIELDS}
    entry["similarity"] = round(similarity, 4)
    return entry


def article_record(article: Article, cluster: Cluster, by_id: dict[str, Article]) -> dict[str, Any]:
    """The articles.jsonl line of one event: the kept article, its origin and every source."""
    record: dict[str, Any] = {name: getattr(article, name) for name in ARTICLE_FIELDS}
    record["origin"] = cluster.origin
    record["text"] = article.text
    record["sources"] = [_source_entry(by_id[m.id], m.similarity) for m in cluster.members]
    record["removed"] = [removal.to_dict() for removal in article.removed]
    return record


def cluster_record(cluster: Cluster) -> dict[str, Any]:
    return {
        "cluster": cluster.cluster,
        "kept": cluster.kept,
        "origin": cluster.origin,
        "size": len(cluster.members),
        "members": [{"id": m.id, "similarity": round(m.similarity, 4)} for m in cluster.members],
    }


def manifest_entries(outcomes: Sequence[Outcome], clusters: Sequence[Cluster]) -> list[ManifestEntry]:
    entries: list[ManifestEntry] = []
    placement = {m.id: (c, m.similarity) for c in clusters for m in c.members}
    for outcome in outcomes:
        if outcome.article is None:
            entries.append(ManifestEntry(outcome.id, outcome.source, "rejected", reason=outcome.reason))
            continue
        cluster, similarity = placement[outcome.id]
        if cluster.kept == outcome.id:
            entries.append(ManifestEntry(outcome.id, outcome.source, "kept", cluster=cluster.cluster))
        else:
            entries.append(
                ManifestEntry(
                    outcome.id, outcome.source, "duplicate", cluster.cluster, cluster.kept, round(similarity, 4)
                )
            )
    return sorted(entries, key=lambda e: (e.source, e.id))


def summarize(entries: Sequence[ManifestEntry], clusters: Sequence[Cluster], removed: int) -> RunReport:
    statuses = Counter(entry.status for entry in entries)
    reasons = Counter((entry.reason or "").split(":")[0] for entry in entries if entry.status == "rejected")
    return RunReport(
        documents=len(entries),
        kept=statuses["kept"],
        duplicates=statuses["duplicate"],
        rejected=statuses["rejected"],
        clusters=len(clusters),
        clutter_removed=removed,
        rejection_reasons=dict(sorted(reasons.items())),
    )


# the contract files of a run, the manifest last (it is written last); an indexed run adds UPDATES_NAME
OUTPUT_NAMES = ("articles", "clusters", "documents", "manifest")
UPDATES_NAME = "updates"


def clear_previous_outputs(out_dir: Path) -> None:
    """Remove a previous run's outputs, manifest first: a run killed half-way then leaves no manifest (clearly
    unfinished) and nothing of the previous run (its report included) beside this run's files. Every format's:
    `explain` and the report read whichever format they find first, which must not be an earlier run's."""
    for name in reversed((*OUTPUT_NAMES[:-1], UPDATES_NAME, OUTPUT_NAMES[-1])):
        for each in FORMATS:
            (out_dir / f"{name}.{each}").unlink(missing_ok=True)
    (out_dir / "report.html").unlink(missing_ok=True)


def write_run_records(
    out_dir: Path, outcomes: Sequence[Outcome], clusters: Sequence[Cluster], fmt: str
) -> tuple[RunReport, RunOutputs]:
    """Write the contract files, each atomically, the manifest last; hand back the records written (what
    `load_outputs` would read back), so that the report is made without reading the files again. They share their
    texts with the articles."""
    articles = [o.article for o in outcomes if o.article is not None]
    by_id = {a.id: a for a in articles}
    entries = manifest_entries(outcomes, clusters)
    report = summarize(entries, clusters, sum(len(a.removed) for a in articles))
    files = {name: out_dir / f"{name}.{fmt}" for name in OUTPUT_NAMES}
    written = RunOutputs(
        out_dir,
        manifest=[e.to_dict() for e in entries],
        # the audit trail behind `explain` and the report: every document's text, metadata and removed spans
        documents=[extraction_record(o) for o in outcomes],
        articles=[article_record(by_id[c.kept], c, by_id) for c in clusters],
        clusters=[cluster_record(c) for c in clusters],
    )
    clear_previous_outputs(out_dir)
    for name in OUTPUT_NAMES:  # the manifest last
        write_records(files[name], getattr(written, name), fmt)
    report.outputs = {name: str(path) for name, path in files.items()}
    return report, written


ENGINES = ("local", "dask")


def _dask_engine(engine: str) -> Any:
    """None for the local engine; the Dask engine module otherwise (it needs the cleaner[dask] extra)."""
    if engine == "local":
        return None
    if engine != "dask":
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    from cleaner.engines import dask_engine

    return dask_engine


def _refuse_index_on_dask(index: PathLike | None) -> None:
    if index is not None:
        raise ConfigError("--index works with the local engine only for now; drop --engine dask or --index")


def _with_report(report: RunReport, out_dir: PathLike, written: RunOutputs | None = None) -> RunReport:
    """Add report.html, made from the records just written when given, else read back from the files."""
    from cleaner.report import write_report

    report.outputs["report"] = str(write_report(Path(out_dir), outputs=written))
    return report


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

    >>> report = run(["fixtures/demo"], tmp_path / "out")  # doctest: +SKIP
    """
    if (distributed := _dask_engine(engine)) is not None:
        _refuse_index_on_dask(index)
        return _with_report(distributed.run(paths, out_dir, config, progress, scheduler=scheduler), out_dir)
    config = config or Config()
    started = time.perf_counter()
    early = EarlyPreparations(config.dedup) if index is None else None
    outcomes = extract_outcomes(paths, config, progress, early)
    report = cluster_and_write(Path(out_dir), outcomes, config, index, early)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def cluster_and_write(
    out_dir: Path,
    outcomes: list[Outcome],
    config: Config,
    index: PathLike | None,
    early: EarlyPreparations | None = None,
) -> RunReport:
    """Cluster and write the outputs plus report.html; with `index`, against (and into) a persistent event index."""
    if index is not None:
        from cleaner.index import write_run_with_index

        return write_run_with_index(out_dir, outcomes, index, config)
    clusters = cluster_articles([o.article for o in outcomes if o.article is not None], config, early)
    report, written = write_run_records(out_dir, outcomes, clusters, config.run.output_format)
    return _with_report(report, out_dir, written)


def extraction_record(outcome: Outcome) -> dict[str, Any]:
    """One `cleaner extract` line: status, reason, metadata, text and every removal."""
    record: dict[str, Any] = {"id": outcome.id, "source": outcome.source}
    article = outcome.article
    record["status"] = "extracted" if article is not None else "rejected"
    record["reason"] = outcome.reason
    for name in ARTICLE_FIELDS[1:]:
        record[name] = getattr(article, name) if article is not None else None
    record["text"] = article.text if article is not None else None
    record["removed"] = [r.to_dict() for r in article.removed] if article is not None else []
    return record


def extract(
    paths: Iterable[PathLike],
    out_file: PathLike,
    config: Config | None = None,
    progress: ProgressHook | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
) -> RunReport:
    """Extract and clean every document into one file, one line per input document."""
    if (distributed := _dask_engine(engine)) is not None:
        return distributed.extract(paths, out_file, config, progress, scheduler=scheduler)
    config = config or Config()
    started = time.perf_counter()
    outcomes = extract_outcomes(paths, config, progress)
    out_path = Path(out_file)
    write_records(out_path, (extraction_record(o) for o in outcomes), extract_file_format(out_path, config))
    report = extraction_report(outcomes)
    report.outputs = {"extract": str(out_path)}
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def extraction_report(outcomes: Sequence[Outcome]) -> RunReport:
    """The counts of a `cleaner extract` run: documents, extracted ("kept"), rejected and why, clutter removed."""
    kept = [o.article for o in outcomes if o.article is not None]
    reasons = Counter((o.reason or "").split(":")[0] for o in outcomes if o.article is None)
    return RunReport(
        documents=len(outcomes),
        kept=len(kept),
        rejected=len(outcomes) - len(kept),
        clutter_removed=sum(len(a.removed) for a in kept),
        rejection_reasons=dict(sorted(reasons.items())),
    )


def extract_file_format(path: Path, config: Config) -> str | None:
    # a format named explicitly wins; the default (jsonl) defers to the file name
    return None if config.run.output_format == "jsonl" else config.run.output_format


def record_article(source: str, record: dict[str, Any], config: Config) -> Outcome:
    raw_id = record.get(config.run.id_key)
    doc_id = str(raw_id) if raw_id not in (None, "") else document_id(source)
    text = record.get(config.run.text_key)
    if not isinstance(text, str):
        return Outcome(doc_id, source, reason=f"missing field: no {config.run.text_key!r} string")
    if not text.strip():
        return Outcome(doc_id, source, reason="empty text")

    def text_field(name: str) -> str | None:
        value = record.get(name)
        return value if isinstance(value, str) and value else None

    article = Article(
        id=doc_id,
        source=source,
        url=text_field(config.run.url_key),
        text=text,
        title=text_field("title"),
        author=text_field("author"),
        site=text_field("site"),
        published=text_field("published"),
        language=text_field("language"),
    )
    return Outcome(doc_id, source, article=article)


def iter_text_records(paths: Iterable[PathLike], config: Config | None = None) -> Iterator[Outcome]:
    """Records of JSONL files that already hold text (for `dedup`), one Outcome per line."""
    config = config or Config()
    for path in iter_input_files(paths):
        for source, record, error in iter_jsonl_records(path):
            if record is None:
                yield Outcome(document_id(source), source, reason=error)
            else:
                yield record_article(source, record, config)


def _reject_repeated_ids(outcomes: list[Outcome]) -> None:
    seen: set[str] = set()
    for outcome in outcomes:
        if outcome.article is None:
            continue
        if outcome.id in seen:
            outcome.article, outcome.reason = None, f"duplicate id: {outcome.id!r} appears earlier in the input"
            outcome.id = document_id(outcome.source)
        seen.add(outcome.id)


def dedup(
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
    if (distributed := _dask_engine(engine)) is not None:
        _refuse_index_on_dask(index)
        return _with_report(distributed.dedup(paths, out_dir, config, progress, scheduler=scheduler), out_dir)
    config = config or Config()
    started = time.perf_counter()
    outcomes = list(iter_text_records(paths, config))
    _reject_repeated_ids(outcomes)
    if progress is not None:
        progress("read", len(outcomes))
    outcomes.sort(key=lambda o: (o.id, o.source))
    report = cluster_and_write(Path(out_dir), outcomes, config, index)
    report.seconds = round(time.perf_counter() - started, 3)
    return report
