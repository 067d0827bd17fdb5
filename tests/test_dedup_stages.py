"""The pure array stages of `cleaner.dedup`, one at a time (synthetic inputs only)."""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup import DedupConfig, content_sets
from cleaner.dedup.cluster import (
    ClusterMember,
    choose_representative,
    cluster_record,
    listed_similarity,
    priority_rank,
    star_clusters,
)
from cleaner.dedup.lsh import (
    all_band_keys,
    band_digests,
    bucket_pairs,
    candidate_pairs,
    chunk_candidate_pairs,
    iter_band_keys,
)
from cleaner.dedup.minhash import (
    EMPTY,
    chunk_signatures,
    minhash_bulk,
    minhash_update,
    signature_blocks,
    signatures,
    to_minhash,
)
from cleaner.dedup.normalize import (
    canonical,
    canonical_chunks,
    prepare,
    slot_conflicts,
    strip_datelines,
    value_slots,
)
from cleaner.dedup.shingles import ShingleSets, frequent_hashes, sample_limit, segment_counts, shingle_sets
from cleaner.dedup.verify import containment, overlap

shingles_module = importlib.import_module("cleaner.dedup.shingles")

TEXTS = [
    "the harbour board approved the dredging contract on tuesday after a long debate",
    "harbour board approved the dredging contract after debate",
    "",
    "tiny",
    "völlig andere geschichte über den hafen und die baggerarbeiten im süden",
]


def test_shingles_do_not_depend_on_batch_neighbours() -> None:
    batch = shingle_sets(TEXTS, 10)
    for i, text in enumerate(TEXTS):
        alone = shingle_sets([text], 10)
        assert np.array_equal(batch.row(i), alone.row(0))
        assert np.all(np.diff(batch.row(i).astype(np.int64)) > 0)  # sorted, unique


def test_short_and_empty_texts() -> None:
    sets = shingle_sets(["", "tiny", "x" * 10, "x" * 11], 10)
    assert list(sets.sizes()) == [0, 1, 1, 1]  # "xx...x" has one distinct 10-byte window
    assert not np.array_equal(sets.row(1), sets.row(2))


@given(st.lists(st.text(alphabet="abcdefgh", min_size=0, max_size=80), min_size=1, max_size=6))
@settings(max_examples=40, deadline=None)
def test_sampling_is_consistent(texts: list[str]) -> None:
    full = shingle_sets(texts, 6)
    sampled = shingle_sets(texts, 6, sample=4)
    for i in range(len(texts)):
        expected = full.row(i)[full.row(i) < sample_limit(4)]
        assert np.array_equal(sampled.row(i), expected)


def test_signatures_equal_datasketch_minhash() -> None:
    sets = shingle_sets(TEXTS, 10)
    sig = signatures(sets, 64, seed=7)
    bulk = minhash_bulk([sets.row(i).tolist() for i in range(len(sets))], 64, seed=7)
    for i in range(len(sets)):
        reference = minhash_update(sets.row(i).tolist(), 64, seed=7)
        assert np.array_equal(sig[i], reference.hashvalues)
        assert np.array_equal(sig[i], bulk[i].hashvalues)
    assert np.all(sig[2] == EMPTY)  # no shingles: datasketch's empty value
    rebuilt = to_minhash(sig[0], seed=7)
    assert rebuilt.jaccard(minhash_update(sets.row(0).tolist(), 64, seed=7)) == 1.0
    assert 0.0 < rebuilt.jaccard(to_minhash(sig[1], seed=7)) < 1.0


def test_signature_blocks_assemble_to_the_matrix() -> None:
    sets = shingle_sets(TEXTS, 10)
    blocks = list(signature_blocks(sets, 64, seed=1, block=16))
    assert [p0 for p0, _ in blocks] == [0, 16, 32, 48]
    assert np.array_equal(np.hstack([b for _, b in blocks]), signatures(sets, 64, seed=1))


def test_bucket_pairs_all_pairs_then_star() -> None:
    keys = np.zeros(10, dtype=np.uint64)  # ten documents in one bucket
    rank = np.arange(10)[::-1].copy()  # document 9 is the best representative
    pairs = bucket_pairs(keys, rank, max_bucket=3)
    better, worse = pairs >> np.uint64(32), pairs & np.uint64(0xFFFFFFFF)
    assert len(pairs) == 3 + 7 * 3  # all pairs among the best three, every other member to each of them
    assert np.all(rank[better.astype(int)] < rank[worse.astype(int)])
    assert set(better.tolist()) == {9, 8, 7}


def test_candidate_pairs_are_unique_oriented_and_sorted() -> None:
    sets = shingle_sets(TEXTS * 2, 10)
    sig = signatures(sets, 32, seed=1)
    rank = np.arange(len(sets))
    skip = sets.sizes() == 0
    from_blocks = candidate_pairs(iter_band_keys(signature_blocks(sets, 32, 1, block=8), 2), rank, 64, skip)
    keys = all_band_keys(sig, 2)
    from_matrix = candidate_pairs((keys[:, b] for b in range(keys.shape[1])), rank, 64, skip)
    assert np.array_equal(from_blocks, from_matrix)
    pairs = {tuple(p) for p in from_blocks.tolist()}
    assert (0, 5) in pairs and (3, 8) in pairs  # each text and its repeat
    assert all(rank[b] < rank[w] for b, w in pairs)
    assert not any(2 in p or 7 in p for p in pairs)  # empty texts take no part
    assert len(pairs) == len(from_blocks)


def test_containment_of_a_trimmed_copy() -> None:
    full = np.array([1, 3, 5, 7, 9, 11], dtype=np.uint32)
    part = np.array([3, 5, 7], dtype=np.uint32)
    assert overlap(full, part) == 3
    assert containment(part, full) == (1.0, 3)
    assert containment(np.array([], dtype=np.uint32), full) == (0.0, 0)


def test_datelines_and_bylines_are_noise() -> None:
    body = "The harbour board approved the dredging contract on Tuesday."
    for head in ("WASHINGTON (Reuters) - ", "By Staff Writer TOKYO - ", "PARIS, March 14 - ", "LONDON — "):
        assert prepare(head + body) == prepare(body)
    assert strip_datelines("Net 10 vs 9\nREVS - 4 vs 3") == "Net 10 vs 9\nREVS - 4 vs 3"


@given(
    st.text(
        alphabet=st.sampled_from(list("ab1_ .,'\u2019\u201c\u201d\u2013\u2014\u00ab\u00e9\u00df\u0430\uff21\u0660")),
        max_size=40,
    )
)
def test_canonical_keeps_exactly_the_letters_and_digits(text: str) -> None:
    """The C shortcuts (news punctuation replaced, ASCII translated) give what the plain regex gives."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    assert canonical(text) == re.sub(r"[\W_]+", "", folded)


def test_canonical_form_and_ocr_folding() -> None:
    assert canonical("The U.S. Dollar, up 1.5%!") == "theusdollarup15"
    assert canonical("govemment", fold=True) == canonical("government", fold=True)  # rn read as m
    assert canonical("St0ck Exchanqe", fold=True) == canonical("Stock Exchange", fold=True)


def test_value_slots_tell_template_instances_apart() -> None:
    week1 = value_slots("For the week ended March 29 an estimated 77,000 boxes were harvested.", 8)
    week2 = value_slots("For the week ended April 5 an estimated 64,000 boxes were harvested.", 8)
    copy = value_slots("for the week ended march 29 an estimated 77,000 boxes were harvested", 8)
    assert slot_conflicts(week1, copy) == (2, 0)
    assert slot_conflicts(week1, week2) == (0, 2)
    assert slot_conflicts(week1, value_slots("No numbers here at all.", 8)) == (0, 0)


def test_star_clusters_verify_against_the_representative_only() -> None:
    # 0 is the best representative; 1 matches 0; 2 matches only 1 (a chain); 3 matches 0 and 2 (best: 0).
    matches = {(0, 1): 0.9, (1, 2): 0.9, (0, 3): 0.7, (2, 3): 0.95}
    rank = np.arange(4)
    pairs = np.array([[0, 1], [1, 2], [0, 3], [2, 3]])
    pairs = pairs[np.lexsort((rank[pairs[:, 0]], rank[pairs[:, 1]]))]
    rep, sim = star_clusters(4, pairs, rank, lambda b, w: matches.get((b, w)))
    assert rep.tolist() == [0, 0, 2, 2]  # 2 is not chained to 0 through 1; 3 picks the better rep 2
    assert sim.tolist() == [1.0, 0.9, 1.0, 0.95]


def test_a_document_joins_its_best_verified_representative_and_a_tie_keeps_the_better_ranked() -> None:
    # candidates best-ranked first: 4 did not verify; 9 and 2 tie at the best score, 9 is better ranked
    assert choose_representative([(4, None), (6, 0.71), (9, 0.93), (2, 0.93)]) == (9, 0.93)
    assert choose_representative([(4, None)]) is None and choose_representative([]) is None


def test_cluster_record_lists_members_by_id_and_credits_the_majority_agency() -> None:
    members = [
        ClusterMember("m", 2, listed_similarity(False, 0.812349), "AP"),
        ClusterMember("k", 0, listed_similarity(True, 0.5), "Reuters"),
        ClusterMember("a", 1, listed_similarity(False, 0.9), "AP"),
    ]
    cluster = cluster_record("k", members)
    assert (cluster.cluster, cluster.kept, cluster.origin) == ("k", "k", "AP")
    assert [(m.id, m.similarity) for m in cluster.members] == [("a", 0.9), ("k", 1.0), ("m", 0.8123)]
    # one credit each: the best-ranked member's agency
    assert cluster_record("k", members[:2]).origin == "Reuters"


def test_priority_rank_policies() -> None:
    content = np.array([10, 30, 30, 5])
    lengths = np.array([100, 90, 80, 400])
    dates = ["2024-01-03", "2024-01-02", None, "2024-01-01"]
    ids = ["a", "b", "c", "d"]
    order = lambda rank: [ids[i] for i in np.argsort(rank)]  # noqa: E731
    assert order(priority_rank("most_complete", content, lengths, dates, ids)) == ["b", "c", "a", "d"]
    assert order(priority_rank("earliest", content, lengths, dates, ids)) == ["d", "b", "a", "c"]
    assert order(priority_rank("longest_text", content, lengths, dates, ids)) == ["d", "a", "b", "c"]


def test_frequent_shingles_are_cut_but_never_everything() -> None:
    chrome = list(range(1000, 1010))  # site chrome: on every page
    rows = [np.array(sorted([*chrome, *range(6 * i, 6 * i + 6)]), dtype=np.uint32) for i in range(60)]
    rows.append(np.array(chrome, dtype=np.uint32))  # a page of nothing but chrome
    sizes = [len(r) for r in rows]
    sets = ShingleSets(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), np.concatenate(rows))
    cut = content_sets(sets, DedupConfig(df_floor=50))
    assert cut.row(0).tolist() == [0, 1, 2, 3, 4, 5]
    assert cut.row(60).tolist() == chrome  # would be emptied: keeps its full set instead
    assert content_sets(sets, DedupConfig(df_floor=100)).row(0).tolist() == rows[0].tolist()


def test_config_defaults_are_valid_and_documented() -> None:
    config = DedupConfig()
    assert config.bands * config.band_rows == config.num_perm
    with pytest.raises(Exception, match="containment_threshold"):
        DedupConfig(containment_threshold=2.0)


def test_chunks_follow_paragraphs_locally() -> None:
    body = ["First paragraph " * 6, "Second paragraph " * 6, "Third paragraph " * 6]
    text, starts = canonical_chunks("\n".join(body), fold=False, min_chars=40, max_chars=600)
    lengths = [len(canonical(p)) for p in body]
    assert starts == [0, lengths[0], lengths[0] + lengths[1]]
    # a short line (a headline) opens no chunk: it joins the paragraph after it; the rest is cut as before
    _, with_title = canonical_chunks("\n".join(["Headline", *body]), fold=False, min_chars=40, max_chars=600)
    title = len(canonical("Headline"))
    assert with_title == [0, title + lengths[0], title + lengths[0] + lengths[1]]
    # one long paragraph is cut into equal pieces no longer than max_chars
    _, pieces = canonical_chunks("word " * 400, fold=False, min_chars=40, max_chars=600)
    assert pieces == [0, 534, 1068]  # 1600 characters: three pieces of at most 600
    assert text == canonical("".join(body))


def test_chunk_signatures_are_datasketch_minhashes_of_each_chunk() -> None:
    texts = ["alpha beta gamma delta epsilon zeta eta theta", "iota kappa lambda mu nu xi omicron pi rho sigma"]
    starts = [[0, 20], [0, 15, 30]]
    sets = shingle_sets(texts, 6, 1, starts)
    assert sets.chunks is not None
    docs, chunks, sig = (np.concatenate(x) for x in zip(*chunk_signatures(sets, 32, seed=3), strict=True))
    assert sorted(zip(docs.tolist(), chunks.tolist(), strict=True)) == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]
    for doc, chunk, row in zip(docs.tolist(), chunks.tolist(), sig, strict=True):
        lo, hi = sets.offsets[doc], sets.offsets[doc + 1]
        hashes = sets.hashes[lo:hi][sets.chunks[lo:hi] == chunk]
        assert np.array_equal(row, minhash_update(hashes.tolist(), 32, seed=3).hashvalues)


def test_chunk_candidates_pair_documents_sharing_a_paragraph() -> None:
    shared = "the harbour board approved the dredging contract after a long debate on tuesday night"
    texts = [
        f"{shared} while unions protested outside the hall",  # doc 0: chunk 0 is the shared paragraph
        f"completely different opening words about the weather today {shared}",  # doc 1: its chunk 1
        "an unrelated story about football results and transfer fees this season in the league",
    ]
    starts = [[0, len(shared)], [0, len(texts[1]) - len(shared)], [0]]
    canons = [canonical(t) for t in texts]
    canon_starts = [[len(canonical(t[:s])) for s in row] for t, row in zip(texts, starts, strict=True)]
    sets = shingle_sets(canons, 10, 1, canon_starts)
    parts = list(chunk_signatures(sets, 128, seed=1))
    owner = np.concatenate([p[0] for p in parts])
    chunk = np.concatenate([p[1] for p in parts])
    keys = band_digests(np.concatenate([p[2] for p in parts]), 4)
    rank = np.array([1, 0, 2])  # doc 1 is the better representative
    pairs = chunk_candidate_pairs(keys, owner, chunk, rank, max_bucket=64)
    assert pairs.tolist() == [[1, 0]]


@given(st.lists(st.lists(st.booleans(), max_size=7), max_size=12))
@settings(max_examples=60, deadline=None)
def test_segment_counts(rows: list[list[bool]]) -> None:
    flat = np.array([b for row in rows for b in row], dtype=bool)
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    assert segment_counts(flat, offsets).tolist() == [sum(r) for r in rows]


@pytest.mark.parametrize("max_df", [1, 2, 5])
def test_frequent_hashes_are_the_same_sorted_whole_or_by_buckets(monkeypatch: pytest.MonkeyPatch, max_df: int) -> None:
    """A small corpus sorts all its hashes, a large one only those of crowded buckets: the same answer."""
    rng = np.random.default_rng(max_df)
    common = rng.integers(0, 2**32, 40, dtype=np.uint64).astype(np.uint32)

    def row() -> np.ndarray:
        return np.unique(np.concatenate([rng.choice(common, 12), rng.integers(0, 2**32, 300, dtype=np.uint64)]))

    rows = [row() for _ in range(30)]
    sets = ShingleSets(
        np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64),
        np.concatenate(rows).astype(np.uint32),
    )
    whole = frequent_hashes(sets, max_df)
    monkeypatch.setattr(shingles_module, "_SORT_ALL_BELOW", 0)
    by_buckets = frequent_hashes(sets, max_df)
    documents_with = Counter(h for r in rows for h in r.tolist())  # rows are sets: a count is a document count
    assert whole.tolist() == sorted(h for h, documents in documents_with.items() if documents > max_df)
    assert len(whole) > 0 and np.array_equal(whole, by_buckets)
