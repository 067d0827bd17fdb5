"""WARC response records with HTML become documents; warcio is imported here only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from cleaner.models import RawDocument

HTML_TYPES = ("text/html", "application/xhtml+xml")


def _charset_of(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def iter_warc_documents(path: Path, max_bytes: int, make_id: Callable[[str], str]) -> Iterator[RawDocument]:
    """One RawDocument per HTML response record; the source is `path#<record number>`."""
    number = 0
    try:
        with open(path, "rb") as stream:
            for number, record in enumerate(ArchiveIterator(stream), start=1):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                content_type = record.http_headers.get_header("Content-Type") or ""
                if not content_type.lower().startswith(HTML_TYPES):
                    continue
                source = f"{path}#{number}"
                url = record.rec_headers.get_header("WARC-Target-URI")
                content = record.content_stream().read(max_bytes + 1)
                if len(content) > max_bytes:
                    yield RawDocument(make_id(source), source, None, url, error=f"too large: over {max_bytes} bytes")
                    continue
                yield RawDocument(make_id(source), source, content, url, http_charset=_charset_of(content_type))
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        source = f"{path}#{number + 1}"
        yield RawDocument(make_id(source), source, None, error=f"truncated warc: {exc}")
