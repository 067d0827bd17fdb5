"""The hook through the real `pre-commit` tool: a temporary project installs it from a committed copy of this
repository (pre-commit clones by URL + rev, so the working tree is copied into a temporary git repo first), then
commits clean data, data with clutter and a near-duplicate, fixes it, and accepts a duplicate into the baseline.

pre-commit builds the hook's virtualenv and pip-installs `cleaner` with its dependencies: the slow part (~20 s with
a local wheel cache). Skipped only when pre-commit or git is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.check import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "check"
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
GIT = shutil.which("git")

pytestmark = pytest.mark.skipif(
    PRE_COMMIT is None or GIT is None, reason="needs the pre-commit tool and git (pip install -e '.[test]')"
)


def git(cwd: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GIT), "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr  # git shows the hook's report on stderr


def hook_repository(target: Path, env: dict[str, str]) -> str:
    """This working tree's package files as a committed git repo; returns the commit to pin as `rev`."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "cleaner", target / "cleaner", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git(target, "init", "-q", env=env)
    git(target, "add", "-A", env=env)
    git(target, "commit", "-q", "-m", "hook under test", env=env)
    return git(target, "rev-parse", "HEAD", env=env).stdout.strip()


def records(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, items: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8")


def test_hook_through_pre_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),  # no shared cache: the hook is built from scratch
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    env.pop("PYTHONPATH", None)  # the hook must run the package pre-commit installed, not this checkout
    rev = hook_repository(tmp_path / "hook", env)
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q", env=env)
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {(tmp_path / 'hook').as_posix()}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: cleaner-check\n"
        "        files: ^data/\n"
        "      - id: cleaner-fix\n"
        "        files: ^data/\n"
        "        stages: [manual]\n",
        encoding="utf-8",
    )
    subprocess.run([str(PRE_COMMIT), "install"], cwd=project, env=env, check=True, capture_output=True, timeout=60)
    monkeypatch.chdir(project)  # for the in-process `cleaner check --update-baseline` calls below

    # 1. clean data, with a baseline holding its signatures: the commit passes
    write_jsonl(project / "data" / "articles.jsonl", records("clean.jsonl"))
    assert main(["-q", "--update-baseline", "data"]) == 0
    git(project, "add", "-A", env=env)
    first = git(project, "commit", "-m", "clean data", env=env, check=False)
    assert first.returncode == 0, output(first)
    assert "cleaner check (text datasets)" in output(first) and "Passed" in output(first)

    # 2. a new file with a promo line and a near-copy of a committed record in another file: the commit fails
    write_jsonl(project / "data" / "incoming.jsonl", records("incoming.jsonl"))
    git(project, "add", "-A", env=env)
    second = git(project, "commit", "-m", "more data", env=env, check=False)
    assert second.returncode == 1
    report = output(second)
    assert "data/incoming.jsonl:2: CLN101 paragraph 2: clutter line (text.read_also): 'Also Read:" in report
    assert "data/incoming.jsonl:2: CLN101 paragraph 5: clutter line (text.newsletter)" in report
    assert "data/incoming.jsonl:3: CLN502 near-duplicate of data/articles.jsonl:2 (id 'a2'), similarity 0.9" in report
    assert git(project, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "1"

    # 3. the fix hook removes the clutter lines in place and fails (files changed); the near-duplicate stays
    fixed = subprocess.run(
        [str(PRE_COMMIT), "run", "--hook-stage", "manual", "cleaner-fix", "--files", "data/incoming.jsonl"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert fixed.returncode == 1
    assert "data/incoming.jsonl:2: CLN101 fixed: removed 2 clutter lines" in output(fixed)
    assert "data/incoming.jsonl:3: CLN502 near-duplicate of data/articles.jsonl:2" in output(fixed)
    assert "files were modified by this hook" in output(fixed)
    text = (project / "data" / "incoming.jsonl").read_text(encoding="utf-8")
    assert "Also Read" not in text and "newsletter" not in text
    assert [r["id"] for r in map(json.loads, text.splitlines())] == ["n1", "n2", "n3"]

    # 4. the duplicate is accepted into the baseline: the commit passes
    assert main(["-q", "--update-baseline", "data/incoming.jsonl"]) == 0
    git(project, "add", "-A", env=env)
    third = git(project, "commit", "-m", "accept n3", env=env, check=False)
    assert third.returncode == 0, output(third)

    # 5. a new duplicate fails; the accepted one is not reported again
    write_jsonl(project / "data" / "incoming.jsonl", [*map(json.loads, text.splitlines()), *records("later.jsonl")])
    git(project, "add", "-A", env=env)
    fourth = git(project, "commit", "-m", "another copy", env=env, check=False)
    assert fourth.returncode == 1
    reported = [line for line in output(fourth).splitlines() if ": CLN" in line]
    assert len(reported) == 1, reported
    assert reported[0].startswith("data/incoming.jsonl:4: CLN502 near-duplicate of data/articles.jsonl:1 (id 'a1')")
