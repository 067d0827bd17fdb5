"""The hostile corpus at the reader level: every document is accounted for, bad bytes become specific reasons.

The generator (fixtures/hostile/make_hostile.py) declares, for each document, whether the reader itself must reject
it and with which reason; these tests hold the readers to that, kind by kind. Extraction outcomes are tested in
test_hostile_run.py.
"""

from __future__ import annotations

import builtins
import gzip
import multiprocessing
import os
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from cleaner.io.readers import ReadOptions, iter_documents
from tests.conftest import load_make_hostile

mh = load_make_hostile()

# The issue's list of kinds, each mapped to the generator kinds that cover it.
ISSUE_KINDS = {
    "empty": ["empty"],
    "whitespace": ["whitespace", "unicode-whitespace"],
    "binary": ["binary-noise"],
    "PDF/JPEG with .html name": ["binary-disguised"],
    "truncated and corrupt gzip": ["gzip-truncated", "gzip-corrupt"],
    "gzip bomb": ["gzip-bomb", "gzip-bomb-nested"],
    "declared-wrong charset": ["charset-wrong-declared"],
    "UTF-16 with and without BOM": ["charset-utf16"],
    "Shift-JIS/GBK/Windows-1252": ["charset-legacy"],
    "mixed encodings": ["charset-mixed"],
    "NUL bytes": ["nul-bytes"],
    "50 MB page": ["huge-page", "big-page"],
    "10^5-deep nesting": ["deep-nesting"],
    "huge attribute": ["huge-attribute"],
    "billion laughs": ["billion-laughs"],
    "XXE": ["xxe"],
    "<script>-only pages": ["script-only"],
    "framesets": ["frameset"],
    "error and paywall pages": ["error-pages", "paywall"],
    "symlink loop": ["symlink-loops"],
    "unreadable file": ["unreadable"],
    "directory named *.html": ["directory-named-html"],
    "WARC broken half-way": ["warc-truncated", "warc-cut-in-header"],
    "JSONL broken half-way": ["jsonl-broken", "jsonl-gz-truncated"],
}

SIZE_KINDS = frozenset({"huge-page", "gzip-bomb", "big-page"})
# Tiny sizes: the reader's answer does not depend on them except for the size caps, tested with real sizes below.
TINY = mh.Sizes(
    huge_page_bytes=2_000, big_page_bytes=2_000, bomb_bytes=2_000, nesting_depth=10, huge_attribute_bytes=10
)


def category(reason: str | None) -> str | None:
    return None if reason is None else reason.split(":", 1)[0]


def test_the_corpus_covers_the_issue() -> None:
    missing = {name: kinds for name, kinds in ISSUE_KINDS.items() if not set(kinds) <= set(mh.KINDS)}
    assert not missing
    assert len(mh.KINDS) >= 30


def test_expectations_use_the_known_reasons(tmp_path: Path) -> None:
    cases = mh.build_corpus(tmp_path, TINY, hazards=True)
    assert {reason for case in cases for reason in case.expect.reasons} <= mh.REASON_CATEGORIES
    assert all(case.expect.statuses and set(case.expect.statuses) <= {"extracted", "rejected"} for case in cases)
    assert all(case.expect.reasons for case in cases if "rejected" in case.expect.statuses)
    assert len({case.source(tmp_path) for case in cases}) == len(cases)


def test_committed_corpus_is_generated_and_small(tmp_path: Path) -> None:
    # regenerate with `python fixtures/hostile/make_hostile.py --write-committed` after changing the generator
    assert mh.committed_is_current(tmp_path) == []
    total = sum(path.stat().st_size for path in mh.COMMITTED_DIR.rglob("*") if path.is_file())
    assert 0 < total < 1_000_000


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = mh.build_corpus(tmp_path / "a", TINY, committed_only=True)
    second = mh.build_corpus(tmp_path / "b", TINY, committed_only=True)
    assert first == second
    assert dict(mh._files_under(tmp_path / "a")) == dict(mh._files_under(tmp_path / "b"))


def _reader_params() -> list[Any]:
    params = []
    for name, spec in mh.KINDS.items():
        marks = []
        if spec.hazard is not None:
            marks.append(pytest.mark.skip(reason=f"hazard, tested on its own: {spec.hazard}"))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def _reader_bugs(cases: list[Any]) -> list[str]:
    return sorted({c.expect.bug for c in cases if c.expect.bug and c.expect.reader})


@pytest.mark.parametrize("kind", _reader_params())
def test_reader_accounts_for_every_document(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    # the size caps need real sizes: a 25 MB page and a 200 MB bomb against the default 20 MB cap
    cases = mh.build_corpus(tmp_path, mh.TEST_SIZES if kind in SIZE_KINDS else TINY, kinds=[kind])
    bugs = _reader_bugs(cases)
    if bugs:  # a reported bug: strict, so the fix shows up as XPASS and the bug flag must go
        request.applymarker(pytest.mark.xfail(strict=True, reason="; ".join(bugs)))
    docs = list(iter_documents([tmp_path]))
    sources = [doc.source for doc in docs]
    assert len(sources) == len(set(sources)), "a document was read twice"
    assert sorted(sources) == sorted(case.source(tmp_path) for case in cases), "a document was lost or invented"
    by_source = {doc.source: doc for doc in docs}
    for case in cases:
        doc = by_source[case.source(tmp_path)]
        if case.expect.reader:
            assert category(doc.error) in case.expect.reasons, (case.path, doc.error)
            assert doc.content is None
        else:
            assert doc.error is None and doc.content is not None, (case.path, doc.error)
        assert doc.id and len(doc.id) == 16


def test_a_folder_named_like_a_page_is_walked_not_read(tmp_path: Path) -> None:
    cases = mh.build_corpus(tmp_path, TINY, kinds=["directory-named-html", "symlink-loops"])
    sources = {doc.source for doc in iter_documents([tmp_path / "fs"])}
    assert sources == {case.source(tmp_path) for case in cases}
    # named explicitly, the folder is walked too, and the looping folder link is not followed
    assert {doc.source for doc in iter_documents([tmp_path / "fs" / "dir.html"])} == {
        str(tmp_path / "fs" / "dir.html" / "inner.html")
    }


def test_permission_denied_becomes_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 stops nobody when tests run as root (CI does), so the EACCES path is driven by a patched open().

    The real-file counterpart that fails even for root is the Unix socket of the `unreadable` kind (ENXIO).
    """
    path = tmp_path / "locked.html"
    path.write_text("<p>secret</p>")
    real_open = builtins.open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    (doc,) = iter_documents([path])
    assert doc.error == "unreadable: permission denied" and doc.content is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads mode-000 files; see the patched-open test above")
def test_mode_000_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "locked.html"
    path.write_text("<p>secret</p>")
    path.chmod(0)
    (doc,) = iter_documents([path])
    assert category(doc.error) == "unreadable"


def _read_all(folder: str) -> None:
    list(iter_documents([folder]))


def test_fifo_does_not_hang_the_reader(tmp_path: Path) -> None:
    cases = mh.build_corpus(tmp_path, TINY, kinds=["fifo"])
    child = multiprocessing.get_context("fork").Process(target=_read_all, args=(str(tmp_path),), daemon=True)
    child.start()
    child.join(timeout=2)
    hung = child.is_alive()
    if hung:
        child.kill()
        child.join()
    assert not hung, "iter_documents still blocked on the FIFO after 2 s"
    (doc,) = iter_documents([tmp_path])
    assert doc.source == cases[0].source(tmp_path) and category(doc.error) == "unreadable"


def test_warc_cut_in_http_headers_is_a_rejection(tmp_path: Path) -> None:
    cases = mh.build_corpus(tmp_path, TINY, kinds=["warc-cut-in-header"])
    docs = list(iter_documents([tmp_path]))
    assert [doc.source for doc in docs] == [case.source(tmp_path) for case in cases]
    assert category(docs[-1].error) == "truncated warc"


def test_multi_member_gzip_is_read_whole(tmp_path: Path) -> None:
    (case,) = mh.build_corpus(tmp_path, TINY, kinds=["gzip-multimember"])
    path = tmp_path / case.path
    (doc,) = iter_documents([path])
    assert doc.content == gzip.decompress(path.read_bytes())


def _jsonl_gz_with_one_long_line(path: Path, html_bytes: int) -> None:
    """A .jsonl.gz whose one record holds `html_bytes` of HTML: a small file, a large line."""
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(b'{"url": "https://news.example/long", "html": "<p>')
        chunk = b"a" * (1 << 20)
        for _ in range(html_bytes // len(chunk)):
            out.write(chunk)
        out.write(b'</p>"}\n')


def test_jsonl_gzip_bomb_is_refused_within_the_cap() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bomb.jsonl.gz"
        _jsonl_gz_with_one_long_line(path, 64 << 20)
        tracemalloc.start()
        try:
            (doc,) = iter_documents([path], ReadOptions(max_bytes=1_000_000))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert category(doc.error) == "too large"
    assert peak < 16 << 20, f"reading a record capped at 1 MB peaked at {peak >> 20} MiB"
