"""Write records as JSONL, JSONL.gz or Parquet, atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from cleaner.errors import ConfigError, OutputError

FORMATS = ("jsonl", "jsonl.gz", "parquet")


_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(record: dict[str, Any]) -> str:
    """One JSON line; non-ASCII kept readable, key order as built (deterministic).

    Lone surrogates (a file name that is not UTF-8, a "\\ud800" in a JSON input) cannot be written as UTF-8: they
    are written as JSON escapes, which read back to the same string.
    """
    line = json.dumps(record, ensure_ascii=False, separators=(", ", ": "))
    return _escape_surrogates(line)


def _encodes(line: str) -> bool:
    """Whether `line` is valid Unicode for UTF-8, i.e. holds no lone surrogate."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def format_for(path: Path, requested: str | None = None) -> str:
    """The output format: asked for explicitly, else from the file name (`.jsonl.gz`, `.parquet`), else JSONL."""
    if requested:
        if requested not in FORMATS:
            raise ConfigError(f"unknown output format {requested!r}; choose one of {', '.join(FORMATS)}")
        return requested
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".gz"):
        return "jsonl.gz"
    return "jsonl"


STDOUT = "-"  # `cleaner extract -o -`


def check_output_folder(folder: Path) -> None:
    """Make sure a run can write its files into `folder` (created if missing), before any work is done.

    Raises OutputError naming the folder and why: a file in the way, no permission, a read-only file system. The
    test is a real write (a temporary file, removed at once): permission bits say nothing to root or on some mounts.
    """
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write to {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".cleaner-write-test-"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to {folder}: {exc.strerror or exc}") from exc


def check_output_file(path: Path) -> None:
    """Make sure one output file can be written (its folder created if missing), before any work is done."""
    if str(path) == STDOUT:
        return
    if path.is_dir():
        raise OutputError(f"cannot write to {path}: it is a folder; give a file name (.jsonl, .jsonl.gz, .parquet)")
    if path.parent.exists() and not path.parent.is_dir():
        raise OutputError(f"cannot write to {path}: {path.parent} is a file, not a folder")
    try:
        check_output_folder(path.parent)
    except OutputError as exc:
        raise OutputError(f"cannot write to {path}: {str(exc).partition(': ')[2]}") from exc


def output_name(stem: str, fmt: str) -> str:
    return f"{stem}.{fmt}"


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get the usual mode
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _open_jsonl(path: Path, fmt: str) -> IO[str] | _GzipText:
    if fmt == "jsonl.gz":
        # mtime=0 and no file name in the header: same records, same bytes
        fileobj = open(path, "wb")  # noqa: SIM115 (closed by _GzipText.close)
        return _GzipText(gzip.GzipFile(filename="", mode="wb", fileobj=fileobj, mtime=0), fileobj)
    return open(path, "w", encoding="utf-8", newline="\n")


class _GzipText:
    """A text writer over a GzipFile that also closes the underlying file object."""

    def __init__(self, raw: gzip.GzipFile, fileobj: IO[bytes]) -> None:
        self._raw = raw
        self._fileobj = fileobj

    def write(self, text: str) -> int:
        return self._raw.write(text.encode("utf-8"))

    def close(self) -> None:
        self._raw.close()  # GzipFile leaves a file object it was given open
        self._fileobj.close()

    def __enter__(self) -> _GzipText:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_records(path: Path, records: Iterable[dict[str, Any]], fmt: str | None = None) -> int:
    """Write records to `path` atomically; returns how many were written."""
    fmt = format_for(path, fmt)
    count = 0
    with atomic_path(path) as temporary:
        if fmt == "parquet":
            rows = list(records)
            count = len(rows)
            _write_parquet(temporary, rows)
        else:
            with _open_jsonl(temporary, fmt) as out:
                for record in records:
                    out.write(dumps(record) + "\n")
                    count += 1
    return count


def write_jsonl_stream(stream: IO[bytes], records: Iterable[dict[str, Any]]) -> int:
    """Write records as JSON lines to an open binary stream (stdout), the same bytes as a JSONL file; flushed."""
    count = 0
    for record in records:
        stream.write((dumps(record) + "\n").encode("utf-8"))
        count += 1
    stream.flush()
    return count


def _write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError("Parquet output needs pyarrow: pip install 'cleaner[parquet]'") from exc
    try:
        table = pa.Table.from_pylist(rows) if rows else pa.table({})
    except UnicodeEncodeError:  # a lone surrogate (a file name that is not UTF-8): Arrow strings are UTF-8
        table = pa.Table.from_pylist([_escaped_row(row) for row in rows])
    pq.write_table(table, path)


def _escape_surrogates(text: str) -> str:
    """`text` with every lone surrogate written as a `\\udcxx` escape: JSON reads it back as that surrogate."""
    if text.isascii() or _encodes(text):  # both in C, ahead of a regex scan
        return text
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _escaped_row(value: Any) -> Any:
    """A parquet row with its strings' lone surrogates escaped as in JSONL (Arrow strings are UTF-8)."""
    if isinstance(value, str):
        return _escape_surrogates(value)
    if isinstance(value, dict):
        return {key: _escaped_row(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped_row(item) for item in value]
    return value


def read_records(path: Path) -> list[dict[str, Any]]:
    """Read back what `write_records` wrote, in any of the formats (used by tests and `explain`)."""
    fmt = format_for(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    opener = gzip.open if fmt == "jsonl.gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
