"""The README's examples run: the Python pipeline example and the documented CLI options exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))])
def test_python_examples_run(block: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out
    # the demo corpus holds multi-source events: the pipeline example must find them
    assert "sources" in printed


def test_readme_has_the_two_setup_commands() -> None:
    assert "pip install -e . && cleaner run fixtures/demo -o out" in README
    assert "pip install -e '.[test]' && pytest" in README


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]' && pytest" in ci


def test_documented_options_exist() -> None:
    from typer.testing import CliRunner

    from cleaner.cli import app

    help_text = CliRunner().invoke(app, ["run", "--help"], terminal_width=200).output
    for option in re.findall(r"^\| `(--?[\w-]+)", README, flags=re.MULTILINE):
        if option.startswith("--version"):
            continue
        assert option in help_text or option.split("/")[0] in help_text, option


def test_readme_examples_use_real_paths() -> None:
    assert (ROOT / "fixtures" / "demo").is_dir()
    assert Path(ROOT / "seeds").is_dir()
