"""Every command and every option is documented, and the public API is locked."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

import cleaner
from cleaner.cli import app

COMMAND = typer.main.get_command(app)
COMMANDS = sorted(COMMAND.commands)  # type: ignore[attr-defined]


def test_expected_commands_exist() -> None:
    assert {"run", "extract", "dedup", "check", "explain"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_has_help(name: str) -> None:
    command = COMMAND.commands[name]  # type: ignore[attr-defined]
    assert command.help and command.help.strip(), f"{name} has no help text"
    for param in command.params:
        text = getattr(param, "help", None)
        assert text and text.strip(), f"{name}: {param.name} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
def test_help_runs(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("cleaner ")


def test_public_api_is_locked() -> None:
    # changing the public surface is a decision: update this list on purpose
    assert sorted(cleaner.__all__) == [
        "Article",
        "CleanerError",
        "Cluster",
        "ClutterConfig",
        "Config",
        "ConfigError",
        "DedupConfig",
        "Deduplicator",
        "ExtractConfig",
        "ExtractionError",
        "IndexMismatchError",
        "InputError",
        "ManifestEntry",
        "Member",
        "Outcome",
        "OutputError",
        "RawDocument",
        "Removal",
        "RunConfig",
        "RunReport",
        "clean_html",
        "clean_records",
        "detect_origin",
        "extract_article",
        "find_clutter_lines",
        "iter_documents",
        "iter_outcomes",
        "iter_text_records",
        "load_config",
        "run",
        "run_dedup",
        "run_extract",
        "strip_site_templates",
    ]
    for name in cleaner.__all__:
        assert hasattr(cleaner, name), name


def test_usage_errors_exit_2_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cleaner.cli import main

    monkeypatch.chdir(tmp_path)  # the output folder is checked (made) before the inputs: not in the checkout
    assert main(["run"]) == 2  # no inputs, no --output
    assert "Traceback" not in capsys.readouterr().err
    assert main(["run", "nowhere-at-all", "-o", "x", "-q"]) == 2
    assert "no such file" in capsys.readouterr().err
