"""The `check` command for typer (`register(app)` adds it to the `cleaner` app) and the `main(argv)` entry point
that pre-commit runs. Exit codes: 0 clean, 1 findings (or files fixed), 2 usage, config or internal error."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from cleaner.check import report
from cleaner.check.config import CheckSettings, load_check_settings
from cleaner.check.runner import CheckOptions, check_paths
from cleaner.errors import CleanerError

EXIT_ERROR = 2
# click's ClickException, wherever this typer version keeps it (recent typer vendors click as typer._click)
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _settings(
    config_file: Path | None,
    select: list[str] | None,
    ignore: list[str] | None,
    min_chars: int | None,
    threshold: float | None,
    text_key: str | None,
    id_key: str | None,
) -> CheckSettings:
    settings = load_check_settings(config_file)
    changes: dict[str, Any] = {
        "select": _split(select),
        "ignore": _split(ignore),
        "min_chars": min_chars,
        "duplicate_threshold": threshold,
        "text_key": text_key,
        "id_key": id_key,
    }
    given = {key: value for key, value in changes.items() if value is not None}
    check = dataclasses.replace(settings.check, **given)
    check.validate()
    return dataclasses.replace(settings, check=check)


def check(
    files: Annotated[
        list[Path], typer.Argument(help="Dataset files (.jsonl, .jsonl.gz, .txt, .html) or folders to search.")
    ],
    output_format: Annotated[
        str, typer.Option("--format", help="Output: 'text' (path:line: CODE message), 'json' or 'github'.")
    ] = "text",
    fix: Annotated[
        bool, typer.Option("--fix", help="Remove clutter lines and empty records in place (exits 1 if it fixed).")
    ] = False,
    update_baseline: Annotated[
        bool,
        typer.Option("--update-baseline", help="Accept every current finding and store the records' signatures."),
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Baseline file (default: the config's check.baseline, else the nearest .cleaner-baseline.json "
            "up to the repository root).",
        ),
    ] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Ignore the baseline: report everything.")] = False,
    select: Annotated[
        list[str] | None, typer.Option("--select", help="Rules to run: codes, prefixes or names (comma separated).")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Rules to skip: codes, prefixes or names (comma separated).")
    ] = None,
    min_chars: Annotated[
        int | None, typer.Option("--min-chars", help="Texts shorter than this are CLN202.", min=0)
    ] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Near-duplicate similarity threshold, in (0, 1].")
    ] = None,
    text_key: Annotated[str | None, typer.Option("--text-key", help="JSONL: the field holding the text.")] = None,
    id_key: Annotated[str | None, typer.Option("--id-key", help="JSONL: the field holding the record id.")] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML config file (default: the tool.cleaner table of the nearest pyproject.toml that has one, up to "
            "the repository root).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary line on stderr.")] = False,
) -> None:
    """Check text datasets for clutter lines, empty/short or mis-encoded texts, bad JSON and duplicates."""
    if output_format not in report.FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(report.FORMATS)}", param_hint="--format")
    try:
        settings = _settings(config_file, select, ignore, min_chars, threshold, text_key, id_key)
        options = CheckOptions(fix, update_baseline, baseline, use_baseline=not no_baseline)
        result = check_paths(files, settings, options)
    except CleanerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from exc
    except (OSError, ValueError, RuntimeError) as exc:  # exit 2, never a traceback's exit 1 that reads as findings
        typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from exc
    for note in result.notes:
        typer.echo(f"warning: {note}", err=True)
    report.write(result, output_format, sys.stdout)
    if not quiet and output_format != "json":
        typer.echo(report.summary(result), err=True)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add the `check` command to the `cleaner` typer app."""
    app.command(name="check")(check)


def main(argv: list[str] | None = None) -> int:
    """`cleaner-check FILES...` / `python -m cleaner.check FILES...`: returns the exit code."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)  # a one-command app: typer runs `check` without a subcommand name
    try:
        code = app(args=argv, prog_name="cleaner-check", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except _CLICK_ERROR as exc:  # usage errors: click prints usage and the message
        cast(Any, exc).show()  # a click.ClickException
        return EXIT_ERROR
    except typer.Abort:
        return EXIT_ERROR
    except Exception as exc:  # an internal error is exit 2, never a traceback exit 1 that reads like "findings"
        typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_ERROR
    return code if isinstance(code, int) else 0  # without standalone mode, click returns Exit's code
