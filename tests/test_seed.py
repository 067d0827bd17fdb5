"""The seed article, rendered into every outlet template of the demo corpus, comes out whole and without promos."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from lxml import html as lxml_html

from cleaner import clean_html
from tests.conftest import DEMO, SEED

SEED_LINES = SEED.read_text(encoding="utf-8").strip().splitlines()
PROMOS = [line for line in SEED_LINES if line.startswith("Also Read:")]
CONTENT = [line for line in SEED_LINES if not line.startswith("Also Read:")]


def seed_pages(expected: dict[str, Any]) -> list[str]:
    return sorted(path for path, entry in expected.items() if entry["story"] == "seed")


def _body_container(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    # the article body is the parent of the page's longest paragraph
    longest = max(tree.iter("p"), key=lambda p: len(p.text_content()))
    return longest.getparent()


def _paragraph(template: lxml_html.HtmlElement, text: str) -> lxml_html.HtmlElement:
    paragraph = copy.deepcopy(template)
    paragraph.clear()
    paragraph.attrib.update(template.attrib)
    paragraph.text = text
    return paragraph


def _promo(line: str) -> lxml_html.HtmlElement:
    label, _, headline = line.partition(":")
    slug = "-".join(headline.lower().split())[:60]
    return lxml_html.fragment_fromstring(
        f'<p><strong>{label}:</strong> <a href="/news/{slug}">{headline.strip()}</a></p>'
    )


def render_seed(page: bytes) -> bytes:
    """Put the seed's ten lines into this outlet's article body, in place of its own paragraphs."""
    tree = lxml_html.document_fromstring(page)
    body = _body_container(tree)
    paragraphs = [child for child in body if child.tag == "p"]
    template, position = paragraphs[0], body.index(paragraphs[0])
    for paragraph in paragraphs:
        body.remove(paragraph)
    for offset, line in enumerate(SEED_LINES):
        node = _promo(line) if line in PROMOS else _paragraph(template, line)
        body.insert(position + offset, node)
    return lxml_html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")


def test_seed_has_two_promos_and_eight_paragraphs() -> None:
    assert len(PROMOS) == 2 and len(CONTENT) == 8


def test_every_outlet_carries_the_seed(demo_expected: dict[str, Any]) -> None:
    assert len(seed_pages(demo_expected)) >= 6


@pytest.mark.parametrize("page", seed_pages(__import__("json").loads((DEMO / "expected.json").read_text())))
def test_seed_in_outlet_template(page: str) -> None:
    rendered = render_seed((DEMO / page).read_bytes())
    article = clean_html(rendered, url=f"https://outlet.example/{page}")
    lines = article.text.splitlines()
    for paragraph in CONTENT:
        assert paragraph in lines, f"{page}: lost or altered paragraph: {paragraph[:60]}"
    for promo in PROMOS:
        assert promo not in article.text and promo.split(": ", 1)[1] not in article.text, f"{page}: kept {promo}"
    assert {r.text for r in article.removed} >= set(PROMOS)


def test_seed_text_as_a_plain_page() -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in SEED_LINES)
    page = f"<html><head><title>Seed</title></head><body><article>{paragraphs}</article></body></html>"
    article = clean_html(page, url="https://seed.example/story")
    assert article.text.splitlines()[-len(CONTENT) :] == CONTENT
