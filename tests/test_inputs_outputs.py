"""Issue 5's promises: the same pages give the same articles whatever the container, the worker count or format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html as lxml_html

from cleaner import Config, run
from cleaner.config import RunConfig
from cleaner.io.readers import iter_input_files
from cleaner.io.writers import read_records
from tests.conftest import DEMO, read_jsonl
from tests.test_readers import make_warc

CONTENT_FIELDS = ("url", "title", "author", "site", "published", "language", "text")


def demo_pages() -> dict[str, bytes]:
    """The demo's HTML pages by the address a crawler fetched them from: their canonical URL (else a made-up one).

    The address matters: link evidence compares a page's links with its own site.
    """
    pages = {}
    for path in iter_input_files([DEMO]):
        if path.suffix == ".html" and "broken" not in path.parts:
            canonical = lxml_html.fromstring(path.read_bytes()).xpath("//link[@rel='canonical']/@href")
            url = canonical[0] if canonical else f"https://{path.parent.name}.example/{path.stem}"
            assert url not in pages
            pages[url] = path.read_bytes()
    return pages


def articles_by_url(out: Path) -> dict[str, tuple]:
    return {r["url"]: tuple(r[f] for f in CONTENT_FIELDS) for r in read_jsonl(out / "documents.jsonl")}


def test_warc_jsonl_and_folder_give_the_same_articles(tmp_path: Path) -> None:
    pages = demo_pages()
    folder = tmp_path / "folder"
    folder.mkdir()
    for url, page in pages.items():
        (folder / (url.split("//")[1].replace("/", "__") + ".html")).write_bytes(page)
    warc = tmp_path / "pages.warc.gz"
    make_warc(warc, pages)
    jsonl = tmp_path / "pages.jsonl"
    jsonl.write_text("".join(json.dumps({"url": u, "html": p.decode("utf-8")}) + "\n" for u, p in pages.items()))

    config = Config(run=RunConfig(jobs=1))
    results = {}
    for name, source in (("warc", warc), ("jsonl", jsonl)):
        run([source], tmp_path / name, config)
        results[name] = articles_by_url(tmp_path / name)
    # a folder of files carries no url of its own: compare on the content fields, matched by page text
    run([folder], tmp_path / "folder-out", config)
    folder_texts = sorted(r["text"] or "" for r in read_jsonl(tmp_path / "folder-out" / "documents.jsonl"))
    assert len(results["warc"]) == len(pages)
    assert results["warc"] == results["jsonl"]
    assert sorted(fields[-1] for fields in results["warc"].values()) == folder_texts


def test_jobs_do_not_change_a_single_byte(tmp_path: Path) -> None:
    outputs = []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        run([DEMO], out, Config(run=RunConfig(jobs=jobs)))
        # run.json records the run (its --jobs, its timings): the one file meant to differ
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "run.json"})
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl.gz"])
def test_other_formats_hold_the_same_records(tmp_path: Path, fmt: str) -> None:
    run([DEMO], tmp_path / "jsonl", Config(run=RunConfig(jobs=1)))
    run([DEMO], tmp_path / fmt, Config(run=RunConfig(jobs=1, output_format=fmt)))
    for name in ("articles", "clusters", "manifest"):
        assert read_records(tmp_path / fmt / f"{name}.{fmt}") == read_records(tmp_path / "jsonl" / f"{name}.jsonl")
