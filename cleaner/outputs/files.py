"""A run's output folder: which files it holds, writing them (each atomically, the manifest last) and reading them
back for `explain` and the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.config import Config
from cleaner.errors import InputError
from cleaner.io.writers import FORMATS, read_records, write_records
from cleaner.models import Article, Cluster, Outcome, RunReport
from cleaner.outputs.records import (
    ArticleLine,
    ClusterLine,
    DocumentLine,
    ManifestEntry,
    MergedLine,
    UpdateLine,
    article_line,
    manifest_entries,
    summarize,
    update_from_dict,
)
from cleaner.outputs.run_info import RUN_INFO_NAME, RunInfo, read_run_info

# the contract files of a run, the manifest last (it is written last); an indexed run adds UPDATES_NAME
OUTPUT_NAMES = ("articles", "clusters", "documents", "manifest")
UPDATES_NAME = "updates"
REPORT_NAME = "report.html"


@dataclass(slots=True)
class RunOutputs:
    """A run's output records (read back from any of the output formats, or as just written) and its run.json."""

    folder: Path
    manifest: list[ManifestEntry]
    documents: list[DocumentLine]
    articles: list[ArticleLine]
    clusters: list[ClusterLine]
    updates: list[UpdateLine | MergedLine] = field(default_factory=list)
    info: RunInfo | None = None
    _entries: dict[str, ManifestEntry] = field(default_factory=dict, repr=False)
    _documents: dict[str, DocumentLine] = field(default_factory=dict, repr=False)
    _clusters: dict[str, ClusterLine] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._entries = {e.id: e for e in self.manifest}
        self._documents = {d.id: d for d in self.documents}
        self._clusters = {c.cluster: c for c in self.clusters}

    def entry(self, doc_id: str) -> ManifestEntry | None:
        return self._entries.get(doc_id)

    def document(self, doc_id: str) -> DocumentLine | None:
        return self._documents.get(doc_id)

    def cluster(self, cluster_id: str) -> ClusterLine | None:
        return self._clusters.get(cluster_id)

    def update(self, event: str) -> UpdateLine | None:
        """The update line of an event this run extended (not one merged away)."""
        return next((u for u in self.updates if isinstance(u, UpdateLine) and u.event == event), None)


def find_output(folder: Path, stem: str) -> Path | None:
    """OUTDIR/stem.jsonl, .jsonl.gz or .parquet, whichever exists."""
    for fmt in FORMATS:
        path = folder / f"{stem}.{fmt}"
        if path.exists():
            return path
    return None


def load_outputs(out_dir: str | Path) -> RunOutputs:
    folder = Path(out_dir)
    manifest = find_output(folder, "manifest")
    if manifest is None:
        raise InputError(f"{folder} holds no manifest.jsonl: give the output folder of a `cleaner run` or `dedup`")

    def read(stem: str) -> list[dict[str, Any]]:
        path = find_output(folder, stem)
        return read_records(path) if path is not None else []

    return RunOutputs(
        folder,
        manifest=[ManifestEntry.from_dict(row) for row in read_records(manifest)],
        documents=[DocumentLine.from_dict(row) for row in read("documents")],
        articles=[ArticleLine.from_dict(row) for row in read("articles")],
        clusters=[ClusterLine.from_dict(row) for row in read("clusters")],
        updates=[update_from_dict(row) for row in read(UPDATES_NAME)],
        info=read_run_info(folder),
    )


def clear_previous_outputs(out_dir: Path) -> None:
    """Remove a previous run's outputs, manifest first: a run killed half-way then leaves no manifest (clearly
    unfinished) and nothing of the previous run (its report included) beside this run's files. Every format's:
    `explain` and the report read whichever format they find first, which must not be an earlier run's."""
    for name in reversed((*OUTPUT_NAMES[:-1], UPDATES_NAME, OUTPUT_NAMES[-1])):
        for each in FORMATS:
            (out_dir / f"{name}.{each}").unlink(missing_ok=True)
    (out_dir / REPORT_NAME).unlink(missing_ok=True)
    (out_dir / RUN_INFO_NAME).unlink(missing_ok=True)


def write_run_records(
    out_dir: Path, outcomes: Sequence[Outcome], clusters: Sequence[Cluster], fmt: str
) -> tuple[RunReport, RunOutputs]:
    """Write the contract files, each atomically, the manifest last; hand back the records written (what
    `load_outputs` would read back), so that the report is made without reading the files again. They share their
    texts with the articles."""
    articles = [o.article for o in outcomes if o.article is not None]
    by_id: dict[str, Article] = {a.id: a for a in articles}
    entries = manifest_entries(outcomes, clusters)
    report = summarize(entries, len(clusters), sum(len(a.removed) for a in articles))
    files = {name: out_dir / f"{name}.{fmt}" for name in OUTPUT_NAMES}
    written = RunOutputs(
        out_dir,
        manifest=entries,
        # the audit trail behind `explain` and the report: every document's text, metadata and removed spans
        documents=[DocumentLine.of(o) for o in outcomes],
        articles=[article_line(by_id[c.kept], c, by_id) for c in clusters],
        clusters=[ClusterLine.of(c) for c in clusters],
    )
    clear_previous_outputs(out_dir)
    for name in OUTPUT_NAMES:  # the manifest last
        write_records(files[name], (line.to_dict() for line in getattr(written, name)), fmt)
    report.outputs = {name: str(path) for name, path in files.items()}
    return report, written


def extract_file_format(path: Path, config: Config) -> str | None:
    """The format of `cleaner extract`'s file: one named explicitly wins; the default (jsonl) defers to the name."""
    return None if config.run.output_format == "jsonl" else config.run.output_format
