"""The `cleaner` command: a thin typer layer that parses options, calls the library and maps errors to exit codes.

Exit codes: 0 ok, 1 findings (check), 2 usage, config or internal error.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from cleaner import pipeline
from cleaner.check import register as register_check
from cleaner.config import Config, load_config, with_overrides
from cleaner.engines.remote import is_url
from cleaner.errors import CleanerError
from cleaner.models import RunReport
from cleaner.readers import ReadOptions, iter_documents

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="cleaner",
    help="Turn scraped news HTML into a clean, deduplicated corpus: extract, strip clutter, cluster wire copies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True, highlight=False)


def _package_version() -> str:
    try:
        return version("cleaner")
    except PackageNotFoundError:
        return "unknown"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cleaner {_package_version()}")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """cleaner: scraped news HTML in, one clean record per news event out."""


Inputs = Annotated[
    list[str],
    typer.Argument(
        metavar="INPUTS",
        help="HTML files, folders (read recursively), WARC or JSONL files; with --engine dask also fsspec URLs.",
    ),
]
OutDir = Annotated[Path, typer.Option("--output", "-o", help="Output folder (created if missing).")]
Jobs = Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).", min=0)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging (-v info, -vv debug).")]
ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="TOML config file (default: the tool.cleaner table of the nearest pyproject.toml)."),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="List what would be read; write nothing.")]
SummaryFormat = Annotated[
    str, typer.Option("--summary-format", help="Summary as 'text' (stderr) or 'json' (stdout, for machines).")
]
OutputFormat = Annotated[
    str | None, typer.Option("--format", help="Output format: jsonl, jsonl.gz or parquet (needs cleaner\\[parquet]).")
]
HtmlKey = Annotated[str | None, typer.Option("--html-key", help="JSONL inputs: the field holding HTML.")]
UrlKey = Annotated[str | None, typer.Option("--url-key", help="JSONL inputs: the field holding the page URL.")]
Timeout = Annotated[float | None, typer.Option("--timeout", help="Seconds allowed per document (0: no limit).")]
MarkOnly = Annotated[
    bool, typer.Option("--mark-only", help="Detect clutter and record it in 'removed', but keep the text whole.")
]
NoClutter = Annotated[bool, typer.Option("--no-clutter", help="Do not strip clutter at all.")]
DisableFamily = Annotated[
    list[str] | None,
    typer.Option("--disable", help="Turn a clutter rule family (text, structure, template) or a rule id off."),
]
Engine = Annotated[
    str, typer.Option("--engine", help="Where to run: 'local' (this machine) or 'dask' (needs cleaner\\[dask]).")
]
Scheduler = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (default: a LocalCluster here)."),
]
IndexDir = Annotated[
    Path | None,
    typer.Option(
        "--index", help="Persistent event index folder: dedup against every event kept by earlier runs, then extend it."
    ),
]
UserRule = Annotated[
    list[str] | None,
    typer.Option(
        "--rule",
        help="Extra clutter rule: a regex matched case-insensitively from the start of a line; a match removes it.",
    ),
]


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    if verbose < 2:  # distributed sets its own log levels when imported: chatty INFO lines only at -vv
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)


@contextmanager
def _errors_to_exit_codes(verbose: int) -> Iterator[None]:
    try:
        yield
    except CleanerError as exc:
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_ERROR) from exc
    except KeyboardInterrupt:
        stderr.print("interrupted: no output file was left half-written; rerun to complete")
        raise typer.Exit(130) from None
    except Exception as exc:
        if verbose:
            stderr.print_exception()
        message = f"{type(exc).__name__}: {escape(str(exc))}"
        stderr.print(f"[bold red]internal error:[/] {message} (rerun with -v for a traceback)")
        raise typer.Exit(EXIT_ERROR) from exc


def _base_config(config_file: Path | None) -> Config:
    return load_config(config_file)


def _clutter_overrides(
    config: Config, mark_only: bool, no_clutter: bool, disable: list[str] | None, rules: list[str] | None
) -> Config:
    clutter = config.clutter
    disable = disable or []
    families = frozenset(clutter.families) - frozenset(disable)
    disabled_rules = frozenset(clutter.disabled_rules) | (frozenset(disable) - frozenset(clutter.families))
    clutter = replace(
        clutter,
        enabled=clutter.enabled and not no_clutter,
        mark_only=clutter.mark_only or mark_only,
        families=families,
        disabled_rules=disabled_rules,
        extra_patterns=tuple(clutter.extra_patterns) + tuple(rules or []),
    )
    return replace(config, clutter=clutter)


@contextmanager
def _progress(enabled: bool) -> Iterator[pipeline.ProgressHook | None]:
    """A rich progress display on a terminal; nothing when piped or quiet."""
    if not enabled or not stderr.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=stderr, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def advance(stage: str, count: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=None)
            progress.advance(tasks[stage], count)

        yield advance


def _print_summary(report: RunReport, summary_format: str, quiet: bool) -> None:
    if summary_format == "json":
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True))
        return
    if quiet:
        return
    stderr.print(
        f"cleaner: {report.documents} documents read: {report.kept} kept, {report.duplicates} duplicates, "
        f"{report.rejected} rejected; {report.clusters} clusters; {report.clutter_removed} clutter lines removed "
        f"({report.seconds:.1f} s)"
    )
    if report.rejection_reasons:
        reasons = ", ".join(f"{reason or 'unknown'}: {n}" for reason, n in report.rejection_reasons.items())
        stderr.print(f"  rejected: {reasons}")
    for name, path in report.outputs.items():
        stderr.print(f"  {name}: {escape(path)}")


def _check_choices(summary_format: str, engine: str, scheduler: str | None) -> None:
    if summary_format not in ("text", "json"):
        raise typer.BadParameter("choose 'text' or 'json'", param_hint="--summary-format")
    if engine not in pipeline.ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(pipeline.ENGINES)}", param_hint="--engine")
    if scheduler and engine != "dask":
        raise typer.BadParameter("--scheduler needs --engine dask", param_hint="--scheduler")


def _check_inputs(inputs: list[str], engine: str, dry_run: bool = False) -> None:
    """URLs (s3://, gs://, file://, ...) are listed and read through fsspec by the Dask engine's workers only."""
    urls = [value for value in inputs if is_url(value)]
    if urls and (engine != "dask" or dry_run):
        raise typer.BadParameter(
            f"{urls[0]}: URL inputs are read by the Dask engine only (add --engine dask, without --dry-run)",
            param_hint="INPUTS",
        )


def _dry_run(inputs: list[str], config: Config) -> None:
    read = ReadOptions(config.run.html_key, config.run.url_key, config.extract.max_html_bytes)
    counts: Counter[str] = Counter()
    for document in iter_documents(inputs, read):
        counts["unreadable" if document.error else "readable"] += 1
        typer.echo(f"{document.source}\t{document.error or 'ok'}")
    stderr.print(f"dry run: {sum(counts.values())} documents ({counts['unreadable']} unreadable); nothing written")


def _job(
    action: Callable[..., RunReport],
    inputs: list[str],
    target: Path,
    config: Config,
    quiet: bool,
    summary_format: str,
    **engine: str | None,
) -> None:
    with _progress(not quiet) as progress:
        report = action(inputs, target, config, progress, **engine)
    _print_summary(report, summary_format, quiet)


@app.command()
def run(
    inputs: Inputs,
    output: OutDir,
    jobs: Jobs = None,
    output_format: OutputFormat = None,
    html_key: HtmlKey = None,
    url_key: UrlKey = None,
    timeout: Timeout = None,
    mark_only: MarkOnly = False,
    no_clutter: NoClutter = False,
    disable: DisableFamily = None,
    rule: UserRule = None,
    config_file: ConfigFile = None,
    dry_run: DryRun = False,
    index: IndexDir = None,
    engine: Engine = "local",
    scheduler: Scheduler = None,
    summary_format: SummaryFormat = "text",
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Extract, strip clutter and cluster: writes articles, clusters, documents and manifest into OUTPUT."""
    _setup_logging(verbose)
    _check_choices(summary_format, engine, scheduler)
    _check_inputs(inputs, engine, dry_run)
    with _errors_to_exit_codes(verbose):
        config = _base_config(config_file)
        config = with_overrides(config, "run", jobs=jobs, output_format=output_format, timeout_seconds=timeout)
        config = with_overrides(config, "run", html_key=html_key, url_key=url_key)
        config = _clutter_overrides(config, mark_only, no_clutter, disable, rule)
        if dry_run:
            _dry_run(inputs, config)
            return
        run_job = functools.partial(pipeline.run, index=index)
        _job(run_job, inputs, output, config, quiet, summary_format, engine=engine, scheduler=scheduler)


@app.command()
def extract(
    inputs: Inputs,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file (.jsonl, .jsonl.gz or .parquet).")],
    jobs: Jobs = None,
    html_key: HtmlKey = None,
    url_key: UrlKey = None,
    timeout: Timeout = None,
    mark_only: MarkOnly = False,
    no_clutter: NoClutter = False,
    disable: DisableFamily = None,
    rule: UserRule = None,
    config_file: ConfigFile = None,
    dry_run: DryRun = False,
    engine: Engine = "local",
    scheduler: Scheduler = None,
    summary_format: SummaryFormat = "text",
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Extract and clean every page: one line per input document (text, metadata, removed clutter)."""
    _setup_logging(verbose)
    _check_choices(summary_format, engine, scheduler)
    _check_inputs(inputs, engine, dry_run)
    with _errors_to_exit_codes(verbose):
        config = _base_config(config_file)
        config = with_overrides(config, "run", jobs=jobs, timeout_seconds=timeout, html_key=html_key, url_key=url_key)
        config = _clutter_overrides(config, mark_only, no_clutter, disable, rule)
        if dry_run:
            _dry_run(inputs, config)
            return
        _job(pipeline.extract, inputs, output, config, quiet, summary_format, engine=engine, scheduler=scheduler)


@app.command()
def dedup(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUTS", help="JSONL(.gz) files whose records hold text; with --engine dask also URLs."
        ),
    ],
    output: OutDir,
    text_key: Annotated[str | None, typer.Option("--text-key", help="The field holding the text.")] = None,
    id_key: Annotated[str | None, typer.Option("--id-key", help="The field holding a record id.")] = None,
    output_format: OutputFormat = None,
    config_file: ConfigFile = None,
    index: IndexDir = None,
    engine: Engine = "local",
    scheduler: Scheduler = None,
    summary_format: SummaryFormat = "text",
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Cluster near-duplicate records of JSONL files: writes articles, clusters, documents and manifest."""
    _setup_logging(verbose)
    _check_choices(summary_format, engine, scheduler)
    _check_inputs(inputs, engine)
    with _errors_to_exit_codes(verbose):
        config = _base_config(config_file)
        config = with_overrides(config, "run", text_key=text_key, id_key=id_key, output_format=output_format)
        dedup_job = functools.partial(pipeline.dedup, index=index)
        _job(dedup_job, inputs, output, config, quiet, summary_format, engine=engine, scheduler=scheduler)


@app.command()
def explain(
    output: Annotated[Path, typer.Argument(help="A run's output folder (holds its manifest and documents files).")],
    document: Annotated[str, typer.Argument(help="Document id, or its source path as the manifest lists it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
    config_file: ConfigFile = None,
    verbose: Verbose = 0,
) -> None:
    """Say why a document was kept, merged or rejected, and list every clutter span removed from it."""
    _setup_logging(verbose)
    with _errors_to_exit_codes(verbose):
        from cleaner.explain import explain_document, render_text

        explanation = explain_document(output, document, _base_config(config_file).dedup)
        if as_json:
            typer.echo(json.dumps(explanation.to_dict(), ensure_ascii=False, indent=1))
        else:
            typer.echo(render_text(explanation))


register_check(app)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the exit code instead of exiting when called from Python."""
    try:
        app(args=argv, prog_name="cleaner")  # standalone: usage errors print their message and exit 2
    except SystemExit as exc:
        if exc.code is None:
            return EXIT_OK
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
