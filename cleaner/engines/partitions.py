"""Per-partition work of the Dask engine outside dedup: read, extract, the plan's steps, outputs.

Every function here takes and returns plain Python data and runs on one partition; `dask_engine` wires them with
shuffles. The decisions are the steps of `cleaner.stages` and the output records of `cleaner.outputs`, called on
the part of the corpus that decides them, so both engines compute the same thing. A shuffle's input is a list of
`(destination partition, payload)` pairs.
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
from typing import Any

import xxhash

from cleaner.config import Config
from cleaner.engines.local import as_outcome, limits_for
from cleaner.engines.pool import map_documents
from cleaner.io.readers import (
    JSONL_SUFFIXES,
    HtmlFile,
    ReadOptions,
    document_id,
    iter_documents,
    iter_input_files,
    iter_jsonl_records,
    jsonl_html_document,
)
from cleaner.io.remote import is_url, list_url, local_copy, open_binary, url_source, with_url_source
from cleaner.io.writers import dumps
from cleaner.models import Article, Cluster, Member, Outcome, RawDocument, RunReport
from cleaner.outputs.records import (
    ClusterLine,
    DocumentLine,
    ManifestEntry,
    article_line,
    extraction_report,
    manifest_entries,
    summarize,
)
from cleaner.stages import GroupStep, Mode, extract_document, read_options_for, text_outcome

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
    # mirrors cleaner.io.readers.iter_jsonl_records line by line (see the report: a public per-line parser is asked for)
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


def iter_piece_documents(pieces: Sequence[Piece], options: ReadOptions) -> Iterator[RawDocument | HtmlFile]:
    for piece in pieces:
        if piece.end is None:
            yield from _whole_file_documents(piece.path, options)
        else:
            for source, record, error in iter_piece_records(piece):
                yield jsonl_html_document(source, record, error, options)


def read_partition(pieces: Sequence[Piece], config: Config, mode: Mode) -> list[Outcome]:
    """One Outcome per input document of these pieces, in input order: extracted (html) or read (text)."""
    if mode == "text":
        outcomes: list[Outcome] = []
        for piece in pieces:
            for source, record, error in iter_piece_records(piece):
                if record is None:
                    outcomes.append(Outcome(document_id(source), source, reason=error))
                else:
                    outcomes.append(text_outcome(source, record, config))
        return outcomes
    documents = iter_piece_documents(pieces, read_options_for(config))
    work = functools.partial(extract_document, config=config)
    # one item at a time in this worker thread: a document that raises MemoryError or RecursionError is rejected
    # as in the local engine; the per-document timeout needs a main thread, which Dask's task threads are not
    # Dask worker processes are daemons and cannot fork: extract in the worker itself, Dask isolates partitions
    limits = dataclasses.replace(limits_for(config), in_process=True)
    return [as_outcome(result) for result in map_documents(work, documents, 1, limits)]


def numbered(outcomes: Sequence[Outcome], first: int) -> list[Outcome]:
    """The outcomes with their input positions: this partition's documents come after `first` earlier ones."""
    return [dataclasses.replace(o, position=first + i) for i, o in enumerate(outcomes)]


# --- the plan's steps: each is decided where its key lives ----------------------------------------------------------


def key_outbox(step: GroupStep[Any, Any], home: int, outcomes: Sequence[Outcome], partitions: int) -> Outbox:
    """(key, home, position, summary) of every outcome the step groups, sent to the partition that owns its key."""
    rows = []
    for position, outcome in enumerate(outcomes):
        key = step.key(outcome)
        if key is not None:
            rows.append((string_destination(key, partitions), (key, home, position, step.summary(outcome))))
    return group_outbox(rows)


def group_verdicts(step: GroupStep[Any, Any], inbox: Iterable[list[tuple[str, int, int, Any]]]) -> Outbox:
    """The step's decisions on the keys this partition owns, each group in input order (home partition, position
    in it), sent back as (position, verdict) to the partition that holds the outcome."""
    groups: dict[str, list[tuple[int, int, Any]]] = defaultdict(list)
    for key, home, position, summary in flatten(inbox):
        groups[key].append((home, position, summary))
    verdicts: list[tuple[int, tuple[int, Any]]] = []
    for members in groups.values():
        members.sort(key=lambda member: member[:2])
        for i, verdict in step.decide([summary for _, _, summary in members]):
            home, position, _ = members[i]
            verdicts.append((home, (position, verdict)))
    return group_outbox(verdicts)


def apply_verdicts(
    step: GroupStep[Any, Any], outcomes: Sequence[Outcome], inbox: Iterable[list[tuple[int, Any]]]
) -> list[Outcome]:
    """The outcomes with the step's verdicts applied (new objects: inputs stay untouched for retries)."""
    result = list(outcomes)
    for position, verdict in flatten(inbox):
        result[position] = step.apply(outcomes[position], verdict)
    return result


# --- outputs: records keyed for one global sort, then written per partition -------------------------------------

Row = tuple[tuple[Any, ...], str]  # (sort key, JSON line); the key starts with the output file's index


@dataclass(slots=True)
class Placement:
    """Where one article ended up: its representative's id and its similarity as a cluster member."""

    cluster: str
    similarity: float


def run_rows(
    outcomes: Sequence[Outcome],
    placements: dict[str, Placement],
    clusters: Sequence[tuple[Cluster, dict[str, Article]]],
) -> tuple[list[Row], RunReport]:
    """This partition's lines of the four run outputs, keyed as the local engine orders them, and its counts."""
    rows: list[Row] = []
    for cluster, by_id in clusters:
        rows.append(((0, cluster.cluster), dumps(article_line(by_id[cluster.kept], cluster, by_id).to_dict())))
        rows.append(((1, cluster.cluster), dumps(ClusterLine.of(cluster).to_dict())))
    rows.extend(((2, o.id, o.source), dumps(DocumentLine.of(o).to_dict())) for o in outcomes)
    # one single-member cluster per placed article: manifest_entries then places it exactly as for the full cluster
    placed = [Cluster(p.cluster, p.cluster, [Member(doc_id, p.similarity)]) for doc_id, p in placements.items()]
    entries: list[ManifestEntry] = manifest_entries(outcomes, placed)  # in input order: by position
    positions = sorted(o.position for o in outcomes)
    rows.extend(((3, position), dumps(e.to_dict())) for position, e in zip(positions, entries, strict=True))
    removed = sum(len(o.article.removed) for o in outcomes if o.article is not None)
    return rows, summarize(entries, len(clusters), removed)


def extract_rows(outcomes: Sequence[Outcome]) -> tuple[list[Row], RunReport]:
    """This partition's lines of `cleaner extract` (ordered by id, as the local engine) and its counts."""
    rows = [((0, o.id, o.source), dumps(DocumentLine.of(o).to_dict())) for o in outcomes]
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
