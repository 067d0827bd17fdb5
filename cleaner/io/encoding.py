"""Bytes -> str for scraped HTML, without ever returning mojibake silently.

Order of evidence: byte-order mark > HTTP header charset > `<meta charset>` / http-equiv > strict UTF-8 >
charset_normalizer. Declarations are checked against the bytes: scraped pages often declare latin-1/cp1252 while the
bytes are UTF-8 (a CMS template that was never updated), and a strict decode under a wrong single-byte declaration
would "succeed" with mojibake, so valid multibyte UTF-8 wins over a single-byte declaration.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib

from cleaner.errors import ExtractionError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16-LE: its BOM starts with the UTF-16-LE BOM
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# The HTML spec prescans 1024 bytes for <meta charset>; real pages put it later behind inline scripts, so look further.
_PRESCAN_BYTES = 16_384
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)

# WHATWG Encoding Standard: browsers decode these labels as windows-1252, and so must we to match what readers saw.
_WHATWG_ALIASES = {"latin_1": "cp1252", "iso8859_1": "cp1252", "ascii": "cp1252", "iso8859_9": "cp1254"}

# Binary formats that sometimes hide under .html names in scrapes.
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x00\x00\x01\x00", b"RIFF", b"OggS")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_MAX_CONTROL_SHARE = 0.02  # text HTML has essentially none; binary data has ~10%
_MAX_BAD_CHAR_SHARE = 0.002  # U+FFFD / C1 controls tolerated in a decode before we call it mojibake
_BAD_CHARS = re.compile("[\ufffd\x80-\x9f]")
_MAX_DECOMPRESSED = 64_000_000


def decode_html(data: bytes, http_charset: str | None = None) -> str:
    """Decode scraped HTML bytes to str, or raise ExtractionError("not html" | "undecodable", detail); a page saved
    double-encoded (UTF-8 read as cp1252 and written again as UTF-8) comes back repaired (see repair_mojibake)."""
    data = _maybe_decompress(data)
    text = _decode(data, http_charset)
    # Repaired here, while the page still holds what extraction later drops: the no-break space after an "Â", the
    # C1 control bytes inside "â\x80\x99". The byte test keeps the regex off the pages that cannot need it.
    return repair_mojibake(text) if _DOUBLE_ENCODED_BYTES.search(data) else text


def _decode(data: bytes, http_charset: str | None) -> str:
    bom = _bom_encoding(data)
    if bom is not None:
        text = _try_decode(data[len(codecs.BOM_UTF8) if bom == "utf-8" else 0 :], bom)
        if text is not None:
            return text.lstrip("\ufeff")
    http = _normalise(http_charset)
    if http is not None and http.startswith(("utf_16", "utf_32")):  # NUL-rich by design: decode before the binary test
        text = _try_decode(data, http)
        if text is not None:
            return text
    _reject_binary(data)
    for declared in (http, _normalise(_meta_charset(data))):
        if declared is None:
            continue
        text = _decode_declared(data, declared)
        if text is not None:
            return text
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text
    return _detect(data)


def _maybe_decompress(data: bytes) -> bytes:
    """A gzip/zlib body stored without its Content-Encoding header: inflate it instead of rejecting it."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, _MAX_DECOMPRESSED)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise ExtractionError("not html", f"gzip data that does not inflate ({exc})") from exc
    if inflater.unconsumed_tail:
        raise ExtractionError("too large", f"gzip body inflates beyond {_MAX_DECOMPRESSED} bytes")
    if not inflater.eof:
        raise ExtractionError("not html", "truncated gzip stream")
    return out


def _bom_encoding(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _reject_binary(data: bytes) -> None:
    head = data[:8192]
    if head.startswith(_BINARY_MAGIC):
        raise ExtractionError("not html", f"binary file signature {head[:4]!r}")
    if head.count(b"\x00") > len(head) // 100:
        raise ExtractionError("not html", "NUL bytes: binary data or UTF-16 without a byte-order mark")
    if len(_CONTROL_BYTES.findall(head)) > _MAX_CONTROL_SHARE * max(len(head), 1):
        raise ExtractionError("not html", "control bytes: binary data")


def _meta_charset(data: bytes) -> str | None:
    head = data[:_PRESCAN_BYTES]
    if b"harset" not in head and b"HARSET" not in head:  # cheap test before the regex
        return None
    match = _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _normalise(label: str | None) -> str | None:
    """Codec name for a charset label, with the WHATWG aliases; None for unknown labels."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    return _WHATWG_ALIASES.get(name, name)


def _is_utf8(name: str) -> bool:
    return name in ("utf_8", "utf_8_sig", "utf-8")


def _single_byte(name: str) -> bool:
    try:
        return codecs.lookup(name).name.replace("-", "_").startswith(("cp", "iso8859", "latin", "mac", "koi8", "tis"))
    except LookupError:
        return False


def _cp1252_for_invalid_utf8(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):  # registered for decoding only
        raise error
    # a byte that is not UTF-8 in a page declared UTF-8 is, in practice, a Windows-1252 leftover (a pasted
    # paragraph, a whole legacy page behind a new template): decode that byte so, keep the valid UTF-8 around it
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", "replace"), error.end


codecs.register_error("cleaner-cp1252", _cp1252_for_invalid_utf8)


def _decode_declared(data: bytes, declared: str) -> str | None:
    if _is_utf8(declared):
        text = _try_decode(data, "utf-8")
        return text if text is not None else _try_decode(data, "utf-8", "cleaner-cp1252")
    if _single_byte(declared) and not data.isascii():
        utf8 = _try_decode(data, "utf-8")
        if utf8 is not None:  # valid multibyte UTF-8 under a single-byte label: the label is stale
            return utf8
    if declared.startswith("utf_16") or declared.startswith("utf_32"):
        return None  # a UTF-16 label in an ASCII-readable page is always wrong (the meta tag was readable)
    return _try_decode(data, declared)


def _try_decode(data: bytes, encoding: str, errors: str = "strict") -> str | None:
    try:
        text = data.decode(encoding, errors)
    except (UnicodeDecodeError, LookupError):
        return None
    if encoding in ("utf-8", "utf_8") or data.isascii():
        return text  # strict UTF-8 cannot be a wrong guess; double-encoding is repaired on the article text
    return text if _plausible(text) else None


def _plausible(text: str) -> bool:
    """Few replacement characters and C1 controls: what a right decode of real text looks like."""
    sample = text[:200_000]
    return len(_BAD_CHARS.findall(sample)) <= _MAX_BAD_CHAR_SHARE * max(len(sample), 1)


# UTF-8 bytes that were decoded as latin-1/cp1252 and re-encoded as UTF-8 before the page was saved ("â€™" for "’",
# "Ã©" for "é"): a lead byte U+00C2-U+00F4 followed by as many continuation bytes as it announces, shown as
# U+0080-U+00BF or as their cp1252 glyphs. The same characters are also real text ("NESCAFÉ®", "‘ß’", "Rosa × ...",
# French "été »" with its no-break space), so a match is reverted only when what it decodes to is plausible alone
# (see _plausible_alone), or when it is one of a run of at least two back-to-back matches (a double-encoded word of
# Cyrillic, Greek, Hebrew, Arabic, an Indic script or CJK), which real text does not produce.
_CP1252_GLYPHS = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_CONTINUATION = f"[\u0080-\u00bf{_CP1252_GLYPHS}]"
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df]{_CONTINUATION}|[\u00e0-\u00ef]{_CONTINUATION}{{2}}|[\u00f0-\u00f4]{_CONTINUATION}{{3}}"
)
# The same in a UTF-8 page's bytes: a lead shown as U+00C2-U+00F4 (C3 82-C3 B4), then a continuation shown as
# U+0080-U+00BF (C2 80-C2 BF) or as a cp1252 glyph (C5 xx, C6 92, CB xx, E2 xx xx).
_DOUBLE_ENCODED_BYTES = re.compile(rb"\xc3[\x82-\xb4](?:\xc2[\x80-\xbf]|[\xc5\xc6\xcb\xe2])")
# What a double-encoded lead byte looks like: "Â"/"Ã" (U+0080-U+00FF), "Ä".."ß" (Latin Extended, Greek, Cyrillic,
# Hebrew, Arabic), "à"/"á"/"â" (three-byte characters: Devanagari, CJK, curly quotes). Substring tests are C-fast;
# the regex only runs on texts that have one.
_MOJIBAKE_LEADS = tuple("ÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóô")
_GLYPH_BYTE = {glyph: glyph.encode("cp1252")[0] for glyph in _CP1252_GLYPHS}


def repair_mojibake(text: str) -> str:
    """Revert UTF-8 that was decoded as latin-1/cp1252 and saved again ("donâ€™t" -> "don’t"), leaving real text
    that merely looks like it alone (see _MOJIBAKE)."""
    if text.isascii() or not any(lead in text for lead in _MOJIBAKE_LEADS):
        return text
    matches = list(_MOJIBAKE.finditer(text))
    if not matches:
        return text
    decoded = [_utf8(match.group(0)) for match in matches]
    pieces: list[str] = []
    done = 0
    for index, (match, char) in enumerate(zip(matches, decoded, strict=True)):
        in_run = (index > 0 and matches[index - 1].end() == match.start() and decoded[index - 1] is not None) or (
            index + 1 < len(matches) and matches[index + 1].start() == match.end() and decoded[index + 1] is not None
        )
        if char is not None and (in_run or _plausible_alone(char)):
            pieces.append(text[done : match.start()])
            pieces.append(char)
            done = match.end()
    pieces.append(text[done:])
    return "".join(pieces)


def _utf8(run: str) -> str | None:
    """What a matched run decodes to as UTF-8, or None."""
    try:
        return bytes(_GLYPH_BYTE.get(char, ord(char)) for char in run).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _plausible_alone(char: str) -> bool:
    """A character a lone double-encoded sequence stands for: Latin-1 ("Ã©", "Â£", "Â" + no-break space), Latin
    Extended-A ("Å‚" in a Polish word), punctuation, currency and letterlike symbols ("â€™", "â‚¬", "â„¢"),
    emoji and other astral characters (a four-byte run)."""
    point = ord(char)
    return 0xA0 <= point <= 0x17F or 0x2000 <= point <= 0x214F or point >= 0x10000


def _detect(data: bytes) -> str:
    from charset_normalizer import from_bytes  # only needed for the rare undeclared non-UTF-8 page

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        text = _try_decode(data, best.encoding)
        if text is not None:
            return text
    raise ExtractionError("undecodable", "no declared or detected charset decodes these bytes cleanly")
