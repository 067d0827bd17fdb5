"""Iterate input documents from folders, HTML files (plain or gzip), WARC files and JSONL files.

Readers never raise on a bad document: they yield a `RawDocument` with `error` set, so every input is accounted for.
Only an input path that does not exist at all raises `InputError`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, BinaryIO

import xxhash

from cleaner.errors import InputError
from cleaner.models import RawDocument

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz", ".xhtml.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
INPUT_SUFFIXES = HTML_SUFFIXES + WARC_SUFFIXES + JSONL_SUFFIXES


STDIN = "-"  # an input named "-" is standard input, as for most Unix tools (./- is a file named "-")
STDIN_SOURCE = "<stdin>"  # how its documents are named: "<stdin>" for a page, "<stdin>#N" for JSONL line N
_SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What to read from record-based inputs and how much to trust a single file."""

    html_key: str = "html"
    url_key: str = "url"
    max_bytes: int = 20_000_000  # a bigger (decompressed) document is rejected: gzip bombs stop here
    id_key: str | None = None  # JSONL pages: the field holding a record's id (None: ids from the source)
    stdin_format: str = "auto"  # standard input: one HTML page, JSONL records, or "auto": sniffed


def document_id(source: str) -> str:
    """Stable id: the same source string always gives the same id, whatever the run or order."""
    return hashlib.sha1(source.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# a page handed over in memory: a mapping with `id`, `html` (str or bytes) and an optional `url`, or a RawDocument
Record = Mapping[str, Any] | RawDocument


def html_document(html: str | bytes, url: str | None = None, doc_id: str | None = None) -> RawDocument:
    """A page given in memory. Without an id, one is made from the url, else from the bytes; the source is the url,
    else the id given, else "<string>"."""
    content = html.encode("utf-8", "replace") if isinstance(html, str) else html  # lone surrogates become "?"
    source = url or doc_id or "<string>"
    if doc_id is None:
        key = url if url else xxhash.xxh3_128_hexdigest(content)
        doc_id = xxhash.xxh3_64_hexdigest(key.encode("utf-8"))
    return RawDocument(id=doc_id, source=source, content=content, url=url)


def record_document(record: Record, position: int) -> RawDocument:
    """The document of one in-memory record; one without a usable `html` is a document with `error` set.

    Raises InputError for a record that has no id or is neither a mapping nor a RawDocument: the caller's ids are
    what the outcomes are reported under, so there is nothing to report such a record as.
    """
    if isinstance(record, RawDocument):
        return record
    if not isinstance(record, Mapping):
        kind = type(record).__name__
        raise InputError(f"record {position}: expected a mapping with 'id' and 'html' or a RawDocument, got {kind}")
    raw_id = record.get("id")
    if raw_id is None or raw_id == "":
        raise InputError(f"record {position}: no 'id'; give every record an id to report its outcome under")
    doc_id = str(raw_id)
    url = record.get("url")
    url = url if isinstance(url, str) and url else None
    html = record.get("html")
    if not isinstance(html, str | bytes):
        error = "missing field: no 'html' string or bytes"
        return RawDocument(id=doc_id, source=url or doc_id, content=None, url=url, error=error)
    return html_document(html, url, doc_id)


def has_suffix(path: PurePath, suffixes: tuple[str, ...]) -> bool:
    """The file name ends with one of `suffixes`, in any case."""
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in suffixes)


def iter_input_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Expand folders recursively (sorted, symlinks not followed into loops) into input files.

    A file named explicitly is always read, whatever its suffix; inside folders only known suffixes are read.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk_folder(path)
        elif path.exists() or path.is_symlink():
            yield path
        else:
            raise InputError(f"{path}: no such file or folder; check the path (folders are read recursively)")


def _walk_folder(root: Path) -> Iterator[Path]:
    seen_dirs: set[tuple[int, int]] = set()
    for folder, dirnames, filenames in os.walk(root, followlinks=False, onerror=lambda exc: log.warning("%s", exc)):
        stat = os.stat(folder)
        key = (stat.st_dev, stat.st_ino)
        if key in seen_dirs:
            dirnames.clear()
            continue
        seen_dirs.add(key)
        dirnames.sort()
        # a directory named like a page (e.g. "index.html/") is walked, not read as a document
        for name in sorted(filenames):
            path = Path(folder) / name
            if has_suffix(path, INPUT_SUFFIXES):
                yield path


@dataclass(frozen=True, slots=True)
class HtmlFile:
    """An HTML file listed but not read yet: the worker that extracts it reads it (`load`), so the process that
    lists the inputs neither reads the bytes nor pipes them to the worker."""

    id: str
    source: str
    path: Path
    options: ReadOptions

    def load(self) -> RawDocument:
        """The file read: a document with `error` set if it is unreadable, too large or corrupt."""
        try:
            content = read_bytes_capped(self.path, self.options.max_bytes)
        except ValueError as exc:
            return _error_document(self.source, str(exc))
        return RawDocument(id=self.id, source=self.source, content=content)


def load_document(item: RawDocument | HtmlFile) -> RawDocument:
    return item.load() if isinstance(item, HtmlFile) else item


def iter_document_sources(
    paths: Iterable[str | os.PathLike[str]], options: ReadOptions | None = None
) -> Iterator[RawDocument | HtmlFile]:
    """`iter_documents`, except that HTML files come unread, as `HtmlFile`s (records of WARC and JSONL files are
    read here: they share one file)."""
    options = options or ReadOptions()
    for path in _with_stdin(paths):
        if path is None:
            yield from _iter_stdin_documents(options)
        elif has_suffix(path, WARC_SUFFIXES):
            yield from _iter_warc(path, options)
        elif has_suffix(path, JSONL_SUFFIXES):
            yield from _iter_jsonl_html(path, options)
        else:
            source = str(path)
            yield HtmlFile(document_id(source), source, path, options)


def count_documents(paths: Iterable[str | os.PathLike[str]], options: ReadOptions | None = None) -> int | None:
    """How many documents `iter_document_sources` yields for `paths`, when that is cheap to know (a progress
    total): a file is one, a JSONL file one per non-blank line (a pass over its bytes); None when a WARC file or
    standard input is among the inputs (their records are only known by reading them)."""
    total = 0
    for path in _with_stdin(paths):
        if path is None or has_suffix(path, WARC_SUFFIXES):
            return None
        total += _count_jsonl_lines(path) if has_suffix(path, JSONL_SUFFIXES) else 1
    return total


def _count_jsonl_lines(path: Path) -> int:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    count = 0
    try:
        with opener(path, "rb") as handle:
            for line in handle:
                count += bool(line.strip())
    except (OSError, EOFError, zlib.error):
        count += 1  # the reader accounts for a broken stream as one more record
    return count


def iter_documents(
    paths: Iterable[str | os.PathLike[str]], options: ReadOptions | None = None
) -> Iterator[RawDocument]:
    """Yield one RawDocument per input document (an HTML file, a WARC response record, a JSONL line).

    >>> docs = list(iter_documents(["fixtures/demo"]))
    >>> all(doc.id and doc.source for doc in docs)
    True
    """
    for item in iter_document_sources(paths, options):
        yield load_document(item)


def _with_stdin(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path | None]:
    """`iter_input_files`, with None in the place of "-" (standard input)."""
    for raw in paths:
        if str(raw) == STDIN:
            yield None
        else:
            yield from iter_input_files([raw])


def _stdin() -> BinaryIO:
    """Standard input as a binary stream that can be peeked at (to sniff its format without consuming it)."""
    if sys.stdin is None:
        raise InputError("input '-' is standard input, but this process has none")
    stream: Any = getattr(sys.stdin, "buffer", sys.stdin)
    return stream if hasattr(stream, "peek") else io.BufferedReader(stream)


def sniff_format(head: bytes) -> str:
    """ "jsonl" when the first non-blank character opens a JSON object, else "html"."""
    return "jsonl" if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{") else "html"


def _iter_stdin_documents(options: ReadOptions) -> Iterator[RawDocument]:
    """Standard input: one HTML page, or JSONL records of pages (`stdin_format`, or sniffed from its start)."""
    stream = _stdin()
    fmt = options.stdin_format
    if fmt == "auto":
        fmt = sniff_format(stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES])  # type: ignore[attr-defined]
    if fmt == "jsonl":
        records = iter_jsonl_stream(stream, STDIN_SOURCE, 2 * options.max_bytes + 1024)
        yield from _jsonl_html_documents(records, options)
        return
    try:
        content = stream.read(options.max_bytes + 1)
    except OSError as exc:
        yield _error_document(STDIN_SOURCE, f"unreadable: {exc.strerror or exc}")
        return
    if len(content) > options.max_bytes:
        yield _error_document(STDIN_SOURCE, f"too large: more than {options.max_bytes} bytes")
    else:
        yield RawDocument(id=document_id(STDIN_SOURCE), source=STDIN_SOURCE, content=content)


def iter_jsonl_inputs(
    paths: Iterable[str | os.PathLike[str]],
) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """(source, record, error) of every line of JSONL files and folders, "-" being standard input."""
    for path in _with_stdin(paths):
        if path is None:
            yield from iter_jsonl_stream(_stdin(), STDIN_SOURCE)
        else:
            yield from iter_jsonl_records(path)


def _error_document(source: str, error: str, url: str | None = None) -> RawDocument:
    return RawDocument(id=document_id(source), source=source, content=None, url=url, error=error)


def read_bytes_capped(path: Path, max_bytes: int) -> bytes:
    """Read a file, gunzipping `.gz`, refusing more than `max_bytes` of (decompressed) content.

    Raises ValueError with the rejection reason.
    """
    try:
        raw = _read_regular_file(path, max_bytes)
    except PermissionError as exc:
        raise ValueError("unreadable: permission denied") from exc
    except OSError as exc:  # a name too long, an I/O error: this document's reason, never the end of the run
        raise ValueError(f"unreadable: {exc.strerror or exc}") from exc
    if path.name.lower().endswith(".gz"):
        return _gunzip_capped(raw, path, max_bytes)
    if len(raw) > max_bytes:
        raise ValueError(f"too large: more than {max_bytes} bytes")
    return raw


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    """Up to `max_bytes + 1` bytes of a regular file; ValueError names what else it is. Raises OSError."""
    if path.is_symlink() and not path.exists():
        raise ValueError("unreadable: broken or looping symlink")
    if path.is_dir():
        raise ValueError("unreadable: is a directory")
    if not stat.S_ISREG(path.stat().st_mode):  # open() on a FIFO blocks until a writer appears: the run would hang
        raise ValueError("unreadable: not a regular file (a pipe, socket or device)")
    with open(path, "rb") as handle:
        return _read_capped(handle, max_bytes)


def _read_capped(handle: BinaryIO, max_bytes: int) -> bytes:
    """Up to `max_bytes + 1` bytes, in a buffer of the file's size: `read(max_bytes + 1)` would allocate (and the
    kernel zero) the whole cap for every file, 20 MB by default, which cost more than the read itself."""
    expected = os.fstat(handle.fileno()).st_size
    raw = handle.read(min(expected, max_bytes) + 1)
    if len(raw) > expected:  # the file grew since: read on, still within the cap
        raw += handle.read(max_bytes + 1 - len(raw))
    return raw


def _gunzip_capped(raw: bytes, path: Path, max_bytes: int) -> bytes:
    if len(raw) > max_bytes:
        raise ValueError(f"too large: compressed file over {max_bytes} bytes")
    if raw[:2] != b"\x1f\x8b":
        raise ValueError("corrupt gzip: not a gzip stream")
    parts: list[bytes] = []
    size = 0
    while True:  # a gzip file may hold several members (`cat a.gz b.gz`): gunzip reads them all
        decompressor = zlib.decompressobj(wbits=31)
        try:
            part = decompressor.decompress(raw, max_bytes + 1 - size)
        except zlib.error as exc:
            raise ValueError(f"corrupt gzip: {exc}") from exc
        size += len(part)
        parts.append(part)
        if size > max_bytes:
            raise ValueError(f"too large: decompresses to more than {max_bytes} bytes (gzip bomb?)")
        if not decompressor.eof:
            raise ValueError("truncated gzip: the stream ends early")
        raw = decompressor.unused_data
        if not raw.startswith(b"\x1f\x8b"):  # junk after the last member is ignored, as gunzip does
            return b"".join(parts)


def _numbered_lines(handle: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines; None for a line over the cap, whose bytes are skipped, never held in memory."""
    number = 0
    while line := handle.readline(max_line_bytes + 1):
        number += 1
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass  # skip the rest of the long line in bounded chunks
            yield number, None
            continue
        yield number, line


def iter_jsonl_records(
    path: Path, max_line_bytes: int = 64_000_000
) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """Yield (source, record, error) per non-blank line; a broken line or a broken stream becomes an error."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            yield from iter_jsonl_stream(handle, str(path), max_line_bytes)  # type: ignore[arg-type]
    except OSError as exc:  # it cannot be opened: account for it as one rejected pseudo-record
        yield f"{path}#1", None, f"truncated file: {exc}"


def iter_jsonl_stream(
    handle: BinaryIO, name: str, max_line_bytes: int = 64_000_000
) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """`iter_jsonl_records` on an open binary stream; sources are `name#N`."""
    line_number = 0
    try:
        for line_number, line in _numbered_lines(handle, max_line_bytes):
            source = f"{name}#{line_number}"
            if line is None:
                yield source, None, f"too large: a line over {max_line_bytes} bytes"
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield source, None, f"invalid json: {exc.msg if hasattr(exc, 'msg') else exc}"
                continue
            if not isinstance(record, dict):
                yield source, None, "invalid json: a line must hold a JSON object"
                continue
            yield source, record, None
    except (OSError, EOFError, zlib.error) as exc:
        # the rest of the stream is lost: account for it as one rejected pseudo-record
        yield f"{name}#{line_number + 1}", None, f"truncated file: {exc}"


def _iter_jsonl_html(path: Path, options: ReadOptions) -> Iterator[RawDocument]:
    # the line holds the HTML JSON-escaped: allow some room over the HTML cap itself
    yield from _jsonl_html_documents(iter_jsonl_records(path, 2 * options.max_bytes + 1024), options)


def _jsonl_html_documents(
    records: Iterable[tuple[str, dict[str, Any] | None, str | None]], options: ReadOptions
) -> Iterator[RawDocument]:
    for source, record, error in records:
        yield jsonl_html_document(source, record, error, options)


def jsonl_html_document(
    source: str, record: dict[str, Any] | None, error: str | None, options: ReadOptions
) -> RawDocument:
    """The page of one JSONL record (`options.html_key`, `url_key`, `id_key`), or why it has none."""
    if record is None:
        return _error_document(source, error or "invalid json")
    raw_id = record.get(options.id_key) if options.id_key else None
    doc_id = str(raw_id) if raw_id not in (None, "") else document_id(source)
    url = record.get(options.url_key)
    url = url if isinstance(url, str) and url else None
    html = record.get(options.html_key)
    if not isinstance(html, str) or not html:
        error = f"missing field: no non-empty {options.html_key!r} string"
        return RawDocument(id=doc_id, source=source, content=None, url=url, error=error)
    content = html.encode("utf-8", "surrogatepass")
    if len(content) > options.max_bytes:
        error = f"too large: more than {options.max_bytes} bytes"
        return RawDocument(id=doc_id, source=source, content=None, url=url, error=error)
    return RawDocument(id=doc_id, source=source, content=content, url=url)


def _iter_warc(path: Path, options: ReadOptions) -> Iterator[RawDocument]:
    from cleaner.io.warc import iter_warc_documents  # warcio is imported there only

    yield from iter_warc_documents(path, options.max_bytes, document_id)
