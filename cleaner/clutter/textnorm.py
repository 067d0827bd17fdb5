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
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Case-folded, NFC, Arabic-script and apostrophe variants unified, whitespace collapsed."""
    if text.isascii():  # the common case: nothing to normalise but case and spacing
        return " ".join(text.split()).lower()
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = text.translate(_ARABIC_FOLD)
    text = _DROP.sub("", text)
    return _SPACES.sub(" ", text).strip().casefold()
