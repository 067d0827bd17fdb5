"""The persistent event index: a corpus processed in several runs gives the same clusters as one run over all of it.

"Same clusters" is checked as: the same partition of documents into events, the same representative for every
event and the same similarity for every member. Event ids are the first run's kept ids, so they differ from a
single run's ids exactly where a later run brought a better representative; those cases are checked too.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from cleaner import pipeline
from cleaner.config import Config, RunConfig
from cleaner.dedup.config import DedupConfig
from cleaner.errors import IndexMismatchError, InputError
from cleaner.index import (
    CURRENT,
    IndexState,
    locked,
    read_index,
    update_index,
    write_index,
    write_run_with_index,
)
from cleaner.models import Article
from cleaner.readers import iter_input_files
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
    """(partition, representatives, similarities) of a plain run: pipeline.cluster_articles, no index."""
    clusters = pipeline.cluster_articles(articles, Config(dedup=config))
    partition = {frozenset(m.id for m in c.members) for c in clusters}
    similarity = {m.id: m.similarity for c in clusters for m in c.members}
    return partition, {c.kept for c in clusters}, similarity


def index_result(state: IndexState) -> tuple[set[frozenset[str]], set[str], dict[str, float]]:
    partition = {frozenset(members) for members in state.members().values()}
    reps = {event.rep for event in state.events.values()}
    similarity = {
        i: (1.0 if i in reps else round(float(s), 4)) for i, s in zip(state.docs.ids, state.similarity, strict=True)
    }
    return partition, reps, similarity


def in_runs(tmp: Path, parts: Sequence[Sequence[Article]], config: DedupConfig) -> IndexState:
    """Each part as one run against the index on disk (written and read back between runs)."""
    for part in parts:
        state = read_index(tmp, config)
        write_index(tmp, update_index(state, part, config).state, config)
    return read_index(tmp, config)


def split_by_hash(articles: Sequence[Article], parts: int) -> list[list[Article]]:
    bucket = [int(hashlib.sha256(a.id.encode()).hexdigest(), 16) % parts for a in articles]
    return [[a for a, b in zip(articles, bucket, strict=True) if b == k] for k in range(parts)]


# --------------------------------------------------------------------------------------------------------------
# Equality with one run


@pytest.mark.parametrize("parts", [2, 3])
def test_runs_split_at_random_give_the_one_run_clusters(tmp_path: Path, parts: int) -> None:
    corpus = synthetic_corpus()
    expected = one_run(corpus, CUT)
    assert any(len(group) >= 3 for group in expected[0])  # the corpus has real multi-copy events
    assert index_result(in_runs(tmp_path, split_by_hash(corpus, parts), CUT)) == expected


def test_chronological_runs_give_the_one_run_clusters(tmp_path: Path) -> None:
    corpus = sorted(synthetic_corpus(seed=11), key=lambda a: (a.published, a.id))
    days = sorted({a.published for a in corpus})
    weeks = [[a for a in corpus if a.published in days[i : i + 7]] for i in range(0, len(days), 7)]
    assert len(weeks) >= 3
    assert index_result(in_runs(tmp_path, weeks, CUT)) == one_run(corpus, CUT)


def test_the_frequent_shingle_cut_moves_between_runs_and_results_still_match(tmp_path: Path) -> None:
    from cleaner.dedup import content_sets

    corpus = synthetic_corpus()
    first, second = split_by_hash(corpus, 2)
    state = in_runs(tmp_path, [first], CUT)
    ids = set(state.docs.ids)
    kept_then = content_sets(state.docs.sets, CUT).sizes()
    final = in_runs(tmp_path, [second], CUT)
    rows = [i for i, doc_id in enumerate(final.docs.ids) if doc_id in ids]
    kept_now = content_sets(final.docs.sets, CUT).sizes()[rows]
    assert (kept_then != kept_now).any()  # the outlets' chrome crossed the cut only once the corpus grew
    assert index_result(final) == one_run(corpus, CUT)


def test_a_later_more_complete_copy_represents_the_event_under_its_first_id(tmp_path: Path) -> None:
    rng = random.Random(3)
    story = _story(rng, _words(rng, 500), 8)
    trimmed = Article("b-trimmed", "s/1", None, "\n".join(story[:4]), site="south", published="2026-02-01")
    full = Article("a-full", "s/2", None, "\n".join(story), site="north", published="2026-02-02")
    other = Article("c-other", "s/3", None, "\n".join(_story(rng, _words(rng, 500), 6)), site="east")
    state = in_runs(tmp_path, [[trimmed, other], [full]], CUT)
    assert state.members()["b-trimmed"] == ["a-full", "b-trimmed"]  # event id: the first run's kept id
    assert state.events["b-trimmed"].rep == "a-full"  # representative: the best copy seen so far
    assert state.events["b-trimmed"].text == full.text
    assert index_result(state) == one_run([trimmed, full, other], CUT)


def test_a_copy_linking_two_earlier_events_merges_them_into_the_older(tmp_path: Path) -> None:
    rng = random.Random(5)
    story = _story(rng, _words(rng, 500), 8)
    head = Article("h-head", "s/1", None, "\n".join(story[:4]), published="2026-02-01")
    tail = Article("t-tail", "s/2", None, "\n".join(story[4:]), published="2026-02-01")
    late = Article("l-late", "s/3", None, "\n".join(story[4:7]), published="2026-02-03")
    full = Article("f-full", "s/4", None, "\n".join(story), published="2026-02-02")
    state = in_runs(tmp_path, [[head, tail], [late]], CUT)
    assert len(state.events) == 2
    state = in_runs(tmp_path, [[full]], CUT)
    assert state.events.keys() == {"h-head"} and state.aliases == {"t-tail": "h-head"}
    assert state.resolve("t-tail") == "h-head"
    assert index_result(state) == one_run([head, tail, late, full], CUT)


# --------------------------------------------------------------------------------------------------------------
# The pipeline around it: outputs of a run with an index


@pytest.fixture(scope="module")
def demo_by_site() -> tuple[list[pipeline.Outcome], list[pipeline.Outcome]]:
    """The demo corpus extracted as two crawls: alternate outlets (sorted), sources relative to the repo root."""
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        files = [str(p.relative_to(ROOT)) for p in iter_input_files([DEMO])]
        outlets = sorted({Path(f).parts[2] for f in files})
        groups = ([f for f in files if outlets.index(Path(f).parts[2]) % 2 == k] for k in (0, 1))
        config = Config(run=RunConfig(jobs=1))
        first, second = (pipeline.extract_outcomes(group, config) for group in groups)
    finally:
        os.chdir(previous)
    return first, second


@pytest.mark.parametrize("order", ["as-sorted", "reversed"])
def test_demo_in_two_crawls_gives_the_clusters_of_the_demo_run(
    tmp_path: Path, demo_run: Path, demo_by_site: tuple[list[pipeline.Outcome], ...], order: str
) -> None:
    crawls = demo_by_site if order == "as-sorted" else demo_by_site[::-1]
    config = Config(run=RunConfig(jobs=1))
    for k, outcomes in enumerate(crawls):
        write_run_with_index(tmp_path / f"day{k}", outcomes, tmp_path / "index", config)
    clusters = read_jsonl(demo_run / "clusters.jsonl")
    expected_partition = {frozenset(m["id"] for m in c["members"]) for c in clusters}
    assert index_result(read_index(tmp_path / "index"))[:2] == (expected_partition, {c["kept"] for c in clusters})
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
        pipeline.Outcome("n-bad", "d2/bad", reason="not html: test"),
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
    before = len(read_index(tmp_path / "index", CUT))
    report = write_run_with_index(tmp_path / "b", outcomes, tmp_path / "index", config)
    assert report.rejected == len(outcomes) and len(read_index(tmp_path / "index", CUT)) == before
    reasons = {e["reason"].split(":")[0] for e in read_jsonl(tmp_path / "b" / "manifest.jsonl")}
    assert reasons == {"already indexed"}


def _outcome(article: Article) -> pipeline.Outcome:
    return pipeline.Outcome(article.id, article.source, article=article)


# --------------------------------------------------------------------------------------------------------------
# Versions, parameters, interruption, locking


def _small_index(tmp_path: Path) -> Path:
    in_runs(tmp_path / "index", [synthetic_corpus(stories=5)], CUT)
    return tmp_path / "index"


def test_other_dedup_parameters_are_refused_with_the_difference(tmp_path: Path) -> None:
    index = _small_index(tmp_path)
    stored, other = DedupConfig().num_perm, DedupConfig().num_perm * 2
    with pytest.raises(IndexMismatchError, match=rf"num_perm = {stored} \(this run: {other}\)"):
        read_index(index, DedupConfig(df_floor=4, df_fraction=0.03, num_perm=other))
    read_index(index, DedupConfig(df_floor=4, df_fraction=0.03, batch_size=7))  # a speed knob: compatible


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (("versions", "datasketch"), "1.6.5", "datasketch 1.6.5"),
        (("versions", "numpy"), "1.26.4", "numpy 1.26.4"),
        (("hash_scheme", "probe_sha256"), "0" * 64, "another hash scheme"),
        (("format_version",), 0, "rebuild"),
    ],
)
def test_other_versions_or_hash_scheme_are_refused(
    tmp_path: Path, field: tuple[str, ...], value: object, message: str
) -> None:
    index = _small_index(tmp_path)
    meta_path = index / (index / CURRENT).read_text().strip() / "meta.json"
    meta = json.loads(meta_path.read_text())
    target = meta["identity"]
    for key in field[:-1]:
        target = target[key]
    if field == ("versions", "numpy") and value.split(".")[0] == np.__version__.split(".")[0]:  # type: ignore[union-attr]
        value = "0.1"
    target[field[-1]] = value
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexMismatchError, match=message if value != "0.1" else "numpy 0.1"):
        read_index(index, CUT)


def test_a_damaged_array_is_detected(tmp_path: Path) -> None:
    index = _small_index(tmp_path)
    generation = index / (index / CURRENT).read_text().strip()
    with open(generation / "shingles.hashes.npy", "r+b") as handle:
        handle.seek(-4, os.SEEK_END)
        handle.write(b"\xff\xff\xff\xff")
    with pytest.raises(InputError, match="checksum"):
        read_index(index, CUT)


def test_a_folder_that_is_not_an_index_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a cleaner index"):
        read_index(tmp_path, CUT)


@pytest.mark.parametrize("fail_at", ["array", "pointer"])
def test_an_interrupted_commit_leaves_the_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    index = _small_index(tmp_path)
    before = index_result(read_index(index, CUT))
    update = update_index(read_index(index, CUT), synthetic_corpus(seed=99, stories=5), CUT)
    real_save, real_replace = np.save, os.replace
    calls = {"n": 0}

    def failing_save(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        real_save(*args, **kwargs)  # type: ignore[arg-type]

    def failing_replace(src: str, dst: str) -> None:
        if Path(dst).name == CURRENT:
            raise KeyboardInterrupt
        real_replace(src, dst)

    if fail_at == "array":
        monkeypatch.setattr(np, "save", failing_save)
    else:
        monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        write_index(index, update.state, CUT)
    monkeypatch.undo()
    assert index_result(read_index(index, CUT)) == before  # still the last committed generation
    write_index(index, update.state, CUT)  # the next commit succeeds and clears what the failed one left
    assert index_result(read_index(index, CUT)) == index_result(update.state)
    assert sorted(p.name for p in index.iterdir() if p.is_dir()) == [(index / CURRENT).read_text().strip()]


def test_two_runs_cannot_extend_one_index_at_once(tmp_path: Path) -> None:
    with locked(tmp_path / "index"), pytest.raises(InputError, match="in use"), locked(tmp_path / "index"):
        pass


def test_same_runs_write_the_same_index_bytes(tmp_path: Path) -> None:
    corpus = synthetic_corpus(stories=8)
    parts = split_by_hash(corpus, 2)
    folders = []
    for name in ("a", "b"):
        in_runs(tmp_path / name, parts, CUT)
        generation = tmp_path / name / (tmp_path / name / CURRENT).read_text().strip()
        folders.append({p.name: p.read_bytes() for p in generation.iterdir()})
    assert folders[0] == folders[1]


def test_a_first_commit_interrupted_before_current_leaves_an_empty_usable_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    update = update_index(IndexState.empty(CUT), synthetic_corpus(stories=3), CUT)
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        if Path(dst).name == CURRENT:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        write_index(tmp_path, update.state, CUT)
    monkeypatch.undo()
    assert len(read_index(tmp_path, CUT)) == 0  # the complete but uncommitted generation is not used
    write_index(tmp_path, update.state, CUT)
    assert index_result(read_index(tmp_path, CUT)) == index_result(update.state)


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
