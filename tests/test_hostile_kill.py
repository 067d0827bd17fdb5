"""A run killed half-way leaves no partial output file, and a rerun completes.

Outputs are written through writers.atomic_path: a hidden temporary `.NAME.XXXX.part` beside the target, renamed
over it on success. A SIGKILL cannot run cleanup, so such hidden files may stay behind; a rerun ignores them (new
temporary names) and does not remove them either.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from cleaner import Config, RunConfig, api
from cleaner.outputs import files
from tests.conftest import load_make_hostile, read_jsonl

CLEANER = Path(sys.executable).parent / "cleaner"
OUTPUT_STEMS = ("articles", "clusters", "documents", "manifest")


mh = load_make_hostile()


def _pages(folder: Path, prefix: str, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"{prefix}-{index:04d}.html").write_text(mh.article_page(f"{prefix}-{index}"), encoding="utf-8")
    return folder


def _visible(out: Path) -> list[str]:
    return sorted(path.name for path in out.iterdir() if not path.name.startswith("."))


def _hidden(out: Path) -> list[str]:
    return sorted(path.name for path in out.iterdir() if path.name.startswith("."))


def _assert_leftovers_are_hidden_parts(out: Path) -> None:
    for name in _hidden(out):
        stem = name[1:].split(".", 1)[0]
        assert stem in OUTPUT_STEMS and name.endswith(".part"), name


def _children(pid: int) -> list[str]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return path.read_text().split() if path.exists() else []


def test_sigkill_mid_run_leaves_no_output_and_a_rerun_completes(tmp_path: Path) -> None:
    inputs = _pages(tmp_path / "in", "kill", 300)
    out = tmp_path / "out"
    command = [str(CLEANER), "run", str(inputs), "-o", str(out), "-j", "2", "-q"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    can_see_children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()
    deadline = time.monotonic() + (30 if can_see_children else 3)
    while not _children(process.pid) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # the worker processes exist: extraction has begun
    time.sleep(0.3)
    assert process.poll() is None, "the run ended before it could be killed: make the corpus bigger"
    os.killpg(process.pid, signal.SIGKILL)  # the run and its workers, as a machine losing power would
    process.wait()
    assert process.returncode == -signal.SIGKILL
    if out.exists():
        assert _visible(out) == [], "a killed run left an output file"
        _assert_leftovers_are_hidden_parts(out)
    finished = subprocess.run(command, capture_output=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    manifest = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(manifest) == 300
    _assert_leftovers_are_hidden_parts(out)


def _dying_writer(real: Callable[..., int], stem: str, after: int) -> Callable[..., int]:
    """write_records that SIGKILLs its own process after `after` records of the `stem` file."""

    def write_records(path: Path, records: Iterable[dict[str, Any]], fmt: str | None = None) -> int:
        if not path.name.startswith(stem):
            return real(path, records, fmt)

        def dying() -> Iterator[dict[str, Any]]:
            for number, record in enumerate(records):
                if number == after:
                    os.kill(os.getpid(), signal.SIGKILL)
                yield record

        return real(path, dying(), fmt)

    return write_records


def _run_and_die_while_writing(inputs: str, out: str, stem: str) -> None:
    files.write_records = _dying_writer(files.write_records, stem, after=2)  # type: ignore[assignment]
    api.run([Path(inputs)], Path(out), Config(run=RunConfig(jobs=1)))


def _kill_while_writing(inputs: Path, out: Path, stem: str) -> None:
    child = multiprocessing.get_context("fork").Process(
        target=_run_and_die_while_writing, args=(str(inputs), str(out), stem)
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == -signal.SIGKILL


def _jsonl_is_whole(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return text.endswith("\n") and all(json.loads(line) for line in text.splitlines())


def test_sigkill_while_writing_leaves_only_whole_files_and_hidden_parts(tmp_path: Path) -> None:
    inputs = _pages(tmp_path / "in", "write", 6)
    out = tmp_path / "out"
    _kill_while_writing(inputs, out, "manifest")
    assert "manifest.jsonl" not in _visible(out)
    for name in _visible(out):  # written and renamed before the kill: complete files
        assert _jsonl_is_whole(out / name), name
    assert _hidden(out), "the kill should have caught the manifest's temporary file"
    _assert_leftovers_are_hidden_parts(out)
    leftovers = _hidden(out)

    api.run([inputs], out, Config(run=RunConfig(jobs=1)))  # the rerun completes
    clean = tmp_path / "clean"
    api.run([inputs], clean, Config(run=RunConfig(jobs=1)))
    assert _visible(out) == _visible(clean)
    for name in set(_visible(clean)) - {"run.json"}:  # run.json records timings: the one file meant to differ
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name
    assert _hidden(out) == leftovers  # ignored by the rerun, and not cleaned up either


def test_a_killed_rerun_never_mixes_two_runs_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.run([_pages(tmp_path / "first", "first", 3)], out, Config(run=RunConfig(jobs=1)))
    first_ids = {entry["id"] for entry in read_jsonl(out / "manifest.jsonl")}
    assert (out / "report.html").exists()
    _kill_while_writing(_pages(tmp_path / "second", "second", 4), out, "manifest")
    # the manifest marks a finished run: the first run's is gone, the second's never landed
    assert "manifest.jsonl" not in _visible(out)
    # nothing of the first run is left beside the second run's files, its report included
    assert "report.html" not in _visible(out)
    for name in _visible(out):
        records = read_jsonl(out / name)
        ids = {r["id"] for r in records if "id" in r} | {m["id"] for r in records for m in r.get("members", [])}
        assert ids and not ids & first_ids, name


def test_outputs_get_the_usual_file_mode(tmp_path: Path) -> None:
    api.run([_pages(tmp_path / "in", "mode", 1)], tmp_path / "out", Config(run=RunConfig(jobs=1)))
    umask = os.umask(0)
    os.umask(umask)
    for name in _visible(tmp_path / "out"):
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == 0o666 & ~umask, name
