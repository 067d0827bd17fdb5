"""The Dask engine gives the local engine's outputs, byte for byte, on a LocalCluster of two worker processes."""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster
from typer.testing import CliRunner

from cleaner import api
from cleaner.cli import app
from cleaner.clutter import ClutterConfig
from cleaner.config import Config, RunConfig
from cleaner.dedup import Deduplicator, max_document_frequency
from cleaner.dedup.cluster import priority_key, priority_rank
from cleaner.dedup.config import DedupConfig
from cleaner.dedup.deduplicator import _chunk_lsh
from cleaner.dedup.shingles import MaskedSets, content_mask, frequent_hashes
from cleaner.engines import dask_engine
from cleaner.engines import dedup_parts as dp
from cleaner.engines import partitions as pt
from cleaner.engines.local import run_steps
from cleaner.engines.partitions import Piece, iter_piece_records, newline_count, number_blocks
from cleaner.errors import InputError
from cleaner.index import iter_events
from cleaner.io import remote
from cleaner.io.readers import document_id, iter_input_files, iter_jsonl_records
from cleaner.models import Article, Outcome
from cleaner.stages import Step, output_order, plan, text_outcome
from tests.conftest import DEMO, read_jsonl
from tests.test_boilerplate import SITE, STORIES
from tests.test_boilerplate import page as site_page

OUTPUTS = ("articles.jsonl", "clusters.jsonl", "documents.jsonl", "manifest.jsonl")
LOCAL = Config(run=RunConfig(jobs=1))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def assert_same_files(local: Path, dask: Path, names: tuple[str, ...] = OUTPUTS) -> None:
    for name in names:
        # sorted first, for a readable failure; then the bytes, which the Dask engine reproduces exactly
        assert sorted((local / name).read_text().splitlines()) == sorted((dask / name).read_text().splitlines()), name
        assert (local / name).read_bytes() == (dask / name).read_bytes(), name


def test_run_on_the_demo_corpus_matches_the_local_engine(client: Client, tmp_path: Path) -> None:
    local_report = api.run([DEMO], tmp_path / "local", LOCAL)
    stats: dict[str, Any] = {}
    options = dask_engine.DaskOptions(partition_bytes=64_000)  # several partitions, so sites move between them
    dask_report = dask_engine.run([DEMO], tmp_path / "dask", LOCAL, scheduler=client, options=options, stats=stats)
    assert stats["partitions"] > 2
    assert_same_files(tmp_path / "local", tmp_path / "dask")
    assert dask_report.clusters == local_report.clusters and local_report.duplicates > 0
    assert {k: v for k, v in dask_report.to_dict().items() if k not in ("outputs", "seconds")} == {
        k: v for k, v in local_report.to_dict().items() if k not in ("outputs", "seconds")
    }


def test_two_days_with_an_index_give_the_local_engines_outputs_and_index(client: Client, tmp_path: Path) -> None:
    files = sorted(str(p) for p in iter_input_files([DEMO]))
    outlets = sorted({Path(f).parent.name for f in files})
    days = [[f for f in files if outlets.index(Path(f).parent.name) % 2 == k] for k in (0, 1)]
    local, dask = tmp_path / "local", tmp_path / "dask"
    for k, day in enumerate(days):
        api.run(day, local / f"day{k}", LOCAL, index=local / "index")
        dask_engine.run(day, dask / f"day{k}", LOCAL, scheduler=client, index=dask / "index")
        assert_same_files(local / f"day{k}", dask / f"day{k}", (*OUTPUTS, "updates.jsonl"))
    second = read_jsonl(dask / "day1" / "manifest.jsonl")
    first_ids = {e["id"] for e in read_jsonl(dask / "day0" / "manifest.jsonl")}
    assert any(e["status"] == "duplicate" and e["cluster"] in first_ids for e in second)  # day 2 met day 1's events
    assert [e.to_dict() for e in iter_events(local / "index")] == [e.to_dict() for e in iter_events(dask / "index")]
    segments = sorted(p.name for p in (local / "index").glob("seg-*.bin"))
    assert segments == sorted(p.name for p in (dask / "index").glob("seg-*.bin"))
    assert all((local / "index" / name).read_bytes() == (dask / "index" / name).read_bytes() for name in segments)


def test_a_run_replaces_every_format_of_an_earlier_runs_outputs(client: Client, tmp_path: Path) -> None:
    """`explain` and the report read the first format they find: an earlier run's files must not stay."""
    api.run([DEMO], tmp_path, LOCAL)  # jsonl
    (tmp_path / "updates.jsonl").write_text("{}\n", encoding="utf-8")  # as an earlier --index run leaves
    gzipped = Config(run=RunConfig(jobs=1, output_format="jsonl.gz"))
    dask_engine.run([DEMO], tmp_path, gzipped, scheduler=client)
    assert not list(tmp_path.glob("*.jsonl"))
    assert sorted(p.name for p in tmp_path.glob("*.jsonl.gz")) == sorted(f"{name}.gz" for name in OUTPUTS)


def test_extract_on_the_demo_corpus_matches_the_local_engine(client: Client, tmp_path: Path) -> None:
    api.run_extract([DEMO], tmp_path / "local" / "out.jsonl", LOCAL)
    dask_engine.extract([DEMO], tmp_path / "dask" / "out.jsonl", LOCAL, scheduler=client)
    assert_same_files(tmp_path / "local", tmp_path / "dask", ("out.jsonl",))


# --- a few thousand synthetic wire copies, generated here -----------------------------------------------------------


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(2, 9)))


def _story(rng: random.Random) -> list[str]:
    return [" ".join(_word(rng) for _ in range(rng.randint(18, 40))) + "." for _ in range(rng.randint(3, 9))]


def _copy(rng: random.Random, paragraphs: list[str]) -> str:
    kept = paragraphs[: rng.randint(2, len(paragraphs))]  # trimmed after a few paragraphs
    if len(kept) > 3 and rng.random() < 0.3:
        kept.pop(rng.randrange(1, len(kept)))
    noisy = [
        "".join(c if rng.random() > 0.02 else rng.choice("xyz ") for c in p) if rng.random() < 0.4 else p for p in kept
    ]
    return "\n".join([f"{_word(rng).upper()} (Reuters) - " + noisy[0], *noisy[1:], "Read more: " + _word(rng)])


def synthetic_corpus(folder: Path, seed: int = 7) -> list[Path]:
    """~2,500 records in three files: stories copied 1-8 times, templated reports, repeats and broken lines."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for story in range(700):
        paragraphs = _story(rng)
        for copy in range(rng.choice([1, 1, 2, 3, 4, 8])):
            date = rng.choice([None, "2024-03-01", "2024-03-02", "2024-02-28T10:00"])
            records.append({"id": f"s{story}-c{copy}", "text": _copy(rng, paragraphs), "published": date})
    template = _story(rng)
    for week in range(40):  # the same wording, different figures: different events
        figures = " ".join(f"wheat {week * 7 + k} tonnes at {week + k},{k}00 dollars" for k in range(4))
        records.append({"id": f"report-{week}", "text": "\n".join([*template[:2], figures])})
    rng.shuffle(records)
    records.append({"id": "s0-c0", "text": "a record reusing an id seen in an earlier file"})
    records.append({"id": "no-text"})
    paths = []
    for index in range(3):
        path = folder / f"part{index}.jsonl"
        lines = [json.dumps(r) for r in records[index::3]]
        lines.insert(5, "{not json")
        lines.insert(9, "")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def test_dedup_on_thousands_of_documents_matches_the_local_engine(client: Client, tmp_path: Path) -> None:
    inputs = synthetic_corpus(tmp_path)
    local = api.run_dedup(inputs, tmp_path / "local", LOCAL)
    stats: dict[str, Any] = {}
    options = dask_engine.DaskOptions(partition_bytes=200_000)  # JSONL files cut into byte ranges
    dask = dask_engine.dedup(inputs, tmp_path / "dask", LOCAL, scheduler=client, options=options, stats=stats)
    assert local.documents > 2000 and local.duplicates > 500  # the comparison below is not a trivial one
    assert stats["partitions"] > len(inputs) and stats["rounds"] >= 2
    assert_same_files(tmp_path / "local", tmp_path / "dask")
    assert (dask.kept, dask.duplicates, dask.rejected, dask.clusters) == (
        local.kept,
        local.duplicates,
        local.rejected,
        local.clusters,
    )


@pytest.mark.parametrize("families", [frozenset({"text", "structure", "template"}), frozenset({"text", "structure"})])
def test_the_per_site_cut_matches_the_local_engine(client: Client, tmp_path: Path, families: frozenset[str]) -> None:
    """The demo and one site of eight short stories under a related block (tests/test_boilerplate.py): the Dask
    engine must hold every page of a site in one partition for the per-site shingle cut, templates or not."""
    site = tmp_path / "ledger"
    site.mkdir()
    for number, story in enumerate(STORIES):
        (site / f"{number}.html").write_bytes(site_page(story, f"{SITE}/port/{number}"))
    clutter = ClutterConfig(families=families)
    config = Config(run=RunConfig(jobs=1), clutter=clutter)
    api.run([DEMO, site], tmp_path / "local", config)
    if "template" not in families:  # the cut decides here: without it the site's stories merge
        uncut = Config(run=RunConfig(jobs=1), clutter=clutter, dedup=DedupConfig(site_df_fraction=1.0))
        api.run([DEMO, site], tmp_path / "uncut", uncut)
        manifests = [read_jsonl(tmp_path / run / "manifest.jsonl") for run in ("local", "uncut")]
        cut, plain = [len({e["cluster"] for e in m if "/ledger/" in e["source"]}) for m in manifests]
        assert cut == len(STORIES) > plain
    options = dask_engine.DaskOptions(partition_bytes=64_000)
    dask_engine.run([DEMO, site], tmp_path / "dask", config, scheduler=client, options=options)
    assert_same_files(tmp_path / "local", tmp_path / "dask")


def test_dedup_of_records_with_sites_matches_the_local_engine(client: Client, tmp_path: Path) -> None:
    boiler = "Subscribe to the Harbour Ledger for every story from the port, the quays and the fishing fleet"
    rng = random.Random(3)
    records = []
    for number in range(60):
        words = " ".join(rng.choice(["berth", "quay", "tide", "crane", "ferry", "pilot", "dredge"]) for _ in range(40))
        site = f"site{number % 3}.example"
        records.append({"id": f"r{number}", "text": f"{words} {number}\n{boiler}", "url": f"https://{site}/{number}"})
    inputs = [tmp_path / "records.jsonl"]
    inputs[0].write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    config = Config(run=RunConfig(jobs=1))
    api.run_dedup(inputs, tmp_path / "local", config)
    assert len({e["cluster"] for e in read_jsonl(tmp_path / "local" / "manifest.jsonl")}) == len(records)
    options = dask_engine.DaskOptions(partition_bytes=2_000)
    dask_engine.dedup(inputs, tmp_path / "dask", config, scheduler=client, options=options)
    assert_same_files(tmp_path / "local", tmp_path / "dask")


def test_dedup_of_an_empty_input_writes_empty_outputs(client: Client, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    api.run_dedup([empty], tmp_path / "local", LOCAL)
    report = dask_engine.dedup([empty], tmp_path / "dask", LOCAL, scheduler=client)
    assert report.documents == 0
    assert_same_files(tmp_path / "local", tmp_path / "dask")


# --- pure pieces (no cluster) ---------------------------------------------------------------------------------------


def test_byte_range_blocks_read_exactly_the_whole_file_records(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = ['{"id": 1, "text": "é"}', "", "{broken", "[1, 2]", '{"id": 2}', "   ", '{"id": 3, "text": "x"}'] * 7
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    whole = list(iter_jsonl_records(path))
    size = path.stat().st_size
    for block in (1, 7, 23, 64, size - 1):
        pieces = [Piece(str(path), start, min(start + block, size)) for start in range(0, size, block)]
        pieces = number_blocks(pieces, [newline_count(p) for p in pieces])
        assert [r for p in pieces for r in iter_piece_records(p)] == whole, block


@pytest.mark.parametrize("policy", ["most_complete", "earliest", "longest_text"])
def test_priority_key_orders_documents_as_priority_rank(policy: str) -> None:
    rng = np.random.default_rng(3)
    n = 400
    content = rng.integers(0, 6, n)
    lengths = rng.integers(0, 6, n)
    dates = [None if rng.random() < 0.3 else f"2024-0{rng.integers(1, 4)}-0{rng.integers(1, 4)}" for _ in range(n)]
    ids = [f"doc{i:04d}" for i in rng.permutation(n)]
    rank = priority_rank(policy, content, lengths, dates, ids)
    keys = [priority_key(policy, int(content[i]), int(lengths[i]), dates[i], ids[i]) for i in range(n)]
    assert sorted(range(n), key=lambda i: keys[i]) == np.argsort(rank).tolist()
    assert DedupConfig(representative=policy).representative == policy


def _route(outboxes: list[list[tuple[int, Any]]], partitions: int) -> list[list[Any]]:
    """The shuffle, in-process: inbox d gets every payload sent to d."""
    inboxes: list[list[Any]] = [[] for _ in range(partitions)]
    for outbox in outboxes:
        for dest, payload in outbox:
            inboxes[dest].append(payload)
    return inboxes


def _page(rng: random.Random, site: str, number: int) -> Outcome:
    """An extracted page of `site`: its story (every fifth page a brief) between the site's signature lines."""
    story = ["Brief update."] if number % 5 == 0 else _story(rng)[:3]  # 3 paragraphs: over 150 characters
    text = "\n".join([*story, f"Follow {site} on every platform for more news like this", "Copyright the site"])
    source = f"{site}/{number}.html"
    return Outcome(document_id(source), source, Article(document_id(source), source, None, text, site=site))


def _steps_on_partitions(steps: tuple[Step, ...], outcomes: list[Outcome], n: int) -> list[Outcome]:
    """The Dask engine's per-partition functions for `steps`, the shuffles done in-process."""
    size = -(-len(outcomes) // n)
    parts = [outcomes[h * size : (h + 1) * size] for h in range(n)]  # input order: (partition, position)
    for step in steps:
        inboxes = _route([pt.key_outbox(step, h, part, n) for h, part in enumerate(parts)], n)
        verdicts = _route([pt.group_verdicts(step, inbox) for inbox in inboxes], n)
        parts = [pt.apply_verdicts(step, part, v) for part, v in zip(parts, verdicts, strict=True)]
    return sorted((o for part in parts for o in part), key=output_order)


def test_every_step_of_the_html_plans_decides_alike_in_memory_and_over_partitions() -> None:
    rng = random.Random(5)
    pages = [_page(rng, site, k) for site in ("a.example", "b.example", "c.example") for k in range(12)]
    pages += [pages[3], pages[17], pages[3]]  # files named again: repeated inputs
    rng.shuffle(pages)
    job = plan("run", LOCAL)
    assert [step.name for step in job.steps] == ["repeats", "templates"] and job.clusters
    local = sorted(run_steps(job.steps, pages), key=output_order)
    reasons = Counter((o.reason or "kept").split(":")[0] for o in local)
    assert reasons == {"kept": 36, "duplicate input": 3}, reasons
    # the briefs (3 per site) would keep too little text without their signature lines: they keep them
    removed = Counter(len(o.article.removed) for o in local if o.article is not None)
    assert removed == {2: 27, 0: 9}, removed
    for n in (1, 3, 7):
        assert _steps_on_partitions(job.steps, pages, n) == local, n


def test_the_dedup_plan_rejects_repeated_ids_alike_in_memory_and_over_partitions() -> None:
    records = [{"id": f"r{k % 9}", "text": f"text {k}" if k % 4 else ""} for k in range(40)]
    outcomes = [text_outcome(f"in.jsonl#{k}", record, LOCAL) for k, record in enumerate(records)]
    job = plan("dedup", LOCAL)
    local = sorted(run_steps(job.steps, outcomes), key=output_order)
    assert sum(o.article is not None for o in local) == 9  # one record with text per id
    assert sum((o.reason or "").startswith("duplicate id") for o in local) == 21
    for n in (2, 5):
        assert _steps_on_partitions(job.steps, outcomes, n) == local, n


@pytest.mark.parametrize("max_bucket", [2, 50])
def test_partitioned_lsh_proposes_the_local_engines_candidate_pairs(tmp_path: Path, max_bucket: int) -> None:
    """Chunk signatures, band digests and bucket rule per partition give exactly the local `_chunk_lsh` pairs."""
    records: dict[str, dict[str, Any]] = {}
    for path in synthetic_corpus(tmp_path):
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if record.get("text"):
                    records.setdefault(record["id"], record)
    articles = [
        Article(id=r["id"], source="", url=None, text=r["text"], published=r.get("published")) for r in records.values()
    ][:900]
    config = DedupConfig(max_bucket=max_bucket, df_floor=10)  # a small bucket cap: large buckets become stars
    # the local engine
    features = Deduplicator(config)
    features.add_many(articles)
    f = features.features()
    mask = content_mask(
        f.sets, frequent_hashes(f.sets, max_document_frequency(len(f.sets), config)), config.df_keep_min_share
    )
    assert not mask.all()  # the frequent cut takes part
    rank = priority_rank(config.representative, MaskedSets(f.sets, mask).sizes(), f.lengths, f.dates, f.ids)
    local = _chunk_lsh(f.sets, mask, rank, config)
    expected = {(f.ids[b], f.ids[w]) for b, w in local.tolist()}
    # the Dask engine's pure steps on three partitions
    n = 3
    outcomes = [Outcome(a.id, "", a) for a in articles]
    parts = [dp.prepare(h, outcomes[h::n], config) for h in range(n)]
    max_df = max_document_frequency(len(articles), config)
    inboxes = _route([dp.hash_count_outbox(p, n) for p in parts], n)
    frequent = np.unique(np.concatenate([dp.frequent_of(i, max_df) for i in inboxes]))
    parts = [dp.cut_frequent(p, frequent, config) for p in parts]
    rows = sorted(row for p in parts for row in dp.rank_rows(p, config.representative))
    parts = [dp.set_rank(p, i) for p, i in zip(parts, _route([dp.rank_outbox(rows, 0)], n), strict=True)]
    inboxes = _route([dp.band_outbox(p, config, n) for p in parts], n)
    pairs = np.concatenate([dp.bucket_candidates(i, config) for i in inboxes])
    ids = {
        int(dp.address(p.home, np.arange(len(p.articles)))[k]): a.id for p in parts for k, a in enumerate(p.articles)
    }
    found = {(ids[b], ids[w]) for _, b, _, w in pairs.tolist()}
    assert len(found) > 500 and found == expected


# --- fsspec URLs: listed on the client, read by the workers ---------------------------------------------------------


def _without_scheme(text: str) -> str:
    return text.replace("file://", "")


def test_run_on_a_file_url_matches_the_local_run_with_urls_as_sources(client: Client, tmp_path: Path) -> None:
    local = api.run([DEMO], tmp_path / "local", LOCAL)
    options = dask_engine.DaskOptions(partition_bytes=64_000)
    remote = dask_engine.run([DEMO.as_uri()], tmp_path / "url", LOCAL, scheduler=client, options=options)
    assert (remote.documents, remote.kept, remote.duplicates, remote.rejected) == (
        local.documents,
        local.kept,
        local.duplicates,
        local.rejected,
    )
    manifest = read_jsonl(tmp_path / "url" / "manifest.jsonl")
    assert manifest and all(entry["source"].startswith(DEMO.as_uri()) for entry in manifest)
    # the same documents, statuses, reasons and texts; only the sources (and the ids hashed from them) differ
    local_manifest = read_jsonl(tmp_path / "local" / "manifest.jsonl")
    entries = [(e["source"], e["status"], e.get("reason") or "") for e in manifest]
    assert sorted(tuple(map(_without_scheme, e)) for e in entries) == sorted(
        (e["source"], e["status"], e.get("reason") or "") for e in local_manifest
    )
    texts = sorted(r["text"] for r in read_jsonl(tmp_path / "url" / "articles.jsonl"))
    assert texts == sorted(r["text"] for r in read_jsonl(tmp_path / "local" / "articles.jsonl"))


def test_dedup_reads_url_jsonl_in_byte_ranges_as_the_local_engine_reads_files(client: Client, tmp_path: Path) -> None:
    inputs = synthetic_corpus(tmp_path)
    local = api.run_dedup(inputs, tmp_path / "local", LOCAL)
    stats: dict[str, Any] = {}
    options = dask_engine.DaskOptions(partition_bytes=200_000)
    urls = [path.as_uri() for path in inputs]
    remote = dask_engine.dedup(urls, tmp_path / "url", LOCAL, scheduler=client, options=options, stats=stats)
    assert stats["partitions"] > len(inputs)  # the URL files were cut into byte ranges
    assert (remote.kept, remote.duplicates, remote.rejected, remote.clusters) == (
        local.kept,
        local.duplicates,
        local.rejected,
        local.clusters,
    )
    for name in ("manifest.jsonl", "documents.jsonl"):  # sources are `file:///...#line`: the same line numbers
        sources = sorted(_without_scheme(r["source"]) for r in read_jsonl(tmp_path / "url" / name))
        assert sources == sorted(r["source"] for r in read_jsonl(tmp_path / "local" / name)), name


def test_listing_a_url_follows_the_local_folder_rules(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.html", "a.htm", "b/1.html.gz", "notes.txt", "c.warc.gz", "d.jsonl"):
        (tmp_path / name).write_bytes(b"x" * len(name))
    listed = remote.list_url(tmp_path.as_uri())
    assert [url for url, _ in listed] == [path.as_uri() for path in iter_input_files([tmp_path])]
    assert [size for _, size in listed] == [path.stat().st_size for path in iter_input_files([tmp_path])]
    assert remote.list_url((tmp_path / "notes.txt").as_uri()) == [((tmp_path / "notes.txt").as_uri(), 9)]
    with pytest.raises(InputError, match="no such file or folder"):
        remote.list_url((tmp_path / "missing").as_uri())


def test_urls_are_told_apart_from_paths() -> None:
    assert remote.is_url("s3://bucket/crawl/") and remote.is_url("file:///tmp/x.html")
    assert not remote.is_url("/tmp/x.html") and not remote.is_url(Path("s3:/b")) and not remote.is_url("C:\\x.html")


def test_cli_refuses_url_inputs_without_the_dask_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "s3://bucket/crawl/", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--engine dask" in result.output
    assert not (tmp_path / "out").exists()
