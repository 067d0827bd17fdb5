"""A run with `--index`: reject what is already indexed, update against the index, write the run's outputs, then
commit the index, last: a run that stops before leaves the index unchanged and can be repeated as is."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cleaner.config import Config
from cleaner.index.core import commit, open_index
from cleaner.index.features import Features, document_features
from cleaner.index.reader import IndexReader
from cleaner.index.store import locked
from cleaner.index.update import DocInfo, EventChange, IndexUpdate, update_index
from cleaner.io.writers import write_records
from cleaner.models import Article, Cluster, Member, Outcome, RunReport
from cleaner.outputs.files import OUTPUT_NAMES, UPDATES_NAME, RunOutputs, clear_previous_outputs
from cleaner.outputs.records import (
    ArticleLine,
    ClusterLine,
    DocumentLine,
    ManifestEntry,
    MergedLine,
    RepresentativeLine,
    SourceLine,
    UpdateLine,
    manifest_entries,
    summarize,
)


def write_run_with_index(
    out_dir: Path,
    outcomes: Sequence[Outcome],
    index_dir: str | os.PathLike[str],
    config: Config,
    finish: Callable[[Path, RunOutputs | None, RunReport], None] | None = None,
    features: Features | None = None,
) -> RunReport:
    """`write_run_records` for a run with `--index`: dedup against every event kept before, extend the index.

    Writes articles (events whose representative is in this run), clusters (events created or changed), updates
    (earlier events this run extended, re-represented or merged), documents and manifest into `out_dir`, then calls
    `finish` (the run record and the report), then commits the index. `features`, when given, are the articles'
    features prepared elsewhere (by the Dask engine's workers), in any order.
    """
    with locked(index_dir):
        reader = open_index(index_dir, config.dedup)
        try:
            outcomes = reject_indexed(outcomes, reader)
            articles = [o.article for o in outcomes if o.article is not None]
            features = _day_features(articles, features, config)
            texts = {a.id: a.text for a in articles}
            update = update_index(reader, features, texts, config.dedup, label=str(out_dir))
            report = _write_outputs(out_dir, outcomes, update, config.run.output_format)
            if finish is not None:
                finish(out_dir, None, report)
            commit(reader, update, config.dedup)
        finally:
            reader.close()
    report.outputs["index"] = str(index_dir)
    return report


def _day_features(articles: Sequence[Article], given: Features | None, config: Config) -> Features:
    """The day's features sorted by id: the ones given (restricted to the articles kept), else prepared here."""
    ids = [a.id for a in articles]
    if given is None:
        return document_features(articles, config.dedup).sorted_by_id()
    position = {doc_id: i for i, doc_id in enumerate(given.ids)}
    return given.take(sorted((position[i] for i in ids), key=given.ids.__getitem__))


def reject_indexed(outcomes: Sequence[Outcome], reader: IndexReader) -> list[Outcome]:
    """Outcomes whose id the index already holds become rejections (a document is indexed once)."""
    ids = [o.id for o in outcomes if o.article is not None]
    found = reader.find_ids(ids)
    known = {doc_id: int(doc) for doc_id, doc in zip(ids, found.tolist(), strict=True) if doc >= 0}
    if not known:
        return list(outcomes)
    docs = np.array(list(known.values()), dtype=np.int64)
    runs = reader.values("doc.first_run", docs, "int32").tolist()
    sources = reader.strings("doc.source", docs)
    events = reader.strings("doc.id", reader.assignments(docs).event)
    why = {
        doc_id: f"already indexed: id {doc_id} was added by index run {run} (from {source}) "
        f"and belongs to event {event}"
        for doc_id, run, source, event in zip(known, runs, sources, events, strict=True)
    }
    return [
        dataclasses.replace(o, article=None, reason=why[o.id]) if o.id in why and o.article else o for o in outcomes
    ]


def _manifest_clusters(update: IndexUpdate) -> list[Cluster]:
    """Clusters as the manifest sees them: this run's documents only, kept = the event id (the anchor).

    A document is `kept` only when it anchors an event created by this run; joining an earlier event, even as
    its new representative, makes it a `duplicate` of that event's id.
    """
    out: list[Cluster] = []
    for change in update.changes:
        if not change.new:
            continue
        similarity_of = {m.id: m.similarity for m in change.members}
        members = []
        for doc_id in change.new:
            similarity = update.similarity[doc_id]
            if doc_id == change.rep and change.previous_rep in similarity_of:
                # a new representative of an earlier event: how much of the earlier representative it covers
                similarity = similarity_of[change.previous_rep]
            members.append(Member(doc_id, round(similarity, 4)))
        out.append(Cluster(change.event, change.event, members, change.origin))
    return out


def _sources(update: IndexUpdate, change: EventChange) -> list[SourceLine]:
    return [_source_line(update.info[m.id], m.similarity) for m in change.members]


def _source_line(info: DocInfo, similarity: float) -> SourceLine:
    return SourceLine(info.id, info.url, info.site, info.title, info.date, round(similarity, 4))


def _representative(info: DocInfo, text: str | None) -> RepresentativeLine:
    return RepresentativeLine(info.id, info.source, info.url, info.site, info.title, info.date, text)


def _update_line(change: EventChange, update: IndexUpdate) -> UpdateLine:
    previous = None
    if change.previous_rep is not None and change.previous_rep != change.rep and change.previous_rep in update.info:
        # the copy it replaced, so that `explain` can show why the new one joined the event
        previous = _representative(update.info[change.previous_rep], change.previous_text)
    return UpdateLine(
        event=change.event,
        kept=change.rep,
        previous_kept=change.previous_rep,
        size=len(change.members),
        origin=change.origin,
        added=change.new,
        joined=change.joined,
        left=change.left,
        absorbed=change.absorbed,
        representative=_representative(update.info[change.rep], update.texts.get(change.event)),
        sources=_sources(update, change),
        previous_representative=previous,
    )


def _write_outputs(out_dir: Path, outcomes: Sequence[Outcome], update: IndexUpdate, fmt: str) -> RunReport:
    by_id = {o.article.id: o.article for o in outcomes if o.article is not None}
    clusters = [Cluster(c.event, c.rep, c.members, c.origin) for c in update.changes]
    entries: list[ManifestEntry] = manifest_entries(outcomes, _manifest_clusters(update))
    report = summarize(entries, len(clusters), sum(len(a.removed) for a in by_id.values()))
    files = {name: out_dir / f"{name}.{fmt}" for name in (*OUTPUT_NAMES, UPDATES_NAME)}
    clear_previous_outputs(out_dir)
    articles = (
        ArticleLine.of(by_id[c.rep], c.origin, _sources(update, c), event=c.event).to_dict()
        for c in update.changes
        if c.rep in by_id
    )
    write_records(files["articles"], articles, fmt)
    write_records(files["clusters"], (ClusterLine.of(c).to_dict() for c in clusters), fmt)
    write_records(files["documents"], (DocumentLine.of(o).to_dict() for o in outcomes), fmt)
    updates: list[UpdateLine | MergedLine] = [_update_line(c, update) for c in update.changes if not c.created]
    updates += [MergedLine(event, into) for event, into in sorted(update.merged.items())]
    write_records(files["updates"], (u.to_dict() for u in updates), fmt)
    write_records(files["manifest"], (e.to_dict() for e in entries), fmt)  # last, as in a run without an index
    report.outputs = {name: str(path) for name, path in files.items()}
    return report
