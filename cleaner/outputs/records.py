"""The output records: one typed class per line kind, built and parsed only here.

    articles.jsonl    ArticleLine     one news event: the kept article, its origin and every source
    clusters.jsonl    ClusterLine     one cluster: kept id, origin, members with their similarity
    manifest.jsonl    ManifestEntry   one input document: kept, duplicate or rejected (why)
    documents.jsonl   DocumentLine    one input document as `cleaner extract` writes it (the audit trail)
    updates.jsonl     UpdateLine / MergedLine   with --index: an earlier event this run changed, or merged away
    (index show)      EventLine       one live event of a persistent index, with its members

`to_dict` gives the line as written, keys in the contract's order; `from_dict` reads a line back (JSONL or Parquet
rows). The schema version of a run's files is recorded in its run.json (`SCHEMA_VERSION`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from cleaner.models import Article, Cluster, Outcome, Removal, RunReport

# Version of the line layouts below; bump it when a field changes meaning or goes away (adding one is compatible).
SCHEMA_VERSION = 1

Status = Literal["kept", "duplicate", "rejected"]
ARTICLE_FIELDS = ("id", "url", "title", "author", "site", "published", "language")


def _removals(rows: Sequence[dict[str, Any]] | None) -> list[Removal]:
    return [Removal(r["text"], r["rule"], r.get("reason") or "") for r in rows or ()]


def _strings(values: Sequence[Any] | None) -> list[str]:
    return [str(v) for v in values or ()]


@dataclass(slots=True, frozen=True)
class SourceLine:
    """One member of an event as its article line lists it."""

    id: str
    url: str | None
    site: str | None
    title: str | None
    published: str | None
    similarity: float

    @classmethod
    def of(cls, article: Article, similarity: float) -> SourceLine:
        return cls(article.id, article.url, article.site, article.title, article.published, round(similarity, 4))

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _SOURCE_FIELDS}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> SourceLine:
        return cls(
            row["id"], row.get("url"), row.get("site"), row.get("title"), row.get("published"), row["similarity"]
        )


_SOURCE_FIELDS = tuple(f.name for f in fields(SourceLine))


@dataclass(slots=True)
class ArticleLine:
    """articles.jsonl: one event. `event` is set in runs with --index (the stable event id)."""

    id: str
    url: str | None
    title: str | None
    author: str | None
    site: str | None
    published: str | None
    language: str | None
    origin: str | None
    text: str
    sources: list[SourceLine]
    removed: list[Removal]
    event: str | None = None

    @classmethod
    def of(
        cls, article: Article, origin: str | None, sources: list[SourceLine], event: str | None = None
    ) -> ArticleLine:
        return cls(
            article.id,
            article.url,
            article.title,
            article.author,
            article.site,
            article.published,
            article.language,
            origin,
            article.text,
            sources,
            list(article.removed),
            event,
        )

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {name: getattr(self, name) for name in ARTICLE_FIELDS}
        if self.event is not None:
            record["event"] = self.event
        record["origin"] = self.origin
        record["text"] = self.text
        record["sources"] = [s.to_dict() for s in self.sources]
        record["removed"] = [r.to_dict() for r in self.removed]
        return record

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ArticleLine:
        return cls(
            id=row["id"],
            url=row.get("url"),
            title=row.get("title"),
            author=row.get("author"),
            site=row.get("site"),
            published=row.get("published"),
            language=row.get("language"),
            origin=row.get("origin"),
            text=row.get("text") or "",
            sources=[SourceLine.from_dict(s) for s in row.get("sources") or ()],
            removed=_removals(row.get("removed")),
            event=row.get("event"),
        )


def article_line(article: Article, cluster: Cluster, by_id: dict[str, Article]) -> ArticleLine:
    """The articles.jsonl line of one event of a run without an index: the kept article and every source."""
    sources = [SourceLine.of(by_id[m.id], m.similarity) for m in cluster.members]
    return ArticleLine.of(article, cluster.origin, sources)


@dataclass(slots=True, frozen=True)
class MemberLine:
    id: str
    similarity: float


@dataclass(slots=True)
class ClusterLine:
    """clusters.jsonl: one cluster (with --index: one event this run created or changed)."""

    cluster: str
    kept: str
    origin: str | None
    size: int
    members: list[MemberLine]

    @classmethod
    def of(cls, cluster: Cluster) -> ClusterLine:
        members = [MemberLine(m.id, round(m.similarity, 4)) for m in cluster.members]
        return cls(cluster.cluster, cluster.kept, cluster.origin, len(cluster.members), members)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "kept": self.kept,
            "origin": self.origin,
            "size": self.size,
            "members": [{"id": m.id, "similarity": m.similarity} for m in self.members],
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ClusterLine:
        members = [MemberLine(m["id"], m["similarity"]) for m in row.get("members") or ()]
        return cls(row["cluster"], row["kept"], row.get("origin"), row["size"], members)


@dataclass(slots=True)
class ManifestEntry:
    """manifest.jsonl: exactly one per input document: what happened to it."""

    id: str
    source: str
    status: Status
    cluster: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # asdict's dict without its recursive deep copy (one entry per document; every field is a plain value)
        return {name: getattr(self, name) for name in _MANIFEST_FIELDS}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ManifestEntry:
        values: dict[str, Any] = {name: row.get(name) for name in _MANIFEST_FIELDS}
        return cls(**values)


_MANIFEST_FIELDS = tuple(f.name for f in fields(ManifestEntry))


def manifest_entries(outcomes: Sequence[Outcome], clusters: Sequence[Cluster]) -> list[ManifestEntry]:
    """One entry per outcome, placed by the cluster that holds it; in input order (`Outcome.position`)."""
    entries: list[ManifestEntry] = []
    placement = {m.id: (c, m.similarity) for c in clusters for m in c.members}
    for outcome in sorted(outcomes, key=lambda o: o.position):
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
    return entries


@dataclass(slots=True)
class DocumentLine:
    """documents.jsonl, and each line of `cleaner extract`: one input document, its text, metadata and removals."""

    id: str
    source: str
    status: Literal["extracted", "rejected"]
    reason: str | None
    url: str | None = None
    title: str | None = None
    author: str | None = None
    site: str | None = None
    published: str | None = None
    language: str | None = None
    text: str | None = None
    removed: list[Removal] = field(default_factory=list)

    @classmethod
    def of(cls, outcome: Outcome) -> DocumentLine:
        article = outcome.article
        if article is None:
            return cls(outcome.id, outcome.source, "rejected", outcome.reason)
        return cls(
            outcome.id,
            outcome.source,
            "extracted",
            outcome.reason,
            article.url,
            article.title,
            article.author,
            article.site,
            article.published,
            article.language,
            article.text,
            list(article.removed),
        )

    def to_dict(self) -> dict[str, Any]:
        record = {name: getattr(self, name) for name in _DOCUMENT_FIELDS}
        record["removed"] = [r.to_dict() for r in self.removed]
        return record

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> DocumentLine:
        values: dict[str, Any] = {name: row.get(name) for name in _DOCUMENT_FIELDS if name != "removed"}
        return cls(**values, removed=_removals(row.get("removed")))


_DOCUMENT_FIELDS = tuple(f.name for f in fields(DocumentLine))


@dataclass(slots=True)
class RepresentativeLine:
    """An event's kept copy as updates.jsonl carries it: metadata, source and (when the index has it) text."""

    id: str
    source: str | None
    url: str | None
    site: str | None
    title: str | None
    published: str | None
    text: str | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _REPRESENTATIVE_FIELDS}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> RepresentativeLine:
        values: dict[str, Any] = {name: row.get(name) for name in _REPRESENTATIVE_FIELDS}
        return cls(**values)


_REPRESENTATIVE_FIELDS = tuple(f.name for f in fields(RepresentativeLine))


@dataclass(slots=True)
class UpdateLine:
    """updates.jsonl: an earlier event this run extended, re-represented or joined with another."""

    event: str
    kept: str
    previous_kept: str | None
    size: int
    origin: str | None
    added: list[str]
    joined: list[str]
    left: list[str]
    absorbed: list[str]
    representative: RepresentativeLine
    sources: list[SourceLine]
    previous_representative: RepresentativeLine | None = None  # when the kept copy changed
    merged_into: None = None  # always None here; an event merged away is a MergedLine

    def to_dict(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "event": self.event,
            "kept": self.kept,
            "previous_kept": self.previous_kept,
            "size": self.size,
            "origin": self.origin,
            "added": self.added,
            "joined": self.joined,
            "left": self.left,
            "absorbed": self.absorbed,
            "merged_into": None,
            "representative": self.representative.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
        }
        if self.previous_representative is not None:
            line["previous_representative"] = self.previous_representative.to_dict()
        return line

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> UpdateLine:
        previous = row.get("previous_representative")
        return cls(
            event=row["event"],
            kept=row["kept"],
            previous_kept=row.get("previous_kept"),
            size=row["size"],
            origin=row.get("origin"),
            added=_strings(row.get("added")),
            joined=_strings(row.get("joined")),
            left=_strings(row.get("left")),
            absorbed=_strings(row.get("absorbed")),
            representative=RepresentativeLine.from_dict(row["representative"]),
            sources=[SourceLine.from_dict(s) for s in row.get("sources") or ()],
            previous_representative=RepresentativeLine.from_dict(previous) if previous else None,
        )


@dataclass(slots=True, frozen=True)
class MergedLine:
    """updates.jsonl: an event merged into another by this run (its id is now an alias)."""

    event: str
    merged_into: str

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "merged_into": self.merged_into}


@dataclass(slots=True)
class EventLine:
    """`cleaner index show`: one live event of an index: its representative (with its text when the index has it),
    every member, and the ids of the events merged into it."""

    event: str
    kept: str
    size: int
    origin: str | None
    aliases: list[str]
    representative: RepresentativeLine
    sources: list[SourceLine]

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "kept": self.kept,
            "size": self.size,
            "origin": self.origin,
            "aliases": self.aliases,
            "representative": self.representative.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> EventLine:
        return cls(
            event=row["event"],
            kept=row["kept"],
            size=row["size"],
            origin=row.get("origin"),
            aliases=_strings(row.get("aliases")),
            representative=RepresentativeLine.from_dict(row["representative"]),
            sources=[SourceLine.from_dict(s) for s in row.get("sources") or ()],
        )


def update_from_dict(row: dict[str, Any]) -> UpdateLine | MergedLine:
    if row.get("representative") is None and row.get("merged_into"):
        return MergedLine(row["event"], row["merged_into"])
    return UpdateLine.from_dict(row)


# --- the counts of a run ------------------------------------------------------------------------------------------


def summarize(entries: Sequence[ManifestEntry], clusters: int, removed: int) -> RunReport:
    """The counts of a `run`/`dedup`: documents by status, clusters, rejection reasons, clutter removed."""
    statuses = Counter(entry.status for entry in entries)
    reasons = Counter((entry.reason or "").split(":")[0] for entry in entries if entry.status == "rejected")
    return RunReport(
        documents=len(entries),
        kept=statuses["kept"],
        duplicates=statuses["duplicate"],
        rejected=statuses["rejected"],
        clusters=clusters,
        clutter_removed=removed,
        rejection_reasons=dict(sorted(reasons.items())),
    )


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
