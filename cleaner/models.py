"""The records that flow through every stage: one `Article` per input document."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Status = Literal["kept", "duplicate", "rejected"]


@dataclass(slots=True, frozen=True)
class Removal:
    """One span stripped from an article's text, with the rule that found it and why."""

    text: str
    rule: str  # stable rule id, e.g. "promo.also_read" or "template.site_repeat"
    reason: str = ""  # human explanation: what evidence the rule used

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "rule": self.rule, "reason": self.reason}


@dataclass(slots=True)
class RawDocument:
    """One input document before extraction: bytes plus where they came from."""

    id: str  # stable: hash of `source`, unique in a run
    source: str  # file path, "path#record-N" for WARC/JSONL records
    content: bytes | None  # None when the document could not be read
    url: str | None = None
    http_charset: str | None = None  # charset from HTTP headers (WARC), when known
    error: str | None = None  # why it could not be read: becomes the rejection reason


@dataclass(slots=True)
class Article:
    """An extracted, cleaned article. `text` paragraphs are separated by "\\n"."""

    id: str
    source: str
    url: str | None
    text: str
    title: str | None = None
    author: str | None = None
    site: str | None = None
    published: str | None = None  # ISO date
    language: str | None = None
    removed: list[Removal] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["removed"] = [removal.to_dict() for removal in self.removed]
        return record


@dataclass(slots=True, frozen=True)
class Member:
    """A member of a cluster and its similarity to the cluster's kept article."""

    id: str
    similarity: float


@dataclass(slots=True)
class Cluster:
    """One news event: the kept (representative) article and every member, kept one included."""

    cluster: str  # the cluster id: the kept article's id
    kept: str
    members: list[Member]
    origin: str | None = None  # wire agency named by the copies (Reuters, AP, AFP, PTI, ...)


@dataclass(slots=True)
class ManifestEntry:
    """Exactly one per input document: what happened to it."""

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


_MANIFEST_FIELDS = tuple(f.name for f in fields(ManifestEntry))


@dataclass(slots=True)
class RunReport:
    """Counts for the summary, plus where the outputs went."""

    documents: int = 0
    kept: int = 0
    duplicates: int = 0
    rejected: int = 0
    clusters: int = 0
    clutter_removed: int = 0
    rejection_reasons: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
