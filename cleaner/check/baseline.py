"""The committed baseline (`.cleaner-baseline.json`), in the spirit of detect-secrets' `.secrets.baseline`.

It holds (1) the accepted findings, keyed by record id + rule + what was found (the other record's id for pairs, the
finding's fingerprint otherwise: for a clutter line, a hash of its normalised text), never by line number, so edits
elsewhere in a file do not resurrect them while a new clutter line in an accepted record is reported; and (2) the
signatures of every committed record, so a commit that touches one file is still checked for duplicates against all
the others. Paths are relative to the baseline's folder with "/" separators; the file is written deterministically,
one record per line, to diff well.

Format 1 keyed accepted findings by record and code alone: one accepted clutter line hid every later one in that
record. It is refused with how to rewrite it rather than read, since reading it would keep hiding exactly those
lines, silently (pre-commit shows nothing of a hook that passes).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cleaner.check import signatures as sigs
from cleaner.check.duplicates import Entry
from cleaner.check.findings import Finding, RecordRef
from cleaner.errors import ConfigError, IndexMismatchError
from cleaner.io.writers import atomic_path

VERSION = 2
AcceptedKey = tuple[str, str, str]  # (record id, code, other record id for pairs, else the finding's fingerprint)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    path: str  # relative to the baseline's folder
    line: int
    id: str
    hash: str
    sig: np.ndarray = field(compare=False)
    explicit_id: bool = True


@dataclass(frozen=True, slots=True)
class Accepted:
    path: str  # the subject's file: entries of re-checked files are replaced on update
    record: str
    code: str
    other: str = ""
    fingerprint: str = ""

    def key(self) -> AcceptedKey:
        return self.record, self.code, self.other or self.fingerprint


@dataclass(slots=True)
class Baseline:
    spec: sigs.SignatureSpec
    keys: dict[str, str]  # text_key / id_key the records were read with
    records: dict[str, list[StoredRecord]] = field(default_factory=dict)
    accepted: list[Accepted] = field(default_factory=list)

    def accepted_keys(self) -> set[AcceptedKey]:
        keys = set()
        for item in self.accepted:
            keys.add(item.key())
            if item.other:  # a pair is accepted whichever record reports it
                keys.add((item.other, item.code, item.record))
        return keys


class BaselinePaths:
    """Converts between display paths (relative to the working directory) and baseline paths."""

    def __init__(self, baseline_file: Path) -> None:
        self.folder = baseline_file.resolve().parent

    def to_stored(self, shown: str) -> str:
        return Path(os.path.relpath(Path(shown).resolve(), self.folder)).as_posix()

    def to_shown(self, stored: str) -> str:
        target = self.folder / stored
        try:
            return Path(os.path.relpath(target, Path.cwd().resolve())).as_posix()
        except ValueError:
            return target.as_posix()


def load(path: Path, spec: sigs.SignatureSpec, keys: dict[str, str]) -> Baseline | None:
    """The baseline at `path`, or None when there is none; raise when it was built with other settings."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable baseline ({exc}); delete it and rerun --update-baseline") from exc
    if isinstance(data, dict) and data.get("version") == 1:
        raise IndexMismatchError(
            f"{path}: baseline format 1 accepts findings per record and code, which hides new clutter lines in a "
            "record with an accepted one; rewrite it with `cleaner check --update-baseline` over the whole dataset "
            "(this accepts every current finding: review its diff before committing it)"
        )
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise IndexMismatchError(
            f"{path}: baseline version {data.get('version')!r}, expected {VERSION}; rerun "
            "`cleaner check --update-baseline` over the dataset"
        )
    stored = {**data.get("signature", {}), **data.get("keys", {})}
    current = {**spec.to_dict(), **keys}
    if stored != current:
        changed = ", ".join(
            f"{name} {stored.get(name)!r} -> {current.get(name)!r}"
            for name in sorted(stored.keys() | current.keys())
            if stored.get(name) != current.get(name)
        )
        raise IndexMismatchError(
            f"{path} was built with other settings ({changed}): its signatures cannot be compared with this run's; "
            "rerun `cleaner check --update-baseline` over the whole dataset"
        )
    try:
        return _parse(data, spec, keys)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: malformed baseline ({exc}); rerun `cleaner check --update-baseline`") from exc


def _parse(data: dict[str, Any], spec: sigs.SignatureSpec, keys: dict[str, str]) -> Baseline:
    records = {
        file: [
            StoredRecord(
                file,
                int(r["line"]),
                str(r["id"]),
                str(r["hash"]),
                sigs.decode(r["minhash"], spec),
                not r.get("auto", False),
            )
            for r in items
        ]
        for file, items in data.get("records", {}).items()
    }
    accepted = [
        Accepted(
            str(a["path"]), str(a["record"]), str(a["code"]), str(a.get("other", "")), str(a.get("fingerprint", ""))
        )
        for a in data.get("accepted", [])
    ]
    return Baseline(spec, keys, records, accepted)


def stored_entries(baseline: Baseline, paths: BaselinePaths, skip: set[str]) -> list[Entry]:
    """Index entries for the records of committed files that were not checked this time (and still exist)."""
    entries = []
    for file, items in sorted(baseline.records.items()):
        if file in skip or not (paths.folder / file).is_file():
            continue
        shown = paths.to_shown(file)
        for item in items:
            entries.append(Entry(RecordRef(shown, item.line, item.id), item.hash, item.sig, False, item.explicit_id))
    return entries


def updated(
    previous: Baseline | None,
    spec: sigs.SignatureSpec,
    keys: dict[str, str],
    paths: BaselinePaths,
    checked: dict[str, list[Entry]],
    findings: list[Finding],
) -> Baseline:
    """The previous baseline with every checked file's records and accepted findings replaced by this run's."""
    baseline = Baseline(spec, keys)
    if previous is not None:

        def kept(file: str) -> bool:  # not re-checked now, and not deleted since
            return file not in checked and (paths.folder / file).is_file()

        baseline.records = {file: items for file, items in previous.records.items() if kept(file)}
        baseline.accepted = [a for a in previous.accepted if kept(a.path)]
    for file, entries in checked.items():
        baseline.records[file] = [
            StoredRecord(file, e.ref.line, e.ref.id, e.hash, e.sig, e.explicit_id) for e in entries
        ]
    for finding in findings:
        file = paths.to_stored(finding.path)
        record, code, _ = finding.key(file)
        other = finding.other.id if finding.other else ""
        baseline.accepted.append(Accepted(file, record, code, other, "" if other else finding.fingerprint))
    return baseline


def dumps(baseline: Baseline) -> str:
    """Deterministic text: sorted, one accepted finding and one record per line."""

    def line(obj: dict[str, Any]) -> str:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True)

    accepted = sorted({(a.path, a.record, a.code, a.other, a.fingerprint) for a in baseline.accepted})
    out = [
        "{",
        f'  "version": {VERSION},',
        f'  "signature": {line(baseline.spec.to_dict())},',
        f'  "keys": {line(baseline.keys)},',
        '  "accepted": [',
    ]
    rows = [
        line({"path": p, "record": r, "code": c, **({"other": o} if o else {}), **({"fingerprint": f} if f else {})})
        for p, r, c, o, f in accepted
    ]
    out.append(",\n".join(f"    {row}" for row in rows))
    out.append("  ],")
    out.append('  "records": {')
    files = []
    for file in sorted(baseline.records):
        items = sorted(baseline.records[file], key=lambda r: (r.line, r.id))
        body = ",\n".join(
            "      "
            + line(
                {
                    "id": r.id,
                    "line": r.line,
                    "hash": r.hash,
                    "minhash": sigs.encode(r.sig),
                    **({} if r.explicit_id else {"auto": True}),
                }
            )
            for r in items
        )
        files.append(
            f"    {json.dumps(file, ensure_ascii=False)}: [\n{body}\n    ]"
            if items
            else f"    {json.dumps(file, ensure_ascii=False)}: []"
        )
    out.append(",\n".join(files))
    out.append("  }")
    out.append("}")
    return "\n".join(part for part in out if part) + "\n"


def save(path: Path, baseline: Baseline) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
    with atomic_path(path) as temporary:
        temporary.write_text(dumps(baseline), encoding="utf-8", newline="\n")
        os.chmod(temporary, mode)  # a committed file: readable like its neighbours, not mkstemp's 0600


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
