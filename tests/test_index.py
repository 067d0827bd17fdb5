"""The persistent event index: a corpus processed in several runs gives the clusters of one run over all of it,
except where docs/INDEX.md says it may not (decisions made under an earlier frequent-shingle cut), and a run killed
at any point leaves the index usable.

"Same clusters" is checked as: the same partition of documents into events, the same representative for every
event and the same similarity for every member, read back with `iter_events` (what `cleaner index show` prints).
Event ids are the first run's kept ids, so they differ from a single run's ids exactly where a later run brought a
better representative; those cases are checked too.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from cleaner import stages
from cleaner.config import Config, RunConfig
from cleaner.dedup.config import DedupConfig
from cleaner.engines import local
from cleaner.errors import IndexMismatchError, InputError
from cleaner.index import CURRENT, add_documents, index_stats, iter_events, locked, open_index, write_run_with_index
from cleaner.index import store as index_store
from cleaner.io.readers import iter_input_files
from cleaner.models import Article, Outcome
from tests.conftest import DEMO, ROOT, read_jsonl

# A small corpus must still exercise the corpus-level frequent-shingle cut: with these settings a shingle in more
# than max(4, 3% of documents) documents is dropped, so the cut moves as later runs grow the corpus.
CUT = DedupConfig(df_floor=4, df_fraction=0.03)
OUTLETS = ("north", "south", "east", "west", "coast", "valley")


# --------------------------------------------------------------------------------------------------------------
# A synthetic wire corpus: stories copied by outlets (trimmed, a paragraph dropped, light edits, outlet chrome)


def _words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(n)]


def _story(rng: random.Random, vocab: list[str], paragraphs: int) -> list[str]:
    out = []
    for _ in range(paragraphs):
        words = rng.choices(vocab, k=rng.randint(25, 45))
        words.insert(rng.randrange(len(words)), str(rng.randint(10, 9999)))
        out.append(" ".join(words).capitalize() + ".")
    return out


def _copy(rng: random.Random, story: list[str], outlet: str) -> str:
    kind = rng.choice(("full", "trim", "drop", "edit"))
    paragraphs = list(story)
    if kind == "trim":
        paragraphs = paragraphs[: rng.randint(4, len(paragraphs))]
    elif kind == "drop":
        del paragraphs[rng.randrange(1, len(paragraphs))]
    elif kind == "edit":
        paragraphs = [
            p.replace(" the ", " a ").replace(".", " today.", 1) if i % 2 else p for i, p in enumerate(paragraphs)
        ]
    chrome = f"Follow {outlet} news on every platform for the latest headlines and analysis"
    return "\n".join([f"{outlet.upper()} - " + paragraphs[0], *paragraphs[1:], chrome])


def synthetic_corpus(seed: int = 7, stories: int = 36) -> list[Article]:
    rng = random.Random(seed)
    vocab = _words(rng, 900)
    articles = []
    for s in range(stories):
        story = _story(rng, vocab, rng.randint(6, 9))
        for c in range(rng.choice((1, 1, 2, 3, 4, 5))):
            outlet = OUTLETS[(s + c) % len(OUTLETS)]
            doc_id = hashlib.sha256(f"{seed}-{s}-{c}".encode()).hexdigest()[:16]
            date = f"2026-02-{1 + (s + c) % 27:02d}"
            articles.append(
                Article(
                    doc_id,
                    f"{outlet}/{s}-{c}",
                    f"https://{outlet}.example/{s}/{c}",
                    _copy(rng, story, outlet),
                    title=f"story {s}",
                    site=outlet,
                    published=date,
                )
            )
    return articles


def one_run(articles: Sequence[Article], config: DedupConfig) -> tuple[set[frozenset[str]], set[str], dict[str, float]]:
    """(partition, representatives, similarities) of a plain run: stages.cluster_articles, no index."""
    clusters = stages.cluster_articles(articles, Config(dedup=config))
    partition = {frozenset(m.id for m in c.members) for c in clusters}
    similarity = {m.id: m.similarity for c in clusters for m in c.members}
    return partition, {c.kept for c in clusters}, similarity


Result = tuple[set[frozenset[str]], set[str], dict[str, float]]
# nothing is ever frequent: the cut cannot move between runs
NO_CUT = DedupConfig(df_floor=1_000_000, site_df_floor=1_000_000)  # neither the corpus nor the per-site cut
CORPUS_CUT_ONLY = DedupConfig(site_df_floor=1_000_000)


def index_result(index: Path) -> Result:
    """(partition, representatives, similarities) of the index's current events."""
    partition, reps, similarity = set(), set(), {}
    for event in iter_events(index):
        partition.add(frozenset(s.id for s in event.sources))
        reps.add(event.kept)
        similarity.update({s.id: 1.0 if s.id == event.kept else s.similarity for s in event.sources})
    return partition, reps, similarity


def in_runs(index: Path, parts: Sequence[Sequence[Article]], config: DedupConfig) -> Path:
    """Each part as one run against the index on disk."""
    for part in parts:
        add_documents(index, part, config)
    return index


def split_by_hash(articles: Sequence[Article], parts: int) -> list[list[Article]]:
    bucket = [int(hashlib.sha256(a.id.encode()).hexdigest(), 16) % parts for a in articles]
    return [[a for a, b in zip(articles, bucket, strict=True) if b == k] for k in range(parts)]


# --------------------------------------------------------------------------------------------------------------
# Equality with one run


@pytest.mark.parametrize(("seed", "parts"), [(7, 1), (7, 2), (11, 3), (3, 9)])
def test_runs_split_at_random_give_the_one_run_clusters_when_the_cut_cannot_move(
    tmp_path: Path, seed: int, parts: int
) -> None:
    corpus = synthetic_corpus(seed=seed, stories=50)
    expected = one_run(corpus, NO_CUT)
    assert any(len(group) >= 3 for group in expected[0])  # the corpus has real multi-copy events
    assert index_result(in_runs(tmp_path, split_by_hash(corpus, parts), NO_CUT)) == expected


@pytest.mark.parametrize(("seed", "parts"), [(3, 5), (7, 6), (11, 9)])
def test_with_the_default_cut_the_outlets_chrome_crosses_it_and_the_clusters_still_match(
    tmp_path: Path, seed: int, parts: int
) -> None:
    """The outlets' shared chrome line crosses the default cut (50 documents) only once the runs add up. Events a
    later run touches are decided again under the new cut; the others keep what they were decided with: here the
    same partition and representatives as one run, and similarities computed with the chrome still in (it is about
    1% of a copy's shingles, so they differ in the third decimal at most). The per-site cut is off on both sides:
    the index counts it over each run's pages only (docs/INDEX.md), so it cannot match one run's count."""
    corpus = synthetic_corpus(seed=seed, stories=50)
    index = in_runs(tmp_path, split_by_hash(corpus, parts), CORPUS_CUT_ONLY)
    runs = [r["frequent_shingles"] for r in json.loads(_generation_file(index).read_text())["runs"]]
    assert runs[0] < runs[-1]  # the cut moved
    partition, reps, similarity = index_result(index)
    expected = one_run(corpus, CORPUS_CUT_ONLY)
    assert (partition, reps) == expected[:2]
    assert max(abs(similarity[d] - s) for d, s in expected[2].items()) < 0.01


def test_chronological_runs_give_the_one_run_clusters(tmp_path: Path) -> None:
    corpus = sorted(synthetic_corpus(seed=11), key=lambda a: (a.published, a.id))
    days = sorted({a.published for a in corpus})
    weeks = [[a for a in corpus if a.published in days[i : i + 7]] for i in range(0, len(days), 7)]
    assert len(weeks) >= 3
    assert index_result(in_runs(tmp_path, weeks, NO_CUT)) == one_run(corpus, NO_CUT)


def test_the_cut_is_counted_exactly_over_the_index_without_recounting_it(tmp_path: Path) -> None:
    from cleaner.dedup import max_document_frequency
    from cleaner.dedup.shingles import frequent_hashes
    from cleaner.index.features import Features, document_features

    corpus = synthetic_corpus(stories=60)
    parts = split_by_hash(corpus, 6)
    for k, part in enumerate(parts):
        add_documents(tmp_path, part, CUT)
        so_far = Features.concat([document_features(p, CUT) for p in parts[: k + 1]])
        expected = frequent_hashes(so_far.sets, max_document_frequency(len(so_far), CUT))
        reader = open_index(tmp_path)
        assert np.array_equal(reader.frequent()[0], expected)
        reader.close()


def test_a_cut_that_moves_leaves_untouched_events_as_they_were_decided(tmp_path: Path) -> None:
    """The documented difference: two copies that verify only once a shared line is cut stay apart when no later
    run touches their events, although one run over everything puts them together."""
    rng = random.Random(17)
    vocab = _words(rng, 600)
    story = _story(rng, vocab, 3)
    promos = [" ".join(rng.choices(vocab, k=40)) for _ in range(2)]
    first = Article("a-first", "a", None, "\n".join([*story, promos[0]]))
    second = Article("b-second", "b", None, "\n".join([story[0], promos[1]]))
    # later runs: unrelated stories that carry the same two promo lines, so that they become frequent
    later = [
        Article(f"z-{k:03d}", f"z/{k}", None, "\n".join([*_story(rng, vocab, 3), promos[k % 2]])) for k in range(12)
    ]
    config = DedupConfig(df_floor=4, df_fraction=0.01)
    assert {frozenset(("a-first", "b-second"))} <= one_run([first, second, *later], config)[0]
    index = in_runs(tmp_path, [[first, second], later], config)
    assert {frozenset(("a-first",)), frozenset(("b-second",))} <= index_result(index)[0]


def test_a_later_more_complete_copy_represents_the_event_under_its_first_id(tmp_path: Path) -> None:
    rng = random.Random(3)
    story = _story(rng, _words(rng, 500), 8)
    trimmed = Article("b-trimmed", "s/1", None, "\n".join(story[:4]), site="south", published="2026-02-01")
    full = Article("a-full", "s/2", None, "\n".join(story), site="north", published="2026-02-02")
    other = Article("c-other", "s/3", None, "\n".join(_story(rng, _words(rng, 500), 6)), site="east")
    index = in_runs(tmp_path, [[trimmed, other], [full]], CUT)
    events = {e.event: e for e in iter_events(index)}
    assert [s.id for s in events["b-trimmed"].sources] == ["a-full", "b-trimmed"]  # the first run's kept id
    assert events["b-trimmed"].kept == "a-full"  # representative: the best copy seen so far
    assert events["b-trimmed"].representative.text == full.text
    assert index_result(index) == one_run([trimmed, full, other], CUT)


def test_a_copy_linking_two_earlier_events_merges_them_into_the_older(tmp_path: Path) -> None:
    rng = random.Random(5)
    story = _story(rng, _words(rng, 500), 8)
    head = Article("h-head", "s/1", None, "\n".join(story[:4]), published="2026-02-01")
    tail = Article("t-tail", "s/2", None, "\n".join(story[4:]), published="2026-02-01")
    late = Article("l-late", "s/3", None, "\n".join(story[4:7]), published="2026-02-03")
    full = Article("f-full", "s/4", None, "\n".join(story), published="2026-02-02")
    in_runs(tmp_path, [[head, tail], [late]], CUT)
    assert len(list(iter_events(tmp_path))) == 2
    update = add_documents(tmp_path, [full], CUT)
    (event,) = iter_events(tmp_path)
    assert (event.event, event.aliases) == ("h-head", ["t-tail"])
    assert update.merged == {"t-tail": "h-head"}
    assert index_result(tmp_path) == one_run([head, tail, late, full], CUT)


def test_segments_are_merged_as_runs_add_up_and_the_clusters_stay(tmp_path: Path) -> None:
    corpus = synthetic_corpus(seed=3, stories=50)
    index = in_runs(tmp_path, split_by_hash(corpus, 9), NO_CUT)
    stats = index_stats(index)
    assert stats["runs"] == 9 and len(stats["segments"]) < 9
    assert sum(s["documents"] for s in stats["segments"]) == stats["documents"] == len(corpus)
    assert index_result(index) == one_run(corpus, NO_CUT)


def test_the_partition_index_show_reads_equals_the_replay_of_the_runs_outputs(tmp_path: Path) -> None:
    corpus = synthetic_corpus(seed=11, stories=40)
    for k, part in enumerate(split_by_hash(corpus, 4)):
        write_run_with_index(tmp_path / f"day{k}", [_outcome(a) for a in part], tmp_path / "index", Config(dedup=CUT))
    replayed: dict[str, str] = {}
    for k in range(4):
        for cluster in read_jsonl(tmp_path / f"day{k}" / "clusters.jsonl"):
            replayed.update({m["id"]: cluster["cluster"] for m in cluster["members"]})
    shown = {s.id: e.event for e in iter_events(tmp_path / "index") for s in e.sources}
    assert len(shown) == len(corpus) and shown == replayed


def test_the_rank_key_orders_documents_as_the_one_run_rank() -> None:
    from cleaner.dedup.cluster import priority_key, priority_rank
    from cleaner.dedup.config import REPRESENTATIVE_POLICIES

    rng = random.Random(1)
    n = 300
    content = np.array([rng.randint(0, 5) for _ in range(n)])
    length = np.array([rng.randint(0, 5) for _ in range(n)])
    dates = [rng.choice([None, "2026-01-01", "2026-01-02", "2025-12-31"]) for _ in range(n)]
    ids = [f"{rng.randint(0, 50):03d}-{k}" for k in range(n)]
    for policy in REPRESENTATIVE_POLICIES:
        rank = priority_rank(policy, content, length, dates, ids)
        keys = [priority_key(policy, int(content[i]), int(length[i]), dates[i], ids[i]) for i in range(n)]
        assert sorted(range(n), key=keys.__getitem__) == np.argsort(rank).tolist()


# --------------------------------------------------------------------------------------------------------------
# The pipeline around it: outputs of a run with an index


@pytest.fixture(scope="module")
def demo_by_site() -> tuple[list[Outcome], list[Outcome]]:
    """The demo corpus extracted as two crawls: alternate outlets (sorted), sources relative to the repo root."""
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        files = [str(p.relative_to(ROOT)) for p in iter_input_files([DEMO])]
        outlets = sorted({Path(f).parts[2] for f in files})
        groups = ([f for f in files if outlets.index(Path(f).parts[2]) % 2 == k] for k in (0, 1))
        config = Config(run=RunConfig(jobs=1))
        first, second = (local.extract_outcomes(group, config) for group in groups)
    finally:
        os.chdir(previous)
    return first, second


@pytest.mark.parametrize("order", ["as-sorted", "reversed"])
def test_demo_in_two_crawls_gives_the_clusters_of_the_demo_run(
    tmp_path: Path, demo_run: Path, demo_by_site: tuple[list[Outcome], ...], order: str
) -> None:
    crawls = demo_by_site if order == "as-sorted" else demo_by_site[::-1]
    config = Config(run=RunConfig(jobs=1))
    for k, outcomes in enumerate(crawls):
        write_run_with_index(tmp_path / f"day{k}", outcomes, tmp_path / "index", config)
    clusters = read_jsonl(demo_run / "clusters.jsonl")
    expected_partition = {frozenset(m["id"] for m in c["members"]) for c in clusters}
    assert index_result(tmp_path / "index")[:2] == (expected_partition, {c["kept"] for c in clusters})
    # the seed event: all seven outlets, in one event, whichever crawl brought its best copy
    seed = max(clusters, key=lambda c: c["size"])
    day2 = {e["id"]: e for e in read_jsonl(tmp_path / "day1" / "manifest.jsonl")}
    seed_in_day2 = [m["id"] for m in seed["members"] if m["id"] in day2]
    events = {day2[i]["cluster"] for i in seed_in_day2}
    assert len(events) == 1 and all(day2[i]["status"] == "duplicate" for i in seed_in_day2)
    (update,) = [u for u in read_jsonl(tmp_path / "day1" / "updates.jsonl") if u["event"] in events]
    assert update["size"] == 7 and {s["id"] for s in update["sources"]} == {m["id"] for m in seed["members"]}
    assert update["kept"] == seed["kept"]


def test_second_run_reports_duplicates_of_earlier_events_and_never_rewrites_them(tmp_path: Path) -> None:
    rng = random.Random(9)
    story = _story(rng, _words(rng, 500), 8)
    config = Config(dedup=CUT)
    day1 = [_outcome(Article("k-kept", "d1/a", "https://a.example/1", "\n".join(story[:5]), site="A", title="T1"))]
    day2 = [
        _outcome(Article("n-full", "d2/b", "https://b.example/1", "\n".join(story), site="B", title="T2")),
        _outcome(Article("n-new", "d2/c", None, "\n".join(_story(rng, _words(rng, 400), 6)), site="C")),
        Outcome("n-bad", "d2/bad", reason="not html: test"),
    ]
    write_run_with_index(tmp_path / "day1", day1, tmp_path / "index", config)
    first_outputs = {p.name: p.read_bytes() for p in (tmp_path / "day1").iterdir()}
    report = write_run_with_index(tmp_path / "day2", day2, tmp_path / "index", config)
    assert {p.name: p.read_bytes() for p in (tmp_path / "day1").iterdir()} == first_outputs
    manifest = {e["id"]: e for e in read_jsonl(tmp_path / "day2" / "manifest.jsonl")}
    assert manifest["n-full"]["status"] == "duplicate" and manifest["n-full"]["duplicate_of"] == "k-kept"
    assert manifest["n-new"]["status"] == "kept" and manifest["n-bad"]["status"] == "rejected"
    (update,) = read_jsonl(tmp_path / "day2" / "updates.jsonl")
    assert (update["event"], update["kept"], update["previous_kept"]) == ("k-kept", "n-full", "k-kept")
    assert update["added"] == ["n-full"] and update["representative"]["text"] == "\n".join(story)
    assert [s["id"] for s in update["sources"]] == ["k-kept", "n-full"]
    articles = {a["event"]: a for a in read_jsonl(tmp_path / "day2" / "articles.jsonl")}
    assert articles["k-kept"]["id"] == "n-full" and articles["n-new"]["id"] == "n-new"
    assert (report.kept, report.duplicates, report.rejected) == (1, 1, 1)


def test_a_document_already_in_the_index_is_rejected_not_counted_twice(tmp_path: Path) -> None:
    config = Config(dedup=CUT)
    outcomes = [_outcome(a) for a in synthetic_corpus(stories=4)]
    write_run_with_index(tmp_path / "a", outcomes, tmp_path / "index", config)
    before = index_stats(tmp_path / "index")["documents"]
    report = write_run_with_index(tmp_path / "b", outcomes, tmp_path / "index", config)
    assert report.rejected == len(outcomes) and index_stats(tmp_path / "index")["documents"] == before
    reasons = {e["reason"].split(":")[0] for e in read_jsonl(tmp_path / "b" / "manifest.jsonl")}
    assert reasons == {"already indexed"}


def _outcome(article: Article) -> Outcome:
    return Outcome(article.id, article.source, article=article)


# --------------------------------------------------------------------------------------------------------------
# Versions, parameters, damage, locking


def _small_index(tmp_path: Path) -> Path:
    return in_runs(tmp_path / "index", [synthetic_corpus(stories=5)], CUT)


def _generation_file(index: Path) -> Path:
    return index / (index / CURRENT).read_text().strip()


def test_other_dedup_parameters_are_refused_with_the_difference(tmp_path: Path) -> None:
    index = _small_index(tmp_path)
    stored, other = DedupConfig().num_perm, DedupConfig().num_perm * 2
    with pytest.raises(IndexMismatchError, match=rf"num_perm = {stored} \(this run: {other}\)"):
        open_index(index, DedupConfig(df_floor=4, df_fraction=0.03, num_perm=other))
    open_index(index, DedupConfig(df_floor=4, df_fraction=0.03, batch_size=7))  # a speed knob: compatible


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (("versions", "datasketch"), "1.6.5", "datasketch 1.6.5"),
        (("versions", "numpy"), "1.26.4", "numpy 1.26.4"),
        (("hash_scheme", "probe_sha256"), "0" * 64, "another hash scheme"),
        (("format_version",), 1, "rebuild"),
    ],
)
def test_other_versions_or_hash_scheme_are_refused(
    tmp_path: Path, field: tuple[str, ...], value: object, message: str
) -> None:
    index = _small_index(tmp_path)
    meta = json.loads(_generation_file(index).read_text())
    target = meta["identity"]
    for key in field[:-1]:
        target = target[key]
    if field == ("versions", "numpy") and value.split(".")[0] == np.__version__.split(".")[0]:  # type: ignore[union-attr]
        value = "0.1"
    target[field[-1]] = value
    _generation_file(index).write_text(json.dumps(meta))
    with pytest.raises(IndexMismatchError, match=message if value != "0.1" else "numpy 0.1"):
        open_index(index, CUT)


def test_an_index_of_the_previous_format_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "gen-000001").mkdir()
    (tmp_path / CURRENT).write_text("gen-000001\n")
    with pytest.raises(IndexMismatchError, match=r"format 1.*rebuild"):
        open_index(tmp_path, CUT)


def test_a_damaged_segment_is_detected(tmp_path: Path) -> None:
    index = _small_index(tmp_path)
    (segment,) = index.glob("seg-*.bin")
    with open(segment, "r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(InputError, match="checksum"):
        index_stats(index, verify=True)
    with open(segment, "r+b") as handle:
        handle.truncate(50)
    with pytest.raises(InputError, match="shorter than recorded"):
        open_index(index, CUT)


def test_a_folder_that_is_not_an_index_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a cleaner index"):
        open_index(tmp_path, CUT)


def test_two_runs_cannot_extend_one_index_at_once(tmp_path: Path) -> None:
    with locked(tmp_path / "index"), pytest.raises(InputError, match="in use"), locked(tmp_path / "index"):
        pass


def test_same_runs_write_the_same_index_bytes(tmp_path: Path) -> None:
    parts = split_by_hash(synthetic_corpus(stories=8), 2)
    folders = []
    for name in ("a", "b"):
        in_runs(tmp_path / name, parts, CUT)
        folders.append({p.name: p.read_bytes() for p in (tmp_path / name).iterdir() if p.name != "LOCK"})
    assert folders[0] == folders[1]


# --------------------------------------------------------------------------------------------------------------
# Durability: a run killed at any point leaves the last committed index, and the next run completes it


DAYS = split_by_hash(synthetic_corpus(seed=23, stories=24), 4)


def _reference(tmp_path: Path) -> list[Result]:
    """The index after 0, 1, ... runs of DAYS, uninterrupted."""
    results = [(set(), set(), {})]
    for day in DAYS:
        add_documents(tmp_path / "reference", day, CUT)
        results.append(index_result(tmp_path / "reference"))
    return results


def _committed_runs(index: Path) -> int:
    return index_stats(index)["runs"] if index.is_dir() else 0


def _steps_of_a_run(tmp_path: Path) -> list[str]:
    labels: list[str] = []
    index_store.step_hook = labels.append
    try:
        in_runs(tmp_path / "count", DAYS, CUT)
    finally:
        index_store.step_hook = None
    return labels


def _run_and_die_at(index: Path, step: int) -> None:
    """In a forked child: the runs of DAYS still to do, the process killed (os._exit) at its `step`-th disk step."""
    pid = os.fork()
    if pid == 0:  # the child: no cleanup of any kind runs when it dies
        count = iter(range(1, 1 << 30))

        def die(label: str) -> None:
            if next(count) == step:
                os._exit(9)

        index_store.step_hook = die
        try:
            in_runs(index, DAYS[_committed_runs(index) :], CUT)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked child")
def test_a_run_killed_at_any_disk_step_leaves_a_usable_index_and_the_next_run_completes_it(tmp_path: Path) -> None:
    reference = _reference(tmp_path)
    steps = len(_steps_of_a_run(tmp_path))
    rng = random.Random(5)
    points = sorted({1, steps, *rng.sample(range(2, steps), 10)})  # the first, the last, ten at random
    index = tmp_path / "killed"
    for step in points:
        _run_and_die_at(index, step)
        runs = _committed_runs(index)
        assert index_result(index) == reference[runs]  # exactly the state after the last committed run
    in_runs(index, DAYS[_committed_runs(index) :], CUT)
    assert index_result(index) == reference[-1]
    assert not [p for p in index.iterdir() if p.name.startswith(".")]  # what the killed runs left is gone


_KILL_SCRIPT = """
import sys
from pathlib import Path
from tests.test_index import CUT, DAYS, add_documents
index = Path(sys.argv[1])
for day in DAYS:
    add_documents(index, day, CUT)
print("done", flush=True)
"""


@pytest.mark.parametrize("seed", [1, 2])
def test_a_run_killed_by_a_signal_at_a_random_moment_leaves_a_usable_index(tmp_path: Path, seed: int) -> None:
    reference = _reference(tmp_path)
    index = tmp_path / "killed"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(index)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    time.sleep(random.Random(seed).uniform(1.5, 4.0))  # imports take about a second; the runs a few more
    child.send_signal(signal.SIGKILL)
    child.wait()
    days_done = _committed_runs(index)
    assert (index_result(index) if days_done else (set(), set(), {})) == reference[days_done]
    in_runs(index, DAYS[days_done:], CUT)
    assert index_result(index) == reference[-1]


# --------------------------------------------------------------------------------------------------------------
# The CLI


def test_cli_runs_with_an_index_and_refuses_other_settings(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cleaner.cli import app

    jsonl = tmp_path / "day.jsonl"
    jsonl.write_text("".join(json.dumps({"id": a.id, "text": a.text}) + "\n" for a in synthetic_corpus(stories=4)))
    index = tmp_path / "index"
    ok = CliRunner().invoke(app, ["dedup", str(jsonl), "-o", str(tmp_path / "a"), "--index", str(index), "-q"])
    assert ok.exit_code == 0, ok.output
    config = tmp_path / "cleaner.toml"
    config.write_text(f"[dedup]\nnum_perm = {DedupConfig().num_perm * 2}\n")
    refused = CliRunner().invoke(
        app, ["dedup", str(jsonl), "-o", str(tmp_path / "b"), "--index", str(index), "--config", str(config)]
    )
    assert refused.exit_code == 2 and "num_perm" in refused.output


def test_cli_index_show_and_stats(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cleaner.cli import app

    corpus = synthetic_corpus(stories=6)
    index = in_runs(tmp_path / "index", split_by_hash(corpus, 2), CUT)
    shown = CliRunner().invoke(app, ["index", "show", str(index)])
    assert shown.exit_code == 0, shown.output
    lines = [json.loads(line) for line in shown.output.splitlines()]
    assert sorted(s["id"] for line in lines for s in line["sources"]) == sorted(a.id for a in corpus)
    assert [line["event"] for line in lines] == sorted(line["event"] for line in lines)
    written = CliRunner().invoke(app, ["index", "show", str(index), "-o", str(tmp_path / "events.jsonl")])
    assert written.exit_code == 0 and read_jsonl(tmp_path / "events.jsonl") == lines
    stats = CliRunner().invoke(app, ["index", "stats", str(index), "--json", "--verify"])
    assert stats.exit_code == 0, stats.output
    figures = json.loads(stats.output)
    assert (figures["documents"], figures["events"], figures["runs"]) == (len(corpus), len(lines), 2)
    missing = CliRunner().invoke(app, ["index", "stats", str(tmp_path / "nothing-here")])
    assert missing.exit_code == 2 and "not a folder" in missing.output
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    assert CliRunner().invoke(app, ["index", "show", str(tmp_path / "junk")]).exit_code == 2
