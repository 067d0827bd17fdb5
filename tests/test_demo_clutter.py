"""The demo corpus's clutter, page by page: every line fixtures/demo/expected.json lists as clutter is gone from the
extracted text and recorded as a removal, and every line it lists as content is kept (documents.jsonl of one run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import read_jsonl

PREFIX = "fixtures/demo/"


@pytest.fixture(scope="module")
def documents(demo_run: Path) -> dict[str, dict[str, Any]]:
    return {doc["source"].removeprefix(PREFIX): doc for doc in read_jsonl(demo_run / "documents.jsonl")}


def extracted_pages(demo_expected: dict[str, Any]) -> list[str]:
    return [path for path, expected in demo_expected.items() if expected["expect"] == "article"]


def test_every_expected_article_is_extracted(demo_expected: dict[str, Any], documents: dict[str, Any]) -> None:
    pages = extracted_pages(demo_expected)
    assert len(pages) == 16  # the corpus README's 16 articles
    for path in pages:
        assert documents[path]["text"], (path, documents[path]["status"], documents[path]["reason"])


def test_clutter_lines_are_removed_and_recorded(demo_expected: dict[str, Any], documents: dict[str, Any]) -> None:
    checked = 0
    for path in extracted_pages(demo_expected):
        doc = documents[path]
        lines = doc["text"].split("\n")
        removed = [removal["text"] for removal in doc["removed"]]
        for clutter in demo_expected[path]["clutter"]:
            assert clutter not in doc["text"], (path, clutter)
            assert clutter not in lines, (path, clutter)
            assert clutter in removed, (path, clutter, removed)
            checked += 1
    assert checked > 0  # the corpus lists clutter: the loop did check something


def test_content_lines_are_kept(demo_expected: dict[str, Any], documents: dict[str, Any]) -> None:
    for path in extracted_pages(demo_expected):
        doc = documents[path]
        removed = {removal["text"] for removal in doc["removed"]}
        for content in demo_expected[path]["must_contain"]:
            assert content in doc["text"], (path, content)
            assert content not in removed, (path, content)
