"""Near-duplicate clustering: behaviour of `Deduplicator` on small synthetic wire stories.

Every text here is generated (seeded made-up words and numbers); none comes from a benchmark set.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup import DedupConfig, Deduplicator, EarlyPreparations, detect_origin, prepare_text
from cleaner.errors import ConfigError
from cleaner.models import Article, Cluster

_SYLLABLES = ["ka", "lo", "mi", "ren", "tas", "vo", "bri", "del", "fu", "gan", "hol", "jis", "ner", "pra", "sul", "tor"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def paragraph(seed: int, words: int = 60) -> str:
    """A sentence-like paragraph of made-up words, with a number now and then; the same seed, the same text."""
    rng = random.Random(seed)
    out = []
    for i in range(words):
        out.append(str(rng.randint(2, 990)) if i % 17 == 9 else _word(rng))
    return " ".join(out).capitalize() + "."


def story(seed: int, paragraphs: int = 6) -> list[str]:
    return [paragraph(seed * 100 + k) for k in range(paragraphs)]


def article(id_: str, paragraphs: list[str], published: str | None = None, head: str = "") -> Article:
    text = "\n".join(([head] if head else []) + paragraphs)
    return Article(id=id_, source=f"{id_}.html", url=None, text=text, published=published)


def ocr_noise(text: str, seed: int, every: int = 45) -> str:
    """Misread one character in `every` (classic confusions) and drop some spaces, deterministically."""
    rng = random.Random(seed)
    swaps = {"m": "rn", "o": "0", "l": "1", "e": "c", "n": "u", "b": "h", "t": "f", "a": "s"}
    out = []
    for ch in text:
        roll = rng.randrange(every)
        if roll == 0 and ch in swaps:
            out.append(swaps[ch])
        elif roll == 1 and ch == " ":
            continue
        else:
            out.append(ch)
    return "".join(out)


def run(articles: list[Article], config: DedupConfig | None = None) -> list[Cluster]:
    dedup = Deduplicator(config)
    dedup.add_many(articles)
    return dedup.clusters()


def cluster_of(clusters: list[Cluster]) -> dict[str, str]:
    return {m.id: c.cluster for c in clusters for m in c.members}


def test_every_id_once_members_sorted_and_kept_first_class() -> None:
    base = story(1)
    docs = [
        article("b", base),
        article("a", base[:3], head="By Staff Writer PARIS -"),
        article("c", story(2)),
        article("d", story(3)),
    ]
    clusters = run(docs)
    ids = [m.id for c in clusters for m in c.members]
    assert sorted(ids) == ["a", "b", "c", "d"]
    assert [c.cluster for c in clusters] == sorted(c.cluster for c in clusters)
    for c in clusters:
        assert c.cluster == c.kept
        assert [m.id for m in c.members] == sorted(m.id for m in c.members)
        kept = [m for m in c.members if m.id == c.kept]
        assert len(kept) == 1 and kept[0].similarity == 1.0
    assert cluster_of(clusters) == {"a": "b", "b": "b", "c": "c", "d": "d"}


def test_trimmed_copy_is_contained_in_the_full_story() -> None:
    full = story(5, paragraphs=8)
    trimmed = full[:2]  # inverted pyramid: the first two paragraphs only
    docs = [
        article("full", full, head="WASHINGTON (Reuters) -"),
        article("trim", trimmed, head="By Staff Writer TOKYO -"),
        article("other", story(6, paragraphs=8)),
    ]
    clusters = run(docs)
    assert cluster_of(clusters) == {"full": "full", "trim": "full", "other": "other"}
    member = next(m for c in clusters for m in c.members if m.id == "trim")
    assert member.similarity >= 0.9  # the trimmed copy is (almost) wholly inside the full story


def test_noisy_edited_copy_joins_its_story() -> None:
    full = story(7, paragraphs=5)
    edited = [p.replace(" said", " says") for p in full[:4]]
    noisy = ocr_noise("\n".join(edited), seed=3).split("\n")
    clusters = run([article("clean", full), article("noisy", noisy), article("x", story(8, paragraphs=5))])
    assert cluster_of(clusters)["noisy"] == "clean"


def test_no_chaining_a_b_c() -> None:
    # A is the most complete copy. B shares two of its three paragraphs with A, C two of its three with B, and
    # only one with A: A~B and B~C verify, A~C does not. Union-find over verified pairs would put all three in
    # one cluster; a member must match the representative itself.
    p = [paragraph(900 + k) for k in range(8)]
    a, b, c = article("A", p[0:6]), article("B", p[4:7]), article("C", p[5:8])
    labels = cluster_of(run([a, b, c]))
    assert labels["C"] != labels["A"]
    assert labels["B"] in {labels["A"], labels["C"]}
    assert cluster_of(run([a, b])) == {"A": "A", "B": "A"}  # the pairs themselves do verify
    assert len(set(cluster_of(run([b, c])).values())) == 1


def crop_report(week: str, boxes: tuple[int, int], rain: int) -> list[str]:
    """A templated weekly report: same wording every week, the numbers and dates carry the news."""
    early, late = boxes
    lead = (
        f"Groves of the southern valley district continue in good condition according to the latest report of the "
        f"state agricultural statistics service for the week ended {week}. Rainfall totalled {rain} millimetres "
        f"across the district and temperatures stayed near the seasonal average for most of the period."
    )
    harvest = (
        f"For the week ended {week} there were an estimated {early:,} boxes of early and midseason and {late:,} "
        f"boxes of late season oranges harvested, the service said in its weekly summary to growers and packers."
    )
    outlook = (
        "Most trees are in some stage of bloom development with petal drop already taking place in many groves "
        "and harvest of late type oranges is increasing as the early varieties near completion, the service said."
    )
    closing = (
        "Packing houses in the district reported steady shipments to northern markets and the juice plants kept "
        "running at full capacity through the period, the report added."
    )
    return [lead, harvest, outlook, closing]


def test_templated_stories_with_different_numbers_stay_apart() -> None:
    week1 = crop_report("March 29", (77_000, 945_000), 31)
    week2 = crop_report("April 5", (64_000, 1_120_000), 12)
    docs = [
        article("w1", week1, head="WASHINGTON (Reuters) -"),
        article("w1-copy", week1[:3], head="By Staff Writer CHICAGO -"),
        article("w2", week2, head="WASHINGTON (Reuters) -"),
    ]
    labels = cluster_of(run(docs))
    assert labels["w1-copy"] == "w1"  # a true (trimmed) copy of week 1 still joins it
    assert labels["w2"] == "w2"  # same template, different event


def earnings(company: str, values: tuple[str, ...]) -> list[str]:
    shr, shr_prev, net, net_prev, revs, revs_prev = values
    return [
        f"{company} 1st qtr net",
        f"Shr {shr} cts vs {shr_prev} cts",
        f"Net {net} vs {net_prev}",
        f"Revs {revs} mln vs {revs_prev} mln",
        "Note: results of the period include the operations of the units acquired during the last fiscal year, "
        "and prior year figures were restated for the change in accounting for pension costs adopted in the "
        "fourth quarter, the company said in its statement to shareholders.",
    ]


def test_templated_earnings_tables_stay_apart() -> None:
    one = earnings("Intermedics Inc", ("26", "18", "2,877,000", "1,838,000", "44.3", "40.8"))
    two = earnings("Allied Products Corp", ("31", "22", "3,104,000", "2,511,000", "52.7", "47.9"))
    labels = cluster_of(run([article("one", one), article("one-copy", one[1:]), article("two", two)]))
    assert labels == {"one": "one", "one-copy": "one", "two": "two"}


def _corpus() -> list[Article]:
    full = story(11, paragraphs=7)
    second = story(12, paragraphs=5)
    week1 = crop_report("May 3", (50_000, 600_000), 20)
    week2 = crop_report("May 10", (58_000, 640_000), 9)
    return [
        article("s1-full", full, "2024-05-02", head="LONDON (Reuters) -"),
        article("s1-trim", full[:3], "2024-05-02", head="By Staff Writer PARIS -"),
        article("s1-noisy", ocr_noise("\n".join(full[:5]), seed=9).split("\n"), "2024-05-03"),
        article("s1-drop", full[:2] + full[3:], "2024-05-01"),
        article("s2", second, "2024-05-04", head="(AP) —"),
        article("s2-copy", second[:4], "2024-05-04"),
        article("w1", week1, "2024-05-03"),
        article("w2", week2, "2024-05-10"),
        article("w2-copy", week2[:3], "2024-05-11"),
        article("lone", story(13, paragraphs=3), None),
        article("empty", [], None),
    ]


def _shape(clusters: list[Cluster]) -> list[tuple[str, str | None, tuple[tuple[str, float], ...]]]:
    return [(c.cluster, c.origin, tuple((m.id, m.similarity) for m in c.members)) for c in clusters]


def test_reference_corpus_clusters() -> None:
    labels = cluster_of(run(_corpus()))
    assert labels["s1-trim"] == labels["s1-noisy"] == labels["s1-drop"] == labels["s1-full"] == "s1-full"
    assert labels["s2-copy"] == labels["s2"] == "s2"
    assert labels["w2-copy"] == labels["w2"] == "w2"
    assert labels["w1"] == "w1"
    assert labels["lone"] == "lone" and labels["empty"] == "empty"


@settings(max_examples=25, deadline=None)
@given(st.permutations(_corpus()))
def test_order_independence(shuffled: list[Article]) -> None:
    assert _shape(run(list(shuffled))) == _shape(run(_corpus()))


def test_origin_is_the_credited_agency() -> None:
    clusters = {c.cluster: c for c in run(_corpus())}
    assert clusters["s1-full"].origin == "Reuters"
    assert clusters["s2"].origin == "AP"
    assert clusters["lone"].origin is None


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("WASHINGTON (Reuters) - The central bank said on Tuesday.", "Reuters"),
        ("NEW DELHI: The minister said the plan was ready. (PTI)", "PTI"),
        ("PARIS (AFP) -- Strikes halted trains.", "AFP"),
        ("AP — A storm hit the coast.", "AP"),
        ("Prices rose.\nWith inputs from PTI", "PTI"),
        ("Prices rose.\nCopyright 2024 The Associated Press. All rights reserved.", "AP"),
        ("The company said profits rose. REUTER", "Reuters"),
        ("the company said profits rose. reuter", "Reuters"),  # a lower-cased copy
        ("TOKYO (Reutera) - Exports rose in March.", "Reuters"),  # OCR misread the dateline tag
        ("The firm (Nokia) - a supplier - said.", None),
        ("The company told Reuters it would appeal.", None),
        ("According to AP, the vote was close.", None),
        ("A quiet day on the markets.", None),
    ],
)
def test_detect_origin(text: str, agency: str | None) -> None:
    assert detect_origin(text) == agency


def test_duplicate_id_is_a_clear_error() -> None:
    dedup = Deduplicator()
    dedup.add(article("x", story(1)))
    with pytest.raises(ValueError, match="duplicate article id 'x'"):
        dedup.add(article("x", story(2)))


def test_representative_policy_earliest() -> None:
    full = story(21, paragraphs=6)
    docs = [article("long", full, "2024-03-02"), article("early", full[:3], "2024-03-01")]
    assert cluster_of(run(docs))["long"] == "long"  # default: the most complete copy
    labels = cluster_of(run(docs, DedupConfig(representative="earliest")))
    assert labels == {"long": "early", "early": "early"}


def test_identical_copies_tie_break_on_date_then_id() -> None:
    text = story(22)
    docs = [article("b", text, "2024-01-02"), article("c", text, "2024-01-01"), article("a", text, "2024-01-02")]
    assert {c.kept for c in run(docs)} == {"c"}
    undated = [article("b", text), article("a", text)]
    assert {c.kept for c in run(undated)} == {"a"}


def test_clusters_are_recomputed_after_more_adds() -> None:
    dedup = Deduplicator()
    full = story(31)
    dedup.add(article("one", full))
    assert len(dedup.clusters()) == 1
    dedup.add(article("two", full[:4]))
    assert cluster_of(dedup.clusters()) == {"one": "one", "two": "one"}


def test_batches_do_not_change_the_result() -> None:
    corpus = _corpus()
    assert _shape(run(corpus, DedupConfig(batch_size=3))) == _shape(run(corpus))


def test_early_preparations_do_not_change_the_result() -> None:
    """As a run uses them: prepared on arrival, then some texts change (site templates) before clustering."""
    corpus = _corpus()
    early = EarlyPreparations(DedupConfig())
    for item in corpus:
        early.add(item.text)
    changed = [item for item in corpus if item.id != "s1-trim"]
    changed.append(article("s1-trim", story(11)[:3]))  # a text the early preparations never saw
    dedup = Deduplicator(DedupConfig(), early)
    dedup.add_many(changed)
    assert _shape(dedup.clusters()) == _shape(run(changed))
    assert len(early) == 1  # every text still the same was taken; the one that changed is left over


@pytest.mark.parametrize("shingle_batch", [1, 2, 3, 1000])
def test_early_shingles_equal_the_deduplicators_own(shingle_batch: int) -> None:
    """Rows shingled ahead of time in batches (some texts left unshingled, one changed) give the same sets."""
    corpus = _corpus()
    config = DedupConfig(batch_size=4)  # several Deduplicator batches, each mixing early and late rows
    early = EarlyPreparations(config, shingle_batch=shingle_batch)
    for item in corpus:
        early.add(item.text)
    shingled = sum(p.shingled is not None for p in early._by_text.values())
    assert shingled == len(corpus) - len(corpus) % shingle_batch
    changed = [*corpus[1:], article("changed", story(11)[:3])]
    with_early, without = Deduplicator(config, early), Deduplicator(config)
    with_early.add_many(changed)
    without.add_many(changed)
    ours, theirs = with_early.features(), without.features()
    assert np.array_equal(ours.sets.offsets, theirs.sets.offsets)
    assert np.array_equal(ours.sets.hashes, theirs.sets.hashes)
    assert np.array_equal(ours.sets.chunk_ids(), theirs.sets.chunk_ids())
    assert len(ours.sets.hashes) > 0
    assert len(early) == 1  # every unchanged text was taken


def test_early_preparation_is_only_for_its_own_config_and_text() -> None:
    text = "\n".join(story(5))
    early = EarlyPreparations(DedupConfig())
    early.add(text)
    assert early.take(text, DedupConfig(shingle_size=4)) is None
    assert early.take(text + " more", DedupConfig()) is None
    assert early.take(text, DedupConfig()) == prepare_text(text, DedupConfig())
    assert early.take(text, DedupConfig()) is None  # handed over once


def test_early_preparations_stop_at_their_memory_budget() -> None:
    early = EarlyPreparations(DedupConfig(), max_chars=1)
    early.add("\n".join(story(1)))
    early.add("\n".join(story(2)))
    assert len(early) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"containment_threshold": 0.0},
        {"num_perm": 255},
        {"shingle_sample": 0},
        {"representative": "random"},
        {"max_bucket": 1},
    ],
)
def test_config_rejects_bad_values(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        DedupConfig(**changes)  # type: ignore[arg-type]
