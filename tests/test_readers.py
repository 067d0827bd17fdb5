"""Readers account for every input document and turn bad bytes into specific reasons, never exceptions."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaner.errors import InputError
from cleaner.io.readers import HtmlFile, ReadOptions, document_id, iter_document_sources, iter_documents

PAGE = b"<html><head><title>T</title></head><body><p>Hello world.</p></body></html>"


def make_warc(path: Path, pages: dict[str, bytes]) -> None:
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=path.name.endswith(".gz"))
        for url, body in pages.items():
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)
        image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                "https://x.example/a.png", "response", payload=io.BytesIO(b"PNG"), http_headers=image
            )
        )


def test_folder_is_read_recursively_and_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "page.htm").write_bytes(PAGE)
    (tmp_path / "a.html").write_bytes(PAGE)
    (tmp_path / "c.html.gz").write_bytes(gzip.compress(PAGE))
    (tmp_path / "notes.txt").write_text("not an input type")
    docs = list(iter_documents([tmp_path]))
    assert [Path(d.source).name for d in docs] == ["a.html", "c.html.gz", "page.htm"]
    assert all(d.content == PAGE and d.error is None for d in docs)
    assert docs[0].id == document_id(docs[0].source)


def test_bad_files_become_specific_errors(tmp_path: Path) -> None:
    (tmp_path / "truncated.html.gz").write_bytes(gzip.compress(PAGE * 50)[:40])
    (tmp_path / "fake.html.gz").write_bytes(b"plain text, not gzip")
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(b"a" * 5_000_000))
    (tmp_path / "dir.html").mkdir()
    (tmp_path / "dir.html" / "inner.html").write_bytes(PAGE)
    (tmp_path / "loop").symlink_to(tmp_path)
    docs = {Path(d.source).name: d for d in iter_documents([tmp_path], ReadOptions(max_bytes=1_000_000))}
    assert docs["truncated.html.gz"].error.startswith("truncated gzip")
    assert docs["fake.html.gz"].error.startswith("corrupt gzip")
    assert docs["bomb.html.gz"].error.startswith("too large")
    assert docs["inner.html"].error is None  # a folder named *.html is walked, not read
    assert len(docs) == 4  # the symlink loop adds nothing


def test_html_files_come_unread_and_load_as_iter_documents_reads_them(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(PAGE)
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(PAGE))
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(b"a" * 5_000_000))
    (tmp_path / "fake.html.gz").write_bytes(b"plain text, not gzip")
    (tmp_path / "c.jsonl").write_text(json.dumps({"html": PAGE.decode(), "url": "https://x.example/c"}) + "\n")
    options = ReadOptions(max_bytes=1_000_000)
    sources = list(iter_document_sources([tmp_path], options))
    read = list(iter_documents([tmp_path], options))
    assert [type(s).__name__ for s in sources] == ["HtmlFile", "HtmlFile", "HtmlFile", "RawDocument", "HtmlFile"]
    assert [s.load() if isinstance(s, HtmlFile) else s for s in sources] == read
    assert [(s.id, s.source) for s in sources] == [(d.id, d.source) for d in read]
    assert read[2].error is not None and read[2].error.startswith("too large")  # the cap travels with the file


def test_an_unread_file_that_cannot_be_read_is_rejected_with_its_reason(tmp_path: Path) -> None:
    from cleaner.config import Config
    from cleaner.stages import extract_document as process_document

    path = tmp_path / "gone.html"
    path.write_bytes(PAGE)
    (item,) = iter_document_sources([path])
    path.unlink()  # deleted between listing and reading: the worker's read names it
    outcome = process_document(item, Config())
    assert (outcome.id, outcome.source, outcome.article) == (item.id, item.source, None)
    assert outcome.reason is not None and outcome.reason.startswith("unreadable")


def test_missing_input_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(iter_documents([tmp_path / "nope"]))


def test_jsonl_records_with_broken_lines(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    lines = [
        json.dumps({"html": PAGE.decode(), "url": "https://x.example/1"}),
        "{broken",
        json.dumps({"url": "u"}),
        "",
        json.dumps([1, 2]),
    ]
    path.write_text("\n".join(lines) + "\n")
    docs = list(iter_documents([path]))
    assert [d.source.rsplit("#", 1)[1] for d in docs] == ["1", "2", "3", "5"]
    assert docs[0].url == "https://x.example/1" and docs[0].content == PAGE
    assert docs[1].error.startswith("invalid json")
    assert docs[2].error.startswith("missing field")
    assert docs[3].error.startswith("invalid json")


def test_truncated_jsonl_gz_is_accounted_for(tmp_path: Path) -> None:
    body = "\n".join(json.dumps({"html": PAGE.decode() + str(i)}) for i in range(200)).encode()
    path = tmp_path / "pages.jsonl.gz"
    path.write_bytes(gzip.compress(body)[:300])
    docs = list(iter_documents([path]))
    assert docs[-1].error is not None and docs[-1].error.startswith("truncated file")


@pytest.mark.parametrize("name", ["pages.warc", "pages.warc.gz"])
def test_warc_response_records_with_html(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    make_warc(path, {"https://x.example/1": PAGE, "https://x.example/2": PAGE.replace(b"Hello", b"Bye")})
    docs = list(iter_documents([path]))
    assert [d.url for d in docs] == ["https://x.example/1", "https://x.example/2"]
    assert docs[0].content == PAGE and docs[0].http_charset == "utf-8"


def test_a_run_hands_its_workers_unread_html_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent lists the files; the workers read them (the parent shares the cores with them)."""
    from cleaner.config import Config, RunConfig
    from cleaner.engines import local

    handed: list[str] = []
    real_map = local.map_documents

    def spy(func: Callable[[Any], Any], items: Iterable[Any], jobs: int, limits: Any = None) -> Iterator[Any]:
        def recorded(items: Iterable[Any]) -> Iterator[Any]:
            for item in items:
                handed.append(type(item).__name__)
                yield item

        return real_map(func, recorded(items), jobs, limits)

    monkeypatch.setattr(local, "map_documents", spy)
    folder = Path(__file__).parent.parent / "fixtures" / "demo"
    outcomes = list(local.iter_outcomes([folder], Config(run=RunConfig(jobs=2))))
    assert handed and set(handed) == {"HtmlFile"} and len(handed) == len(outcomes)
    assert [o.id for o in outcomes] == [d.id for d in iter_documents([folder])]
    assert sum(o.article is not None for o in outcomes) > len(outcomes) // 2


@pytest.mark.parametrize("reported", [0, 10, len(PAGE), 10 * len(PAGE)])
def test_a_file_is_read_whole_whatever_size_it_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reported: int
) -> None:
    """The read buffer is sized from fstat; a file that grew (or shrank) since is still read whole, within the cap."""
    import os

    from cleaner.io import readers

    path = tmp_path / "page.html"
    path.write_bytes(PAGE)
    real_fstat = os.fstat

    def fstat_reporting(fd: int) -> os.stat_result:
        fields = list(real_fstat(fd))
        fields[6] = reported  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(readers.os, "fstat", fstat_reporting)
    assert readers.read_bytes_capped(path, 1_000) == PAGE
    with pytest.raises(ValueError, match="too large"):
        readers.read_bytes_capped(path, len(PAGE) - 1)
    assert readers.read_bytes_capped(path, len(PAGE)) == PAGE


def test_a_path_too_long_to_open_is_one_rejected_document(tmp_path: Path) -> None:
    """An OSError while looking at a file (here ENAMETOOLONG: the folder walk reaches a file whose full path is over
    PATH_MAX) rejects that document; it used to escape the reader and end the run."""
    import os

    folder = tmp_path
    while len(str(folder)) < 3_900:
        folder /= "d" * 200
    folder.mkdir(parents=True)
    handle = os.open(folder, os.O_RDONLY)
    try:  # created relative to the folder: its full path is too long for any call that takes a path
        os.close(os.open("p" * 200 + ".html", os.O_CREAT | os.O_WRONLY, dir_fd=handle))
    finally:
        os.close(handle)
    (tmp_path / "ok.html").write_bytes(PAGE)
    docs = {Path(d.source).name[:1]: d for d in iter_documents([tmp_path])}
    assert docs["o"].content == PAGE
    assert docs["p"].content is None and docs["p"].error is not None and docs["p"].error.startswith("unreadable")
