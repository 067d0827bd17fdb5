"""Folding applied to lines and patterns alike before text rules match, so spelling variants meet.

Why: the same promo lead-in reaches us in several encodings of one word. Arabic-script sites mix Arabic and Persian
code points for ya/kaf/heh and add optional diacritics (اقرأ أيضاً / اقرا ايضا); Devanagari nukta letters come
precomposed or decomposed (पढ़ें); Turkish dotted capital I lowercases to i + combining dot in Python; typographic
apostrophes (DON’T) and non-breaking spaces are everywhere.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_FOLD = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ہ": "ه",
        "ھ": "ه",
        "ة": "ه",
        "ۃ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ۓ": "ے",
        "İ": "i",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "\u00a0": " ",
    }
)
_DROP = re.compile("[\u064b-\u0652\u0640\u0670\u200c\u200d\u200e\u200f]")  # tashkeel, tatweel, ZW(N)J, marks
# str.translate looks every character up in the table (slow on long non-ASCII lines); the few that need folding are
# found by one C-level scan instead
_FOLD_TABLE = {chr(code): value for code, value in _ARABIC_FOLD.items()}
_TO_FOLD = re.compile("[" + "".join(re.escape(char) for char in _FOLD_TABLE) + "]")


def _fold_char(match: re.Match[str]) -> str:
    return _FOLD_TABLE[match.group()]


def fold(text: str) -> str:
    """Case-folded, NFC, Arabic-script and apostrophe variants unified, whitespace collapsed."""
    if text.isascii():  # the common case: nothing to normalise but case and spacing
        return " ".join(text.split()).lower()
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _TO_FOLD.sub(_fold_char, text)
    text = _DROP.sub("", text)
    return " ".join(text.split()).casefold()  # str.split and re's \s agree on what is whitespace
