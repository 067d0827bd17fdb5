"""Options for clutter detection and removal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

RULE_FAMILIES = ("text", "structure", "template")


@dataclass(frozen=True, slots=True)
class ClutterConfig:
    """How inline clutter is found and what is done with it.

    families: which kinds of evidence run ("text" rules, HTML "structure", per-site "template" lines).
    disabled_rules: rule ids to skip, e.g. {"text.follow_us"}; `cleaner.clutter.RULE_IDS` lists them all, user
        rules are "user.1", "user.2", ... in `extra_patterns` order. Unknown ids are a ConfigError.
    extra_patterns: user regexes; a line matching one (case-insensitive, from the line's start) is clutter.
    mark_only: detect and record, but leave the text untouched.
    """

    enabled: bool = True
    families: frozenset[str] = frozenset(RULE_FAMILIES)
    disabled_rules: frozenset[str] = frozenset()
    extra_patterns: tuple[str, ...] = ()
    mark_only: bool = False
    # a line is a site's template when it appears on at least this many of the site's pages...
    template_min_pages: int = 3
    # ...and on at least this share of them
    template_min_share: float = 0.3

    def __post_init__(self) -> None:
        # the TOML file and most callers write lists: keep the frozen, hashable types whatever was passed
        object.__setattr__(self, "families", _frozen(self.families))
        object.__setattr__(self, "disabled_rules", _frozen(self.disabled_rules))
        object.__setattr__(self, "extra_patterns", _pattern_tuple(self.extra_patterns))


def _frozen(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):  # a bare string would become a set of its letters
        return frozenset({values})
    return frozenset(values)


def _pattern_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)
