"""The records that flow through every stage: one `Article` per input document."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

PathLike = str | os.PathLike[str]
# called with (stage name, items just finished); the CLI turns it into a progress bar per stage. A hook that also
# has a `total(stage, count)` method is told each stage's total first (None: unknown), see `announce_total`.
ProgressHook = Callable[[str, int], None]


def announce_total(progress: ProgressHook | None, stage: str, total: int | None) -> None:
    """Tell a progress display how many items `stage` will count, if it listens for totals (a plain function
    hook only hears the counts)."""
    listener = getattr(progress, "total", None)
    if callable(listener):
        listener(stage, total)


def wants_totals(progress: ProgressHook | None) -> bool:
    """Whether a total is worth computing: only a display that listens for totals uses one."""
    return callable(getattr(progress, "total", None))


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


def site_key(url: str | None, site: str | None) -> str | None:
    """The site a document belongs to, for the decisions made per site (templates, the per-site shingle cut): its
    URL's host without "www.", else its site name case-folded. A host names one site, while a site name is display
    text that metadata extraction sometimes takes from the headline."""
    if url:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = None
        if host:
            return host.removeprefix("www.")
    return site.casefold() if site else None


@dataclass(slots=True)
class Outcome:
    """One input document after extraction (or reading, for text records): an article, or why it was rejected."""

    id: str
    source: str
    article: Article | None = None
    reason: str | None = None
    # the document's place in the input stream (0, 1, ...; -1 when unknown): a run's manifest follows it
    position: int = -1

    @property
    def status(self) -> str:
        """Either "extracted" (`article` holds it) or "rejected" (`reason` says why), as `cleaner extract` says."""
        return "extracted" if self.article is not None else "rejected"


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
