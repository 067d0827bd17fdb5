"""fsspec URLs (`s3://`, `gs://`, `abfs://`, `file://`, ...) as inputs of the Dask engine.

The client only lists a URL (recursively, with the local engine's suffix rules and order); workers read the files
themselves. Plain JSONL is read in byte ranges straight from the store; other files (HTML, gzip, WARC) are copied to
the worker's temporary folder and read by the local engine's own readers, so both engines decode them alike. Sources
(and so ids) keep the URL: `s3://bucket/crawl/a.html`, `s3://bucket/crawl/b.warc.gz#3`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from cleaner.errors import InputError
from cleaner.io.readers import INPUT_SUFFIXES, document_id, has_suffix
from cleaner.models import RawDocument

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(value: object) -> bool:
    """A string input with a scheme (`s3://...`); local paths, `Path`s and Windows drives are not URLs."""
    return isinstance(value, str) and _SCHEME.match(value) is not None


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError as exc:  # fsspec comes with dask; without it the engine cannot run anyway
        raise InputError(f"{url}: reading URLs needs fsspec: pip install 'cleaner[dask]'") from exc
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # e.g. s3:// without s3fs installed, an unknown protocol
        raise InputError(f"{url}: {exc}") from exc


def list_url(url: str) -> list[tuple[str, int]]:
    """(file URL, size) of the input files under `url`, as `iter_input_files` lists a local path.

    A folder is walked recursively in sorted order and only known suffixes are kept; a file named explicitly is
    always read.
    """
    fs, root = _filesystem(url)
    if fs.isdir(root):
        found = fs.find(root, detail=True)
        files = [
            path
            for path, info in found.items()
            if info.get("type") != "directory" and has_suffix(PurePosixPath(path), INPUT_SUFFIXES)
        ]
        names = sorted(files, key=lambda path: _walk_order(path, root))
        return [(fs.unstrip_protocol(path), int(found[path].get("size") or 0)) for path in names]
    if fs.isfile(root):
        return [(fs.unstrip_protocol(root), int(fs.size(root) or 0))]
    raise InputError(f"{url}: no such file or folder in the store; check the URL (folders are read recursively)")


def _walk_order(path: str, root: str) -> list[tuple[int, str]]:
    """The local walk's order (`os.walk`, sorted): a folder's own files first, then its subfolders one by one."""
    *folders, name = PurePosixPath(path).relative_to(PurePosixPath(root)).parts
    return [(1, folder) for folder in folders] + [(0, name)]


def open_binary(path: str) -> IO[bytes]:
    """A seekable binary file for a local path or a URL."""
    if not is_url(path):
        return open(path, "rb")  # the caller closes it
    fs, root = _filesystem(path)
    return fs.open(root, "rb")


@contextlib.contextmanager
def local_copy(url: str) -> Iterator[Path]:
    """The file at `url`, copied into a temporary folder under its own name (readers dispatch on the suffix)."""
    with tempfile.TemporaryDirectory(prefix="cleaner-url-") as folder:
        local = Path(folder) / (PurePosixPath(url.split("://", 1)[1]).name or "input")
        with open_binary(url) as remote, open(local, "wb") as handle:
            shutil.copyfileobj(remote, handle, 1 << 20)
        yield local


def url_source(source: str, local: Path, url: str) -> str:
    """A source read from the local copy `local` of `url`, named after the URL (a member keeps its "#..." part)."""
    return url + source.removeprefix(str(local))


def with_url_source(document: RawDocument, local: Path, url: str) -> RawDocument:
    """The document as if read from `url`: its source (and so its id) and its error name the URL, not the copy."""
    source = url_source(document.source, local, url)
    error = document.error.replace(str(local), url) if document.error else document.error
    own_id = document.id != document_id(document.source)  # a record's id (--id-key) stays; a source hash follows
    return dataclasses.replace(document, id=document.id if own_id else document_id(source), source=source, error=error)
