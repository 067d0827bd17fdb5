"""The README's examples run: the Python pipeline example and the documented CLI options exist."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


# a byte-identical copy of a page of the demo's seven-source story, under another name: the README's examples must
# handle exact duplicates in their input (two ids, one cluster), as `cleaner run` does
ORIGINAL = "gulf-ledger/iran-missile-programme-red-line.html"
COPY = "mirror/iran-missile-programme-red-line.html"


@pytest.fixture(scope="module")
def demo_with_a_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme") / "demo"
    shutil.copytree(ROOT / "fixtures" / "demo", folder)
    (folder / COPY).parent.mkdir()
    shutil.copyfile(folder / ORIGINAL, folder / COPY)
    return folder


def run_block(block: str, demo: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run a README block as written, from the repository root, on the demo plus the copy (the only change)."""
    assert '"fixtures/demo"' in block, "the examples read the demo corpus"
    exec(compile(block.replace('"fixtures/demo"', repr(str(demo))), "README.md", "exec"), {"__name__": "readme"})
    return capsys.readouterr().out


def test_there_are_two_python_examples() -> None:
    assert len(PYTHON_BLOCKS) == 2


def test_pipeline_example_clusters_the_demo_with_its_copy(
    demo_with_a_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    printed = run_block(PYTHON_BLOCKS[0], demo_with_a_copy, capsys)
    # the demo holds two multi-source events: the seed story at seven outlets (eight pages with the copy) and a
    # two-copy story
    sizes = sorted(int(n) for n in re.findall(r" has (\d+) sources", printed))
    assert sizes == [2, 8], printed
    assert len(re.findall(r"^skipped ", printed, flags=re.MULTILINE)) == 4  # the demo's broken files


def test_records_example_finds_the_copy_by_query(
    demo_with_a_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    printed = run_block(PYTHON_BLOCKS[1], demo_with_a_copy, capsys)
    # rglob lists gulf-ledger/ before mirror/: the copy arrives after its original and is found to contain all of
    # an earlier page (the original, or a trimmed copy listed first on equal similarity)
    line = next(line for line in printed.splitlines() if line.startswith(f"{demo_with_a_copy / COPY} copies "))
    assert line.endswith("(1.00)"), line
    # the .html pages among the broken files: empty, an image, a JSON API response
    assert len(re.findall(r"^rejected ", printed, flags=re.MULTILINE)) == 3, printed
    copies = re.findall(r"^(\S+) copies ", printed, flags=re.MULTILINE)
    # the eight pages of the seed story find an earlier one, but the first; the two-copy story's second page
    assert len(copies) == 8, printed


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
    assert words[1] in {"run", "extract", "dedup", "explain", "check", "index"}, words
    command = words[1:3] if words[1] == "index" else words[1:2]  # `cleaner index show|stats`
    used = {word for word in words[len(command) + 1 :] if OPTION.fullmatch(word)}
    assert sorted(used - _help(*command)) == []


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
