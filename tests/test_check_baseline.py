"""The baseline keys each accepted finding by what it found (a clutter line's text), and the config and the baseline
are found from any folder of a git repository, as from its root where pre-commit runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cleaner.check import main

ROOT = Path(__file__).resolve().parent.parent
CLEAN = [json.loads(line) for line in (ROOT / "fixtures" / "check" / "clean.jsonl").read_text("utf-8").splitlines()]
GIT = shutil.which("git")
TEASER = "Also Read: Council to vote on the river crossing next week"
PROMPT = "Sign up for our newsletter to get the top stories every morning."


def with_line(record: dict[str, Any], *lines: str) -> dict[str, Any]:
    """The record with `lines` inserted after its first paragraph (mid-text: rules that fire anywhere)."""
    first, rest = record["text"].split("\n", 1)
    return {**record, "text": "\n".join([first, *lines, rest])}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def check(cwd: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """`cleaner check -q ARGS` run from `cwd`: (exit code, reported lines)."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        code = main(["-q", *args])
    finally:
        os.chdir(previous)
    return code, capsys.readouterr().out.splitlines()


def findings(cwd: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> list[tuple[Any, ...]]:
    """The findings of `cleaner check --format json ARGS` from `cwd`: each path resolved, and a pair's other record
    instead of the message that names it by its path relative to `cwd`."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        main(["--format", "json", *args])
    finally:
        os.chdir(previous)
    out = []
    for f in json.loads(capsys.readouterr().out)["findings"]:
        other = f.get("other")
        said = (str((cwd / other["path"]).resolve()), other["line"], other["id"]) if other else f["message"]
        out.append((str((cwd / f["path"]).resolve()), f["line"], f["code"], f["record_id"], said))
    return out


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A git repository (a real `git init`) holding data/news/, with a config above it that must not be read."""
    if GIT is None:
        pytest.skip("needs git")
    (tmp_path / "pyproject.toml").write_text("[tool.cleaner.check]\nselect = ['CLN5']\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run([GIT, "init", "-q"], cwd=repo, check=True, timeout=60)
    (repo / "data" / "news").mkdir(parents=True)
    return repo


@pytest.mark.parametrize("where", ["root", "subfolder"])
def test_accepted_clutter_line_stays_quiet_and_a_new_one_is_reported(
    repo: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    news = repo / "data" / "news"
    anonymous = {"text": with_line(CLEAN[2], TEASER)["text"]}  # no id field: its id is made from its file's path
    first = [with_line(CLEAN[0], TEASER), CLEAN[1], anonymous, with_line(CLEAN[3], TEASER)]
    write_jsonl(news / "a.jsonl", first)
    cwd, target, shown = (repo, "data/news/a.jsonl", "data/news/a.jsonl") if where == "root" else (news, ".", "a.jsonl")
    assert check(cwd, "--update-baseline", target, capsys=capsys) == (0, [])
    assert (repo / ".cleaner-baseline.json").is_file()  # at the repository root, whichever folder wrote it
    assert check(repo, "data/news/a.jsonl", capsys=capsys) == (0, [])
    assert check(news, "a.jsonl", capsys=capsys) == (0, [])

    # a new clutter line in a record with an accepted one, and a second copy of an accepted line in another
    write_jsonl(
        news / "a.jsonl",
        [with_line(CLEAN[0], TEASER, PROMPT), CLEAN[1], anonymous, with_line(CLEAN[3], TEASER, TEASER)],
    )
    code, lines = check(cwd, target, capsys=capsys)
    assert code == 1
    assert [line.split(" clutter line ")[0] for line in lines] == [
        f"{shown}:1: CLN101 paragraph 3:",
        f"{shown}:4: CLN101 paragraph 3:",
    ]
    assert "(text.newsletter): 'Sign up for our newsletter" in lines[0] and "(text.read_also): 'Also Read" in lines[1]
    other = (news, "a.jsonl") if where == "root" else (repo, "data/news/a.jsonl")
    assert findings(*other, capsys=capsys) == findings(cwd, target, capsys=capsys)


def test_subfolder_reads_the_root_config_and_baseline_as_the_root_does(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the root's table (short texts are fine here) wins over defaults; a subpackage's pyproject.toml without a
    # [tool.cleaner] table is passed over, and the one above the repository is never read
    (repo / "pyproject.toml").write_text("[tool.cleaner.check]\nmin_chars = 10\n", encoding="utf-8")
    (repo / "data" / "pyproject.toml").write_text("[project]\nname = 'data'\n", encoding="utf-8")
    news = repo / "data" / "news"
    short = {"id": "s1", "text": "A short wire brief about the weather."}
    write_jsonl(news / "a.jsonl", [*CLEAN, short, with_line({**CLEAN[0], "id": "c1"}, TEASER)])
    from_root = findings(repo, "data", capsys=capsys)
    assert [(line, code) for _, line, code, _, _ in from_root] == [(6, "CLN101"), (6, "CLN502")]
    assert findings(news, ".", capsys=capsys) == from_root
    assert findings(repo / "data", "news/a.jsonl", capsys=capsys) == from_root


def test_a_format_1_baseline_is_refused_with_how_to_rewrite_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "a.jsonl", [with_line(CLEAN[0], TEASER)])
    assert main(["-q", "--update-baseline", "a.jsonl"]) == 0
    baseline = json.loads((tmp_path / ".cleaner-baseline.json").read_text(encoding="utf-8"))
    assert baseline["version"] == 2 and [a["code"] for a in baseline["accepted"]] == ["CLN101"]
    old = {**baseline, "version": 1, "accepted": [{"path": "a.jsonl", "record": "a1", "code": "CLN101"}]}
    (tmp_path / ".cleaner-baseline.json").write_text(json.dumps(old), encoding="utf-8")
    capsys.readouterr()
    assert main(["-q", "a.jsonl"]) == 2
    assert "baseline format 1" in (err := capsys.readouterr().err) and "--update-baseline" in err
    assert main(["-q", "--update-baseline", "a.jsonl"]) == 0
    assert main(["-q", "a.jsonl"]) == 0


def test_other_findings_are_keyed_by_what_they_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    short = {"id": "s1", "text": "A short wire brief about the weather."}
    broken = {**CLEAN[1], "text": CLEAN[1]["text"].replace("Friday", "Fr\ufffdday")}
    write_jsonl(tmp_path / "a.jsonl", [short, broken])
    assert main(["-q", "--update-baseline", "a.jsonl"]) == 0
    assert check(tmp_path, "a.jsonl", capsys=capsys) == (0, [])
    # an untouched line elsewhere in the record changes nothing; a new short text or a new broken line is new
    edited = {**broken, "text": broken["text"].replace("Dr Ines Carvalho", "Professor Ines Carvalho")}
    write_jsonl(tmp_path / "a.jsonl", [short, edited])
    assert check(tmp_path, "a.jsonl", capsys=capsys) == (0, [])
    more_broken = {**edited, "text": edited["text"] + "\nThe observatory\ufffds director said more will follow."}
    write_jsonl(tmp_path / "a.jsonl", [{**short, "text": "Another short brief."}, more_broken])
    code, lines = check(tmp_path, "a.jsonl", capsys=capsys)
    assert code == 1 and [line.split(" ")[:2] for line in lines] == [["a.jsonl:1:", "CLN202"], ["a.jsonl:2:", "CLN302"]]
