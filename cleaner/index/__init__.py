"""A persistent index of events, so that today's crawl is deduplicated against everything indexed before, at a cost
that follows the day, not the history.

    store     the files: immutable segments of arrays, generations listing them, CURRENT (the commit point), LOCK
    segment   what a segment holds; arrays: how it is laid out; reader: lookups across a generation's segments
    cut       the frequent-shingle cut, kept exact without recounting the index
    update    one day against the index: its copies found through the stored LSH postings, only the events they
              touch revisited (docs/INDEX.md says which decisions can differ from one run over the union)
    compact   merging segments (size-tiered); core: open, commit; run: a run's outputs with --index
    export    the current events (`cleaner index show`) and what the index holds (`cleaner index stats`)
"""

from cleaner.index.core import add_documents, commit, open_index
from cleaner.index.export import index_stats, iter_events
from cleaner.index.features import Features, document_features
from cleaner.index.reader import IndexReader
from cleaner.index.run import reject_indexed, write_run_with_index
from cleaner.index.store import CURRENT, LOCK, locked
from cleaner.index.update import EventChange, IndexUpdate, update_index

__all__ = [
    "CURRENT",
    "LOCK",
    "EventChange",
    "Features",
    "IndexReader",
    "IndexUpdate",
    "add_documents",
    "commit",
    "document_features",
    "index_stats",
    "iter_events",
    "locked",
    "open_index",
    "reject_indexed",
    "update_index",
    "write_run_with_index",
]
