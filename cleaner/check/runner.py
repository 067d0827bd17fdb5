"""One check run: read the files, apply the rules, find duplicates against the baseline, filter what is accepted
or allowed, optionally fix or write the baseline. Library code: raises CleanerError, never exits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cleaner.check import baseline as bl
from cleaner.check import fix as fixer
from cleaner.check.codes import resolve
from cleaner.check.config import CheckSettings
from cleaner.check.duplicates import DuplicateIndex, Entry, Pair, fresh_entries, pair_finding
from cleaner.check.findings import Finding
from cleaner.check.records import Record, display_path, expand, read_file, text_hash
from cleaner.check.rules import text_findings
from cleaner.check.signatures import SignatureSpec
from cleaner.errors import ConfigError, IndexMismatchError, InputError


@dataclass(frozen=True, slots=True)
class CheckOptions:
    fix: bool = False
    update_baseline: bool = False
    baseline: Path | None = None  # None: settings.check.baseline
    use_baseline: bool = True


@dataclass(slots=True)
class CheckResult:
    findings: list[Finding] = field(default_factory=list)  # reported: not accepted, not allowed inline
    fixes: list[fixer.Fix] = field(default_factory=list)
    files: int = 0
    records: int = 0
    accepted: int = 0  # suppressed by the baseline
    allowed: int = 0  # suppressed by a record's inline allow field
    baseline_written: Path | None = None
    notes: list[str] = field(default_factory=list)  # warnings for stderr

    @property
    def exit_code(self) -> int:
        return 1 if self.findings or self.fixes else 0


@dataclass(slots=True)
class _Scan:
    findings: list[Finding]  # single-record findings
    pairs: list[Pair]
    entries: dict[str, list[Entry]]  # checked records by baseline path
    records: int


def check_paths(
    paths: Sequence[Path], settings: CheckSettings | None = None, options: CheckOptions | None = None
) -> CheckResult:
    """Check dataset files (folders are searched for .jsonl/.jsonl.gz/.txt/.html); see `CheckResult.exit_code`."""
    settings = settings or CheckSettings()
    options = options or CheckOptions()
    if options.fix and options.update_baseline:
        raise ConfigError("--fix and --update-baseline do not mix: fix first, then accept what remains")
    settings.check.validate()
    files = expand(paths)
    if not files:
        raise InputError("no dataset files to check (.jsonl, .jsonl.gz, .txt, .html) among the given paths")
    baseline_file = options.baseline or settings.baseline_file()
    spec = SignatureSpec.create(settings.config.dedup, settings.check.num_perm, settings.check.band_rows)
    keys = {"text_key": settings.check.text_key, "id_key": settings.check.id_key}
    paths_map = bl.BaselinePaths(baseline_file)
    result = CheckResult(files=len(files))
    previous = _previous_baseline(baseline_file, spec, keys, options, result)
    scan = _scan(files, settings, spec, previous, paths_map)
    result.records = scan.records
    if options.update_baseline:
        accepted = _unsuppressed(scan, set(), paths_map, result, every_pair=True)
        bl.save(baseline_file, bl.updated(previous, spec, keys, paths_map, scan.entries, accepted))
        result.accepted, result.baseline_written = len(accepted), Path(display_path(baseline_file))
        return result
    accepted_keys = previous.accepted_keys() if previous is not None and options.use_baseline else set()
    result.findings = _unsuppressed(scan, accepted_keys, paths_map, result)
    if not options.fix:
        return result
    fixes = fixer.apply(fixer.plan(result.findings), settings.check.text_key)
    if not fixes:
        return result
    # report what is left, at the lines it has now
    result = CheckResult(files=len(files), fixes=fixes, notes=result.notes)
    rescan = _scan(files, settings, spec, previous, paths_map)
    result.records, result.findings = rescan.records, _unsuppressed(rescan, accepted_keys, paths_map, result)
    return result


def _previous_baseline(
    baseline_file: Path, spec: SignatureSpec, keys: dict[str, str], options: CheckOptions, result: CheckResult
) -> bl.Baseline | None:
    if not (options.use_baseline or options.update_baseline):
        return None
    try:
        return bl.load(baseline_file, spec, keys)
    except IndexMismatchError as exc:
        if not options.update_baseline:
            raise
        # its signatures cannot be compared with this run's: start over from the files given
        result.notes.append(f"{exc}; rebuilding it from the given files only")
        return None


def _scan(
    files: list[Path],
    settings: CheckSettings,
    spec: SignatureSpec,
    previous: bl.Baseline | None,
    paths_map: bl.BaselinePaths,
) -> _Scan:
    codes = settings.check.enabled_codes()
    findings: list[Finding] = []
    entries: dict[str, list[Entry]] = {}
    records = 0
    for path in files:
        stored = paths_map.to_stored(display_path(path))
        read = read_file(path, settings, stored)
        findings.extend(f for f in read.findings if f.code in codes)
        for record in read.records:
            findings.extend(text_findings(record, settings, codes))
        records += len(read.records)
        entries[stored] = fresh_entries(read.records, spec, settings.config.dedup)
    loader = _TextLoader(settings, paths_map)
    index = DuplicateIndex(spec, settings.config.dedup, settings.check.duplicate_threshold, loader)
    if previous is not None:
        index.add(bl.stored_entries(previous, paths_map, set(entries)))
    for file_entries in entries.values():
        index.add(file_entries)
    return _Scan(findings, index.pairs(codes), entries, records)


class _TextLoader:
    """The current text of a stored record, read back from its file (each file read at most once)."""

    def __init__(self, settings: CheckSettings, paths: bl.BaselinePaths) -> None:
        self.settings = settings
        self.paths = paths
        self.files: dict[str, tuple[dict[str, Record], dict[str, Record]]] = {}

    def __call__(self, entry: Entry) -> Record | None:
        path = entry.ref.path
        if path not in self.files:
            records = read_file(Path(path), self.settings, self.paths.to_stored(path)).records
            by_id = {r.id: r for r in reversed(records)}
            by_hash = {text_hash(r.text): r for r in reversed(records)}
            self.files[path] = (by_id, by_hash)
        by_id, by_hash = self.files[path]
        # the same text first (ids can repeat: CLN403), else the record that kept its id but changed its text
        return by_hash.get(entry.hash) or by_id.get(entry.ref.id)


def _allowed(finding: Finding) -> bool:
    if not finding.allow:
        return False
    codes: set[str] = set()
    for selector in finding.allow:
        try:
            codes |= resolve([selector])
        except ConfigError:
            continue  # a typo in one record's allow field must not stop the check; it just allows nothing
    return finding.code in codes


def _unsuppressed(
    scan: _Scan,
    accepted: set[bl.AcceptedKey],
    paths: bl.BaselinePaths,
    result: CheckResult,
    every_pair: bool = False,
) -> list[Finding]:
    """Findings minus inline-allowed and baseline-accepted ones; per record, only its best pair of each code.

    With `every_pair`, all verified pairs are kept: accepting a record into the baseline accepts all its copies.
    """
    kept: list[Finding] = []
    for finding in scan.findings:
        if _allowed(finding):
            result.allowed += 1
        elif finding.key(paths.to_stored(finding.path)) in accepted:
            result.accepted += 1
        else:
            kept.append(finding)
    best: dict[tuple[str, int, str], Finding] = {}
    for pair in scan.pairs:
        finding = pair_finding(pair)
        if _allowed(finding):
            result.allowed += 1
            continue
        if finding.key(paths.to_stored(finding.path)) in accepted:
            result.accepted += 1
            continue
        if every_pair:
            kept.append(finding)
            continue
        slot = (finding.path, finding.line, finding.code)
        current = best.get(slot)
        if current is None or (finding.similarity or 0.0) > (current.similarity or 0.0):
            best[slot] = finding
    kept.extend(best.values())
    return sorted(kept, key=lambda f: (f.path, f.line, f.code, f.paragraph or 0, f.message))
