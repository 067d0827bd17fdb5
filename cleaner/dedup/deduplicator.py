"""Deduplicator: wires the pure stages together and turns their arrays into `Cluster` records.

add() only prepares each text (canonical form and its paragraph chunks, value slots, credited agency) and, a batch
at a time, its sampled shingle set; everything that needs the whole corpus (frequent-shingle cut, representative
order, chunk signatures, LSH, verification, clustering) runs in clusters(). The state per document is about a
kilobyte (a few hundred uint32 hashes with their chunk byte, slots, id, date, origin), never the text.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from cleaner.dedup.cluster import ClusterMember, cluster_record, listed_similarity, priority_rank, star_clusters
from cleaner.dedup.config import DedupConfig
from cleaner.dedup.lsh import band_digests, chunk_candidate_pairs, merge_pairs
from cleaner.dedup.minhash import chunk_signatures
from cleaner.dedup.normalize import chunks_of_folded, clean_for_matching, fold_text, slots_of_folded
from cleaner.dedup.origin import detect_origin
from cleaner.dedup.shingles import (
    MaskedSets,
    ShingleSets,
    content_mask,
    drop_frequent,
    frequent_hashes,
    group_frequent,
    is_in_sorted,
    release_memory,
    segment_counts,
    shingle_sets,
)
from cleaner.dedup.verify import SlotSets, verify_pair
from cleaner.models import Article, Cluster, site_key


@dataclass(slots=True)
class Prepared:
    """What one text contributes before the corpus is known: its matching form, value slots and credited agency."""

    canonical: str  # shingles are cut from this
    chunks: list[int]  # UTF-8 byte offsets in `canonical` where its chunks (paragraph-based) start
    slots: list[int]  # value slots (normalize.value_slots)
    origin: str | None  # credited wire agency (origin.detect_origin)
    # its sampled shingle set, when made ahead of time (EarlyPreparations); not part of what the text prepares to
    shingled: Shingled | None = field(default=None, compare=False)


@dataclass(slots=True)
class Shingled:
    """One text's row of `shingle_sets` (hashes and their chunks), made ahead of time as part of a batch."""

    hashes: np.ndarray
    chunks: np.ndarray


def prepare_text(text: str, config: DedupConfig) -> Prepared:
    """The per-document preparation `Deduplicator.add` does (pure: any engine can call it on its own texts)."""
    folded = fold_text(clean_for_matching(text))  # NFKC + case folding, once for the chunks and the slots
    canon, starts = chunks_of_folded(folded, config.fold_confusables, config.chunk_min_chars, config.chunk_max_chars)
    return Prepared(
        canonical=canon,
        chunks=starts if canon.isascii() else _utf8_offsets(canon, starts),  # shingles are cut from UTF-8 bytes
        slots=slots_of_folded(folded, config.slot_context),
        origin=detect_origin(text),
    )


def _utf8_offsets(text: str, starts: list[int]) -> list[int]:
    """The UTF-8 byte offsets of character offsets `starts` (ascending) in `text`, each stretch encoded once."""
    offsets: list[int] = []
    position = size = 0
    for start in starts:
        size += len(text[position:start].encode("utf-8"))
        offsets.append(size)
        position = start
    return offsets


class EarlyPreparations:
    """`prepare_text` results and their shingle sets made ahead of time, keyed by the text they were made from.

    A run prepares each article as it arrives from the workers, while they extract the next ones (the parent waits
    for them anyway), and cuts the shingles of every `shingle_batch` of them; the Deduplicator then takes a
    preparation whose text has not changed since (site templates change some) instead of making it again. Memory
    is bounded: past `max_chars` of canonical text, later texts are left to the Deduplicator. A character costs
    about 2.3 bytes with its shingles and the rest of a preparation in Latin script, 4.6 in Cyrillic and 5.8 in
    CJK (150-370 MB at the default).
    """

    def __init__(self, config: DedupConfig, max_chars: int = 64_000_000, shingle_batch: int = 32) -> None:
        self.config = config
        self.max_chars = max_chars
        self.shingle_batch = shingle_batch
        self._by_text: dict[str, Prepared] = {}
        self._unshingled: list[Prepared] = []
        self._chars = 0

    def __len__(self) -> int:
        return len(self._by_text)

    def add(self, text: str) -> None:
        if self._chars < self.max_chars and text not in self._by_text:
            prepared = self._by_text[text] = prepare_text(text, self.config)
            self._chars += len(prepared.canonical)
            self._unshingled.append(prepared)
            if len(self._unshingled) >= self.shingle_batch:
                self._shingle()

    def _shingle(self) -> None:
        """Shingle the waiting preparations as one batch (a row of a batch equals the text shingled alone)."""
        batch, self._unshingled = self._unshingled, []
        _attach_shingles(batch, self.config)

    def take(self, text: str, config: DedupConfig) -> Prepared | None:
        """The preparation of exactly this text under this config, handed over once (its memory goes with it)."""
        if config != self.config:
            return None
        prepared = self._by_text.pop(text, None)
        if prepared is not None:
            self._chars -= len(prepared.canonical)
        return prepared


@dataclass(slots=True)
class Features:
    """The per-document inputs of `cluster_arrays` (plus origins), in add order: what an index stores."""

    ids: list[str]
    dates: list[str | None]
    origins: list[str | None]
    lengths: np.ndarray  # int64: canonical length (the `longest_text` policy)
    sets: ShingleSets  # sampled shingle sets, before the frequent-shingle cut (it depends on the corpus)
    slots: SlotSets
    sites: list[str | None]  # cleaner.models.site_key: the per-site cut's groups


def prepare_documents(
    texts: Sequence[str], config: DedupConfig
) -> tuple[ShingleSets, SlotSets, np.ndarray, list[str | None]]:
    """(shingle sets, value slots, canonical lengths, origins) of a batch of texts, exactly as Deduplicator.add."""
    prepared = [prepare_text(t, config) for t in texts]
    return (
        _shingle_sets(prepared, config),
        SlotSets.from_rows([p.slots for p in prepared]),
        np.fromiter((len(p.canonical) for p in prepared), dtype=np.int64, count=len(prepared)),
        [p.origin for p in prepared],
    )


def content_sets(sets: ShingleSets, config: DedupConfig) -> ShingleSets:
    """Drop the shingles too frequent in this corpus to be evidence of copying (site chrome, stock phrases)."""
    return drop_frequent(
        sets, frequent_hashes(sets, max_document_frequency(len(sets), config)), config.df_keep_min_share
    )


def site_groups(sites: Sequence[str | None]) -> np.ndarray:
    """One code per document for the per-site cut: the rank of its site among the sorted site names (-1: none),
    so that the codes depend on the sites present, never on the order documents came in."""
    names = sorted({site for site in sites if site is not None})
    code = {name: number for number, name in enumerate(names)}
    return np.fromiter((code.get(site, -1) if site is not None else -1 for site in sites), np.int64, len(sites))


def site_cut(sets: ShingleSets, sites: Sequence[str | None] | None, config: DedupConfig) -> np.ndarray | None:
    """The per-site frequent-shingle cut (DedupConfig.site_df_fraction), as a mask over `sets.hashes`."""
    if sites is None:
        return None
    return group_frequent(sets, site_groups(sites), config.site_df_fraction, config.site_df_floor)


def max_document_frequency(documents: int, config: DedupConfig) -> int:
    """Shingles in more documents than this are cut (see DedupConfig.df_fraction / df_floor)."""
    return max(config.df_floor, int(config.df_fraction * documents))


@dataclass(slots=True)
class Assignment:
    """Result of the array pipeline: each document's representative (an index) and its similarity to it."""

    representative: np.ndarray
    similarity: np.ndarray
    rank: np.ndarray
    candidates: int


def cluster_arrays(
    sets: ShingleSets,
    slots: SlotSets,
    text_length: np.ndarray,
    dates: Sequence[str | None],
    ids: Sequence[str],
    config: DedupConfig,
    timings: dict[str, float] | None = None,
    sites: Sequence[str | None] | None = None,
) -> Assignment:
    """The whole clustering on arrays: content cut -> rank -> signatures -> LSH pairs -> verified star clusters.

    `sites` (one per document, cleaner.models.site_key) adds the per-site cut to the corpus one. `timings`, when
    given, receives the seconds spent per stage.
    """
    clock = _Stopwatch(timings)
    max_df = max_document_frequency(len(sets), config)
    cut = site_cut(sets, sites, config)
    mask = content_mask(sets, frequent_hashes(sets, max_df), config.df_keep_min_share, cut)
    content = MaskedSets(sets, mask)  # the cut, as a view: no second copy of the sets
    sizes = content.sizes()
    rank = priority_rank(config.representative, sizes, text_length, dates, ids)
    clock.lap("cut+rank")
    pairs = _chunk_lsh(sets, mask, rank, config)
    clock.lap("signatures+lsh")
    rep, similarity = star_clusters(len(ids), pairs, rank, lambda b, w: verify_pair(b, w, content, slots, config))
    clock.lap("verify+cluster")
    return Assignment(rep, similarity, rank, len(pairs))


# Band-key digests held at once (4 bytes per band per chunk): beyond this, bands are processed in groups, each
# recomputing its own permutations' chunk signatures, so memory stays flat as the corpus grows.
_DIGEST_BUDGET = 1 << 30
_CHUNKS_PER_DOC = 8  # a generous estimate, for sizing the groups


def _chunk_lsh(sets: ShingleSets, mask: np.ndarray, rank: np.ndarray, config: DedupConfig) -> np.ndarray:
    """Candidate document pairs from LSH over chunk signatures; only 32-bit band-key digests are kept."""
    bands = config.bands
    per_band = 4 * _CHUNKS_PER_DOC * max(1, len(sets))
    group = max(1, min(bands, _DIGEST_BUDGET // per_band))
    found: list[np.ndarray] = []
    for first in range(0, bands, group):
        span = (first * config.band_rows, min(bands, first + group) * config.band_rows)
        digests = chunk_band_digests(sets, config, mask, span)
        if digests is None:
            return np.zeros((0, 2), dtype=np.int64)
        owners, chunk_ids, keys = digests
        release_memory()
        found.append(chunk_candidate_pairs(keys, owners, chunk_ids, rank, config.max_bucket))
    release_memory()
    if len(found) == 1:
        return found[0]
    return merge_pairs(found, rank)


def chunk_band_digests(
    sets: ShingleSets,
    config: DedupConfig,
    mask: np.ndarray | None = None,
    perms: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(owner document, chunk index, chunks x bands uint32 band-key digests) of every chunk signature of `sets`
    (only permutations `perms` when given); None when no chunk has enough shingles. Shared with the Dask engine."""
    owners, chunk_ids, key_blocks = [], [], []
    for owner, chunk, sig in chunk_signatures(
        sets, config.num_perm, config.seed, config.chunk_min_shingles, mask, perms
    ):
        owners.append(owner)
        chunk_ids.append(chunk)
        key_blocks.append(band_digests(sig, config.band_rows))
    if not owners:
        return None
    return np.concatenate(owners), np.concatenate(chunk_ids), np.concatenate(key_blocks)


class _Stopwatch:
    def __init__(self, sink: dict[str, float] | None) -> None:
        self.sink = sink
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.sink is not None:
            self.sink[name] = self.sink.get(name, 0.0) + now - self.last
        self.last = now


class Deduplicator:
    """Collects articles, then clusters the copies of each story around one representative.

    Every added id appears in exactly one cluster (singletons included); clusters and their members are sorted by
    id, and the result does not depend on the order articles were added in.
    """

    def __init__(self, config: DedupConfig | None = None, early: EarlyPreparations | None = None) -> None:
        self.config = config or DedupConfig()
        self._early = early
        self._ids: list[str] = []
        self._seen: set[str] = set()
        self._dates: list[str | None] = []
        self._sites: list[str | None] = []
        self._origins: list[str | None] = []
        self._lengths: list[int] = []
        self._pending: list[Prepared] = []  # added, not yet shingled into a batch
        self._batches: list[ShingleSets] = []
        self._slot_batches: list[SlotSets] = []
        self._result: list[Cluster] | None = None
        self._query: _QueryCorpus | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, article: Article) -> None:
        """Queue one article (uses .id, .text, .published, and .url / .site for the per-site cut). A repeated id is
        a ValueError."""
        if article.id in self._seen:
            raise ValueError(
                f"duplicate article id {article.id!r}: every article added to a Deduplicator needs a unique id"
            )
        self._seen.add(article.id)
        text = article.text or ""
        prepared = self._early.take(text, self.config) if self._early is not None else None
        if prepared is None:
            prepared = prepare_text(text, self.config)
        self._ids.append(article.id)
        self._dates.append(article.published or None)
        self._sites.append(site_key(article.url, article.site))
        self._origins.append(prepared.origin)
        self._lengths.append(len(prepared.canonical))
        self._pending.append(prepared)
        self._result = None
        if len(self._pending) >= self.config.batch_size:
            self._flush()

    def add_many(self, articles: Iterable[Article]) -> None:
        for article in articles:
            self.add(article)

    def _flush(self) -> None:
        if self._pending:
            self._batches.append(self._pending_sets())
            self._slot_batches.append(SlotSets.from_rows([p.slots for p in self._pending]))
            self._pending = []

    def _pending_sets(self) -> ShingleSets:
        """The pending texts' shingle sets in add order: rows made ahead of time, the others shingled now."""
        todo = [p for p in self._pending if p.shingled is None]
        if len(todo) == len(self._pending):
            return _shingle_sets(self._pending, self.config)
        if todo:
            _attach_shingles(todo, self.config)
        rows = [p.shingled for p in self._pending if p.shingled is not None]
        sizes = np.fromiter((len(row.hashes) for row in rows), dtype=np.int64, count=len(rows))
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        hashes = np.concatenate([row.hashes for row in rows])
        return ShingleSets(offsets, hashes, np.concatenate([row.chunks for row in rows]))

    def features(self) -> Features:
        """The prepared per-document arrays, in add order (shared with the caller: do not modify)."""
        self._flush()
        if len(self._batches) != 1:  # concatenate once; later calls reuse the single array
            self._batches = [ShingleSets.consume(self._batches)]
            self._slot_batches = [SlotSets.concat(self._slot_batches)]

        sets, slots = self._batches[0], self._slot_batches[0]
        lengths = np.array(self._lengths, dtype=np.int64)
        ids, dates, origins, sites = list(self._ids), list(self._dates), list(self._origins), list(self._sites)
        return Features(ids, dates, origins, lengths, sets, slots, sites)

    def assignment(self, timings: dict[str, float] | None = None) -> Assignment:
        """The raw array result (indices in add order), for callers that want more than Cluster records."""
        f = self.features()
        return cluster_arrays(f.sets, f.slots, f.lengths, f.dates, f.ids, self.config, timings, f.sites)

    def clusters(self) -> list[Cluster]:
        """One Cluster per story: kept = representative, members sorted by id (kept included, similarity 1.0)."""
        if self._result is None:
            self._result = build_clusters(self.assignment(), self._ids, self._origins)
        return self._result

    def query(self, article_or_text: Article | str) -> list[tuple[str, float]]:
        """The added documents that verification accepts as copies of this text, as (id, similarity), most similar
        first; nothing is added.

        "The same verification" as `clusters()`: `verify_pair` (containment of the smaller shingle set in the
        larger, the minimum of shared shingles, the templated-story guard) on the sets left by the frequent-shingle
        cuts. Those are corpus statistics, so they are taken over the corpus the text would join: the added
        documents plus this text (its shingles count once more, and the corpus is one larger); the per-site cut
        counts an Article among its site's documents (a plain string has no site). The answer is
        pairwise: `clusters()` then groups around representatives without chaining, so a document listed here can
        still end up in another cluster than the text would, when a better-ranked representative claims it first.
        Cost: one pass over the added shingles per query.
        """
        text = article_or_text.text if isinstance(article_or_text, Article) else article_or_text
        site = site_key(article_or_text.url, article_or_text.site) if isinstance(article_or_text, Article) else None
        if not self._ids:
            return []
        corpus = self._query_corpus()
        prepared = prepare_text(text or "", self.config)
        probe = _shingle_sets([prepared], self.config).row(0)  # sorted, unique
        in_probe = is_in_sorted(corpus.sets.hashes, probe)
        raw_shared = segment_counts(in_probe, corpus.sets.offsets)
        # the probe's shingles that reach the cut only with the probe counted: exactly max_df documents before it
        probe_df = np.bincount(np.searchsorted(probe, corpus.sets.hashes[in_probe]), minlength=len(probe))
        frequent = np.union1d(corpus.frequent, probe[probe_df == corpus.max_df])
        own_site = self._site_frequent(corpus, site, probe)
        probe_cut = is_in_sorted(probe, own_site)
        probe_slots = SlotSets.from_rows([prepared.slots])
        found: list[tuple[str, float]] = []
        for i in np.flatnonzero(raw_shared >= self.config.min_shared).tolist():  # fewer can never verify
            row = corpus.sets.row(i)
            if site is not None and self._sites[i] == site:  # its site's cut, counted with the probe in it
                row_cut = is_in_sorted(row, own_site)
            elif corpus.site_cut is not None:  # its site's cut, which the probe does not change
                row_cut = corpus.site_cut[corpus.sets.offsets[i] : corpus.sets.offsets[i + 1]]
            else:
                row_cut = np.zeros(len(row), dtype=bool)
            pair = _pair_sets(row, probe)
            cut = np.concatenate([row_cut, probe_cut])
            content = MaskedSets(pair, content_mask(pair, frequent, self.config.df_keep_min_share, cut))
            slots = SlotSets.from_rows([corpus.slots.row(i), probe_slots.row(0)])
            score = verify_pair(0, 1, content, slots, self.config)
            if score is not None:
                found.append((self._ids[i], round(score, 4)))
        return sorted(found, key=lambda hit: (-hit[1], hit[0]))

    def _query_corpus(self) -> _QueryCorpus:
        """The added documents' sets and the cuts as they stand with one more document (cached until the next add)."""
        if self._query is None or self._query.documents != len(self._ids):
            f = self.features()
            max_df = max_document_frequency(len(f.ids) + 1, self.config)
            frequent = frequent_hashes(f.sets, max_df)
            by_site = site_cut(f.sets, f.sites, self.config)
            self._query = _QueryCorpus(len(f.ids), f.sets, f.slots, max_df, frequent, by_site)
        return self._query

    def _site_frequent(self, corpus: _QueryCorpus, site: str | None, probe: np.ndarray) -> np.ndarray:
        """The hashes the per-site cut removes on the probe's site once the probe is one of its documents (sorted)."""
        rows = [i for i, other in enumerate(self._sites) if site is not None and other == site]
        if site is None or len(rows) + 1 <= self.config.site_df_floor:  # no hash can be in more pages than that
            return np.empty(0, dtype=probe.dtype)
        hashes = np.concatenate([*(corpus.sets.row(i) for i in rows), probe])
        values, counts = np.unique(hashes, return_counts=True)
        return values[counts > max(self.config.site_df_floor, self.config.site_df_fraction * (len(rows) + 1))]


@dataclass(slots=True)
class _QueryCorpus:
    documents: int
    sets: ShingleSets
    slots: SlotSets
    max_df: int  # the cut's document frequency for the corpus with the queried text in it
    frequent: np.ndarray  # sorted hashes above max_df among the added documents alone
    site_cut: np.ndarray | None  # the per-site cut over `sets.hashes`, counted over the added documents alone


def _pair_sets(first: np.ndarray, second: np.ndarray) -> ShingleSets:
    offsets = np.array([0, len(first), len(first) + len(second)], dtype=np.int64)
    return ShingleSets(offsets, np.concatenate([first, second]))


def _shingle_sets(batch: Sequence[Prepared], config: DedupConfig) -> ShingleSets:
    canons, starts = [p.canonical for p in batch], [p.chunks for p in batch]
    return shingle_sets(canons, config.shingle_size, config.shingle_sample, starts)


def _attach_shingles(batch: Sequence[Prepared], config: DedupConfig) -> None:
    """Shingle the batch at once; each preparation gets its row (equal to its text shingled alone)."""
    sets = _shingle_sets(batch, config)
    chunks = sets.chunk_ids()
    for i, prepared in enumerate(batch):
        lo, hi = sets.offsets[i], sets.offsets[i + 1]
        prepared.shingled = Shingled(sets.hashes[lo:hi], chunks[lo:hi])


def build_clusters(result: Assignment, ids: Sequence[str], origins: Sequence[str | None]) -> list[Cluster]:
    """Cluster records from an Assignment (see `cluster.cluster_record`), sorted by id."""
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(result.representative.tolist()):
        groups.setdefault(r, []).append(i)
    rank, similarity = result.rank.tolist(), result.similarity.tolist()
    clusters = [
        cluster_record(
            ids[r], (ClusterMember(ids[d], rank[d], listed_similarity(d == r, similarity[d]), origins[d]) for d in docs)
        )
        for r, docs in groups.items()
    ]
    clusters.sort(key=lambda c: c.cluster)
    return clusters
