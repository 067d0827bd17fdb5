"""`--fix`: drop reported clutter lines and empty records in place. Near-duplicates are never deleted by the fixer:
which copy to keep is a decision for a person, so they are only reported.

JSONL lines that need no fix are written back byte for byte; a fixed line is re-serialised in the style it had
(compact or spaced separators, escaped or literal non-ASCII). Text files keep their line endings and BOM. Saved HTML
is not edited, and a text file that ends up empty is reported, not deleted.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cleaner.check.findings import Finding
from cleaner.check.records import file_kind, read_bytes
from cleaner.io.writers import atomic_path

FIXABLE = frozenset({"CLN101", "CLN201"})


@dataclass(slots=True)
class RecordPlan:
    drop_record: bool = False
    drop_paragraphs: set[int] = field(default_factory=set)  # 0-based indexes into text.split("\n")


@dataclass(frozen=True, slots=True)
class Fix:
    path: str
    line: int
    code: str
    message: str

    def to_dict(self) -> dict[str, str | int]:
        return {"path": self.path, "line": self.line, "code": self.code, "message": self.message}


def plan(findings: list[Finding]) -> dict[str, dict[int, RecordPlan]]:
    """Per file, per record line: what to remove. Only reported (not accepted, not allowed) findings are fixed."""
    plans: dict[str, dict[int, RecordPlan]] = defaultdict(dict)
    for finding in findings:
        if finding.code not in FIXABLE or file_kind(Path(finding.path)) not in ("jsonl", "txt"):
            continue
        record_line = finding.line if file_kind(Path(finding.path)) == "jsonl" else 1
        item = plans[finding.path].setdefault(record_line, RecordPlan())
        if finding.code == "CLN201":
            item.drop_record = True
        elif finding.paragraph is not None:
            item.drop_paragraphs.add(finding.paragraph - 1)
    return plans


def apply(plans: dict[str, dict[int, RecordPlan]], text_key: str) -> list[Fix]:
    fixes: list[Fix] = []
    for shown, records in sorted(plans.items()):
        path = Path(shown)
        if file_kind(path) == "jsonl":
            fixes.extend(_fix_jsonl(path, shown, records, text_key))
        else:
            fixes.extend(_fix_text(path, shown, records.get(1, RecordPlan())))
    return fixes


def _drop(text: str, indexes: set[int]) -> str:
    return "\n".join(line for index, line in enumerate(text.split("\n")) if index not in indexes)


def _dump_like(obj: dict[str, object], original: bytes) -> bytes:
    spaced = b'": ' in original or b', "' in original
    separators = (", ", ": ") if spaced else (",", ":")
    return json.dumps(obj, ensure_ascii=original.isascii(), separators=separators).encode("utf-8")


def _fix_jsonl(path: Path, shown: str, records: dict[int, RecordPlan], text_key: str) -> list[Fix]:
    lines = read_bytes(path).split(b"\n")
    fixes: list[Fix] = []
    out: list[bytes] = []
    for number, raw in enumerate(lines, start=1):
        item = records.get(number)
        if item is None:
            out.append(raw)
            continue
        obj = json.loads(raw.decode("utf-8").removeprefix("\ufeff"))
        if item.drop_paragraphs:
            obj[text_key] = _drop(obj[text_key], item.drop_paragraphs)
            count = len(item.drop_paragraphs)
            fixes.append(Fix(shown, number, "CLN101", f"removed {count} clutter line{'s' if count > 1 else ''}"))
        if item.drop_record or not obj[text_key].strip():
            fixes.append(Fix(shown, number, "CLN201", "removed the record: its text is empty"))
            continue
        out.append(_dump_like(obj, raw) + (b"\r" if raw.endswith(b"\r") else b""))
    _write(path, b"\n".join(out))
    return fixes


def _fix_text(path: Path, shown: str, item: RecordPlan) -> list[Fix]:
    if not item.drop_paragraphs:
        return []  # an empty text file is the record itself: deleting files is left to a person
    data = read_bytes(path).decode("utf-8")
    bom = "\ufeff" if data.startswith("\ufeff") else ""
    _write(path, (bom + _drop(data.removeprefix(bom), item.drop_paragraphs)).encode("utf-8"))
    return [Fix(shown, index + 1, "CLN101", "removed clutter line") for index in sorted(item.drop_paragraphs)]


def _write(path: Path, data: bytes) -> None:
    if path.name.lower().endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
        shutil.copymode(path, temporary)  # keep the data file's permissions, not mkstemp's 0600
