"""What a check reports: one `Finding` per problem, located at `path:line`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cleaner.check.codes import BY_CODE


@dataclass(frozen=True, slots=True)
class RecordRef:
    """The other record of a pair finding (duplicate, repeated id)."""

    path: str
    line: int
    id: str


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    code: str
    message: str
    record_id: str | None = None  # None for a line that is not a record (bad JSON, bad bytes)
    other: RecordRef | None = None
    similarity: float | None = None
    allow: frozenset[str] = field(default=frozenset(), compare=False)  # the record's inline allow selectors
    paragraph: int | None = None  # 1-based paragraph of the record's text (clutter lines)
    # what exactly was found, as a short hash the baseline keys on: for a clutter line its normalised text (see
    # rules.py for each code); "" when the record and the code say it all (an empty text, a missing field)
    fingerprint: str = ""

    @property
    def name(self) -> str:
        return BY_CODE[self.code].name

    def key(self, file: str) -> tuple[str, str, str]:
        """Identity in the baseline: the record id (for a line that is no record, `file`:line, `file` being the path
        as the baseline stores it), the code, and what was found: the other record of a pair, else the
        fingerprint. Never a record's line number, so edits elsewhere in a file do not resurrect a finding, and a
        new clutter line in a record with an accepted one is a new finding."""
        subject = self.record_id if self.record_id is not None else f"{file}:{self.line}"
        return subject, self.code, self.other.id if self.other else self.fingerprint

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "record_id": self.record_id,
        }
        if self.paragraph is not None:
            data["paragraph"] = self.paragraph
        if self.other is not None:
            data["other"] = {"path": self.other.path, "line": self.other.line, "id": self.other.id}
        if self.similarity is not None:
            data["similarity"] = round(self.similarity, 4)
        return data
