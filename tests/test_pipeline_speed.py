"""The pipeline's speed shortcuts change nothing but speed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import trafilatura.external

from cleaner import clean_html
from cleaner.config import Config, RunConfig
from cleaner.engines.local import iter_outcomes

# the module, not the `cleaner.extract.core` function that the package exports under the same name
extract = importlib.import_module("cleaner.extract.core")


def test_the_invalid_character_prefilter_knows_every_character_the_regex_removes() -> None:
    removed = {
        chr(code)
        for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF and extract._INVALID_XML_CHARS.match(chr(code))
    }
    assert removed == set(extract._INVALID_XML_CHAR_LIST)


@pytest.mark.parametrize("page", ["<p>clean &#65; text</p>", "<p>a\x00b\x0bc\ufffed&#1;e</p>", "<p>\x1f</p>"])
def test_repair_is_the_plain_regex_pass(page: str) -> None:
    expected = extract._CHAR_REFERENCE.sub(extract._xml_safe_reference, extract._INVALID_XML_CHARS.sub("", page))
    assert extract._repair(page) == expected


def test_the_canary_page_reaches_trafilaturas_last_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """It must build justext's stoplists (half a second otherwise paid by each worker on its first such page)."""
    monkeypatch.setattr(trafilatura.external, "JT_STOPLIST", None)
    article = clean_html(extract._CANARY_PAGE, "https://abc.example/news/1")
    assert trafilatura.external.JT_STOPLIST  # set by the justext retry
    assert "Also Read" not in article.text  # and our clutter rules ran on it


def test_one_worker_and_two_workers_give_the_same_outcomes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for index in range(5):
        body = "".join(f"<p>Paragraph {n} of story {index}: the council met again on the budget.</p>" for n in range(6))
        (folder / f"page-{index}.html").write_text(f"<html><body><article>{body}</article></body></html>")
    (folder / "empty.html").write_text("")
    runs = [
        [(o.id, o.reason, o.article.text if o.article else None) for o in iter_outcomes([folder], config)]
        for config in (Config(run=RunConfig(jobs=1)), Config(run=RunConfig(jobs=2)))
    ]
    assert runs[0] == runs[1]
    assert sum(text is not None for _, _, text in runs[0]) == 5
