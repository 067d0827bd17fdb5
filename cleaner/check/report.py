"""Output formats: `path:line: CODE message` (text), one JSON document (json), workflow annotations (github)."""

from __future__ import annotations

import json
from typing import TextIO

from cleaner.check.runner import CheckResult

FORMATS = ("text", "json", "github")


def write(result: CheckResult, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        _json(result, out)
    elif fmt == "github":
        _github(result, out)
    else:
        _text(result, out)


def summary(result: CheckResult) -> str:
    if result.baseline_written is not None:
        return (
            f"cleaner check: baseline {result.baseline_written} written: {result.records} records from "
            f"{result.files} files, {result.accepted} findings accepted"
        )
    parts = [f"{len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}"]
    if result.fixes:
        parts.append(f"{len(result.fixes)} fixed")
    if result.accepted:
        parts.append(f"{result.accepted} accepted in the baseline")
    if result.allowed:
        parts.append(f"{result.allowed} allowed inline")
    return f"cleaner check: {result.records} records in {result.files} files: {', '.join(parts)}"


def _text(result: CheckResult, out: TextIO) -> None:
    for fix in result.fixes:
        out.write(f"{fix.path}:{fix.line}: {fix.code} fixed: {fix.message}\n")
    for finding in result.findings:
        out.write(f"{finding.path}:{finding.line}: {finding.code} {finding.message}\n")


def _json(result: CheckResult, out: TextIO) -> None:
    document = {
        "findings": [finding.to_dict() for finding in result.findings],
        "fixed": [fix.to_dict() for fix in result.fixes],
        "summary": {
            "files": result.files,
            "records": result.records,
            "findings": len(result.findings),
            "fixed": len(result.fixes),
            "accepted": result.accepted,
            "allowed": result.allowed,
            "baseline_written": str(result.baseline_written) if result.baseline_written else None,
            "exit_code": result.exit_code,
        },
    }
    out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _escape_data(value: str) -> str:
    # the escaping GitHub's @actions/core applies to annotation messages and properties
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _github(result: CheckResult, out: TextIO) -> None:
    for fix in result.fixes:
        out.write(
            f"::notice file={_escape_property(fix.path)},line={fix.line},title={fix.code} fixed::"
            f"{_escape_data(fix.message)}\n"
        )
    for finding in result.findings:
        title = _escape_property(f"{finding.code} {finding.name}")
        out.write(
            f"::error file={_escape_property(finding.path)},line={finding.line},title={title}::"
            f"{_escape_data(finding.message)}\n"
        )
