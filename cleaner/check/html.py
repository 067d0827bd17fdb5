"""Saved HTML pages are checked as the article text `cleaner extract` would produce from them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cleaner.check.config import CheckSettings
from cleaner.extract.core import extract_article
from cleaner.models import RawDocument


def extract_text(path: Path, data: bytes, settings: CheckSettings) -> str:
    """The extracted, clutter-stripped body (raises ExtractionError); short bodies are kept for CLN202 to judge."""
    extract = replace(settings.config.extract, min_text_chars=0)
    doc = RawDocument(id=path.as_posix(), source=path.as_posix(), content=data)
    return extract_article(doc, extract, settings.config.clutter).text
