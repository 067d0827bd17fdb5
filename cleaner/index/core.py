"""Opening an index for a run and committing what the run adds: the segment, merges it triggers, a generation."""

from __future__ import annotations

import os
from collections.abc import Sequence

from cleaner.dedup.config import DedupConfig
from cleaner.index.compact import compact
from cleaner.index.features import document_features
from cleaner.index.identity import check_compatible, index_identity
from cleaner.index.reader import IndexReader
from cleaner.index.store import Generation, Store, locked
from cleaner.index.update import IndexUpdate, update_index
from cleaner.models import Article


def open_index(index_dir: str | os.PathLike[str], config: DedupConfig | None = None) -> IndexReader:
    """The current generation of an index (an absent or empty folder is an empty index). With `config`, an index
    built with other dedup settings, versions or hashes is refused (IndexMismatchError says what differs)."""
    store = Store(index_dir)
    generation = store.current()
    if generation is not None:
        if config is not None:
            check_compatible(generation.identity, index_identity(config), store.path)
        for info in generation.segments:
            store.segment(info).check_size()
    return IndexReader(store, generation)


def commit(reader: IndexReader, update: IndexUpdate, config: DedupConfig) -> Generation:
    """Write the run's segment, merge segments as the policy says, then make the new generation current."""
    store, previous = reader.store, reader.generation
    number = previous.number + 1 if previous is not None else 1
    run = int(update.run["run"])
    meta = {"first_doc": update.first_doc, "docs": update.documents - update.first_doc, "runs": (run, run)}
    meta["heavy_min"] = update.heavy_min
    written = store.write_segment(number, 0, update.arrays, meta)
    before = previous.segments if previous is not None else []
    segments = compact(store, number, [*before, written], config)
    identity = index_identity(config)
    generation = Generation(
        number=number,
        identity=identity,
        created=previous.created if previous is not None else identity,
        documents=update.documents,
        events=update.events,
        runs=[*(previous.runs if previous is not None else []), update.run],
        segments=segments,
    )
    store.commit(generation)
    return generation


def add_documents(
    index_dir: str | os.PathLike[str], articles: Sequence[Article], config: DedupConfig, label: str = ""
) -> IndexUpdate:
    """Index `articles` (ids not indexed yet) in one run: lock, update, commit. Returns what the run changed."""
    with locked(index_dir):
        reader = open_index(index_dir, config)
        try:
            features = document_features(articles, config).sorted_by_id()
            update = update_index(reader, features, {a.id: a.text for a in articles}, config, label)
            commit(reader, update, config)
        finally:
            reader.close()
    return update
