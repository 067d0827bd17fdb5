"""Real pages (fixtures/aeb, MIT): real sentences come out, the inline promos around them do not."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

import pytest

from cleaner import clean_html
from cleaner.models import Article

AEB = Path(__file__).resolve().parent.parent / "fixtures" / "aeb"
URLS: dict[str, dict[str, str]] = json.loads((AEB / "urls.json").read_text(encoding="utf-8"))


@cache
def article(prefix: str) -> Article:
    (page_id,) = [page_id for page_id in URLS if page_id.startswith(prefix)]
    html = gzip.decompress((AEB / f"{page_id}.html.gz").read_bytes())
    return clean_html(html, url=URLS[page_id]["url"])


# (page, lines that must be in the text, promo lines that must not be, rule expected for the promos)
CASES = [
    (
        "3c5bf8db",
        [
            "TNG50 is the latest simulation created by the IllustrisTNG Project",
            "Despite these initial findings, the team is far from finished dissecting their model.",
        ],
        [
            "Related: From Big Bang to Present: Snapshots of Our Universe Through Time",
            "Related: The 15 Weirdest Galaxies in Our Universe",
        ],
    ),
    (
        "7dfc3e35",
        [
            "James Van Der Beek has been eliminated from “Dancing with the Stars.”",
            "“Can I give it to James?” Brooke tearfully asked before apologizing to the actor.",
        ],
        [
            "SEAN SPICER ELIMINATED FROM 'DANCING WITH THE STARS'",
            "LAUREN ALAINA SAYS 'DWTS' HAS HELPED HER LOSE 25 POUNDS",
            "CLICK HERE TO GET THE FOX NEWS APP",
        ],
    ),
    (
        "8b194530",
        [
            "A HUNTER who killed and ate a wild rabbit in China has been hit by the deadly bubonic plague.",
            "Nowadays, plague is easily treated with antibiotics.",
        ],
        ["Most read in world news"],
    ),
    (
        "ad826691",
        [
            "Amazon discounts MacBook models from $700",
            "Rakuten offers the latest Apple AirPods with wireless charging case for $150.",
        ],
        [
            "Subscribe to the 9to5Toys YouTube Channel for all of the latest videos, reviews, and more!",
            "Ecoflow River 370 Review: Charge up to 9 devices with this power station [Video]",
        ],
    ),
]


@pytest.mark.parametrize(("prefix", "must", "must_not"), CASES, ids=[case[0] for case in CASES])
def test_real_page_keeps_content_and_drops_promos(prefix: str, must: list[str], must_not: list[str]) -> None:
    result = article(prefix)
    for sentence in must:
        assert sentence in result.text, sentence
    lines = set(result.text.split("\n"))
    removed = {removal.text for removal in result.removed}
    for promo in must_not:
        assert promo not in lines, promo
        assert promo in removed, f"{promo!r} should be recorded in `removed`"


@pytest.mark.parametrize("prefix", [case[0] for case in CASES])
def test_every_removal_names_its_rule_and_reason(prefix: str) -> None:
    for removal in article(prefix).removed:
        assert removal.rule.split(".")[0] in {"text", "structure", "template"}
        assert removal.reason


def test_real_page_metadata() -> None:
    result = article("7dfc3e35")
    assert result.title is not None and result.title.startswith("James Van Der Beek eliminated")
    assert result.language == "en"
    assert result.url == URLS[next(k for k in URLS if k.startswith("7dfc3e35"))]["url"]
    assert result.site  # og:site_name or the host
    # the headline is metadata, not a body line
    assert result.text.split("\n")[0] != result.title
