"""The wire agency a copy credits: in its dateline, a credit line or a copyright notice.

Only places where an outlet credits its source count: "(Reuters) -", "PARIS (AFP) -", "AP -" opening a paragraph,
a closing "REUTER", "With inputs from PTI", "Copyright 2024 The Associated Press". A mere mention ("told Reuters",
"according to AP") is not an origin. When a text credits several agencies, the first credit wins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

# Canonical name -> the ways an agency's name is written in credits.
_AGENCIES: dict[str, tuple[str, ...]] = {
    "Reuters": ("Reuters", "Reuter", "REUTERS", "REUTER", "Thomson Reuters"),
    "AP": ("AP", "Associated Press", "The Associated Press"),
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "PTI": ("PTI", "Press Trust of India"),
    "UPI": ("UPI", "United Press International"),
    "IANS": ("IANS", "Indo-Asian News Service"),
    "ANI": ("ANI", "Asian News International"),
    "dpa": ("dpa", "DPA", "Deutsche Presse-Agentur"),
    "Xinhua": ("Xinhua",),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "EFE": ("EFE",),
    "ANSA": ("ANSA",),
    "Yonhap": ("Yonhap",),
    "AAP": ("AAP", "Australian Associated Press"),
    "Canadian Press": ("CP", "The Canadian Press", "Canadian Press"),
    "Bloomberg": ("Bloomberg",),
    "TASS": ("TASS",),
}
_CANONICAL = {alias.casefold(): name for name, aliases in _AGENCIES.items() for alias in aliases}
_ALIAS = "|".join(sorted((re.escape(a) for aliases in _AGENCIES.values() for a in aliases), key=len, reverse=True))

# One scan finds every alias; the context around each occurrence decides whether it is a credit.
_ALIAS_AT = re.compile(rf"(?<![\w-])(?:{_ALIAS})(?![\w-])")
_DASH_AFTER = re.compile(r"[ \t]*(?:--|-|–|—)[ \t]")
_INPUTS_BEFORE = re.compile(r"\b[Ww]ith (?:additional )?inputs? from (?:the )?$")  # "With inputs from PTI"
_NOTICE_BEFORE = re.compile(r"(?:[Cc]opyright|©|\([Cc]\))[^\n]{0,40}$")  # "Copyright 2024 The Associated Press"
_LABEL_BEFORE = re.compile(r"(?:Source|Courtesy|Credit)s?:[ \t]*$")  # "Source: AFP" opening a line
_CONTRIBUTED = " contributed to this report"
# Reuters' sign-off closing a story's last paragraph: "... said. REUTER", "... Reuter" ("reuter" in a lower-cased
# copy). "told Reuters" is a mention, so the plural mixed-case form does not count as a sign-off.
_SIGN_OFF = re.compile(r"(?:^|\s)(?P<agency>REUTERS?|Reuter|reuter)[ \t]*\.?[ \t]*$", re.MULTILINE)
# A parenthesised word right before a dateline dash, for the OCR-tolerant check of agency tags. Only names of five
# letters or more are matched with a misread letter: "(AFP)" one letter off is too likely another word.
_TAG = re.compile(r"\(([A-Za-z]{5,20})\)[ \t]*(?:--|-|–|—)")
_FUZZY_ALIASES: dict[int, tuple[str, ...]] = {}
for _alias in sorted(_CANONICAL):
    if len(_alias) >= 5 and " " not in _alias:
        _FUZZY_ALIASES[len(_alias)] = (*_FUZZY_ALIASES.get(len(_alias), ()), _alias)
_LOOKBEHIND = 60
_EDGE = 600


def _is_credit(text: str, start: int, end: int) -> bool:
    """Is the agency name at text[start:end] a credit (dateline tag, credit line, notice), not a mention?"""
    if start > 0 and text[start - 1] == "(" and text.startswith(")", end):  # "(Reuters)", "(AFP)"
        return True
    line = text[text.rfind("\n", 0, start) + 1 : start]
    if not line.strip():  # "AFP - ..." opening a paragraph
        return bool(_DASH_AFTER.match(text, end))
    if text.startswith(_CONTRIBUTED, end):
        return True
    before = line[-_LOOKBEHIND:]
    return bool(
        ("from" in before and _INPUTS_BEFORE.search(before))
        or _NOTICE_BEFORE.search(before)
        or (":" in before and _LABEL_BEFORE.match(line.lstrip()))
    )


def detect_origin(text: str) -> str | None:
    """The wire agency credited by `text` ("Reuters", "AP", "AFP", "PTI", ...), or None.

    The first credit in the text wins; Reuters' bare sign-off ("... said. REUTER") counts only when nothing else
    is credited.
    """
    if len(text) > 2 * _EDGE:  # credits sit in the opening dateline or the closing lines
        text = text[:_EDGE] + "\n" + text[-_EDGE:]
    found: tuple[int, str] | None = None
    for match in _ALIAS_AT.finditer(text):
        if _is_credit(text, match.start(), match.end()):
            found = (match.start(), _CANONICAL[match.group().casefold()])
            break
    tag = _misread_tag(text)
    if tag is not None and (found is None or tag[0] < found[0]):
        found = tag
    if found is not None:
        return found[1]
    sign_off = _SIGN_OFF.search(text)
    return _CANONICAL[sign_off.group("agency").casefold()] if sign_off else None


def _misread_tag(text: str) -> tuple[int, str] | None:
    """A dateline tag with one misread letter, as OCR leaves them: "(Reutera)", "(Reuterz)" -> Reuters."""
    for match in _TAG.finditer(text):
        word = match.group(1).casefold()
        for alias in _FUZZY_ALIASES.get(len(word), ()):
            if sum(a != b for a, b in zip(word, alias, strict=True)) == 1:
                return match.start(), _CANONICAL[alias]
    return None


def cluster_origin(origins: Sequence[str | None]) -> str | None:
    """The agency most members credit; ties go to the one credited by the best-ranked member (listed first)."""
    counts = Counter(o for o in origins if o is not None)
    if not counts:
        return None
    top = max(counts.values())
    return next(o for o in origins if o is not None and counts[o] == top)
