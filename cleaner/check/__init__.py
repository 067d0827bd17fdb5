"""Pre-commit checks for text datasets kept in git: `cleaner check FILES...` and the `cleaner-check` hook.

Rules have stable codes (see `codes.RULES`): CLN101 clutter line, CLN201/202 empty/short text, CLN301-304 broken
encoding, CLN401-404 bad JSON / missing field / repeated id / unreadable file, CLN501/502 exact/near duplicate.
Duplicates are checked across the whole dataset through the committed baseline (`.cleaner-baseline.json`).
"""

from __future__ import annotations

from cleaner.check.codes import RULES, Rule
from cleaner.check.command import check, main, register
from cleaner.check.config import CheckConfig, CheckSettings, load_check_settings
from cleaner.check.findings import Finding, RecordRef
from cleaner.check.runner import CheckOptions, CheckResult, check_paths

__all__ = [
    "RULES",
    "CheckConfig",
    "CheckOptions",
    "CheckResult",
    "CheckSettings",
    "Finding",
    "RecordRef",
    "Rule",
    "check",
    "check_paths",
    "load_check_settings",
    "main",
    "register",
]
