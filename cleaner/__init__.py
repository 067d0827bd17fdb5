"""cleaner: turn scraped news HTML into a clean, deduplicated corpus.

Library use, as one step of a larger pipeline::

    from cleaner import Deduplicator, clean_html

    article = clean_html(html, url="https://example.com/story")   # text, metadata, removed clutter
    deduplicator = Deduplicator()
    deduplicator.add(article)
    clusters = deduplicator.clusters()                             # one Cluster per news event
"""

from __future__ import annotations

from cleaner.clutter import find_clutter_lines, strip_site_templates
from cleaner.clutter.config import ClutterConfig
from cleaner.config import Config, ExtractConfig, RunConfig, load_config
from cleaner.dedup import Deduplicator, detect_origin
from cleaner.dedup.config import DedupConfig
from cleaner.errors import CleanerError, ConfigError, ExtractionError, IndexMismatchError, InputError
from cleaner.extract import clean_html, extract_article
from cleaner.models import Article, Cluster, ManifestEntry, Member, RawDocument, Removal, RunReport
from cleaner.pipeline import Outcome, dedup, extract, iter_outcomes, iter_text_records, run
from cleaner.readers import iter_documents

__all__ = [
    "Article",
    "CleanerError",
    "Cluster",
    "ClutterConfig",
    "Config",
    "ConfigError",
    "DedupConfig",
    "Deduplicator",
    "ExtractConfig",
    "ExtractionError",
    "IndexMismatchError",
    "InputError",
    "ManifestEntry",
    "Member",
    "Outcome",
    "RawDocument",
    "Removal",
    "RunConfig",
    "RunReport",
    "clean_html",
    "dedup",
    "detect_origin",
    "extract",
    "extract_article",
    "find_clutter_lines",
    "iter_documents",
    "iter_outcomes",
    "iter_text_records",
    "load_config",
    "run",
    "strip_site_templates",
]
