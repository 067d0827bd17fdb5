"""Read dataset files into records: JSONL(.gz) lines, whole text files, saved HTML pages (extracted).

Problems that stop a record from being checked (bad bytes, bad JSON, no text field) become findings here, so every
line of every file is accounted for; nothing raises for bad data.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import xxhash

from cleaner.check.config import CheckSettings
from cleaner.check.findings import Finding
from cleaner.errors import ExtractionError, InputError

Kind = Literal["jsonl", "txt", "html"]
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
SUFFIXES = JSONL_SUFFIXES + TEXT_SUFFIXES + HTML_SUFFIXES


@dataclass(slots=True)
class Record:
    """One checkable text: a JSONL line, a text file, or the article extracted from an HTML file."""

    path: str  # as displayed: relative to the working directory when possible, "/" separators
    line: int  # 1-based line of the record (JSONL) or 1 (whole-file records)
    id: str  # the id field; else the file's name (see read_file) plus a content hash for JSONL, the name alone for
    # whole-file records
    text: str
    kind: Kind
    allow: frozenset[str] = frozenset()  # selectors from the inline allow field
    explicit_id: bool = False  # the id came from the record's own id field


def display_path(path: Path) -> str:
    """Relative to the working directory, with "/" separators: what pre-commit passes and prints."""
    if not path.is_absolute():
        return path.as_posix()
    try:
        return Path(os.path.relpath(path, Path.cwd())).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def file_kind(path: Path) -> Kind | None:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(TEXT_SUFFIXES):
        return "txt"
    if name.endswith(HTML_SUFFIXES):
        return "html"
    return None


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named explicitly, plus supported files inside folders (recursively, sorted); duplicates dropped."""
    seen: set[Path] = set()
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                Path(folder) / name
                for folder, _, names in os.walk(path)  # symlinked folders are not followed: no loops
                for name in names
                if file_kind(Path(name)) is not None
            )
        elif path.is_file():
            found = [path]
        else:
            raise InputError(f"{path}: no such file or folder")
        for item in found:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


def text_hash(text: str) -> str:
    """Exact-duplicate key: whitespace collapsed and case folded, so re-wrapped copies still count as exact."""
    return xxhash.xxh3_128_hexdigest(" ".join(text.split()).casefold().encode("utf-8", "surrogatepass"))


def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    return data


@dataclass(slots=True)
class FileRead:
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def read_file(path: Path, settings: CheckSettings, name: str | None = None) -> FileRead:
    """Records and read-level findings of one dataset file.

    `name` is the file's path as the ids of records without an id field are made from it: relative to the
    baseline's folder, so that an id is the same whichever folder the check runs from (default: the shown path).
    """
    shown = display_path(path)
    name = name or shown
    kind = file_kind(path) or "txt"  # a file named explicitly is read as text whatever its suffix
    try:
        data = read_bytes(path)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return FileRead(findings=[Finding(shown, 1, "CLN404", f"cannot read the file: {exc}")])
    if kind == "jsonl":
        return _read_jsonl(shown, name, data, settings)
    if kind == "html":
        return _read_html(path, shown, name, data, settings)
    return _read_text(shown, name, data)


def _bad_utf8(shown: str, line: int, exc: UnicodeDecodeError) -> Finding:
    return Finding(
        shown,
        line,
        "CLN304",
        f"invalid UTF-8 byte {exc.object[exc.start : exc.start + 1]!r} at offset "
        f"{exc.start}: re-encode the file as UTF-8",
    )


def _read_text(shown: str, name: str, data: bytes) -> FileRead:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileRead(findings=[_bad_utf8(shown, data[: exc.start].count(b"\n") + 1, exc)])
    text = text.removeprefix("\ufeff")
    return FileRead(records=[Record(shown, 1, name, text, "txt")])


def _read_html(path: Path, shown: str, name: str, data: bytes, settings: CheckSettings) -> FileRead:
    from cleaner.check.html import extract_text  # trafilatura is imported only when HTML is checked

    try:
        text = extract_text(path, data, settings)
    except ExtractionError as exc:
        code = "CLN201" if exc.reason.startswith("empty") else "CLN304" if exc.reason == "undecodable" else "CLN404"
        return FileRead(findings=[Finding(shown, 1, code, f"{exc.reason}: {exc.detail}", record_id=name)])
    return FileRead(records=[Record(shown, 1, name, text, "html")])


def _read_jsonl(shown: str, name: str, data: bytes, settings: CheckSettings) -> FileRead:
    result = FileRead()
    seen_hashes: dict[str, int] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            result.findings.append(_bad_utf8(shown, number, exc))
            continue
        record, finding = _parse_record(shown, name, number, line.removeprefix("\ufeff"), settings, seen_hashes)
        if record is not None:
            result.records.append(record)
        if finding is not None:
            result.findings.append(finding)
    return result


def _parse_record(
    shown: str, name: str, number: int, line: str, settings: CheckSettings, seen_hashes: dict[str, int]
) -> tuple[Record | None, Finding | None]:
    check = settings.check
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, Finding(shown, number, "CLN401", f"invalid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return None, Finding(shown, number, "CLN401", f"a JSONL record must be an object, got {type(obj).__name__}")
    raw_id = obj.get(check.id_key)
    explicit = isinstance(raw_id, str | int) and not isinstance(raw_id, bool) and str(raw_id) != ""
    text = obj.get(check.text_key)
    allow = _allow(obj.get(check.allow_key))
    if not isinstance(text, str):
        what = "missing" if text is None else f"a {type(text).__name__}, not a string"
        record_id = str(raw_id) if explicit else f"{name}:{number}"
        return None, Finding(
            shown, number, "CLN402", f"field {check.text_key!r} is {what}", record_id=record_id, allow=allow
        )
    if explicit:
        record_id = str(raw_id)
    else:  # content-addressed, so the id survives lines moving; repeats get a counter
        digest = text_hash(text)[:16]
        seen_hashes[digest] = seen_hashes.get(digest, 0) + 1
        suffix = f"~{seen_hashes[digest]}" if seen_hashes[digest] > 1 else ""
        record_id = f"{name}#{digest}{suffix}"
    return Record(shown, number, record_id, text, "jsonl", allow, explicit), None


def _allow(value: Any) -> frozenset[str]:
    """The inline allow field: a list of selectors or one comma/space separated string."""
    if isinstance(value, str):
        return frozenset(part for part in value.replace(",", " ").split() if part)
    if isinstance(value, list):
        return frozenset(str(part).strip() for part in value if str(part).strip())
    return frozenset()
