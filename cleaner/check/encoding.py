"""Broken-encoding detectors for text that is already a str: mojibake, replacement and control characters.

Mojibake here is UTF-8 bytes decoded as cp1252 (or latin-1): every non-ASCII character turns into a lead character
(Â..ô) followed by continuation characters (the cp1252/latin-1 readings of bytes 0x80-0xBF), e.g. "é" -> "Ã©",
"’" -> "â€™". A run is reported only if re-encoding it gives valid UTF-8, and only in the shapes that real text
almost never contains, so "PERÚ”" or "Straße“" (an accented capital before a curly quote) stay clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# cp1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined; latin-1 readers turn them into C1 controls.
_BYTE_OF: dict[str, int] = {}
for _byte in range(0x80, 0x100):
    try:
        _BYTE_OF[bytes([_byte]).decode("cp1252")] = _byte
    except UnicodeDecodeError:
        _BYTE_OF[chr(_byte)] = _byte
for _byte in range(0x80, 0xA0):  # a latin-1 decode gives C1 controls for all of 0x80-0x9F
    _BYTE_OF.setdefault(chr(_byte), _byte)

_CONT = "".join(re.escape(ch) for ch, byte in _BYTE_OF.items() if 0x80 <= byte <= 0xBF)
_CONT_SYMBOL = "".join(re.escape(ch) for ch, byte in _BYTE_OF.items() if 0xA0 <= byte <= 0xBF)
_LEAD2_LATIN1 = "\u00c2\u00c3"  # Â Ã: the leads of U+0080-U+00FF, by far the most frequent mojibake
_LEAD2_OTHER = "\u00c4-\u00df"  # Ä..ß: leads of Latin Extended, Greek, Cyrillic, Hebrew, Arabic
_LEAD3 = "\u00e0-\u00ef"  # à..ï
_LEAD4 = "\u00f0-\u00f4"  # ð..ô

# Shapes, strictest evidence first. Two-byte sequences after Ä..ß count only with a latin-1 symbol as continuation
# (Ð¿ = п, Ø§ = ا): an accented capital followed by a curly quote or dash (0x80-0x9F) is ordinary text.
_MOJIBAKE = re.compile(
    rf"[{_LEAD4}][{_CONT}]{{3}}|[{_LEAD3}][{_CONT}]{{2}}|[{_LEAD2_LATIN1}][{_CONT}]|[{_LEAD2_OTHER}][{_CONT_SYMBOL}]"
)
# Thaana and NKo (U+0780-U+07FF) are what "Þ"/"ß" + symbol would decode to: far likelier to be real text.
_IMPLAUSIBLE = re.compile("[\u0780-\u07ff]")
REPLACEMENT = "\ufffd"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Mojibake:
    count: int
    sample: str  # the first broken sequence as it appears
    repaired: str  # what it was meant to be
    offset: int  # where the first sequence starts


def _repair(sequence: str) -> str | None:
    try:
        data = bytes(_BYTE_OF[ch] for ch in sequence)
        text = data.decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None
    return None if _IMPLAUSIBLE.search(text) else text


def find_mojibake(text: str) -> Mojibake | None:
    """Count sequences that are UTF-8 read as cp1252/latin-1; None when there are none."""
    count, first = 0, None
    for match in _MOJIBAKE.finditer(text):
        repaired = _repair(match.group())
        if repaired is None:
            continue
        count += 1
        if first is None:
            first = Mojibake(0, match.group(), repaired, match.start())
    if first is None:
        return None
    return Mojibake(count, first.sample, first.repaired, first.offset)


def find_replacement(text: str) -> tuple[int, int]:
    """How many U+FFFD there are and where the first one is (-1: none)."""
    return text.count(REPLACEMENT), text.find(REPLACEMENT)


def find_controls(text: str) -> tuple[list[str], int]:
    """Control characters other than tab, newline and carriage return (C0, DEL and C1), and the first's offset."""
    found = CONTROL.search(text)
    return CONTROL.findall(text), found.start() if found else -1
