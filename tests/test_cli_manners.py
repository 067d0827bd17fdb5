"""The CLI's Unix manners: output checked before any work, '-' for standard input and output, record ids from
JSONL, the manifest in input order, a progress display per stage, flags shown as flags, checked values, a word on
an empty input, an unwrapped summary, and `explain` by any path to the same file."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from cleaner import Config, RunConfig, run
from cleaner.cli import _progress, app
from cleaner.engines import local
from tests.conftest import DEMO, ROOT, read_jsonl

PAGE = DEMO / "gulf-ledger" / "uae-non-oil-pmi-january.html"


def invoke(args: list[str], stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(app, args, input=stdin)


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any extraction or dedup started makes the command fail loudly (as an internal error)."""

    def started(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the work started before the output location was checked")

    for name in ("iter_outcomes", "iter_text_records"):
        monkeypatch.setattr(local, name, started)


# --- the output location ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "dedup"])
def test_an_output_folder_under_a_file_fails_at_once(tmp_path: Path, no_work: None, command: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for out, why in [(blocker / "out", "Not a directory"), (blocker, "it is a file, not a folder")]:
        result = invoke([command, str(PAGE), "-o", str(out), "-q"])
        assert result.exit_code == 2
        assert f"error: cannot write to {out}: {why}" in result.stderr
        assert "internal error" not in result.stderr


def test_an_extract_file_that_is_a_folder_fails_at_once(tmp_path: Path, no_work: None) -> None:
    result = invoke(["extract", str(PAGE), "-o", str(tmp_path), "-q"])
    assert result.exit_code == 2
    assert f"error: cannot write to {tmp_path}: it is a folder" in result.stderr


def test_internal_error_is_kept_for_bugs_and_names_the_v_flag(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def bug(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("oops")

    monkeypatch.setattr(local, "plan_outcomes", bug)
    result = invoke(["run", str(PAGE), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2
    assert "internal error: KeyError: 'oops' (rerun with -v for a traceback" in result.stderr

    def disk_full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(local, "plan_outcomes", disk_full)
    result = invoke(["run", str(PAGE), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2
    assert "error: [Errno 28] No space left on device" in result.stderr and "internal" not in result.stderr


# --- standard input and output ---------------------------------------------------------------------------------


def test_extract_reads_a_page_on_stdin_and_writes_json_lines_to_stdout() -> None:
    result = invoke(["extract", "-", "-o", "-", "-j", "1", "-q"], stdin=PAGE.read_bytes())
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["source"], d["status"]) for d in lines] == [("<stdin>", "extracted")]
    assert "UAE" in lines[0]["title"]
    assert not Path("-").exists()


def jsonl_pages(ids: list[str]) -> bytes:
    """JSONL records of pages: a real one first, then tiny pages that are rejected at once (fast, and just as
    much in the manifest)."""
    html = PAGE.read_text(encoding="utf-8")
    records = [{"id": ids[0], "html": html, "url": "https://gulfledger.example/pmi"}]
    records += [{"id": record_id, "html": "just text, no markup"} for record_id in ids[1:]]
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_jsonl_on_stdin_is_sniffed_and_keeps_its_ids_with_id_key(tmp_path: Path) -> None:
    ids = [f"story-{n}" for n in range(12)]
    out = tmp_path / "out"
    result = invoke(["run", "-", "-o", str(out), "--id-key", "id", "-j", "2", "-q"], stdin=jsonl_pages(ids))
    assert result.exit_code == 0, result.stderr
    manifest = read_jsonl(out / "manifest.jsonl")
    # input order: line 1, 2, ..., 10, 11, 12 (never the string order 1, 10, 11, 12, 2, ...)
    assert [(e["id"], e["source"]) for e in manifest] == [(i, f"<stdin>#{n + 1}") for n, i in enumerate(ids)]
    assert manifest[0]["status"] == "kept"
    assert {e["reason"] for e in manifest[1:]} == {"not html: no HTML tags in the first 64 KiB"}


def test_input_format_overrides_the_sniffing() -> None:
    as_html = invoke(["extract", "-", "-o", "-", "--input-format", "html", "-j", "1", "-q"], stdin=jsonl_pages(["a"]))
    assert as_html.exit_code == 0, as_html.stderr
    assert [json.loads(line)["source"] for line in as_html.stdout.splitlines()] == ["<stdin>"]
    wrong = invoke(["extract", "-", "-o", "-", "--input-format", "xml"], stdin=b"")
    assert wrong.exit_code == 2 and "--input-format" in wrong.stderr


def test_id_key_on_a_jsonl_file_and_a_repeated_id(tmp_path: Path) -> None:
    pages = tmp_path / "pages.jsonl"
    pages.write_bytes(jsonl_pages(["a", "b", "c", "b"]))
    out = tmp_path / "out.jsonl"
    result = invoke(["extract", str(pages), "-o", str(out), "--id-key", "id", "-j", "1", "-q"])
    assert result.exit_code == 0, result.stderr
    lines = {line["source"].rpartition("#")[2]: line for line in read_jsonl(out)}
    assert [lines[n]["id"] for n in "123"] == ["a", "b", "c"]
    assert lines["4"]["reason"] == "duplicate id: 'b' appears earlier in the input"


# --- the manifest in input order, whatever the workers --------------------------------------------------------


def test_the_manifest_follows_the_order_the_inputs_are_given_in(tmp_path: Path) -> None:
    files = [DEMO / "gulf-ledger" / "fog-alert-visibility-below-200-metres.html", DEMO / "broken", PAGE]
    outputs = []
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}"
        run([str(f) for f in files], out, Config(run=RunConfig(jobs=jobs)))
        outputs.append((out / "manifest.jsonl").read_bytes())
        sources = [e["source"] for e in read_jsonl(out / "manifest.jsonl")]
        broken = sorted(str(p) for p in (DEMO / "broken").iterdir())  # a folder is read in name order
        assert sources == [str(files[0]), *broken, str(PAGE)]
    assert outputs[0] == outputs[1]


# --- progress ---------------------------------------------------------------------------------------------------


def test_progress_shows_each_stage_with_its_total_on_a_terminal(tmp_path: Path) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    with _progress(True, console) as progress:
        assert progress is not None
        run([str(DEMO)], tmp_path / "out", Config(run=RunConfig(jobs=1)), progress)
    shown = screen.getvalue()
    documents = len(read_jsonl(tmp_path / "out" / "manifest.jsonl"))
    articles = sum(e["status"] != "rejected" for e in read_jsonl(tmp_path / "out" / "manifest.jsonl"))
    assert f"{documents}/{documents}" in shown  # extract N/M, with its total known from the start
    for stage in ("extract", "templates", "clustering", "writing"):
        assert stage in shown, stage
    assert "/?" not in shown  # every stage had its total
    assert articles > 0


def test_no_progress_when_not_a_terminal(tmp_path: Path) -> None:
    with _progress(True, Console(file=io.StringIO())) as progress:
        assert progress is None
    result = invoke(["run", str(PAGE), "-o", str(tmp_path / "out"), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert "extract" not in result.stderr and result.stderr.startswith("cleaner: 1 documents read")


# --- options -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "extract", "dedup", "explain"])
def test_boolean_options_are_shown_as_flags(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    flags = [line for line in result.output.splitlines() if "<bool>" in line and "--help" not in line]
    assert flags == []


def test_a_flag_takes_no_value(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert invoke(["run", str(PAGE), "--mark-only", "--dry-run", "-o", out]).exit_code == 0
    result = invoke(["run", str(PAGE), "--mark-only", "true", "--dry-run", "-o", out])
    assert result.exit_code == 2 and "true: no such file or folder" in result.stderr  # 'true' is an input


@pytest.mark.parametrize("option", [["--timeout", "-5"], ["--jobs", "-1"]])
def test_negative_values_are_usage_errors(tmp_path: Path, option: list[str], no_work: None) -> None:
    result = invoke(["run", str(PAGE), "-o", str(tmp_path / "out"), *option])
    assert result.exit_code == 2
    assert f"Invalid value for '{option[0]}" in result.stderr


def test_an_empty_input_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke(["run", str(tmp_path / "empty"), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0
    assert f"warning: no input documents found in {tmp_path / 'empty'}" in result.stderr


def test_the_summary_is_not_wrapped_off_a_terminal(tmp_path: Path) -> None:
    out = tmp_path / ("a-long-folder-name-" * 5) / "out"
    result = invoke(["run", str(PAGE), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert f"  manifest: {out / 'manifest.jsonl'}\n" in result.stderr
    assert all(line.startswith(("cleaner: ", "  ")) for line in result.stderr.splitlines())


# --- explain ------------------------------------------------------------------------------------------------------


def test_explain_finds_a_document_by_id_source_or_any_path_to_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    relative = str(PAGE.relative_to(ROOT))
    run([relative], out, Config(run=RunConfig(jobs=1)))
    (entry,) = read_jsonl(out / "manifest.jsonl")
    assert entry["source"] == relative
    link = tmp_path / "link.html"
    os.symlink(PAGE, link)
    for key in (entry["id"], relative, str(PAGE), f"./{relative}", str(link)):
        result = invoke(["explain", str(out), key, "--json"])
        assert result.exit_code == 0, (key, result.stderr)
        assert json.loads(result.stdout)["id"] == entry["id"], key
    other = invoke(["explain", str(out), str(DEMO / "daily-meridian" / "iran-rules-out-missile-talks.html")])
    assert other.exit_code == 2 and "no document" in other.stderr
