"""cleaner: turn scraped news HTML into a clean, deduplicated corpus.

Library use, as one step of a larger pipeline::

    from cleaner import Deduplicator, clean_html

    article = clean_html(html, url="https://example.com/story")   # text, metadata, removed clutter
    deduplicator = Deduplicator()
    deduplicator.add(article)
    clusters = deduplicator.clusters()                             # one Cluster per news event
"""

from __future__ import annotations

from cleaner.api import clean_html, clean_records, iter_outcomes, run, run_dedup, run_extract
from cleaner.clutter import find_clutter_lines, strip_site_templates
from cleaner.clutter.config import ClutterConfig
from cleaner.config import Config, ExtractConfig, RunConfig, load_config
from cleaner.dedup import Deduplicator, detect_origin
from cleaner.dedup.config import DedupConfig
from cleaner.engines.local import iter_text_records
from cleaner.errors import CleanerError, ConfigError, ExtractionError, IndexMismatchError, InputError, OutputError
from cleaner.extract.core import extract_article
from cleaner.io.readers import iter_documents
from cleaner.models import Article, Cluster, Member, Outcome, RawDocument, Removal, RunReport
from cleaner.outputs.records import ManifestEntry

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
    "OutputError",
    "RawDocument",
    "Removal",
    "RunConfig",
    "RunReport",
    "clean_html",
    "clean_records",
    "detect_origin",
    "extract_article",
    "find_clutter_lines",
    "iter_documents",
    "iter_outcomes",
    "iter_text_records",
    "load_config",
    "run",
    "run_dedup",
    "run_extract",
    "strip_site_templates",
]
