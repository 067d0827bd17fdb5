"""The check's rule codes. Codes are stable: never renumber or reuse one, only add (users pin them in configs,
baselines and inline allow fields). The hundreds digit is the family, as in ruff/flake8."""

from __future__ import annotations

from dataclasses import dataclass

from cleaner.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    summary: str
    fixable: bool = False  # `--fix` repairs it in place


RULES: tuple[Rule, ...] = (
    Rule("CLN101", "clutter-line", "a residual promo / clutter line (Also Read, newsletter, follow us, ...)", True),
    Rule("CLN201", "empty-text", "the text is empty or whitespace only", True),
    Rule("CLN202", "short-text", "the text is shorter than `min_chars` characters"),
    Rule("CLN301", "mojibake", "UTF-8 text that was decoded as cp1252/latin-1 (e.g. 'Ã©', 'â€™')"),
    Rule("CLN302", "replacement-char", "U+FFFD replacement characters: bytes were lost in a lossy decode"),
    Rule("CLN303", "control-char", "C0/C1 control characters (other than tab and newline) inside the text"),
    Rule("CLN304", "invalid-utf8", "the file's bytes are not valid UTF-8"),
    Rule("CLN401", "invalid-json", "a JSONL line that is not a JSON object"),
    Rule("CLN402", "missing-field", "a record without a string text field (`text_key`)"),
    Rule("CLN403", "duplicate-id", "a record id (`id_key`) used by another record"),
    Rule("CLN404", "unreadable", "a file or document that cannot be read at all (broken gzip, not HTML)"),
    Rule("CLN501", "exact-duplicate", "the same text (after whitespace/case normalisation) as another record"),
    Rule("CLN502", "near-duplicate", "a near-duplicate of another record (MinHash candidate, verified similarity)"),
)
BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}
PAIR_CODES = frozenset({"CLN403", "CLN501", "CLN502"})  # findings about two records: they name the other one


def resolve(selectors: tuple[str, ...] | frozenset[str] | list[str], where: str = "rules") -> frozenset[str]:
    """Codes matched by selectors: full codes, prefixes ("CLN3" = the encoding family) or names ("mojibake")."""
    codes: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if selector in BY_NAME:
            codes.add(BY_NAME[selector].code)
            continue
        matched = {code for code in BY_CODE if code.startswith(selector.upper())} if selector else set()
        if not matched:
            raise ConfigError(f"{where}: unknown rule {selector!r}; use a code (CLN502), a prefix (CLN3) or a name")
        codes |= matched
    return frozenset(codes)
