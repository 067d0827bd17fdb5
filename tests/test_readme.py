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
    # the demo corpus holds two multi-source events: the seed story at seven outlets and a two-copy story
    sizes = sorted(int(n) for n in re.findall(r" has (\d+) sources", printed))
    assert sizes == [2, 7], printed
    assert len(re.findall(r"^skipped ", printed, flags=re.MULTILINE)) == 4  # the demo's broken files


def test_readme_has_the_two_setup_commands() -> None:
    assert "pip install -e . && cleaner run fixtures/demo -o out" in README
    assert "pip install -e '.[test]' && pytest" in README


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]' && pytest" in ci


OPTION = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")
COMMAND_LINES = [
    line.split("#")[0].split()
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    for line in block.splitlines()
    if line.startswith("cleaner ")
]


def _help(*command: str) -> set[str]:
    from typer.testing import CliRunner

    from cleaner.cli import app

    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return set(OPTION.findall(result.output))


def test_every_option_in_the_options_table_exists_on_run() -> None:
    rows = re.findall(r"^\| (`.*?`) \|", README, flags=re.MULTILINE)
    options = {option for row in rows for option in OPTION.findall(row)}
    assert {"-j", "--jobs", "--engine", "--scheduler", "-q", "-v", "--index"} <= options  # the table was read
    available = _help("run") | _help()
    assert sorted(options - available) == []


@pytest.mark.parametrize("words", COMMAND_LINES, ids=[" ".join(w[:3]) for w in COMMAND_LINES])
def test_every_option_in_a_command_example_exists_on_its_command(words: list[str]) -> None:
    assert words[1] in {"run", "extract", "dedup", "explain", "check"}, words
    used = {word for word in words[2:] if OPTION.fullmatch(word)}
    assert sorted(used - _help(words[1])) == []


def test_the_readme_example_commands_run_on_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example lines, with the demo corpus for `crawl/` and a temporary folder for `out`."""
    from typer.testing import CliRunner

    from cleaner.cli import app

    monkeypatch.chdir(ROOT)
    out, extracted = str(tmp_path / "out"), str(tmp_path / "articles.jsonl")
    commands = {
        "run": ["run", "fixtures/demo", "-o", out, "--jobs", "1", "-q"],
        "extract": ["extract", "fixtures/demo", "-o", extracted, "--jobs", "1", "-q"],
        "dedup": ["dedup", extracted, "-o", str(tmp_path / "dedup"), "--text-key", "text", "--id-key", "id", "-q"],
    }
    for name, args in commands.items():
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (name, result.output)
    explain = next(words for words in COMMAND_LINES if words[1] == "explain")
    result = CliRunner().invoke(app, ["explain", out, *explain[3:]])
    assert result.exit_code == 0, result.output
    assert "duplicate" in result.output or "kept" in result.output


def test_readme_examples_use_real_paths() -> None:
    assert (ROOT / "fixtures" / "demo").is_dir()
    assert Path(ROOT / "seeds").is_dir()
