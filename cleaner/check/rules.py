"""Rules that look at one record's text: clutter lines, empty/short text, broken encoding.

Each finding carries a fingerprint of what it found, which the baseline keys on: a clutter line's normalised text
(numbered when the same line recurs in the record), a short text's own text, and for broken encoding the lines that
hold it. So an accepted finding stays quiet while that stays as it was, and anything new is reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from cleaner.check.config import CheckSettings
from cleaner.check.encoding import CONTROL, REPLACEMENT, find_controls, find_mojibake, find_replacement
from cleaner.check.findings import Finding
from cleaner.check.records import Record, text_hash
from cleaner.clutter import find_clutter_lines
from cleaner.models import Removal


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def locate_clutter(text: str, removals: list[Removal]) -> list[tuple[int, Removal]]:
    """Map each removal (a stripped, non-empty line, in line order) back to its index in text.split("\\n")."""
    lines = text.split("\n")
    located: list[tuple[int, Removal]] = []
    cursor = 0
    for removal in removals:
        for index in range(cursor, len(lines)):
            if lines[index].strip() == removal.text:
                located.append((index, removal))
                cursor = index + 1
                break
    return located


def clutter_lines(record: Record, settings: CheckSettings) -> list[tuple[int, Removal]]:
    if record.kind == "html":  # extraction already strips clutter from pages: nothing residual to find
        return []
    return locate_clutter(record.text, find_clutter_lines(record.text, settings.config.clutter))


def _line_at(record: Record, offset: int) -> int:
    """The file line of a text offset: exact for whole-file text records, the record's line otherwise."""
    if record.kind == "txt":
        return record.line + record.text.count("\n", 0, max(offset, 0))
    return record.line


def fingerprint_of(text: str) -> str:
    """A short hash of text with whitespace collapsed and case folded (64 bits: unique within one record)."""
    return text_hash(text)[:16]


def _lines_fingerprint(text: str, holds: Callable[[str], bool]) -> str:
    """The fingerprint of the distinct lines of `text` for which `holds` is true."""
    return fingerprint_of("\n".join(sorted({line.strip() for line in text.split("\n") if holds(line)})))


def _finding(
    record: Record, line: int, code: str, message: str, paragraph: int | None = None, fingerprint: str = ""
) -> Finding:
    return Finding(
        record.path,
        line,
        code,
        message,
        record_id=record.id,
        allow=record.allow,
        paragraph=paragraph,
        fingerprint=fingerprint,
    )


def text_findings(record: Record, settings: CheckSettings, codes: frozenset[str]) -> list[Finding]:
    """Findings of the enabled single-record rules, in line order per rule."""
    findings: list[Finding] = []
    if "CLN101" in codes:
        findings.extend(_clutter(record, settings))
    if codes & {"CLN201", "CLN202"}:
        findings.extend(_length(record, settings.check.min_chars))
    if codes & {"CLN301", "CLN302", "CLN303"}:
        findings.extend(_encoding(record))
    return [f for f in findings if f.code in codes]


def _clutter(record: Record, settings: CheckSettings) -> list[Finding]:
    out = []
    seen: Counter[str] = Counter()
    for index, removal in clutter_lines(record, settings):
        where = "" if record.kind == "txt" else f"paragraph {index + 1}: "
        message = f"{where}clutter line ({removal.rule}): {shorten(removal.text)!r}"
        line = _line_at(record, _offset_of_line(record.text, index))
        same_text = fingerprint_of(removal.text)
        seen[same_text] += 1  # a second copy of an accepted line is a new line: "~2"
        copy = f"~{seen[same_text]}" if seen[same_text] > 1 else ""
        out.append(_finding(record, line, "CLN101", message, index + 1, same_text + copy))
    return out


def _offset_of_line(text: str, index: int) -> int:
    offset = 0
    for _ in range(index):
        offset = text.index("\n", offset) + 1
    return offset


def _length(record: Record, min_chars: int) -> list[Finding]:
    size = len(record.text.strip())
    if size == 0:
        return [_finding(record, record.line, "CLN201", "empty text")]
    if size < min_chars:
        message = f"text is {size} characters, shorter than min_chars={min_chars}"
        return [_finding(record, record.line, "CLN202", message, fingerprint=fingerprint_of(record.text))]
    return []


def _encoding(record: Record) -> list[Finding]:
    out = []
    text = record.text
    mojibake = find_mojibake(text)
    if mojibake is not None:
        message = (
            f"mojibake {mojibake.sample!r} (UTF-8 read as cp1252, meant {mojibake.repaired!r}); "
            f"{mojibake.count} broken sequence{'s' if mojibake.count != 1 else ''}"
        )
        lines = _lines_fingerprint(text, lambda line: find_mojibake(line) is not None)
        out.append(_finding(record, _line_at(record, mojibake.offset), "CLN301", message, fingerprint=lines))
    count, first = find_replacement(text)
    if count:
        message = f"{count} U+FFFD replacement character{'s' if count != 1 else ''}: the text lost bytes in a decode"
        lines = _lines_fingerprint(text, lambda line: REPLACEMENT in line)
        out.append(_finding(record, _line_at(record, first), "CLN302", message, fingerprint=lines))
    controls, first = find_controls(text)
    if controls:
        kinds = ", ".join(sorted({f"U+{ord(ch):04X}" for ch in controls})[:5])
        message = f"{len(controls)} control character{'s' if len(controls) != 1 else ''} ({kinds})"
        lines = _lines_fingerprint(text, lambda line: CONTROL.search(line) is not None)
        out.append(_finding(record, _line_at(record, first), "CLN303", message, fingerprint=lines))
    return out
