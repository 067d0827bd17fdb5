"""Text -> the canonical string that shingles are cut from, plus the value slots used as templated-story evidence.

Copies of a wire story differ in ways that say nothing about the event: the dateline and byline each outlet writes
("PARIS, March 1 -", "By Staff Writer TOKYO -", "(Reuters) -"), case, punctuation, spacing (OCR drops and inserts
spaces) and house style. The canonical form keeps only case-folded letters and digits, without spaces.
Digits stay: numbers are what tells this week's crop report from last week's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import xxhash

# A dateline or byline that opens a paragraph: optional "By Name Name", a CITY in capitals (a few words), an
# optional ", Month day", an optional "(Agency)", then a dash. Outlets rewrite these per copy, so they are noise.
_DATELINE = re.compile(
    r"""^[ \t]*
    (?:By[ \t]+(?:[A-Z][\w.'-]*[ \t]*){1,3}?[ \t]*)?          # byline
    (?:[A-Z][A-Z.'&-]+(?:[ \t]+[A-Z][A-Z.'&-]+){0,3}            # CITY
       (?:,[ \t]*[A-Z][a-z]{2,8}\.?[ \t]+\d{1,2})?             # , March 14
       [ \t]*)?
    (?:\([A-Za-z][A-Za-z .'-]{0,30}\)[ \t]*)?                  # (Reuters)
    (?<=\S)[ \t]*(?:--|-|–|—)[ \t]+
    (?=[^\n]{40})                                              # a lede follows, not a table row""",
    re.MULTILINE | re.VERBOSE,
)
# A cross-link line ("Read more: <another story's headline>", "Related: ...") names a different story: shingling it
# would make copies look less alike and unrelated stories look more alike. The clutter stage removes these from
# extracted articles; this is the safety net for text that did not go through it.
_PROMO_WORDS = (
    "read more",
    "also read",
    "read also",
    "related",
    "see also",
    "more",
    "recommended",
    "watch",
    "listen",
    "you may also like",
    "don't miss",
    "must read",
)
_PROMO_LINE = re.compile(rf"[ \t]*(?:{'|'.join(_PROMO_WORDS)})(?: stories| articles)?[ \t]*[:|>»-]", re.IGNORECASE)
# Only the opening lines can hold a dateline; deeper lines starting "WORD -" are content (tables, lists).
_DATELINE_LINES = 8
_NOT_ALNUM = re.compile(r"[\W_]+")
_ASCII_NOT_ALNUM = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))
# Non-ASCII punctuation that news text is full of (curly quotes, dashes, guillemets, bullets): removed first, with
# str.replace, so that a line with no other non-ASCII character takes the translate path, twice as fast as the
# regex over a whole corpus. Each is \W, which the regex removes anyway.
_NEWS_PUNCTUATION = ("\u2019", "\u2018", "\u201c", "\u201d", "\u2013", "\u2014", "\u00ab", "\u00bb", "\u00b7", "\u2022")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
# A value: a number with its separators ("3,500,000", "8-3/4", "0.18"), with the month before it if any
# ("april 16"). Read from the case-folded text, before separators are dropped, so "April 16, 1990" is two values.
_NUMBER = re.compile(r"(\d+(?:[.,/-]\d+)*)")
_MONTH_BEFORE = re.compile(rf"(?<![^\W\d_])({_MONTHS})\.?\s{{0,2}}$")
_SEPARATORS = str.maketrans("", "", ".,/-")
_ASCII_NOT_LETTERS = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalpha()))
_NOT_LETTER = re.compile(r"[\W\d_]+")


def _is_promo(line: str) -> bool:
    return line.lstrip()[:18].lower().startswith(_PROMO_WORDS) and bool(_PROMO_LINE.match(line))


def strip_promos(text: str) -> str:
    """Remove cross-link lines ("Read more: ...", "Related: ...")."""
    return "\n".join(line for line in text.split("\n") if not _is_promo(line))


def strip_datelines(text: str) -> str:
    """Remove the dateline/byline that opens one of the first few lines of `text` (a story has one)."""
    lines = text.split("\n")
    for i, line in enumerate(lines[:_DATELINE_LINES]):
        stripped = _DATELINE.sub("", line, count=1)
        if stripped != line:
            lines[i] = stripped
            return "\n".join(lines)
    return text


# Characters that OCR engines confuse with each other, folded to one representative per class so that a misread
# letter does not spoil the ten shingles around it: the classic confusions of Latin print (rn/m, vv/w, cl/d, 0/o,
# 1/l/i, c/e, u/n, h/b, f/t, q/g). Folding costs clean text nothing measurable: 10-grams over the reduced
# alphabet are still specific to their story. Values (numbers) are read before folding, from the original text.
_OCR_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_OCR_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "c": "e", "u": "n", "h": "b", "f": "t", "q": "g"})


def fold_confusables(canon: str) -> str:
    """Map OCR-confusable letters of a canonical string to one representative each."""
    for pair, single in _OCR_PAIRS:
        canon = canon.replace(pair, single)
    return canon.translate(_OCR_FOLD)


def canonical(text: str, fold: bool = False) -> str:
    """Case-folded letters and digits only (NFKC first, so full-width forms and ligatures fold too)."""
    canon = _alnum_only(unicodedata.normalize("NFKC", text).casefold())
    return fold_confusables(canon) if fold else canon


def _alnum_only(folded: str) -> str:
    """`folded` without what is not a letter or a digit: `_NOT_ALNUM.sub`, in C where the line allows it."""
    if not folded.isascii():
        for mark in _NEWS_PUNCTUATION:
            if mark in folded:
                folded = folded.replace(mark, "")
        if not folded.isascii():
            return _NOT_ALNUM.sub("", folded)
    return folded.translate(_ASCII_NOT_ALNUM)


def canonical_chunks(text: str, fold: bool, min_chars: int, max_chars: int) -> tuple[str, list[int]]:
    """(canonical string, offsets where its chunks start): chunks follow the paragraphs.

    Copies keep paragraphs whole (an outlet trims after a paragraph or drops one), so paragraph chunks of two
    copies coincide wherever the copies share text. A paragraph shorter than `min_chars` (a headline, a table row,
    a line of chrome) opens no chunk of its own: it joins the next one. The decision looks at that paragraph only,
    so a copy with one paragraph more or less still cuts the rest of the story at the same places. A paragraph
    longer than `max_chars` is cut into equal pieces, so text without paragraph breaks still has chunks.
    """
    parts = [canonical(line, fold) for line in text.split("\n")]
    starts: list[int] = []
    offset = 0
    glue = False  # the paragraph before was short: this one continues its chunk
    for part in parts:
        if not part:
            continue
        pieces = -(-len(part) // max_chars)  # ceil: no piece longer than max_chars
        step = -(-len(part) // pieces)
        cuts = range(offset, offset + len(part), step)
        starts.extend(cuts[1:] if glue else cuts)
        glue = len(part) < min_chars
        offset += len(part)
    return "".join(parts), starts or [0]


def clean_for_matching(text: str) -> str:
    """The text without cross-link lines and datelines: what shingles and value slots are read from."""
    return strip_datelines(strip_promos(text))


def prepare(text: str, fold: bool = True) -> str:
    """The canonical string a document is shingled from."""
    return canonical(clean_for_matching(text), fold)


def _letters(text: str) -> str:
    return text.translate(_ASCII_NOT_LETTERS) if text.isascii() else _NOT_LETTER.sub("", text)


def value_slots(text: str, context: int, right: int = 3) -> list[int]:
    """Numbers and dates in their context: sorted `context_hash << 32 | value_hash` ints.

    The context is the `context` letters before the value plus up to `right` letters after it. Two copies of a
    story say the same value in the same words; two instances of a template (this week's and last week's crop
    report) say different values in the same words. Contexts keep letters only, so that a preceding number,
    punctuation or a lost space does not change them; the words after a value tell "more than 1,000 people" from
    "more than 20 countries" in one story.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    parts = _NUMBER.split(folded)  # [text, number, text, number, ..., text]
    slots: set[int] = set()
    letters = ""
    window = 4 * context
    for k in range(0, len(parts) - 1, 2):
        before, number = parts[k], parts[k + 1]
        month = _MONTH_BEFORE.search(before[-12:])
        if month:  # "due april 16": context "...due", value "16"; an OCR-garbled month must not change either
            before = before[: len(before) - len(month.group(0))]
        tail = before[-window:]
        letters = (("" if len(before) > window else letters) + _letters(tail))[-context:]
        after = _letters(parts[k + 2][:window])[:right]
        if len(letters) >= context:
            key = f"{letters}|{after}".encode()
            value = number.translate(_SEPARATORS).encode()
            slots.add(xxhash.xxh32_intdigest(key) << 32 | xxhash.xxh32_intdigest(value))
        if month:  # "due april 16, 1990": the year's context is "...dueapril", not the day's
            letters = (letters + month.group(1))[-context:]
    return sorted(slots)


def slot_conflicts(slots_a: Iterable[int], slots_b: Iterable[int]) -> tuple[int, int]:
    """(agreeing, conflicting) slots: contexts both documents have, with a common value or with none in common."""
    set_a, set_b = set(slots_a), set(slots_b)
    shared = {s >> 32 for s in set_a} & {s >> 32 for s in set_b}
    if not shared:
        return 0, 0
    agreeing = len({s >> 32 for s in set_a & set_b})
    return agreeing, len(shared) - agreeing
