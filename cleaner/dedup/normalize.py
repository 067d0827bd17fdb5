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
# Whole texts are made canonical at once, their lines split afterwards: these keep "\n".
_ASCII_NOT_ALNUM_BYTES = bytes(c for c in range(128) if not chr(c).isalnum() and c != ord("\n"))
_ASCII_NOT_ALNUM_BUT_NEWLINE = str.maketrans("", "", _ASCII_NOT_ALNUM_BYTES.decode())
# Run once the ASCII ones are gone ("_" among them). A class twice rather than with "+": a pattern that opens with
# a character class lets re skip to the next candidate in C ("+" hides the class from that optimisation), so text
# is scanned about twice as fast.
_NOT_ALNUM_BUT_NEWLINE = re.compile(r"[^\w\n][^\w\n]*")
# Non-ASCII punctuation that news text is full of (curly quotes, dashes, guillemets, bullets): replaced with
# str.replace, so that most text continues in ASCII, where str.translate and bytes operations run much faster than
# a regex. Each is \W (not a space, digit or number separator), which both readers skip anyway.
_NEWS_PUNCTUATION = ("\u2019", "\u2018", "\u201c", "\u201d", "\u2013", "\u2014", "\u00ab", "\u00bb", "\u00b7", "\u2022")
# Compatibility characters common in news text (ellipsis, no-break space, trade mark, no-break hyphen), replaced
# by their NFKD form before NFKC: NFKC decomposes them to exactly that anyway, and a line left without them passes
# NFKC's quick check instead of taking its full path, which is ten times slower or more.
_COMPATIBILITY_FORMS = tuple((char, unicodedata.normalize("NFKD", char)) for char in "\u2026\u00a0\u2122\u2011")
_BEFORE_FOLDING = (*_COMPATIBILITY_FORMS, *((mark, "'") for mark in _NEWS_PUNCTUATION))
_ASCII_BYTES = bytes(range(128))
_MAX_STAND_INS_PER_LINE = 16
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
# A value: a number with its separators ("3,500,000", "8-3/4", "0.18"), with the month before it if any
# ("april 16"). Read from the case-folded text, before separators are dropped, so "April 16, 1990" is two values.
_NUMBER = re.compile(r"(\d\d*(?:[.,/-]\d+)*)")  # \d\d* is \d+, opening with a class (see _NOT_ALNUM_BUT_NEWLINE)
_MONTH_BEFORE = re.compile(rf"(?<![^\W\d_])({_MONTHS})\.?\s{{0,2}}$")
_MONTH_ENDINGS = frozenset(month[-3:] for month in _MONTHS.split("|"))  # every name has three letters or more
_NOT_LETTER = re.compile(r"[\W\d_][\W\d_]*")  # [\W\d_]+ (see _NOT_ALNUM_BUT_NEWLINE)
# Value slots of ASCII text are read from its bytes: the same characters, and bytes.translate needs no dict lookups.
_ASCII_NOT_LETTERS_BYTES = bytes(c for c in range(128) if not chr(c).isalpha())
_ASCII_NUMBER_BYTES = re.compile(rb"[0-9]+(?:[.,/-][0-9]+)*")  # _NUMBER in ASCII text, where \d is [0-9]
_ASCII_SPACES_BYTES = bytes(c for c in range(128) if chr(c).isspace())  # what \s matches in ASCII text
_MONTH_ENDINGS_BYTES = frozenset(ending.encode() for ending in _MONTH_ENDINGS)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _without_promos(lines: list[str]) -> list[str]:
    """`lines` without the cross-link ones (a cheap prefix test first, the regex only on a hit)."""
    return [
        line for line in lines if not (line.lstrip()[:18].lower().startswith(_PROMO_WORDS) and _PROMO_LINE.match(line))
    ]


def _strip_dateline(lines: list[str]) -> bool:
    """Remove the dateline opening one of the first `_DATELINE_LINES` lines, in place; whether there was one."""
    for i, line in enumerate(lines[:_DATELINE_LINES]):
        match = _DATELINE.match(line)  # it opens with ^ and a line holds no "\n": only its start can match
        if match:
            lines[i] = line[match.end() :]
            return True
    return False


def strip_promos(text: str) -> str:
    """Remove cross-link lines ("Read more: ...", "Related: ...")."""
    return "\n".join(_without_promos(text.split("\n")))


def strip_datelines(text: str) -> str:
    """Remove the dateline/byline that opens one of the first few lines of `text` (a story has one)."""
    lines = text.split("\n")
    return "\n".join(lines) if _strip_dateline(lines) else text


# Characters that OCR engines confuse with each other, folded to one representative per class so that a misread
# letter does not spoil the ten shingles around it: the classic confusions of Latin print (rn/m, vv/w, cl/d, 0/o,
# 1/l/i, c/e, u/n, h/b, f/t, q/g). Folding costs clean text nothing measurable: 10-grams over the reduced
# alphabet are still specific to their story. Values (numbers) are read before folding, from the original text.
_OCR_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_OCR_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "c": "e", "u": "n", "h": "b", "f": "t", "q": "g"})
# The same folding on UTF-8 bytes, for non-ASCII text (all its characters are ASCII, so it leaves the others alone).
_OCR_PAIRS_BYTES = tuple((pair.encode(), single.encode()) for pair, single in _OCR_PAIRS)
_OCR_FOLD_BYTES = bytes.maketrans(bytes(_OCR_FOLD), "".join(_OCR_FOLD.values()).encode())


def fold_confusables(canon: str) -> str:
    """Map OCR-confusable letters of a canonical string to one representative each."""
    for pair, single in _OCR_PAIRS:
        canon = canon.replace(pair, single)
    return canon.translate(_OCR_FOLD)


def canonical(text: str, fold: bool = False) -> str:
    """Case-folded letters and digits only (NFKC first, so full-width forms and ligatures fold too).

    For one line, the string `canonical_lines` (the dedup path) gives; over several lines they differ with `fold`:
    here an OCR pair ("r" + newline + "n") folds across the line break, there it cannot.
    """
    canon = "".join(canonical_lines(fold_text(text), False))
    return fold_confusables(canon) if fold else canon


def fold_text(text: str) -> str:
    """The form canonical strings and value slots are read from: NFKC, then case folding.

    "\n" passes through unchanged and nothing crosses it (no code point's NFKC or case folding contains "\n", it
    composes with nothing and, being a starter, stops reordering: checked over every code point), so a text can be
    folded line by line. Some characters are replaced so that most text ends up ASCII, where NFKC, case folding
    and the readers after them take their fast paths, without changing what the readers make of it: a few common
    compatibility characters become their NFKD form (what NFKC makes of them anyway), the news punctuation becomes
    "'" (like "\n", these marks and "'" are inert under NFKC and case folding), and see `_ascii_stand_ins`.
    """
    if not text.isascii():
        for char, replacement in _BEFORE_FOLDING:
            if char in text:
                text = text.replace(char, replacement)
    if text.isascii():
        return text.casefold()  # NFKC changes no ASCII text
    # Line by line: one character that NFKC changes sends a whole text down its full path (ten times slower or
    # more than the quick check that passes the other lines).
    lines = [unicodedata.normalize("NFKC", line).casefold() for line in text.split("\n")]
    _ascii_stand_ins(lines)
    return "\n".join(lines)


def _ascii_stand_ins(lines: list[str]) -> None:
    """Replace non-ASCII spaces by " " and other non-ASCII characters that are not letters or digits by "'".

    Both readers treat a character by its class only (letter or digit, space, number separator, other), so an
    ASCII character of the same class stands in for it (news text carries symbols, box drawing, arrows, emoji).
    In place, line by line; it stops at the first non-ASCII letter or digit, as the text will not be ASCII then,
    and at a line with more than `_MAX_STAND_INS_PER_LINE` different characters to replace (one pass over the line
    each; news text has one to five). Each character's UTF-8 form is replaced in the line's bytes: UTF-8 never
    matches across character boundaries.
    """
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        data = line.encode("utf-8", "surrogatepass")  # a lone surrogate (from text decoded with errors) is "other"
        chars = set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
        if len(chars) > _MAX_STAND_INS_PER_LINE:
            return
        for char in chars:
            if char.isalnum():
                return
            data = data.replace(char.encode("utf-8", "surrogatepass"), b" " if char.isspace() else b"'")
        lines[i] = data.decode()


def canonical_chunks(text: str, fold: bool, min_chars: int, max_chars: int) -> tuple[str, list[int]]:
    """(canonical string, offsets where its chunks start): chunks follow the paragraphs.

    Copies keep paragraphs whole (an outlet trims after a paragraph or drops one), so paragraph chunks of two
    copies coincide wherever the copies share text. A paragraph shorter than `min_chars` (a headline, a table row,
    a line of chrome) opens no chunk of its own: it joins the next one. The decision looks at that paragraph only,
    so a copy with one paragraph more or less still cuts the rest of the story at the same places. A paragraph
    longer than `max_chars` is cut into equal pieces, so text without paragraph breaks still has chunks.
    """
    return chunks_of_folded(fold_text(text), fold, min_chars, max_chars)


def chunks_of_folded(folded: str, fold: bool, min_chars: int, max_chars: int) -> tuple[str, list[int]]:
    """`canonical_chunks` of the text whose `fold_text` is `folded`."""
    parts = canonical_lines(folded, fold)
    starts: list[int] = []
    offset = 0
    glue = False  # the paragraph before was short: this one continues its chunk
    for part in parts:
        if not part:
            continue
        size = len(part)
        if size <= max_chars:  # one piece (the common case)
            if not glue:
                starts.append(offset)
        else:
            pieces = -(-size // max_chars)  # ceil: no piece longer than max_chars
            cuts = range(offset, offset + size, -(-size // pieces))
            starts.extend(cuts[1:] if glue else cuts)
        glue = size < min_chars
        offset += size
    return "".join(parts), starts or [0]


def canonical_lines(folded: str, fold: bool) -> list[str]:
    """`canonical(line, fold)` of each line of the text whose `fold_text` is `folded`, in one pass over it all.

    Every step keeps "\n" and cannot reach across it (single characters are removed or mapped; the OCR pairs hold
    no "\n"), so splitting at the end gives what splitting first would. Non-ASCII text takes a UTF-8 detour: ASCII
    bytes never occur inside a multi-byte character, so bytes.translate and bytes.replace, which run in C at memory
    speed, can drop and fold its ASCII characters; the regex only runs over the lines with non-ASCII characters.
    """
    if folded.isascii():
        canon = folded.translate(_ASCII_NOT_ALNUM_BUT_NEWLINE)
        return (fold_confusables(canon) if fold else canon).split("\n")
    # "surrogatepass": a lone surrogate (from text decoded with errors) round-trips, and the regex then drops it
    dropped = folded.encode("utf-8", "surrogatepass").translate(None, _ASCII_NOT_ALNUM_BYTES)
    lines = [
        line if line.isascii() else _NOT_ALNUM_BUT_NEWLINE.sub("", line)
        for line in dropped.decode("utf-8", "surrogatepass").split("\n")
    ]
    if not fold:
        return lines
    data = "\n".join(lines).encode()
    for pair, single in _OCR_PAIRS_BYTES:
        data = data.replace(pair, single)
    return data.translate(_OCR_FOLD_BYTES).decode().split("\n")


def clean_for_matching(text: str) -> str:
    """The text without cross-link lines and datelines: what shingles and value slots are read from."""
    lines = text.split("\n")
    kept = _without_promos(lines)  # strip_datelines(strip_promos(text)), splitting the text once
    return "\n".join(kept) if _strip_dateline(kept) or len(kept) < len(lines) else text


def prepare(text: str, fold: bool = True) -> str:
    """The canonical string a document is shingled from."""
    return canonical(clean_for_matching(text), fold)


def _letters(text: str) -> str:
    if text.isascii():  # bytes.translate: no per-character dict lookups, five times faster on short strings
        return text.encode().translate(None, _ASCII_NOT_LETTERS_BYTES).decode()
    return _NOT_LETTER.sub("", text)


def value_slots(text: str, context: int, right: int = 3) -> list[int]:
    """Numbers and dates in their context: sorted `context_hash << 32 | value_hash` ints.

    The context is the `context` letters before the value plus up to `right` letters after it. Two copies of a
    story say the same value in the same words; two instances of a template (this week's and last week's crop
    report) say different values in the same words. Contexts keep letters only, so that a preceding number,
    punctuation or a lost space does not change them; the words after a value tell "more than 1,000 people" from
    "more than 20 countries" in one story.
    """
    return slots_of_folded(fold_text(text), context, right)


def slots_of_folded(folded: str, context: int, right: int = 3) -> list[int]:
    """`value_slots` of the text whose `fold_text` is `folded`."""
    if folded.isascii():
        return _ascii_slots(folded.encode(), context, right)
    parts = _NUMBER.split(folded)  # [text, number, text, number, ..., text]
    slots: set[int] = set()
    letters = ""
    window = 4 * context
    for k in range(0, len(parts) - 1, 2):
        before = parts[k]
        month = None
        end = before[-12:]
        # the regex only when a match is possible: a month's last three letters, then "." and spaces
        if end.rstrip().rstrip(".")[-3:] in _MONTH_ENDINGS:
            month = _MONTH_BEFORE.search(end)
            if month:  # "due april 16": context "...due", value "16"; an OCR-garbled month must not change either
                before = before[: len(before) - len(month.group(0))]
        tail = _letters(before[-window:])
        letters = (tail if len(before) > window else letters + tail)[-context:]
        if len(letters) >= context:
            after = _letters(parts[k + 2][:window])[:right]
            key = f"{letters}|{after}".encode()
            value = parts[k + 1].encode().translate(None, b".,/-")  # ASCII separators: their bytes are theirs
            slots.add(xxhash.xxh32_intdigest(key) << 32 | xxhash.xxh32_intdigest(value))
        if month:  # "due april 16, 1990": the year's context is "...dueapril", not the day's
            letters = (letters + month.group(1))[-context:]
    return sorted(slots)


def _ascii_slots(data: bytes, context: int, right: int) -> list[int]:
    """`slots_of_folded` of ASCII text as bytes: the same steps character for character, each faster on bytes."""
    parts = _split_ascii_numbers(data)
    slots: set[int] = set()
    letters = b""
    window = 4 * context
    for k in range(0, len(parts) - 1, 2):
        before = parts[k]
        month = None
        end = before[-12:]
        if end.rstrip(_ASCII_SPACES_BYTES).rstrip(b".")[-3:] in _MONTH_ENDINGS_BYTES:
            month = _MONTH_BEFORE.search(end.decode())  # the str pattern: its \s is the one value_slots uses
            if month:
                before = before[: len(before) - len(month.group(0))]
        tail = before[-window:].translate(None, _ASCII_NOT_LETTERS_BYTES)
        letters = (tail if len(before) > window else letters + tail)[-context:]
        if len(letters) >= context:
            after = parts[k + 2][:window].translate(None, _ASCII_NOT_LETTERS_BYTES)[:right]
            value = parts[k + 1].translate(None, b".,/-")
            slots.add(xxhash.xxh32_intdigest(letters + b"|" + after) << 32 | xxhash.xxh32_intdigest(value))
        if month:
            letters = (letters + month.group(1).encode())[-context:]
    return sorted(slots)


def _split_ascii_numbers(data: bytes) -> list[bytes]:
    """`_NUMBER.split` of ASCII text, twice as fast: memchr finds each number's first digit, the regex its end.

    Numbers are sparse (one in 200 characters of news text), and the regex needs a few nanoseconds a character to
    look for the next one; bytes.find runs at memory speed on the digits mapped to "0".
    """
    digits = data.translate(_DIGITS_AS_ZERO)
    parts: list[bytes] = []
    end = 0
    start = digits.find(b"0")
    while start >= 0:
        parts.append(data[end:start])
        end = _ASCII_NUMBER_BYTES.match(data, start).end()  # type: ignore[union-attr]  # a digit starts a match
        parts.append(data[start:end])
        start = digits.find(b"0", end)
    parts.append(data[end:])
    return parts


def slot_conflicts(slots_a: Iterable[int], slots_b: Iterable[int]) -> tuple[int, int]:
    """(agreeing, conflicting) slots: contexts both documents have, with a common value or with none in common."""
    set_a, set_b = set(slots_a), set(slots_b)
    shared = {s >> 32 for s in set_a} & {s >> 32 for s in set_b}
    if not shared:
        return 0, 0
    agreeing = len({s >> 32 for s in set_a & set_b})
    return agreeing, len(shared) - agreeing
