"""extract_article / clean_html: rejections with specific reasons, metadata, structural clutter evidence."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree

from cleaner import clean_html
from cleaner.clutter.config import ClutterConfig
from cleaner.config import Config, ExtractConfig
from cleaner.errors import ExtractionError
from cleaner.extract.core import extract_article
from cleaner.models import RawDocument
from tests.conftest import SEED

SEED_LINES = SEED.read_text(encoding="utf-8").strip().splitlines()
PROMOS = [line for line in SEED_LINES if line.startswith("Also Read:")]
CONTENT = [line for line in SEED_LINES if not line.startswith("Also Read:")]
URL = "https://news.example/world/2026/02/11/iran-missile-programme-red-line"

PROSE = [
    "The city council approved the new budget on Tuesday after a debate that lasted most of the afternoon.",
    "Council members said the plan would fund road repairs, two new libraries and longer hours at public pools.",
    "Related talks with the regional transit authority stalled last month over how to share the costs.",
    "Residents who want to read more about the plan can find the full document at city hall, officials said.",
    "The mayor said she expected the first repairs to begin in the spring, weather permitting, across the city.",
]


def news_page(paragraphs: list[str], extra_body: str = "", head: str = "") -> str:
    body = "".join(paragraphs)
    return (
        "<!DOCTYPE html><html lang='en-GB'><head><title>Council passes budget | City Gazette</title>"
        "<meta property='og:site_name' content='City Gazette'>"
        f"<meta property='article:published_time' content='2026-02-11T09:00:00Z'>{head}</head>"
        "<body><header><nav><a href='/'>Home</a> <a href='/world/'>World</a></nav></header>"
        f"<main><article><h1>Council passes budget</h1><div class='story-body'>{body}</div>{extra_body}</article>"
        "</main><footer><p>© 2026 City Gazette</p></footer></body></html>"
    )


def p(text: str) -> str:
    return f"<p>{text}</p>"


def seed_page() -> str:
    paragraphs = []
    for line in SEED_LINES:
        if line in PROMOS:
            label, _, headline = line.partition(":")
            slug = "-".join(headline.lower().split())[:50]
            paragraphs.append(
                f"<p><strong>{label}:</strong> <a href='/world/2026/02/10/{slug}'>{headline.strip()}</a></p>"
            )
        else:
            paragraphs.append(p(line))
    return news_page(paragraphs)


def test_seed_page_keeps_every_paragraph_and_no_promo() -> None:
    article = clean_html(seed_page(), url=URL)
    lines = article.text.split("\n")
    for paragraph in CONTENT:
        assert paragraph in lines
    assert not any("Also Read" in line for line in lines)
    assert sorted(r.text for r in article.removed if r.rule == "text.read_also") == sorted(PROMOS)


def test_metadata() -> None:
    article = clean_html(news_page([p(text) for text in PROSE]), url=URL)
    assert article.url == URL
    assert article.title == "Council passes budget"
    assert article.site == "City Gazette"
    assert article.language == "en"
    assert article.published == "2026-02-11"
    assert article.source == URL
    assert article.text.split("\n")[0] == PROSE[0]  # the headline is metadata, not a body line


def test_content_sentences_that_look_like_promos_survive() -> None:
    article = clean_html(news_page([p(text) for text in PROSE]), url=URL)
    assert article.text.split("\n") == PROSE
    assert [(r.rule, r.text) for r in article.removed] == [("structure.headline", "Council passes budget")]


def test_clean_html_ids_are_stable() -> None:
    html = news_page([p(text) for text in PROSE])
    assert clean_html(html, url=URL).id == clean_html(html.encode(), url=URL).id
    anonymous = clean_html(html)
    assert anonymous.source == "<string>"
    assert anonymous.id == clean_html(html).id
    assert anonymous.id != clean_html(html + " ").id


def test_promo_box_inside_the_body_is_removed() -> None:
    box = "<div class='story-recirc'><p>The Morning Edition</p><p>Our editors pick the day's stories for you.</p></div>"
    paragraphs = [p(text) for text in PROSE]
    paragraphs.insert(2, box)
    article = clean_html(news_page(paragraphs), url=URL)
    rules = {removal.text: removal.rule for removal in article.removed}
    assert rules["Our editors pick the day's stories for you."] == "structure.promo_container"
    assert article.text.split("\n") == PROSE


def test_mark_only_keeps_text_and_records_removals() -> None:
    config = Config(clutter=ClutterConfig(mark_only=True))
    article = clean_html(seed_page(), url=URL, config=config)
    assert all(promo in article.text for promo in PROMOS)
    assert {r.text for r in article.removed} >= set(PROMOS)
    assert article.metadata["clutter_mark_only"] is True


def test_structure_rules_can_be_disabled() -> None:
    config = Config(clutter=ClutterConfig(disabled_rules=frozenset({"structure.headline"})))
    article = clean_html(news_page([p(text) for text in PROSE]), url=URL, config=config)
    assert article.text.split("\n")[0] == "Council passes budget"
    assert article.removed == []


def test_clutter_disabled_keeps_promos() -> None:
    article = clean_html(seed_page(), url=URL, config=Config(clutter=ClutterConfig(enabled=False)))
    assert all(promo in article.text for promo in PROMOS)
    assert article.removed == []


def doc(content: bytes | None, **changes: object) -> RawDocument:
    return dataclasses.replace(RawDocument(id="d1", source="in/d1.html", content=content, url=URL), **changes)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"   \n\t ", "empty file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not html"),
        (b"just some plain text, no markup at all " * 10, "not html"),
        (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "empty after extraction"),
        (news_page([p("Too short.")]).encode(), "empty after extraction"),
    ],
    ids=["empty", "blank", "png", "plain-text", "no-article", "too-short"],
)
def test_rejections_have_specific_reasons(content: bytes, reason: str) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract_article(doc(content), ExtractConfig(), ClutterConfig())
    assert caught.value.reason == reason


def error_page(main: str) -> bytes:
    menu = "".join(f"<li><a href='/section/{n}'>Section {n}</a></li>" for n in range(25))
    return (
        "<!DOCTYPE html><html><head><title>Oops</title></head><body>"
        f"<header><nav><ul>{menu}</ul></nav></header><main>{main}</main>"
        f"<footer><ul>{menu}</ul><p>© News Example</p></footer></body></html>"
    ).encode()


@pytest.mark.parametrize(
    "main",
    [
        "<h1>404</h1><p>Page not found.</p><p><a href='/'>Go home</a></p>",
        "<h1>Checking your browser before accessing news.example</h1><p>Please wait.</p>",
        "<h1>Sorry, we couldn't find that story</h1><ul>"
        + "".join(f"<li><a href='/story/{n}'>Popular story {n}</a></li>" for n in range(30))
        + "</ul>",
    ],
    ids=["404", "challenge", "soft-404"],
)
def test_error_pages_are_empty_not_their_menus(main: str) -> None:
    """trafilatura falls back to the menus and link lists of a page without an article: they are navigation."""
    with pytest.raises(ExtractionError) as caught:
        extract_article(doc(error_page(main)), ExtractConfig(), ClutterConfig())
    assert caught.value.reason == "empty after extraction"


def test_an_article_behind_a_big_menu_is_kept() -> None:
    article = "".join(p(line) for line in PROSE)
    kept = extract_article(
        doc(error_page(f"<article><h1>Council passes budget</h1>{article}</article>")), ExtractConfig(), ClutterConfig()
    )
    assert kept.text.split("\n") == PROSE


def test_too_large_is_rejected_before_parsing() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract_article(doc(b"<html>" + b"x" * 5000), ExtractConfig(max_html_bytes=1000), ClutterConfig())
    assert caught.value.reason == "too large"


def test_unreadable_document_keeps_its_reader_error() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract_article(doc(None, error="unreadable gzip"), ExtractConfig(), ClutterConfig())
    assert caught.value.reason == "unreadable gzip"


def test_timings_are_accumulated_per_stage() -> None:
    timings: dict[str, float] = {}
    extract_article(doc(seed_page().encode()), ExtractConfig(), ClutterConfig(), timings)
    assert {"decode", "parse", "trafilatura", "structure", "clutter", "metadata"} <= set(timings)
    assert all(seconds >= 0 for seconds in timings.values())


@pytest.mark.parametrize(
    ("html_lang", "text", "expected"),
    [
        ("pt-BR", "The declared language wins over whatever the text looks like, even in English", "pt"),
        (
            "",
            "Der Rat hat den Haushalt am Dienstag beschlossen, und die Mitglieder sagten, dass die Straßen "
            "repariert werden und die Bibliotheken länger geöffnet sind. Das ist nicht für alle gut.",
            "de",
        ),
        ("", "قال مجلس المدينة إنه وافق على الميزانية الجديدة يوم الثلاثاء بعد نقاش طويل بين الأعضاء", "ar"),
        ("", "شہر کی کونسل نے منگل کو نیا بجٹ منظور کر لیا ہے اور ارکان نے کہا کہ سڑکیں ٹھیک ہوں گی", "ur"),
        ("", "नगर परिषद ने मंगलवार को नया बजट पारित कर दिया और सदस्यों ने कहा कि सड़कों की मरम्मत होगी", "hi"),
    ],
)
def test_language_declared_or_guessed(html_lang: str, text: str, expected: str) -> None:
    lang = f" lang='{html_lang}'" if html_lang else ""
    body = "".join(p(f"{text} {n}") for n in range(6))
    html = f"<html{lang}><head><title>x</title></head><body><article>{body}</article></body></html>"
    assert clean_html(html, url=URL).language == expected


def _bare_text(tree: object, extract: ExtractConfig) -> str | None:
    import trafilatura

    page = trafilatura.bare_extraction(
        tree,
        with_metadata=False,
        include_comments=extract.include_comments,
        include_tables=extract.include_tables,
        favor_precision=extract.favor_precision,
        favor_recall=extract.favor_recall,
        fast=extract.fast,
        include_links=False,
        deduplicate=False,
    )
    return None if page is None else page.text


EXTRACT_SETTINGS = [
    ExtractConfig(),
    ExtractConfig(favor_precision=True),
    ExtractConfig(favor_recall=True, include_tables=False),
    ExtractConfig(include_comments=True, fast=True),
]


def test_the_direct_cascade_gives_bare_extractions_text() -> None:
    """The cascade accelerator skips bare_extraction's copy of the tree when it can: same text, our tree unchanged."""
    from cleaner.extract.accel.cascade import cascade_text
    from cleaner.extract.accel.pruning import faster_pruning
    from cleaner.extract.core import parse_html
    from cleaner.io.encoding import decode_html
    from tests.test_metadata import fixture_pages, read_page

    compared = rejected = 0
    for path in fixture_pages():
        html = decode_html(read_page(path), None)
        for extract in EXTRACT_SETTINGS:
            expected = _bare_text(parse_html(html), extract)
            tree = parse_html(html)
            before = etree.tostring(tree)
            with faster_pruning():
                found = cascade_text(tree, None, extract)
            rejected += found is None
            assert found == expected, (path.name, extract)
            assert etree.tostring(tree) == before, (path.name, extract)  # metadata and structure read it after
            compared += 1
    assert compared >= 150 and rejected < compared / 4


def test_a_page_trafilatura_prunes_in_place_keeps_its_structure_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A comment section inside a promo box: trafilatura's raw-tree prune deletes it, so trafilatura must work on a
    copy, or the structural signals (read after it) would lose the container around the line repeated there."""
    import contextlib
    import sys

    from cleaner.extract.accel.cascade import cascade_text
    from cleaner.extract.accel.pruning import faster_pruning, raw_tree_kept
    from cleaner.extract.core import parse_html

    line = "Residents can watch the full meeting online later this week"
    paragraphs = [f"<p>{text}</p>" for text in PROSE + PROSE]
    html = (
        "<html><head><title>Budget vote</title></head><body>"
        f'<div class="promo-box"><div id="comments"><p>{line}</p></div></div>'
        f"<article><h1>Budget vote</h1>{''.join(paragraphs[:5])}<p>{line}</p>{''.join(paragraphs[5:])}</article>"
        "</body></html>"
    )
    tree = parse_html(html)
    with faster_pruning(), raw_tree_kept(tree, comments=False) as kept:
        assert not kept
    with faster_pruning(), raw_tree_kept(tree, comments=True) as kept:
        assert kept  # with comments on, trafilatura does not prune comment sections from the raw tree
    before = etree.tostring(tree)
    with faster_pruning():
        cascade_text(tree, None, ExtractConfig())
    assert etree.tostring(tree) == before

    found = clean_html(html, URL)
    always_copy = contextlib.contextmanager(lambda tree, comments: iter([False]))
    monkeypatch.setattr(sys.modules["cleaner.extract.accel.cascade"], "raw_tree_kept", always_copy)
    assert clean_html(html, URL) == found
    assert line not in found.text
    assert "structure.promo_container" in {r.rule for r in found.removed}
