"""The fast paths of `cleaner.dedup.normalize` (whole-text folding, ASCII and bytes routes) against the plain forms.

`prepare_text` folds a whole text at once, swaps characters for ASCII stand-ins of the same class and reads value
slots from bytes; the references below are the straightforward per-line, per-character forms those replace (value
slot hashes are stored by the persistent index, so they must not change for any input). The first tests check the
Unicode facts the fast paths rely on, over a sample of code points (a scratch run checked all of them).
"""

from __future__ import annotations

import importlib
import re
import unicodedata

import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup import DedupConfig, prepare_text
from cleaner.dedup.normalize import (
    canonical_chunks,
    clean_for_matching,
    fold_confusables,
    fold_text,
    value_slots,
)
from cleaner.dedup.origin import detect_origin

normalize = importlib.import_module("cleaner.dedup.normalize")
engine = importlib.import_module("cleaner.dedup.deduplicator")
NFKC = "NFKC"

# Code points where normalisation and case folding are eventful: Latin-1 and Latin Extended, combining marks,
# Greek (iota subscript, final sigma), Cyrillic, Indic and Tamil vowel signs that compose, Hangul jamo and
# syllables, compatibility forms (ligatures, full-width, circled, super/subscripts, fractions), CJK, surrogates,
# specials, emoji and a stride over the rest of Unicode.
SAMPLE = sorted(
    {
        *range(0x00, 0x250),
        *range(0x300, 0x370),
        *range(0x370, 0x400, 3),
        *range(0x400, 0x530, 5),
        *range(0x900, 0x980),
        *range(0xB80, 0xC00),
        *range(0x1100, 0x1200),
        *range(0x1E00, 0x1F00, 7),
        *range(0x2000, 0x2070),
        *range(0x2070, 0x2200),
        *range(0x2460, 0x2500),
        *range(0x3040, 0x3100),
        *range(0xAC00, 0xAC40),
        *range(0xD7B0, 0xD800),
        *range(0xD800, 0xE000, 0x3F),
        *range(0xFB00, 0xFB50),
        *range(0xFE00, 0xFE70),
        *range(0xFF00, 0xFFF0),
        *range(0x10000, 0x110000, 997),
        *range(0x1D400, 0x1D420),
        *range(0x1F600, 0x1F610),
    }
)


def test_newline_is_a_barrier_for_nfkc_and_case_folding() -> None:
    """Folding a whole text equals folding it line by line: no character folds to, composes with or reorders
    across "\\n"."""
    for c in map(chr, SAMPLE):
        if c == "\n":
            continue
        n = unicodedata.normalize(NFKC, c)
        assert "\n" not in n and "\n" not in c.casefold(), hex(ord(c))
        assert unicodedata.normalize(NFKC, "\n" + c) == "\n" + n, hex(ord(c))
        assert unicodedata.normalize(NFKC, c + "\n") == n + "\n", hex(ord(c))
        assert unicodedata.normalize(NFKC, c + "\n" + c).casefold() == f"{n.casefold()}\n{n.casefold()}", hex(ord(c))


def test_replacements_before_folding_change_nothing_nfkc_makes_of_a_text() -> None:
    """The news punctuation and "'" are inert next to any character; a compatibility character may be replaced
    by its NFKD form."""
    for mark in (*normalize._NEWS_PUNCTUATION, "'"):
        assert unicodedata.normalize(NFKC, mark) == mark == mark.casefold()
        for c in map(chr, SAMPLE):
            n = unicodedata.normalize(NFKC, c)
            assert unicodedata.normalize(NFKC, c + mark + c) == n + mark + n, (mark, hex(ord(c)))
    for char, decomposed in normalize._COMPATIBILITY_FORMS:
        for c in map(chr, SAMPLE):
            assert unicodedata.normalize(NFKC, c + char + c) == unicodedata.normalize(NFKC, c + decomposed + c)


def test_character_classes_the_fast_paths_use() -> None:
    """re's \\w, \\s and \\d are str.isalnum (or "_"), isspace and isdecimal; no space is a letter or digit."""
    word, space, digit = re.compile(r"\w"), re.compile(r"\s"), re.compile(r"\d")
    for c in map(chr, [*range(0x10000), *SAMPLE]):
        assert bool(word.match(c)) == (c.isalnum() or c == "_"), hex(ord(c))
        assert bool(space.match(c)) == c.isspace(), hex(ord(c))
        assert bool(digit.match(c)) == c.isdecimal(), hex(ord(c))
        assert not (c.isspace() and c.isalnum()), hex(ord(c))


# The plain forms the fast paths replace: per line, per character, regexes only.
_REF_NOT_ALNUM = re.compile(r"[\W_]+")
_REF_NOT_LETTER = re.compile(r"[\W\d_]+")
_REF_NUMBER = re.compile(r"(\d+(?:[.,/-]\d+)*)")
_REF_MONTH = re.compile(rf"(?<![^\W\d_])({normalize._MONTHS})\.?\s{{0,2}}$")


def ref_clean(text: str) -> str:
    lines = [
        line
        for line in text.split("\n")
        if not (line.lstrip()[:18].lower().startswith(normalize._PROMO_WORDS) and normalize._PROMO_LINE.match(line))
    ]
    for i, line in enumerate(lines[: normalize._DATELINE_LINES]):
        stripped = normalize._DATELINE.sub("", line, count=1)
        if stripped != line:
            lines[i] = stripped
            break
    return "\n".join(lines)


def ref_canonical_chunks(text: str, fold: bool, min_chars: int, max_chars: int) -> tuple[str, list[int]]:
    parts = []
    for line in text.split("\n"):
        canon = _REF_NOT_ALNUM.sub("", unicodedata.normalize(NFKC, line).casefold())
        parts.append(fold_confusables(canon) if fold else canon)
    starts: list[int] = []
    offset = 0
    glue = False
    for part in parts:
        if not part:
            continue
        pieces = -(-len(part) // max_chars)
        cuts = range(offset, offset + len(part), -(-len(part) // pieces))
        starts.extend(cuts[1:] if glue else cuts)
        glue = len(part) < min_chars
        offset += len(part)
    return "".join(parts), starts or [0]


def ref_value_slots(text: str, context: int, right: int = 3) -> list[int]:
    parts = _REF_NUMBER.split(unicodedata.normalize(NFKC, text).casefold())
    slots: set[int] = set()
    letters = ""
    window = 4 * context
    for k in range(0, len(parts) - 1, 2):
        before, number = parts[k], parts[k + 1]
        month = _REF_MONTH.search(before[-12:])
        if month:
            before = before[: len(before) - len(month.group(0))]
        letters = (("" if len(before) > window else letters) + _REF_NOT_LETTER.sub("", before[-window:]))[-context:]
        after = _REF_NOT_LETTER.sub("", parts[k + 2][:window])[:right]
        if len(letters) >= context:
            key = f"{letters}|{after}".encode()
            value = re.sub(r"[.,/-]", "", number).encode()
            slots.add(xxhash.xxh32_intdigest(key) << 32 | xxhash.xxh32_intdigest(value))
        if month:
            letters = (letters + month.group(1))[-context:]
    return sorted(slots)


def ref_prepare(text: str, config: DedupConfig) -> tuple[str, list[int], list[int], str | None]:
    cleaned = ref_clean(text)
    canon, starts = ref_canonical_chunks(
        cleaned, config.fold_confusables, config.chunk_min_chars, config.chunk_max_chars
    )
    chunks = [len(canon[:s].encode("utf-8")) for s in starts]
    return canon, chunks, ref_value_slots(cleaned, config.slot_context), detect_origin(text)


CONFIGS = [
    DedupConfig(),
    DedupConfig(fold_confusables=False, chunk_min_chars=4, chunk_max_chars=9, slot_context=3),
]

# Pieces of news text, and what trips fast paths: datelines and cross-links, months before numbers (with the
# spacing the month rule allows and one step past it), OCR pairs split by punctuation or a line break, separators.
ASCII_TOKENS = [
    "The harbour board approved the dredging contract on Tuesday after a long debate. ",
    "PARIS, March 14 - ",
    "By Staff Writer TOKYO - ",
    "(Reuters) - ",
    "Read more: ",
    "Related: ",
    "due April 16, 1990 ",
    " september.  12",
    "sept 9",
    " may5",
    "march\x1c 4",
    "Xseptember.  7",
    "3,500,000",
    "8-3/4",
    "0.18",
    "1.",
    "r-n",
    "r\nn",
    "c.l",
    "vvv",
    "rn",
    "_",
    "\n",
    "\n\n",
    " \n ",
    "\r",
    "\t",
    "  ",
    ".",
    "-",
    "?",
    "'",
    "Word",
    "more than 20 countries",
]
# Non-ASCII characters that are neither letters nor digits: ASCII stand-ins take their place.
SYMBOL_TOKENS = [
    "\u2019",
    "\u201c",
    "\u201d",
    "\u2013",
    "\u2014",
    "\u00ab",
    "\u2022",
    "\u2026",
    "\u00a0",
    "\u2009",
    "\u3000",
    "\u2028",
    "\x85",
    "\u2605",
    "\u2500",
    "\u2192",
    "\u00b0",
    "\u00d7",
    "\u20ac",
    "\u00ae",
    "\U0001f600",
    "\ufe0f",
    "\ud800",
    "\ufe58",
]
# Letters, digits and marks outside ASCII: the text stays non-ASCII.
OTHER_TOKENS = [
    "\u00e9",
    "\u00df",
    "\u0130",
    "\u017f",
    "\u212a",
    "\u0345",
    "\u03a3",
    "\u043f\u0440\u0438\u0432\u0435\u0442 ",
    "\u4e2d\u6587",
    "\uff21\uff11",
    "\ufb01",
    "\u2122",
    "\u2011",
    "\u00bd",
    "\u00b2",
    "\u2460",
    "\u0661\u0662",
    "\u0966",
    "e\u0301",
    "\u0301",
    "\u0308",
    "\u0bbe",
    "\u0b92\u0bbe",
    "\u1100\u1161\u11a8",
    "\uac00",
    "\u0bf1",
]


def _text(*kinds: list[str]) -> st.SearchStrategy[str]:
    """Texts of tokens, each kind of token as likely as the others."""
    return st.lists(st.one_of(*map(st.sampled_from, kinds)), max_size=40).map("".join)


# ASCII text; text that becomes ASCII once folded (stand-ins); text that stays non-ASCII
TEXTS = st.one_of(
    _text(ASCII_TOKENS),
    _text(ASCII_TOKENS, SYMBOL_TOKENS),
    _text(ASCII_TOKENS, SYMBOL_TOKENS, OTHER_TOKENS),
)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(TEXTS)
def test_prepare_text_equals_the_plain_per_line_forms(text: str) -> None:
    for config in CONFIGS:
        prepared = prepare_text(text, config)
        assert (prepared.canonical, prepared.chunks, prepared.slots, prepared.origin) == ref_prepare(text, config)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(TEXTS)
def test_public_functions_equal_the_plain_forms(text: str) -> None:
    assert clean_for_matching(text) == ref_clean(text)
    for fold in (True, False):
        assert canonical_chunks(text, fold, 5, 12) == ref_canonical_chunks(text, fold, 5, 12)
    for context, right in ((8, 3), (2, 0), (1, 5)):
        assert value_slots(text, context, right) == ref_value_slots(text, context, right)


@pytest.mark.parametrize(
    "text",
    [
        "He said \u201cno\u201d \u2014 the vote \u2605 was 5\u2026 delayed\u00a0again \u2192 on March 4.",
        "\u2500\u2500\u2500 Table \u00d7 2 \u2500\u2500\u2500\nRate\u2009rose 3.5% \U0001f600",
        "line\u2028one\x85two\u3000three \u20ac 12,500",
    ],
)
def test_symbols_and_news_punctuation_leave_the_text_ascii(text: str) -> None:
    """The fast paths are reached: what slows a text down is replaced by ASCII characters of the same class."""
    assert fold_text(text).isascii()
    for config in CONFIGS:
        prepared = prepare_text(text, config)
        assert (prepared.canonical, prepared.chunks, prepared.slots, prepared.origin) == ref_prepare(text, config)


def test_ocr_pairs_do_not_join_across_lines_or_after_stand_ins() -> None:
    canon, _ = canonical_chunks("lear\nning\ncl\u2605ose", True, 1, 600)
    assert canon == "learnlngdose"  # "r\nn" stays two letters; "c\u2605l" is "cl" once the star is dropped
    assert canon == ref_canonical_chunks("lear\nning\ncl\u2605ose", True, 1, 600)[0]


def test_months_before_numbers_at_the_edge_of_the_rule() -> None:
    """The month test looks at the 12 characters before a number; a month ending there counts, whatever precedes."""
    for text in ("the meeting was due xseptember.  12 and 1990", "due sept.   9 then", "due march\x1c 4 then"):
        assert value_slots(text, 3) == ref_value_slots(text, 3)
    # the month is not context ("due april 16" reads as "due 16"), but it is the year's context
    assert value_slots("the vote of the board due april 16", 3) == value_slots("the vote of the board due 16", 3)
    assert value_slots("the board due april 16, 1990", 3) != value_slots("the board due 16, 1990", 3)


@pytest.mark.parametrize("month", normalize._MONTHS.split("|"))
def test_every_month_before_a_number(month: str) -> None:
    """Each month name, with the "." and the spaces the rule allows (ASCII or not) and one step past them."""
    for between in ("", " ", ".", ". ", ".  ", ".   ", "\u2028", ".\x85\u2029", ". \u1680", "\u2605 ", "\u00e9 "):
        for text in (f"the deadline is {month}{between}16, 1990", f"the \u00e9lan of {month.title()}{between}4"):
            assert value_slots(text, 3) == ref_value_slots(text, 3), repr(text)


@pytest.mark.parametrize("context", [1, 3, 8])
def test_context_window_edges(context: int) -> None:
    """Gaps between numbers around the window (4 x context characters): the context carries over or restarts."""
    window = 4 * context
    for gap in range(window - 3, window + 3):
        for filler in ("x", " ", "\u00e9"):
            text = f"alpha beta 1{filler * gap}2 gamma{filler * (gap - 5)}3 delta"
            assert value_slots(text, context) == ref_value_slots(text, context), (gap, filler)


@pytest.mark.parametrize(
    "text",
    [
        "Rates rose \ud800 by 5 percent in the \udcff quarter, \u00e9t\u00e9 2024",
        "\u00e9t\u00e9 comes first: the surrogates stay for the regex\nRates rose \ud800 by 5 in \udcff 2024",
    ],
)
def test_lone_surrogates_are_dropped_like_other_symbols(text: str) -> None:
    for config in CONFIGS:
        prepared = prepare_text(text, config)
        assert (prepared.canonical, prepared.chunks, prepared.slots, prepared.origin) == ref_prepare(text, config)


def test_utf8_offsets() -> None:
    canon = "ab\u00e9\u4e2dcd\U0001f600e"
    starts = [0, 2, 3, 4, 7]
    assert engine._utf8_offsets(canon, starts) == [len(canon[:s].encode("utf-8")) for s in starts]
