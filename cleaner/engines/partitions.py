"""Per-partition work of the Dask engine outside dedup: read, extract, repeated ids, site templates, outputs.

Every function here takes and returns plain Python data and runs on one partition; `dask_engine` wires them with
shuffles. The decisions are the local pipeline's own functions (`process_document`, `strip_site_templates`,
`manifest_entries`, `article_record`, ...), called on the part of the corpus that decides them, so both engines
compute the same thing. A shuffle's input is a list of `(destination partition, payload)` pairs.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import json
import os
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import xxhash

from cleaner.clutter import strip_site_templates
from cleaner.clutter.templates import site_key
from cleaner.config import Config
from cleaner.engines.remote import is_url, list_url, local_copy, open_binary, url_source, with_url_source
from cleaner.models import Article, Cluster, ManifestEntry, Member, RawDocument, RunReport
from cleaner.pipeline import (
    Outcome,
    article_record,
    as_outcome,
    cluster_record,
    extraction_record,
    extraction_report,
    limits_for,
    manifest_entries,
    process_document,
    read_options_for,
    record_article,
    reject_short,
    summarize,
)
from cleaner.readers import (
    JSONL_SUFFIXES,
    ReadOptions,
    document_id,
    iter_documents,
    iter_input_files,
    iter_jsonl_records,
)
from cleaner.workers import map_documents
from cleaner.writers import dumps

Mode = Literal["html", "text"]  # `run`/`extract` read HTML; `dedup` reads JSONL records that hold text
Outbox = list[tuple[int, Any]]
SORT_SAMPLES = 64  # keys per partition offered to the splitter choice of a distributed sort


def string_destination(value: str, partitions: int) -> int:
    """A partition for a string, the same in every process (Python's hash() is salted per process)."""
    return xxhash.xxh64_intdigest(value.encode("utf-8", "surrogatepass")) % partitions


def group_outbox(items: Iterable[tuple[int, Any]]) -> Outbox:
    """[(destination, [payload, ...])] from (destination, payload) pairs, one entry per destination."""
    groups: dict[int, list[Any]] = defaultdict(list)
    for dest, payload in items:
        groups[dest].append(payload)
    return sorted(groups.items())


def flatten(inbox: Iterable[list[Any]]) -> list[Any]:
    return [item for payload in inbox for item in payload]


# --- input: pieces of files, read by workers -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Piece:
    """A whole input file, or the lines of a plain JSONL file that start in bytes [start, end)."""

    path: str
    start: int = 0
    end: int | None = None  # None: the whole file, read by the local engine's own reader
    first_line: int = 1  # number of the first line starting in the range (JSONL sources are `path#line`)


def splittable(path: str, mode: Mode) -> bool:
    """Files read line by line without decompression can be cut into byte ranges (local paths and URLs)."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(".gz"):
        return False
    # `dedup` reads every file as JSONL; `run` only those with a JSONL suffix (others are HTML or WARC)
    return mode == "text" or name.endswith(JSONL_SUFFIXES)


def plan_pieces(paths: Iterable[str | os.PathLike[str]], mode: Mode, block_bytes: int) -> list[tuple[Piece, int]]:
    """(piece, size in bytes) for every input file in the local engine's order; big JSONL files become blocks.

    Blocks other than a file's first still need their `first_line` (see `newline_count`).
    """
    pieces: list[tuple[Piece, int]] = []
    for path, size in _sized_files(paths):
        if size <= block_bytes or not splittable(path, mode):
            pieces.append((Piece(path), size))
            continue
        for start in range(0, size, block_bytes):
            pieces.append((Piece(path, start, min(start + block_bytes, size)), min(block_bytes, size - start)))
    return pieces


def _sized_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[str, int]]:
    """(path or URL, size) of every input file, in the order the inputs were given."""
    for raw in paths:
        if is_url(raw):
            yield from list_url(str(raw))
            continue
        for path in iter_input_files([raw]):
            try:
                size = path.stat().st_size
            except OSError:
                size = 0  # broken symlinks and the like: the reader reports them
            yield str(path), size


def newline_count(piece: Piece) -> int:
    """Newlines in bytes [start - 1, end - 1): summed over a file's earlier blocks, they number a block's lines."""
    lo = max(piece.start - 1, 0)
    hi = (piece.end or 0) - 1
    count = 0
    with open_binary(piece.path) as handle:
        handle.seek(lo)
        remaining = hi - lo
        while remaining > 0:
            chunk = handle.read(min(remaining, 1 << 22))
            if not chunk:
                break
            count += chunk.count(b"\n")
            remaining -= len(chunk)
    return count


def number_blocks(pieces: Sequence[Piece], counts: Sequence[int]) -> list[Piece]:
    """Give each block its first line number from the newline counts of the blocks before it in the same file."""
    numbered: list[Piece] = []
    seen: dict[str, int] = {}
    for piece, count in zip(pieces, counts, strict=True):
        if piece.end is not None and piece.start > 0:
            # lines before the block's first full line: those ending before byte start - 1, plus the cut one
            piece = dataclasses.replace(piece, first_line=seen[piece.path] + 2)
        seen[piece.path] = seen.get(piece.path, 0) + count
        numbered.append(piece)
    return numbered


def _parse_line(source: str, line: bytes) -> tuple[str, dict[str, Any] | None, str | None]:
    # mirrors cleaner.readers.iter_jsonl_records line by line (see the report: a public per-line parser is asked for)
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return source, None, f"invalid json: {exc.msg if hasattr(exc, 'msg') else exc}"
    if not isinstance(record, dict):
        return source, None, "invalid json: a line must hold a JSON object"
    return source, record, None


def iter_piece_records(piece: Piece) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """(source, record, error) for the JSONL lines of a piece, numbered as the whole-file reader numbers them."""
    if piece.end is None:
        yield from _whole_jsonl(piece.path)
        return
    number = piece.first_line - 1
    try:
        with open_binary(piece.path) as handle:
            if piece.start > 0:
                handle.seek(piece.start - 1)
                handle.readline()  # the line cut by the block start belongs to the previous block
            while handle.tell() < piece.end:
                line = handle.readline()
                if not line:
                    break
                number += 1
                if line.strip():
                    yield _parse_line(f"{piece.path}#{number}", line)
    except (OSError, EOFError, zlib.error) as exc:
        yield f"{piece.path}#{number + 1}", None, f"truncated file: {exc}"


def _whole_jsonl(path: str) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    if not is_url(path):
        yield from iter_jsonl_records(Path(path))
        return
    with local_copy(path) as local:  # gzip and all: the local reader decides, as for a local file
        for source, record, error in iter_jsonl_records(local):
            yield url_source(source, local, path), record, error


def _whole_file_documents(path: str, options: ReadOptions) -> Iterator[RawDocument]:
    if not is_url(path):
        yield from iter_documents([path], options)
        return
    with local_copy(path) as local:
        for document in iter_documents([local], options):
            yield with_url_source(document, local, path)


def _html_document(source: str, record: dict[str, Any] | None, error: str | None, options: ReadOptions) -> RawDocument:
    # mirrors cleaner.readers._iter_jsonl_html for one record
    def failed(reason: str, url: str | None = None) -> RawDocument:
        return RawDocument(id=document_id(source), source=source, content=None, url=url, error=reason)

    if record is None:
        return failed(error or "invalid json")
    url = record.get(options.url_key)
    url = url if isinstance(url, str) and url else None
    html = record.get(options.html_key)
    if not isinstance(html, str) or not html:
        return failed(f"missing field: no non-empty {options.html_key!r} string", url)
    content = html.encode("utf-8", "surrogatepass")
    if len(content) > options.max_bytes:
        return failed(f"too large: more than {options.max_bytes} bytes", url)
    return RawDocument(id=document_id(source), source=source, content=content, url=url)


def iter_piece_documents(pieces: Sequence[Piece], options: ReadOptions) -> Iterator[RawDocument]:
    for piece in pieces:
        if piece.end is None:
            yield from _whole_file_documents(piece.path, options)
        else:
            for source, record, error in iter_piece_records(piece):
                yield _html_document(source, record, error, options)


def read_partition(pieces: Sequence[Piece], config: Config, mode: Mode) -> list[Outcome]:
    """One Outcome per input document of these pieces, in input order: extracted (html) or read (text)."""
    if mode == "text":
        outcomes: list[Outcome] = []
        for piece in pieces:
            for source, record, error in iter_piece_records(piece):
                if record is None:
                    outcomes.append(Outcome(document_id(source), source, reason=error))
                else:
                    outcomes.append(record_article(source, record, config))
        return outcomes
    documents = iter_piece_documents(pieces, read_options_for(config))
    work = functools.partial(process_document, config=config)
    # one item at a time in this worker thread: a document that raises MemoryError or RecursionError is rejected
    # as in the local engine; the per-document timeout needs a main thread, which Dask's task threads are not
    # Dask worker processes are daemons and cannot fork: extract in the worker itself, Dask isolates partitions
    limits = dataclasses.replace(limits_for(config), in_process=True)
    return [as_outcome(result) for result in map_documents(work, documents, 1, limits)]


# --- repeated ids: decided per id, wherever the copies were read -----------------------------------------------


def id_outbox(home: int, outcomes: Sequence[Outcome], partitions: int) -> Outbox:
    """(id, home, position, has article) of every outcome, sent to the partition that owns the id."""
    rows = (
        (string_destination(o.id, partitions), (o.id, home, pos, o.article is not None))
        for pos, o in enumerate(outcomes)
    )
    return group_outbox(rows)


def id_decisions(inbox: Iterable[list[tuple[str, int, int, bool]]], mode: Mode) -> Outbox:
    """Which copies of an id lose it, in input order (home, position): `run` counts repeats, `dedup` rejects."""
    groups: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for doc_id, home, pos, has_article in flatten(inbox):
        groups[doc_id].append((home, pos, has_article))
    decisions: list[tuple[int, tuple[int, int]]] = []
    for copies in groups.values():
        copies.sort()
        if mode == "html":  # cleaner.pipeline._unique_ids: every repeat of an input, k = 1, 2, ...
            decisions.extend((home, (pos, k)) for k, (home, pos, _) in enumerate(copies) if k > 0)
        else:  # cleaner.pipeline._reject_repeated_ids: among records with text, all but the first
            with_text = [(home, pos) for home, pos, has_article in copies if has_article]
            decisions.extend((home, (pos, 1)) for home, pos in with_text[1:])
    return group_outbox(decisions)


def apply_id_decisions(
    outcomes: Sequence[Outcome], inbox: Iterable[list[tuple[int, int]]], mode: Mode
) -> list[Outcome]:
    """The outcomes with the losing copies rejected and renamed (new objects: inputs stay untouched for retries)."""
    result = list(outcomes)
    for pos, k in flatten(inbox):
        outcome = outcomes[pos]
        if mode == "html":
            reason = f"duplicate input: {outcome.source} was already read"
            new_id = document_id(f"{outcome.source}#repeat{k}")
        else:
            reason = f"duplicate id: {outcome.id!r} appears earlier in the input"
            new_id = document_id(outcome.source)
        result[pos] = Outcome(new_id, outcome.source, article=None, reason=reason)
    return result


# --- site templates: a group-by on site --------------------------------------------------------------------------


def templates_enabled(config: Config) -> bool:
    return config.clutter.enabled and "template" in config.clutter.families


def site_outbox(outcomes: Sequence[Outcome], partitions: int) -> tuple[list[Outcome], Outbox]:
    """(outcomes that stay: no site or no article, [(site partition, outcomes of its sites)])."""
    stay: list[Outcome] = []
    moving: list[tuple[int, Outcome]] = []
    for outcome in outcomes:
        site = site_key(outcome.article) if outcome.article is not None else None
        if site:
            moving.append((string_destination(site, partitions), outcome))
        else:
            stay.append(outcome)
    return stay, group_outbox(moving)


def strip_sites(stay: Sequence[Outcome], inbox: Iterable[list[Outcome]], config: Config) -> list[Outcome]:
    """Learn and strip the templates of the sites this partition owns (it holds every page of each)."""
    received = sorted(flatten(inbox), key=lambda o: (o.id, o.source))
    articles = [o.article for o in received if o.article is not None]
    by_id = {a.id: a for a in strip_site_templates(articles, config.clutter)}
    stripped = [dataclasses.replace(o, article=by_id[o.article.id]) for o in received if o.article is not None]
    return [*stay, *stripped]


def drop_short(outcomes: Sequence[Outcome], config: Config) -> list[Outcome]:
    return [reject_short(outcome, config) for outcome in outcomes]


# --- outputs: records keyed for one global sort, then written per partition -------------------------------------

Row = tuple[tuple[Any, ...], str]  # (sort key, JSON line); the key starts with the output file's index


def source_stub(article: Article) -> Article:
    """The fields of a member that its cluster's article record lists (see pipeline.SOURCE_FIELDS)."""
    return Article(
        id=article.id,
        source=article.source,
        url=article.url,
        text="",
        title=article.title,
        site=article.site,
        published=article.published,
    )


@dataclass(slots=True)
class Placement:
    """Where one article ended up: its representative's id and its similarity as a cluster member."""

    cluster: str
    similarity: float


@dataclass(slots=True)
class MemberInfo:
    """What a member sends to its representative's partition to build the cluster record."""

    rep_pos: int
    rank: int
    similarity: float
    origin: str | None
    stub: Article


def build_clusters(
    members: Iterable[MemberInfo], articles: Sequence[Article]
) -> list[tuple[Cluster, dict[str, Article]]]:
    """The clusters whose representatives live here (as Deduplicator._build builds them), with member stubs."""
    from cleaner.dedup.origin import cluster_origin

    groups: dict[int, list[MemberInfo]] = defaultdict(list)
    for member in members:
        groups[member.rep_pos].append(member)
    built: list[tuple[Cluster, dict[str, Article]]] = []
    for rep_pos, group in groups.items():
        kept = articles[rep_pos]
        by_rank = sorted(group, key=lambda m: m.rank)
        listed = sorted((Member(m.stub.id, m.similarity) for m in group), key=lambda m: m.id)
        cluster = Cluster(kept.id, kept.id, listed, cluster_origin([m.origin for m in by_rank]))
        built.append((cluster, {m.stub.id: m.stub for m in group} | {kept.id: kept}))
    return built


def run_rows(
    outcomes: Sequence[Outcome],
    placements: dict[str, Placement],
    clusters: Sequence[tuple[Cluster, dict[str, Article]]],
) -> tuple[list[Row], RunReport]:
    """This partition's lines of the four run outputs, keyed as the local engine orders them, and its counts."""
    rows: list[Row] = []
    for cluster, by_id in clusters:
        rows.append(((0, cluster.cluster), dumps(article_record(by_id[cluster.kept], cluster, by_id))))
        rows.append(((1, cluster.cluster), dumps(cluster_record(cluster))))
    rows.extend(((2, o.id, o.source), dumps(extraction_record(o))) for o in outcomes)
    # one single-member cluster per placed article: manifest_entries then places it exactly as for the full cluster
    placed = [Cluster(p.cluster, p.cluster, [Member(doc_id, p.similarity)]) for doc_id, p in placements.items()]
    entries: list[ManifestEntry] = manifest_entries(outcomes, placed)
    rows.extend(((3, e.source, e.id), dumps(e.to_dict())) for e in entries)
    removed = sum(len(o.article.removed) for o in outcomes if o.article is not None)
    return rows, summarize(entries, [c for c, _ in clusters], removed)


def extract_rows(outcomes: Sequence[Outcome]) -> tuple[list[Row], RunReport]:
    """This partition's lines of `cleaner extract` (ordered by id, as the local engine) and its counts."""
    rows = [((0, o.id, o.source), dumps(extraction_record(o))) for o in outcomes]
    return rows, extraction_report(outcomes)


def merge_reports(reports: Iterable[RunReport]) -> RunReport:
    total = RunReport()
    reasons: Counter[str] = Counter()
    for report in reports:
        for name in ("documents", "kept", "duplicates", "rejected", "clusters", "clutter_removed"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        reasons.update(report.rejection_reasons)
    total.rejection_reasons = dict(sorted(reasons.items()))
    return total


# --- a distributed sort: sample splitters, route by range, sort each range -------------------------------------


def sample_keys(rows: Sequence[tuple[Any, ...]], count: int = SORT_SAMPLES) -> list[Any]:
    """Evenly spaced keys of a partition's rows (each row starts with its key)."""
    if not rows:
        return []
    keys = sorted(row[0] for row in rows)
    step = max(len(keys) // count, 1)
    return keys[step // 2 :: step]


def choose_splitters(samples: Iterable[list[Any]], partitions: int) -> list[Any]:
    """partitions - 1 keys cutting the sampled key range into nearly equal parts."""
    keys = sorted(key for sample in samples for key in sample)
    if not keys or partitions < 2:
        return []
    return [keys[(len(keys) * i) // partitions] for i in range(1, partitions)]


def range_outbox(rows: Sequence[tuple[Any, ...]], splitters: Sequence[Any]) -> Outbox:
    return group_outbox((bisect.bisect_right(splitters, row[0]), row) for row in rows)


def sorted_range(inbox: Iterable[list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    return sorted(flatten(inbox), key=lambda row: row[0])


def write_part(rows: Sequence[Row], folder: str, index: int, names: Sequence[str]) -> list[tuple[int, str]]:
    """Write a sorted range's lines into one part file per output; returns (output index, part path)."""
    by_output: dict[int, list[str]] = defaultdict(list)
    for key, line in rows:
        by_output[key[0]].append(line)
    written: list[tuple[int, str]] = []
    for output, lines in sorted(by_output.items()):
        path = os.path.join(folder, f"{names[output]}-{index:06d}.jsonl")
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(line + "\n" for line in lines)
        written.append((output, path))
    return written
