"""decode_html: BOM > HTTP charset > <meta> > strict UTF-8 > detection; binary data and mojibake never slip through."""

from __future__ import annotations

import codecs
import gzip

import pytest

from cleaner.errors import ExtractionError
from cleaner.io.encoding import decode_html, repair_mojibake

TEXT = "Café crème, naïve façade — “quoted” and €5"


def page(body: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{body}</p></body></html>"


def test_plain_utf8() -> None:
    assert TEXT in decode_html(page(TEXT).encode("utf-8"))


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_byte_order_mark_wins_over_declarations(bom: bytes, codec: str) -> None:
    data = bom + page(TEXT, '<meta charset="iso-8859-1">').encode(codec)
    decoded = decode_html(data, http_charset="windows-1251")
    assert TEXT in decoded
    assert not decoded.startswith("\ufeff")


def test_http_charset_beats_meta() -> None:
    data = page("Привет, мир", '<meta charset="utf-8">').encode("cp1251")
    assert "Привет, мир" in decode_html(data, http_charset="windows-1251")


def test_meta_charset_used_for_legacy_bytes() -> None:
    data = page("Привет, мир", '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">')
    assert "Привет, мир" in decode_html(data.encode("cp1251"))


def test_latin1_label_means_windows_1252() -> None:
    # browsers read iso-8859-1 as windows-1252: 0x93/0x94 are curly quotes, not C1 controls
    data = page("“quoted”", '<meta charset="iso-8859-1">').encode("cp1252")
    assert "“quoted”" in decode_html(data)


def test_wrong_single_byte_declaration_on_utf8_bytes() -> None:
    data = page(TEXT, '<meta charset="iso-8859-1">').encode("utf-8")
    assert TEXT in decode_html(data)
    assert TEXT in decode_html(page(TEXT).encode("utf-8"), http_charset="latin-1")


def test_undeclared_legacy_encoding_is_detected() -> None:
    body = "Ce texte français est encodé en latin-1, sans déclaration. " * 20
    decoded = decode_html(page(body).encode("latin-1"))
    assert "français est encodé" in decoded


def test_gzip_body_without_content_encoding() -> None:
    assert TEXT in decode_html(gzip.compress(page(TEXT).encode("utf-8")))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"%PDF-1.7\n" + bytes(range(256)) * 4,
        bytes(range(256)) * 40,
        b"\x00" * 100 + b"<html>",
    ],
    ids=["png", "pdf", "control-bytes", "nul-bytes"],
)
def test_binary_data_is_not_html(data: bytes) -> None:
    with pytest.raises(ExtractionError) as caught:
        decode_html(data)
    assert caught.value.reason == "not html"


def test_corrupt_gzip_is_not_html() -> None:
    with pytest.raises(ExtractionError) as caught:
        whole = gzip.compress("".join(f"<p>paragraph {n} of {n * 7919 % 104729}</p>" for n in range(2000)).encode())
        decode_html(whole[: len(whole) // 2])
    assert caught.value.reason == "not html"


def test_double_encoded_utf8_is_repaired() -> None:
    mojibake = "don’t café".encode().decode("cp1252")  # what a page saved after a wrong decode shows
    assert mojibake != "don’t café"
    assert repair_mojibake(f"They said {mojibake}.") == "They said don’t café."


def test_repair_leaves_real_text_alone() -> None:
    real = (
        "Ça coûte 5 €, à Zürich.",
        "Ärger über Öl",
        "plain ascii",
        "São Tomé ãõ",
        "NESCAFÉ® Classic",  # an accented capital before a symbol: "É®" would decode to U+026E
        "the ‘K’/‘ß’/‘İ’ masks",  # "ß’" would decode to an NKo letter
        "Rosa\xa0×\xa0acicularis",  # "×" + no-break space would decode to a Hebrew letter
        "Il a été\xa0» dit",  # French quotes: "é" + no-break space + "»" would decode to a CJK character
        "ATENÇÃO: Comentários",
    )
    for text in real:
        assert repair_mojibake(text) == text, text


def test_lone_and_running_double_encodings_are_repaired() -> None:
    for original in ("5\xa0€ café", "the Earth’s “core”", "złoty", "Привет, мир", "नमस्ते", "中文新闻", "ok 😀"):
        mojibake = original.encode().decode("latin-1")  # C1 controls kept, as in the page's bytes
        assert repair_mojibake(mojibake) == original, original


def test_a_double_encoded_page_is_repaired_before_extraction_drops_its_bytes() -> None:
    """Extraction later turns the no-break space after "Â" into a plain space and drops the C1 controls of
    "â\x80\x99": the page's decode is where the whole sequence is still there."""
    page = "<html><body><p>It costs 5\xa0dollars on Earth’s moon, «\xa0here\xa0».</p></body></html>"
    saved = page.encode().decode("latin-1").encode()  # read as latin-1, saved again as UTF-8
    assert decode_html(saved) == page
    assert decode_html(page.encode()) == page
