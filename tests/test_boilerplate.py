"""Boilerplate removal from evidence a new site also has: the page's structure and the repetition across a site's
pages (issue 18). Each must-keep case has its must-remove counterpart, so that a test cannot pass by doing nothing."""

from __future__ import annotations

import dataclasses
import unicodedata

import numpy as np
import pytest
from lxml import html as lxml_html

from cleaner.clutter import ClutterConfig, PageStructure, detect_lines, strip_site_templates
from cleaner.clutter.templates import LINE_BLOCKS
from cleaner.config import ExtractConfig
from cleaner.dedup import DedupConfig, Deduplicator
from cleaner.dedup.shingles import group_frequent, shingle_sets
from cleaner.errors import ExtractionError
from cleaner.extract.core import extract_article
from cleaner.models import Article, RawDocument

DEFAULT = ClutterConfig()
SITE = "https://ledger.example"
STORIES = [
    [
        "The port authority raised berth fees by four percent on Tuesday, its first increase since 2019.",
        "Fishing crews said the change would cost them about a week of earnings over the coming season.",
    ],
    [
        "Night pilotage will be extended to the outer anchorage from March, the harbour master announced.",
        "Two extra pilots are being trained, and the tug company has agreed to keep a crew on standby.",
    ],
    [
        "Dredging of the north channel starts next month after tests found silt had cut its depth by a metre.",
        "Ferries will use the southern approach while the work goes on, adding ten minutes to each crossing.",
    ],
    [
        "The old ferry ramp at Pier Four closes for good on Friday, ending a service that began in 1958.",
        "Residents plan a farewell gathering at the ramp, and the council will put up a plaque next year.",
    ],
    [
        "Two new container cranes arrived from Rotterdam on a heavy-lift ship late on Sunday evening.",
        "Dock workers expect the cranes to double the number of boxes handled each shift by the summer.",
    ],
    [
        "Inspectors found invasive mussels in ballast water from three freighters during checks last week.",
        "Owners now face fines unless their vessels treat the water before they enter the inner basin.",
    ],
    [
        "Widening the fishing quay will give the harbour's thirty trawlers room to unload side by side.",
        "The fishermen's association welcomed the plan but asked for the work to avoid the herring run.",
    ],
    [
        "The customs shed moves to the east gate in April, freeing the waterfront for a public market.",
        "Importers were told to expect short delays while officers settle into the new building.",
    ],
]
# the site's related-stories block: longer than any of its short stories, on every page
RELATED = [
    f"{name} explained: what the new rules mean for the small boat owners who use the harbour every week"
    for name in ("Berth permits", "Pilot fees", "Night moorings", "Winter storage", "Slipway bookings", "Fuel docks")
]


def page(story: list[str], url: str, *, body_class: str = "story-body", related: bool = True) -> bytes:
    cards = "".join(f"<div class='card'><p>{line}</p></div>" for line in RELATED) if related else ""
    paragraphs = "".join(f"<p>{line}</p>" for line in story)
    return (
        f"<html><head><title>Harbour news | Ledger</title><link rel='canonical' href='{url}'></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/port/'>Port</a></nav></header><main><article>"
        f"<div class='{body_class}'>{paragraphs}</div><section class='more'>{cards}</section></article></main>"
        "<footer><p>© Ledger</p></footer></body></html>"
    ).encode()


def extract(content: bytes, url: str | None = None, clutter: ClutterConfig = DEFAULT) -> Article:
    doc = RawDocument(id=url or "page", source=url or "page.html", content=content, url=url)
    return extract_article(doc, ExtractConfig(), clutter)


# ---------------------------------------------------------------------------------------------- page structure


def lines_removed(lines: list[str], body: str) -> dict[str, str]:
    tree = lxml_html.document_fromstring(f"<html><body><main>{body}</main></body></html>")
    structure = PageStructure.from_tree(tree, f"{SITE}/port/2026/02/11/harbour-rules")
    return {lines[span.line]: span.rule for span in detect_lines(lines, DEFAULT, structure)}


@pytest.mark.parametrize("classes", ["teaser", "cta", "widget", "recommendation", "above-cta article-teaser"])
def test_promo_class_names_on_the_article_body_do_not_delete_it(classes: str) -> None:
    """Some CMSs put teaser/cta/widget classes on the element holding the story; beside it, a box of short lines
    outnumbers the story's paragraphs, so only the body's own shape (its densest paragraph cluster) can tell."""
    story = [line for pair in STORIES[:2] for line in pair]
    box = [f"Harbour office hours for the {day} shift" for day in ("early", "late", "night", "weekend", "holiday")]
    body = (
        f"<div class='{classes}'>{''.join(f'<p>{line}</p>' for line in story)}</div>"
        f"<div class='newsletter-signup'>{''.join(f'<p>{line}</p>' for line in box)}</div>"
    )
    assert set(lines_removed([*story, *box], body)) == set(box)


def test_a_two_paragraph_story_in_a_promo_class_is_kept() -> None:
    """Too few lines to place a body root: the container holding all the prose is still the article."""
    story = STORIES[0]
    body = f"<div class='recommendation'>{''.join(f'<p>{line}</p>' for line in story)}</div>"
    assert lines_removed(story, body) == {}
    box = f"<div class='recommendation'><p>{story[0]}</p></div><p>{story[1]}</p><p>{STORIES[1][0]}</p>"
    assert lines_removed([story[0], story[1], STORIES[1][0]], box) == {story[0]: "structure.promo_container"}


@pytest.mark.parametrize("classes", ["cta", "recommendation", "above-cta", "promo-box"])
def test_an_article_wrapped_in_a_promo_class_is_kept_whole(classes: str) -> None:
    """End to end, with a related block beside the story inside the article (trafilatura keeps both; it drops
    some class names itself, `teaser` and `widget` among them, before any rule of ours runs)."""
    story = [line for pair in STORIES[:3] for line in pair]
    article = extract(page(story, f"{SITE}/port/1", body_class=classes), f"{SITE}/port/1")
    assert all(line in article.text.split("\n") for line in story), article.text


@pytest.mark.parametrize("label", ["TRENDING |", "MUST READ |", "Worth a look:", "Più letti |"])
def test_a_short_label_and_a_link_to_another_article_is_a_teaser(label: str) -> None:
    story = STORIES[0] + STORIES[1]
    teaser = f"{label} Harbour master retires after thirty years at the port"
    link = f"<a href='/port/2026/02/09/harbour-master-retires'>{teaser.removeprefix(label).strip()}</a>"
    body = f"<p>{story[0]}</p><p>{story[1]}</p><p><b>{label}</b> {link}</p><p>{story[2]}</p><p>{story[3]}</p>"
    assert set(lines_removed([story[0], story[1], teaser, story[2], story[3]], body)) == {teaser}


def test_a_labelled_link_that_leaves_the_site_or_sits_in_a_list_stays() -> None:
    story = STORIES[0] + STORIES[1]
    cited = "Source: Annual report of the harbour authority 2025"
    outward = (
        "<a href='https://authority.example/reports/annual-report-2025'>Annual report of the harbour authority 2025</a>"
    )
    body = f"<p>{story[0]}</p><p>{story[1]}</p><p>Source: {outward}</p><p>{story[2]}</p><p>{story[3]}</p>"
    assert lines_removed([story[0], story[1], cited, story[2], story[3]], body) == {}
    headline = "Harbour master retires after thirty years at the port"
    listed = f"Earlier: {headline}"
    item = f"<li>Earlier: <a href='/port/2026/02/09/harbour-master-retires'>{headline}</a></li>"
    body = f"<p>{story[0]}</p><p>{story[1]}</p><ul>{item}</ul><p>{story[2]}</p><p>{story[3]}</p>"
    assert lines_removed([story[0], story[1], listed, story[2], story[3]], body) == {}


def _card(slug: str, headline: str, blurb: str) -> str:
    return f"<li><h3><a href='/port/2026/02/{slug}'>{headline}</a></h3><p>{blurb}</p></li>"


CARDS = [
    ("05/pilot-boat", "New pilot boat named", "The harbour's newest pilot boat was named after a retired skipper"),
    ("06/fuel-dock", "Fuel dock reopens", "After a month of repairs the fuel dock takes bookings again from Monday"),
    ("07/ferry-fares", "Ferry fares frozen", "The ferry company will hold its fares at last year's level until autumn"),
    ("08/quay-lights", "Quay lights replaced", "Brighter lamps along the quay are meant to make night unloading safer"),
]


def test_teaser_cards_after_the_story_are_removed_whatever_their_length() -> None:
    """A list after the article, outside its body, whose items each lead with a link to another article of the
    site: headline and blurb run together into one long line, too long for the short-tail test."""
    story = [line for pair in STORIES[:3] for line in pair]
    cards = [f"- {headline} {blurb}" for _, headline, blurb in CARDS]
    body = (
        f"<article>{''.join(f'<p>{line}</p>' for line in story)}</article>"
        f"<aside><ul>{''.join(_card(*card) for card in CARDS)}</ul></aside>"
    )
    removed = lines_removed([*story, *cards], body)
    assert removed == dict.fromkeys(cards, "structure.tail_outside_body")


def test_a_short_list_of_links_after_the_story_stays() -> None:
    """Two linked items are not yet a teaser list: the story's own "see also" may end it."""
    story = [line for pair in STORIES[:3] for line in pair]
    cards = [f"- {headline} {blurb}" for _, headline, blurb in CARDS[:2]]
    body = (
        f"<article>{''.join(f'<p>{line}</p>' for line in story)}</article>"
        f"<aside><ul>{''.join(_card(*card) for card in CARDS[:2])}</ul></aside>"
    )
    assert lines_removed([*story, *cards], body) == {}


# ---------------------------------------------------------------------------------------------- content is sacred


def test_a_short_page_whose_headline_is_stripped_is_not_rejected() -> None:
    headline = "Harbour fees rise for the first time in a decade"
    story = "The port authority raised berth fees by four percent on Tuesday."  # with the headline: over 100 chars
    content = (
        f"<html><head><title>{headline}</title></head><body><article><h1>{headline}</h1>"
        f"<p>{story}</p></article></body></html>"
    ).encode()
    article = extract(content, f"{SITE}/port/2")
    assert article.text == story and article.title == headline
    assert [(r.text, r.rule) for r in article.removed] == [(headline, "structure.headline")]
    with pytest.raises(ExtractionError):  # the same story without its headline is too short to be an article
        extract(content.replace(f"<h1>{headline}</h1>".encode(), b""), f"{SITE}/port/2")


def test_decomposed_umlauts_come_out_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Die Hafenbehörde in Lübeck erhöht die Gebühren für Fähren")
    paragraphs = "".join(f"<p>{decomposed}, sagte ein Sprecher am Dienstag in {n}.</p>" for n in range(3))
    article = extract(f"<html><body><article>{paragraphs}</article></body></html>".encode())
    assert "Hafenbehörde in Lübeck erhöht" in article.text
    assert unicodedata.is_normalized("NFC", article.text) and not unicodedata.is_normalized("NFC", decomposed)


def test_template_lines_stay_on_a_page_they_would_leave_too_short() -> None:
    signature = "Ledger staff reporting from the harbour office, with additional reporting by the night desk"
    stories = [" ".join(STORIES[n]) for n in range(4)]
    articles = [
        Article(id=f"a{n}", source=f"a{n}", url=f"{SITE}/port/{n}", text=f"{signature}\n{story}")
        for n, story in enumerate(stories)
    ]
    short = Article(id="short", source="short", url=f"{SITE}/port/9", text=f"{signature}\nPort closed.")
    result = strip_site_templates([*articles, short], DEFAULT, min_chars=100)
    assert [a.text for a in result[:4]] == stories
    assert result[4].text == short.text and not result[4].removed


# ---------------------------------------------------------------------------------------------- site evidence


def site_articles(clutter: ClutterConfig = DEFAULT) -> list[Article]:
    return [extract(page(story, f"{SITE}/port/{n}"), f"{SITE}/port/{n}", clutter) for n, story in enumerate(STORIES)]


def clusters(articles: list[Article], dedup: DedupConfig) -> list[list[str]]:
    deduplicator = Deduplicator(dedup)
    deduplicator.add_many(articles)
    return sorted(sorted(m.id for m in c.members) for c in deduplicator.clusters())


def test_a_related_block_repeated_on_every_page_is_the_sites_template() -> None:
    articles = site_articles()
    assert all(LINE_BLOCKS in a.metadata for a in articles)  # the block marks the site step reads
    assert all(line in articles[0].text for line in RELATED)  # one page alone cannot tell
    stripped = strip_site_templates(articles, DEFAULT)
    for article, story in zip(stripped, STORIES, strict=True):
        assert article.text.split("\n") == story
        assert LINE_BLOCKS not in article.metadata


def test_short_stories_under_a_big_related_block_stay_apart() -> None:
    """Each page is more related block than story: unless the block is recognised as the site's, every page of
    the site looks like a copy of every other."""
    articles = strip_site_templates(site_articles(), DEFAULT)
    assert clusters(articles, DedupConfig()) == [[a.id] for a in sorted(articles, key=lambda a: a.id)]
    # with neither the site template nor the per-site shingle cut, the block links them
    kept = site_articles(ClutterConfig(families=frozenset({"text", "structure"})))
    no_site_cut = DedupConfig(site_df_fraction=1.0, site_df_floor=1000)
    assert len(clusters(kept, no_site_cut)) < len(kept)


def test_the_per_site_shingle_cut_keeps_a_sites_stories_apart_on_its_own() -> None:
    boiler = "\n".join(RELATED)
    articles = [
        Article(id=f"p{n}", source=f"p{n}", url=f"{SITE}/port/{n}", text=f"{' '.join(story)}\n{boiler}")
        for n, story in enumerate(STORIES)
    ]
    assert len(clusters(articles, DedupConfig())) == len(articles)
    assert len(clusters(articles, DedupConfig(site_df_fraction=1.0, site_df_floor=1000))) < len(articles)
    # the same text on as many different sites is not one site's boilerplate: the corpus cut decides there
    elsewhere = [dataclasses.replace(a, url=f"https://outlet{n}.example/a") for n, a in enumerate(articles)]
    assert len(clusters(elsewhere, DedupConfig())) < len(articles)


def test_group_frequent_counts_documents_per_group() -> None:
    rng = np.random.default_rng(7)
    texts = ["".join(rng.choice(list("abcdefgh"), size=int(rng.integers(20, 60)))) for _ in range(40)]
    groups = rng.integers(-1, 3, size=len(texts))
    sets = shingle_sets(texts, 5)
    cut = group_frequent(sets, groups, 0.4, 3)
    assert cut is not None
    for doc in range(len(texts)):
        if groups[doc] < 0:
            assert not cut[sets.offsets[doc] : sets.offsets[doc + 1]].any()
            continue
        members = [d for d in range(len(texts)) if groups[d] == groups[doc]]
        limit = max(3, 0.4 * len(members))
        for position in range(sets.offsets[doc], sets.offsets[doc + 1]):
            holders = sum(sets.hashes[position] in set(sets.row(d).tolist()) for d in members)
            assert cut[position] == (holders > limit)
