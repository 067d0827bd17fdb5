"""WARC response records with HTML become documents; warcio is imported here only."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from cleaner.models import RawDocument

HTML_TYPES = ("text/html", "application/xhtml+xml")


def _charset_of(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _starts_like_warc(path: Path) -> bool:
    """warcio reads any text as ARC records; a real WARC (or ARC) file starts with its version line."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(2)
        with gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb") as stream:
            return stream.read(9).lstrip().startswith((b"WARC/", b"filedesc:"))
    except (OSError, EOFError, zlib.error):
        return False


def iter_warc_documents(path: Path, max_bytes: int, make_id: Callable[[str], str]) -> Iterator[RawDocument]:
    """One RawDocument per HTML response record; the source is `path#<record number>`."""

    def error(number: int, reason: str, url: str | None = None) -> RawDocument:
        source = f"{path}#{number}"
        return RawDocument(make_id(source), source, None, url, error=reason)

    if not _starts_like_warc(path):
        yield error(1, "not warc: the file does not start with a WARC record")
        return
    number = 0
    try:
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for number, record in enumerate(records, start=1):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                content_type = record.http_headers.get_header("Content-Type") or ""
                if not content_type.lower().startswith(HTML_TYPES):
                    continue
                source = f"{path}#{number}"
                url = record.rec_headers.get_header("WARC-Target-URI")
                content = record.content_stream().read(max_bytes + 1)
                if len(content) > max_bytes:
                    yield error(number, f"too large: over {max_bytes} bytes", url)
                    continue
                if record.raw_stream.limit > 0:  # fewer bytes than its Content-Length: the file ends inside it
                    yield error(number, "truncated warc: the record ends before its Content-Length", url)
                    continue
                yield RawDocument(make_id(source), source, content, url, http_charset=_charset_of(content_type))
            end = records.offset
        if end < path.stat().st_size:  # warcio stops quietly at a record cut inside its headers
            yield error(number + 1, "truncated warc: the file ends inside a record")
    except Exception as exc:  # warcio raises whatever its parser meets (AttributeError on a cut header): one file
        yield error(number + 1, f"truncated warc: {type(exc).__name__}: {exc}")
