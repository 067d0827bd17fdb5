"""The steps of a run, defined once, and the plan of each job; `cleaner.engines.local` and
`cleaner.engines.dask_engine` are the executors that carry a plan out.

    job       read                           steps over the outcomes, in order                       corpus step
    run       HTML pages, extracted          repeated inputs, site templates      clustering
    extract   HTML pages, extracted          repeated inputs, site templates      -
    dedup     JSONL records that hold text   repeated ids                         clustering

Reading makes one Outcome per input document (`extract_document`, `text_outcome`); over them, a `FailureTally`
tells a broken extraction stack (the same internal error on every page) from bad pages. The steps then share one
interface, after datatrove's PipelineStep (one interface over a stream or a partition; executors are separate): a
`GroupStep` decides within the outcomes that share a key (an id, a site), given in input order. `summary` is what
the decision needs of one outcome (what a shuffle moves to the key's owner), `decide` names the members that change
and how, `apply` makes the change where the outcome lives. The local engine groups in memory; the Dask engine
shuffles the summaries by key and sends the verdicts back. (A per-document decision is a group step keyed by id.)
The corpus step, near-duplicate clustering, needs every article at once: its decisions are `cleaner.dedup`
functions, called by the local `Deduplicator` and by the Dask engine's distributed rounds alike. Nothing here knows
about processes, partitions or output files.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from cleaner.clutter import strip_site_templates
from cleaner.clutter.config import ClutterConfig
from cleaner.clutter.templates import site_key
from cleaner.config import Config
from cleaner.dedup import Deduplicator, EarlyPreparations
from cleaner.errors import ExtractionError, ExtractionStackError
from cleaner.io.readers import HtmlFile, ReadOptions, document_id, load_document
from cleaner.models import Article, Cluster, Outcome, RawDocument

log = logging.getLogger(__name__)

# `run`/`extract` read HTML pages; `dedup` reads JSONL records that already hold text
Mode = Literal["html", "text"]
Job = Literal["run", "extract", "dedup"]
Summary = TypeVar("Summary")
Verdict = TypeVar("Verdict")


def read_options_for(config: Config) -> ReadOptions:
    return ReadOptions(
        html_key=config.run.html_key,
        url_key=config.run.url_key,
        max_bytes=config.extract.max_html_bytes,
        id_key=config.run.html_id_key,
        stdin_format=config.run.input_format,
    )


# --- per document -------------------------------------------------------------------------------------------------


def extract_document(item: RawDocument | HtmlFile, config: Config) -> Outcome:
    """Read (an `HtmlFile`) and extract one document; a failure of this page becomes its rejection reason."""
    from cleaner.extract.core import extract_article  # trafilatura is loaded where it runs: in the worker

    doc = load_document(item)
    if doc.error is not None or doc.content is None:
        return Outcome(doc.id, doc.source, reason=doc.error or "unreadable")
    try:
        return Outcome(doc.id, doc.source, article=extract_article(doc, config.extract, config.clutter))
    except ExtractionError as exc:
        return Outcome(doc.id, doc.source, reason=str(exc))
    except (MemoryError, RecursionError):
        raise  # the worker pool names these: "memory limit", "too deeply nested"
    except ExtractionStackError:
        raise  # not this page's fault: the run stops
    except Exception as exc:  # a parser bug on one odd page must cost that page only, never the run
        log.warning("%s: extraction failed: %s: %s", doc.source, type(exc).__name__, exc)
        return Outcome(doc.id, doc.source, reason=f"extraction failed: {type(exc).__name__}: {exc}")


# extract_document's reason for an exception nobody expected; "extraction failed: trafilatura: ..." (lowercase) is a
# page trafilatura itself could not handle, a page's problem
_INTERNAL_FAILURE = re.compile(r"extraction failed: ([A-Z]\w*): ")


@dataclasses.dataclass(slots=True)
class FailureTally:
    """What an executor counts over a run's extraction outcomes, to tell a broken stack from bad pages.

    Every page rejected by the same unexpected exception, and none extracted, means the extraction stack is broken
    (a trafilatura whose internals moved, say), not the pages: `check` then stops the run instead of reporting
    a corpus of rejections. Tallies of partitions add up (`merged`), so the Dask engine decides like the local one.
    """

    articles: int = 0
    internal: Counter[str] = dataclasses.field(default_factory=Counter)  # exception type -> pages
    first: dict[str, str] = dataclasses.field(default_factory=dict)  # exception type -> "source: reason", lowest

    def add(self, outcome: Outcome) -> None:
        if outcome.article is not None:
            self.articles += 1
            return
        match = _INTERNAL_FAILURE.match(outcome.reason or "")
        if match:
            kind = match.group(1)
            self.internal[kind] += 1
            example = f"{outcome.source}: {outcome.reason}"
            self.first[kind] = min(self.first.get(kind, example), example)

    @classmethod
    def merged(cls, tallies: Iterable[FailureTally]) -> FailureTally:
        total = cls()
        for tally in tallies:
            total.articles += tally.articles
            total.internal.update(tally.internal)
            for kind, example in tally.first.items():
                total.first[kind] = min(total.first.get(kind, example), example)
        return total

    def check(self) -> None:
        """Raise ExtractionStackError when no page became an article and at least two were rejected by one
        internal error, the only one seen."""
        if self.articles or len(self.internal) != 1:
            return
        ((kind, pages),) = self.internal.items()
        if pages < 2:
            return
        from cleaner.extract.core import stack_name

        raise ExtractionStackError(
            f"{stack_name()}: every page failed with the same internal error ({pages} pages, {kind}; no article "
            f"extracted), e.g. {self.first[kind]}. The extraction stack is broken or incompatible: install a "
            "tested trafilatura (pip install 'trafilatura>=2.3.1,<2.4'), or try accelerate = off"
        )


def failure_tally(outcomes: Iterable[Outcome]) -> FailureTally:
    tally = FailureTally()
    for outcome in outcomes:
        tally.add(outcome)
    return tally


def text_outcome(source: str, record: dict[str, Any], config: Config) -> Outcome:
    """A JSONL record that already holds text (`cleaner dedup`) as an article, or why it cannot be one."""
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


# --- the interface of a step --------------------------------------------------------------------------------------


class GroupStep(Protocol[Summary, Verdict]):
    """A decision within the outcomes that share a key; an outcome whose key is None is left alone."""

    name: ClassVar[str]

    def key(self, outcome: Outcome) -> str | None: ...

    def summary(self, outcome: Outcome) -> Summary: ...

    def decide(self, group: Sequence[Summary]) -> list[tuple[int, Verdict]]:
        """(index in `group`, verdict) of the members that change; `group` is in input order."""
        ...

    def apply(self, outcome: Outcome, verdict: Verdict) -> Outcome: ...


Step = GroupStep[Any, Any]


# --- the steps ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepeatedInputs:
    """Copies of one id, in input order: which ones lose it, rejected under an id of their own.

    `html`: the same input read twice (a file named twice), or a record id given twice (`--id-key`), is one document:
    every later copy k = 1, 2, ... loses.
    `text`: a record id repeated among records with text: all but the first lose (k = 1).
    """

    name: ClassVar[str] = "repeats"
    mode: Mode

    def key(self, outcome: Outcome) -> str:
        return outcome.id

    def summary(self, outcome: Outcome) -> bool:
        return outcome.article is not None

    def decide(self, group: Sequence[bool]) -> list[tuple[int, int]]:
        if self.mode == "html":
            return [(i, i) for i in range(1, len(group))]
        with_text = [i for i, has_article in enumerate(group) if has_article]
        return [(i, 1) for i in with_text[1:]]

    def apply(self, outcome: Outcome, k: int) -> Outcome:
        # replace, not a new Outcome: the outcome keeps its input position (the manifest's order)
        if self.mode == "html":
            if outcome.id == document_id(outcome.source):
                reason = f"duplicate input: {outcome.source} was already read"
            else:  # the id is the record's own (--id-key)
                reason = f"duplicate id: {outcome.id!r} appears earlier in the input"
            new_id = document_id(f"{outcome.source}#repeat{k}")
            return dataclasses.replace(outcome, id=new_id, article=None, reason=reason)
        reason = f"duplicate id: {outcome.id!r} appears earlier in the input"
        return dataclasses.replace(outcome, id=document_id(outcome.source), article=None, reason=reason)


@dataclass(frozen=True, slots=True)
class SiteTemplates:
    """The pages of one site: the lines it repeats on them are learnt, then stripped (or marked) on each page."""

    name: ClassVar[str] = "templates"
    clutter: ClutterConfig
    min_chars: int  # a page keeps its template lines rather than fall under the minimum: clutter never costs a page

    def key(self, outcome: Outcome) -> str | None:
        return (site_key(outcome.article) or None) if outcome.article is not None else None

    def summary(self, outcome: Outcome) -> Article:
        assert outcome.article is not None  # `key` groups articles only
        return outcome.article  # the whole page: learning a template reads every line of every page

    def decide(self, group: Sequence[Article]) -> list[tuple[int, Article]]:
        stripped = strip_site_templates(group, self.clutter, self.min_chars)
        return [(i, new) for i, (old, new) in enumerate(zip(group, stripped, strict=True)) if new is not old]

    def apply(self, outcome: Outcome, article: Article) -> Outcome:
        return dataclasses.replace(outcome, article=article)


def templates_enabled(config: Config) -> bool:
    return config.clutter.enabled and "template" in config.clutter.families


# --- the plans ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """What a job reads, the steps over its outcomes in order, and whether the corpus step (clustering) follows."""

    mode: Mode
    steps: tuple[Step, ...]
    clusters: bool


def plan(job: Job, config: Config) -> Plan:
    if job == "dedup":
        return Plan("text", (RepeatedInputs("text"),), clusters=True)
    templates = (SiteTemplates(config.clutter, config.extract.min_text_chars),) if templates_enabled(config) else ()
    steps = (RepeatedInputs("html"), *templates)
    return Plan("html", steps, clusters=job == "run")


def output_order(outcome: Outcome) -> tuple[str, str]:
    """The order in which a job's outputs list its outcomes (an id can repeat among rejected text records)."""
    return outcome.id, outcome.source


# --- corpus: clustering -------------------------------------------------------------------------------------------


def cluster_articles(
    articles: Iterable[Article], config: Config | None = None, early: EarlyPreparations | None = None
) -> list[Cluster]:
    """The corpus step in memory (the Dask engine runs the same decisions in rounds: `cleaner.engines.dedup_parts`)."""
    config = config or Config()
    deduplicator = Deduplicator(config.dedup, early)
    deduplicator.add_many(articles)
    return deduplicator.clusters()
