"""Outputs are written atomically, deterministically, and the same records in every format."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cleaner.io.writers import atomic_path, dumps, read_records, write_records
from cleaner.outputs.records import ManifestEntry

RECORDS = [{"id": "a", "text": "Één\nzwei", "sources": [{"id": "a", "similarity": 1.0}]}, {"id": "b", "text": "x"}]


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.parquet"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert write_records(path, iter(RECORDS)) == 2
    back = read_records(path)
    assert [r["id"] for r in back] == ["a", "b"]
    assert back[0]["text"] == RECORDS[0]["text"]
    assert back[0]["sources"] == RECORDS[0]["sources"]


def test_gzip_output_is_byte_identical_across_writes(tmp_path: Path) -> None:
    first, second = tmp_path / "1.jsonl.gz", tmp_path / "2.jsonl.gz"
    write_records(first, RECORDS)
    write_records(second, RECORDS)
    assert first.read_bytes() == second.read_bytes()


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("previous complete output\n")

    def records() -> object:
        yield {"id": "a"}
        raise KeyboardInterrupt  # an interrupted run

    with pytest.raises(KeyboardInterrupt):
        write_records(path, records())  # type: ignore[arg-type]
    assert path.read_text() == "previous complete output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_atomic_path_renames_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.txt"
    with atomic_path(target) as temporary:
        temporary.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done"


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz"])
@pytest.mark.parametrize("text", ["caf\udce9 and caf\u00e9", "\ud800", "only ascii \udcff", "Één"])
def test_lone_surrogates_are_written_escaped_and_read_back(tmp_path: Path, name: str, text: str) -> None:
    """A file name that is not UTF-8 reaches us as lone surrogates: written as JSON escapes, read back the same."""
    path = tmp_path / name
    write_records(path, [{"id": "a", "source": text}])
    assert read_records(path) == [{"id": "a", "source": text}]
    line = dumps({"source": text})
    line.encode("utf-8")  # valid UTF-8: no lone surrogate left in the line
    assert ("\\ud" in line) == any("\ud800" <= c <= "\udfff" for c in text)


def test_a_manifest_entry_is_every_field_in_order() -> None:
    """ManifestEntry.to_dict skips asdict for speed: it must stay what dataclasses.asdict gives."""
    entry = ManifestEntry("a", "in/a.html", "duplicate", "c", "k", 0.75, None)
    assert list(entry.to_dict().items()) == list(dataclasses.asdict(entry).items())


def test_parquet_takes_a_source_name_that_is_not_utf8(tmp_path: Path) -> None:
    """Arrow strings are UTF-8: a lone surrogate is stored as the escape JSONL shows, and the write succeeds."""
    pytest.importorskip("pyarrow")
    path = tmp_path / "out.parquet"
    records = [{"id": "a", "source": "caf\udce9.html", "removed": [{"text": "x\ud800"}]}, {"id": "b", "source": "b"}]
    assert write_records(path, records) == 2
    back = read_records(path)
    assert back[0]["source"] == "caf\\udce9.html" and back[0]["removed"] == [{"text": "x\\ud800"}]
    assert back[1]["source"] == "b"
