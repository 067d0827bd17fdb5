"""Per-partition dedup work of the Dask engine: the corpus step's distributed form, on cleaner.dedup's functions.

A document is addressed by `home << 32 | position` (the partition that holds its shingles, its index there) and
ordered by its global representative rank. Shingles leave their home partition once: to the partitions holding
worse-ranked candidates of the document, where each candidate pair is verified with verify_pair.

The local engine's clustering (cleaner.dedup.cluster.star_clusters) visits documents best-ranked first: a document
joins the best-scoring *representative* among its better-ranked candidates that it verifies against, else becomes
a representative. Verification depends on the pair alone, so "representative" is the lexicographically-first
independent set of the verified-pair graph in rank order, a recursion on rank that rounds can evaluate: a document
is decided as soon as one better-ranked representative verified with it (it is a member), or once all its verified
better-ranked neighbours are decided and none is a representative (it is one). Both engines make that choice with
cluster.choose_representative, order documents by cluster.PRIORITY and build records with cluster.cluster_record;
what is here is only how the decisions travel. Each round decides, per partition, every document whose
verified better neighbours are known, sweeping the partition in rank order so that chains inside it resolve at
once; only decisions (address, status, id) are exchanged. The local engine verifies only pairs whose better
document is a representative; verifying every candidate pair costs more checks but cuts the dependency chains to
those of true copies (unverified candidates would chain unrelated stories across the corpus, one round per link).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleaner.dedup.cluster import ClusterMember, choose_representative, cluster_record, listed_similarity, priority_key
from cleaner.dedup.config import DedupConfig
from cleaner.dedup.deduplicator import chunk_band_digests, prepare_documents
from cleaner.dedup.lsh import chunk_order, chunk_pairs
from cleaner.dedup.shingles import ShingleSets, drop_frequent, fmix64, frequent_among
from cleaner.dedup.verify import SlotSets, verify_pair
from cleaner.engines.partitions import Outbox, Placement, flatten, group_outbox, string_destination
from cleaner.models import Article, Cluster, Outcome, site_key

UNDECIDED, REP, MEMBER = 0, 1, 2
REJECTED = -1.0  # score of a verified-and-refused pair; NaN: not verified yet
_LOW32 = np.int64(0xFFFFFFFF)
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def address(home: int, positions: np.ndarray) -> np.ndarray:
    return (np.int64(home) << np.int64(32)) | positions.astype(np.int64)


@dataclass(slots=True)
class DedupPart:
    """One home partition's documents as the dedup stages see them (the article outcomes, in partition order)."""

    home: int
    articles: list[Article]
    sets: ShingleSets
    slots: SlotSets
    lengths: np.ndarray
    dates: list[str | None]
    origins: list[str | None]
    content: ShingleSets | None = None
    rank: np.ndarray | None = None
    site_cut: np.ndarray | None = None  # the per-site cut over `sets.hashes` (set_site_cut)

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.articles]


def prepare(home: int, outcomes: Sequence[Outcome], config: DedupConfig) -> DedupPart:
    """Shingle set, value slots, canonical length and credited agency per article, as Deduplicator.add."""
    articles = [o.article for o in outcomes if o.article is not None]
    if articles:
        sets, slots, lengths, origins = prepare_documents([a.text or "" for a in articles], config)
    else:  # what the local engine holds for no documents
        sets, slots, lengths, origins = ShingleSets.concat([]), SlotSets.concat([]), np.zeros(0, np.int64), []
    dates = [a.published or None for a in articles]
    return DedupPart(home, articles, sets, slots, lengths, dates, origins)


# --- site-frequent shingles: a distributed count per site (cleaner.dedup.shingles.group_frequent) ---------------


def site_hash_outbox(part: DedupPart, partitions: int) -> Outbox:
    """Per site of this partition's documents: (site, home, documents, hashes, documents holding each), sent to
    the partition that owns the site."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, article in enumerate(part.articles):
        site = site_key(article.url, article.site)
        if site:
            by_site[site].append(i)
    rows = []
    for site, docs in by_site.items():
        hashes = np.concatenate([part.sets.row(i) for i in docs])  # a row holds a hash once: counts are documents
        values, counts = np.unique(hashes, return_counts=True)
        rows.append((string_destination(site, partitions), (site, part.home, len(docs), values, counts)))
    return group_outbox(rows)


def site_frequent(inbox: Iterable[list[tuple[str, int, int, np.ndarray, np.ndarray]]], config: DedupConfig) -> Outbox:
    """For each site owned here, the hashes in more than max(site_df_floor, site_df_fraction * its documents) of
    its documents, wherever they were read, sent to every partition holding pages of the site."""
    pieces: dict[str, list[tuple[int, int, np.ndarray, np.ndarray]]] = defaultdict(list)
    for site, home, documents, values, counts in flatten(inbox):
        pieces[site].append((home, documents, values, counts))
    rows: list[tuple[int, tuple[str, np.ndarray]]] = []
    for site, parts in pieces.items():
        documents = sum(part[1] for part in parts)
        if documents <= config.site_df_floor:  # no hash can be in more of them
            continue
        uniq, inverse = np.unique(np.concatenate([part[2] for part in parts]), return_inverse=True)
        totals = np.bincount(inverse, weights=np.concatenate([part[3] for part in parts]), minlength=len(uniq))
        frequent = uniq[totals > max(config.site_df_floor, config.site_df_fraction * documents)]
        if len(frequent):
            rows.extend((home, (site, frequent)) for home in sorted({part[0] for part in parts}))
    return group_outbox(rows)


def set_site_cut(part: DedupPart, inbox: Iterable[list[tuple[str, np.ndarray]]]) -> DedupPart:
    """The per-site cut as a mask over this partition's hashes (what `site_cut` gives a whole corpus)."""
    frequent = dict(flatten(inbox))
    if not frequent:
        return part
    cut = np.zeros(len(part.sets.hashes), dtype=bool)
    for i, article in enumerate(part.articles):
        hashes = frequent.get(site_key(article.url, article.site) or "")
        if hashes is not None:
            lo, hi = int(part.sets.offsets[i]), int(part.sets.offsets[i + 1])
            cut[lo:hi] = np.isin(part.sets.hashes[lo:hi], hashes)
    return dataclasses.replace(part, site_cut=cut)


# --- corpus-frequent shingles: a distributed count ----------------------------------------------------------


def hash_count_outbox(part: DedupPart, partitions: int) -> Outbox:
    """(hash, documents holding it) of this partition, sent to the partition owning the hash."""
    values, counts = np.unique(part.sets.hashes, return_counts=True)
    dest = (values % np.uint32(partitions)).astype(np.int64)
    return [(int(d), (values[dest == d], counts[dest == d])) for d in np.unique(dest)]


def frequent_of(inbox: Iterable[tuple[np.ndarray, np.ndarray]], max_df: int) -> np.ndarray:
    """The hashes of this range found in more than `max_df` documents over the whole corpus."""
    chunks = list(inbox)  # payloads: (values, counts)
    if not chunks:
        return np.zeros(0, dtype=np.uint32)
    values = np.concatenate([v for v, _ in chunks])
    counts = np.concatenate([c for _, c in chunks])
    uniq, inverse = np.unique(values, return_inverse=True)
    return frequent_among(uniq, np.bincount(inverse, weights=counts, minlength=len(uniq)), max_df)


def cut_frequent(part: DedupPart, frequent: np.ndarray, config: DedupConfig) -> DedupPart:
    content = drop_frequent(part.sets, frequent, config.df_keep_min_share, part.site_cut)
    # the uncut sets are not needed any more
    return dataclasses.replace(part, sets=content, content=content, site_cut=None)


# --- representative rank: a distributed sort on cluster.priority_key ----------------------------------------


def rank_rows(part: DedupPart, policy: str) -> list[tuple[tuple[Any, ...], int]]:
    assert part.content is not None
    sizes = part.content.sizes().tolist()
    addr = address(part.home, np.arange(len(part.articles))).tolist()
    lengths = part.lengths.tolist()
    return [
        (priority_key(policy, sizes[i], lengths[i], part.dates[i], a.id), addr[i]) for i, a in enumerate(part.articles)
    ]


def rank_outbox(rows: Sequence[tuple[Any, int]], offset: int) -> Outbox:
    """Ranks of a sorted range, sent back to each document's home partition."""
    addr = np.array([row[1] for row in rows], dtype=np.int64)
    rank = offset + np.arange(len(rows), dtype=np.int64)
    homes = addr >> np.int64(32)
    return [(int(h), (addr[homes == h] & _LOW32, rank[homes == h])) for h in np.unique(homes)]


def set_rank(part: DedupPart, inbox: Iterable[tuple[np.ndarray, np.ndarray]]) -> DedupPart:
    rank = np.full(len(part.articles), -1, dtype=np.int64)
    for positions, ranks in inbox:
        rank[positions] = ranks
    assert (rank >= 0).all(), "a document received no rank"
    return dataclasses.replace(part, rank=rank)


# --- LSH: chunk band-key digests grouped by (band, digest) -----------------------------------------------------


def band_outbox(part: DedupPart, config: DedupConfig, partitions: int) -> Outbox:
    """(band, digest, rank, chunk, address) of every indexed chunk's bands, sent to the bucket's partition.

    The local engine's `_chunk_lsh` per partition: chunk signatures of the content shingles (the cut sets keep
    each shingle's chunk), the same uint32 band-key digests; only the bucketing moves to the shuffle.
    """
    assert part.content is not None and part.rank is not None
    digests = chunk_band_digests(part.content, config)
    if digests is None:
        return []
    owner, chunk_ids, keys = digests  # keys: (chunks x bands) uint32
    bands = keys.shape[1]
    digest = keys.T.reshape(-1)  # band-major: band 0 of every chunk, then band 1, ...
    band_of = np.repeat(np.arange(bands, dtype=np.int16), len(owner))
    rank = np.tile(part.rank[owner], bands)
    chunk = np.tile(chunk_ids, bands)
    addr = np.tile(address(part.home, owner), bands)
    with np.errstate(over="ignore"):
        # a bucket is (band, digest): route by both, so that every chunk of a bucket meets the others in one place
        mixed = digest.astype(np.uint64) ^ (band_of.astype(np.uint64) * _BAND_MIX)
        dest = (fmix64(mixed) % np.uint64(partitions)).astype(np.int64)
    order = np.argsort(dest, kind="stable")
    dest, band_of, digest, rank, chunk, addr = (a[order] for a in (dest, band_of, digest, rank, chunk, addr))  # type: ignore[assignment]
    cuts = np.flatnonzero(np.diff(dest)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(dest)]])
    return [
        (int(dest[s]), (band_of[s:e], digest[s:e], rank[s:e], chunk[s:e], addr[s:e]))
        for s, e in zip(starts, ends, strict=True)
    ]


def bucket_candidates(inbox: Iterable[tuple[np.ndarray, ...]], config: DedupConfig) -> np.ndarray:
    """Unique candidate pairs of the buckets this partition owns: (m, 4) int64 [b_rank, b_addr, w_rank, w_addr].

    As lsh.chunk_candidate_pairs: the chunks of a bucket are ordered by (document rank, chunk index), the bucket
    rule (lsh.bucket_pairs, star on the first `max_bucket` chunks) pairs chunks, and pairs of one document's own
    chunks are dropped.
    """
    received = list(inbox)  # payloads: (band, digest, rank, chunk, address) arrays
    if not received:
        return np.zeros((0, 4), dtype=np.int64)
    band, digest, rank, chunk, addr = (np.concatenate([r[k] for r in received]) for k in range(5))
    found: list[np.ndarray] = []
    for b in np.unique(band):
        rows = np.flatnonzero(band == b)
        # bucket_pairs wants item ranks 0..m-1: only their order, (document rank, chunk index), counts
        item_order, item_rank = chunk_order(chunk[rows], rank[rows])
        better, worse = chunk_pairs(digest[rows], item_rank, item_order, addr[rows], config.max_bucket)
        if len(better):
            lo, hi = rows[better], rows[worse]
            found.append(np.stack([rank[lo], addr[lo], rank[hi], addr[hi]], axis=1))
    if not found:
        return np.zeros((0, 4), dtype=np.int64)
    return _unique_pairs(np.concatenate(found))


def pair_outbox(pairs: np.ndarray) -> Outbox:
    """Each pair to its worse document's home ("in") and its better document's home ("out")."""
    homes_w = pairs[:, 3] >> np.int64(32)
    homes_b = pairs[:, 1] >> np.int64(32)
    out: list[tuple[int, tuple[str, np.ndarray]]] = []
    for h in np.unique(homes_w):
        out.append((int(h), ("in", pairs[homes_w == h])))
    for h in np.unique(homes_b):
        out.append((int(h), ("out", pairs[homes_b == h])))
    return group_outbox(out)


# --- star clustering: verify every candidate pair, then rounds over the verified pairs ------------------------------


@dataclass(slots=True)
class Shingles:
    """A document's content shingles and value slots, sent to a partition holding worse-ranked candidates of it."""

    addr: int
    shingles: np.ndarray
    slots: list[int]  # as SlotSets.row gives them
    targets: np.ndarray  # positions of its candidates in the receiving partition


@dataclass(slots=True)
class Message:
    """A decided document, told to the partition of its worse-ranked candidates (`targets`: their positions)."""

    addr: int
    status: int
    doc_id: str
    targets: np.ndarray


@dataclass(slots=True)
class StarState:
    """One partition's clustering state; the arrays that change are copied by each round (tasks may be rerun)."""

    part: DedupPart
    # better-ranked candidates of each local document w: rows in_lo[w]:in_lo[w + 1], sorted by their rank
    in_addr: np.ndarray
    in_lo: np.ndarray
    in_score: np.ndarray  # containment of verified pairs; REJECTED, NaN (not yet verified) before `verify_stars`
    in_index: dict[tuple[int, int], int]
    # worse-ranked candidates of each local document b: rows out_lo[b]:out_lo[b + 1]
    out_addr: np.ndarray
    out_lo: np.ndarray
    sweep: np.ndarray  # local positions in rank order
    status: np.ndarray
    final: np.ndarray
    told: np.ndarray
    in_status: np.ndarray
    rep_addr: np.ndarray
    similarity: np.ndarray
    rep_ids: dict[int, str] = field(default_factory=dict)

    def copy(self) -> StarState:
        changing = ("status", "final", "told", "in_status", "rep_addr", "similarity")
        copies: dict[str, Any] = {name: getattr(self, name).copy() for name in changing}
        return dataclasses.replace(self, rep_ids=dict(self.rep_ids), **copies)


def _unique_pairs(pairs: np.ndarray) -> np.ndarray:
    _, first = np.unique(pairs[:, 0] << np.int64(32) | pairs[:, 2], return_index=True)
    return pairs[first]


def _csr(owner: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n))]).astype(np.int64)


def _with_incoming(state: StarState, keep: np.ndarray) -> StarState:
    """The state with only the incoming pairs where `keep`, its lookup structures rebuilt."""
    n = len(state.part.articles)
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(state.in_lo))[keep]
    in_addr = state.in_addr[keep]
    index = {(w, a): j for j, (w, a) in enumerate(zip(owner.tolist(), in_addr.tolist(), strict=True))}
    return dataclasses.replace(
        state,
        in_addr=in_addr,
        in_lo=_csr(owner, n),
        in_score=state.in_score[keep],
        in_index=index,
        in_status=np.zeros(len(in_addr), dtype=np.int8),
    )


def init_stars(part: DedupPart, inbox: Iterable[list[tuple[str, np.ndarray]]]) -> StarState:
    assert part.rank is not None
    n = len(part.articles)
    received = flatten(inbox)
    incoming = [p for kind, p in received if kind == "in"]
    outgoing = [p for kind, p in received if kind == "out"]
    # a pair found in bands owned by several partitions arrives more than once
    inc = _unique_pairs(np.concatenate(incoming) if incoming else np.zeros((0, 4), dtype=np.int64))
    out = _unique_pairs(np.concatenate(outgoing) if outgoing else np.zeros((0, 4), dtype=np.int64))
    inc = inc[np.lexsort((inc[:, 0], inc[:, 3]))]  # by worse document, then by rank of the better one
    out = out[np.lexsort((out[:, 3], out[:, 1]))]
    state = StarState(
        part=part,
        in_addr=inc[:, 1].copy(),
        in_lo=_csr((inc[:, 3] & _LOW32).astype(np.int64), n),
        in_score=np.full(len(inc), np.nan),
        in_index={},
        out_addr=out[:, 3].copy(),
        out_lo=_csr((out[:, 1] & _LOW32).astype(np.int64), n),
        sweep=np.argsort(part.rank, kind="stable"),
        status=np.zeros(n, dtype=np.int8),
        final=np.zeros(n, dtype=bool),
        told=np.zeros(n, dtype=bool),
        in_status=np.zeros(len(inc), dtype=np.int8),
        rep_addr=address(part.home, np.arange(n)),
        similarity=np.ones(n, dtype=np.float64),
    )
    return _with_incoming(state, np.ones(len(inc), dtype=bool))


def shingles_outbox(state: StarState) -> Outbox:
    """Each document's shingles to every other partition holding worse-ranked candidates of it."""
    part, home = state.part, state.part.home
    assert part.content is not None
    sent: list[tuple[int, Shingles]] = []
    for b in np.flatnonzero(np.diff(state.out_lo)).tolist():
        targets = state.out_addr[state.out_lo[b] : state.out_lo[b + 1]]
        homes = targets >> np.int64(32)
        addr = int(address(home, np.array([b]))[0])
        for h in np.unique(homes[homes != home]).tolist():
            sent.append((h, Shingles(addr, part.content.row(b), part.slots.row(b), targets[homes == h] & _LOW32)))
    return group_outbox(sent)


def _verify_remote(sender: Shingles, w: int, part: DedupPart, config: DedupConfig) -> float:
    """verify_pair on (better document from elsewhere, local document), on a two-row copy of their data."""
    assert part.content is not None
    row = part.content.row(w)
    offsets = np.array([0, len(sender.shingles), len(sender.shingles) + len(row)], dtype=np.int64)
    sets = ShingleSets(offsets, np.concatenate([sender.shingles, row]))
    slots = SlotSets.from_rows([sender.slots, part.slots.row(w)])
    score = verify_pair(0, 1, sets, slots, config)
    return REJECTED if score is None else score


def verify_stars(state: StarState, inbox: Iterable[list[Shingles]], config: DedupConfig) -> StarState:
    """Verify every incoming candidate pair (better document first, as the local engine) and keep the verified."""
    part = state.part
    score = state.in_score.copy()
    for sender in flatten(inbox):
        for w in sender.targets.tolist():
            score[state.in_index[(w, sender.addr)]] = _verify_remote(sender, w, part, config)
    owner = np.repeat(np.arange(len(part.articles), dtype=np.int64), np.diff(state.in_lo))
    for j in np.flatnonzero(np.isnan(score)).tolist():  # pairs of two local documents
        b = int(state.in_addr[j]) & 0xFFFFFFFF
        verified = verify_pair(b, int(owner[j]), part.content, part.slots, config)  # type: ignore[arg-type]
        score[j] = REJECTED if verified is None else verified
    return _with_incoming(dataclasses.replace(state, in_score=score), score > REJECTED)


def _receive(state: StarState, inbox: Iterable[list[Message]]) -> None:
    for message in flatten(inbox):
        if message.status == REP:
            state.rep_ids[message.addr] = message.doc_id
        for w in message.targets.tolist():
            j = state.in_index.get((w, message.addr))
            if j is not None:  # None: the pair did not verify, the decision does not matter to w
                state.in_status[j] = message.status


def _visit(state: StarState, w: int) -> None:
    """Decide document w from what is known of its verified better-ranked neighbours (cluster.choose_representative)."""
    lo, hi = int(state.in_lo[w]), int(state.in_lo[w + 1])
    home = state.part.home
    for j in range(lo, hi):  # neighbours in this partition: their current status
        b_addr = int(state.in_addr[j])
        if b_addr >> 32 == home:
            state.in_status[j] = state.status[b_addr & 0xFFFFFFFF]
    statuses, scores = state.in_status[lo:hi].tolist(), state.in_score[lo:hi].tolist()
    known = UNDECIDED not in statuses
    # the rows are verified pairs, best-ranked neighbour first; a representative stays one
    choice = choose_representative((lo + k, scores[k]) for k, status in enumerate(statuses) if status == REP)
    if state.status[w] == UNDECIDED:
        if choice is not None:  # whatever the undecided neighbours become, w joins a representative
            state.status[w] = MEMBER
        elif known:
            state.status[w] = REP
            state.final[w] = True
    if state.status[w] == MEMBER and known and not state.final[w]:
        assert choice is not None
        state.final[w] = True
        state.rep_addr[w], state.similarity[w] = state.in_addr[choice[0]], choice[1]


def _announce(state: StarState, b: int) -> list[tuple[int, Message]]:
    """Tell the other partitions holding worse-ranked candidates of b what b became."""
    part, home = state.part, state.part.home
    targets = state.out_addr[state.out_lo[b] : state.out_lo[b + 1]]
    homes = targets >> np.int64(32)
    addr = int(address(home, np.array([b]))[0])
    status = int(state.status[b])
    doc_id = part.articles[b].id
    return [
        (h, Message(addr, status, doc_id, targets[homes == h] & _LOW32))
        for h in np.unique(homes[homes != home]).tolist()
    ]


def star_round(state: StarState, inbox: Iterable[list[Message]]) -> tuple[StarState, Outbox, tuple[int, int]]:
    """One round: take in decisions from elsewhere, sweep the undecided in rank order, announce new decisions.

    Returns the new state, the messages for other partitions and (documents not final yet, messages sent).
    """
    state = state.copy()
    _receive(state, inbox)
    for w in state.sweep.tolist():
        if not state.final[w]:
            _visit(state, w)
    messages: list[tuple[int, Message]] = []
    for b in np.flatnonzero((state.status != UNDECIDED) & ~state.told).tolist():
        state.told[b] = True
        messages.extend(_announce(state, b))
    return state, group_outbox(messages), (int((~state.final).sum()), len(messages))


def verified_pairs(state: StarState) -> int:
    return len(state.in_addr)


# --- clusters: members meet their representative ----------------------------------------------------------------


@dataclass(slots=True)
class MemberInfo:
    """What a member sends to its representative's partition to build the cluster record."""

    rep_pos: int
    member: ClusterMember
    stub: Article  # the fields its cluster's article line lists of it


def source_stub(article: Article) -> Article:
    """The fields of a member that its cluster's article line lists (see outputs.records.SourceLine)."""
    return Article(
        id=article.id,
        source=article.source,
        url=article.url,
        text="",
        title=article.title,
        site=article.site,
        published=article.published,
    )


def member_outbox(state: StarState) -> tuple[dict[str, Placement], Outbox]:
    """Every local article's placement (for the manifest), and its member record sent to its representative."""
    part = state.part
    assert part.rank is not None
    placements: dict[str, Placement] = {}
    members: list[tuple[int, MemberInfo]] = []
    for i, article in enumerate(part.articles):
        rep = int(state.rep_addr[i])
        rep_id = part.articles[rep & 0xFFFFFFFF].id if rep >> 32 == part.home else state.rep_ids[rep]
        similarity = listed_similarity(state.status[i] == REP, state.similarity[i])
        placements[article.id] = Placement(rep_id, similarity)
        member = ClusterMember(article.id, int(part.rank[i]), similarity, part.origins[i])
        members.append((rep >> 32, MemberInfo(rep & 0xFFFFFFFF, member, source_stub(article))))
    return placements, group_outbox(members)


def clusters_here(state: StarState, inbox: Iterable[list[MemberInfo]]) -> list[tuple[Cluster, dict[str, Article]]]:
    """The clusters whose representatives live here, with their members' stubs (for the article lines)."""
    groups: dict[int, list[MemberInfo]] = defaultdict(list)
    for info in flatten(inbox):
        groups[info.rep_pos].append(info)
    built: list[tuple[Cluster, dict[str, Article]]] = []
    for rep_pos, infos in groups.items():
        kept = state.part.articles[rep_pos]
        cluster = cluster_record(kept.id, (info.member for info in infos))
        built.append((cluster, {info.stub.id: info.stub for info in infos} | {kept.id: kept}))
    return built


def article_count(part: DedupPart) -> int:
    return len(part.articles)
