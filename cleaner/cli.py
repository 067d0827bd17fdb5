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

from cleaner import api
from cleaner.check import register as register_check
from cleaner.config import Config, load_config, with_overrides
from cleaner.errors import CleanerError
from cleaner.io.readers import INPUT_SUFFIXES, STDIN, ReadOptions, iter_documents
from cleaner.io.remote import is_url
from cleaner.io.writers import STDOUT
from cleaner.models import ProgressHook, RunReport

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
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version and exit.", metavar=FLAG
        ),
    ] = False,
) -> None:
    """cleaner: scraped news HTML in, one clean record per news event out."""


# boolean options are flags: shown without a value placeholder (typer's help would print `--mark-only <bool>`)
FLAG = ""

Inputs = Annotated[
    list[str],
    typer.Argument(
        metavar="INPUTS",
        help="HTML files, folders (read recursively), WARC or JSONL files, '-' for standard input (one HTML page or "
        "JSONL records); with --engine dask also fsspec URLs.",
    ),
]
OutDir = Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="Output folder (created if missing).")]
Jobs = Annotated[
    int | None, typer.Option("--jobs", "-j", metavar="N", help="Worker processes (default: all cores).", min=0)
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.", metavar=FLAG)]
Verbose = Annotated[
    int, typer.Option("--verbose", "-v", count=True, metavar=FLAG, help="More logging (-v info, -vv debug).")
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="TOML config file (default: the tool.cleaner table of the nearest pyproject.toml).",
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="List what would be read; write nothing.", metavar=FLAG)]
SummaryFormat = Annotated[
    str,
    typer.Option(
        "--summary-format", metavar="text|json", help="Summary as 'text' (stderr) or 'json' (stdout, for machines)."
    ),
]
OutputFormat = Annotated[
    str | None,
    typer.Option(
        "--format", metavar="FORMAT", help="Output format: jsonl, jsonl.gz or parquet (needs cleaner\\[parquet])."
    ),
]
HtmlKey = Annotated[str | None, typer.Option("--html-key", metavar="KEY", help="JSONL inputs: the field holding HTML.")]
UrlKey = Annotated[
    str | None, typer.Option("--url-key", metavar="KEY", help="JSONL inputs: the field holding the page URL.")
]
HtmlIdKey = Annotated[
    str | None,
    typer.Option(
        "--id-key", metavar="KEY", help="JSONL inputs: the field holding a record id (default: ids from path#line)."
    ),
]
InputFormat = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        metavar="html|jsonl",
        help="Standard input ('-'): html (one page) or jsonl (records); default: sniffed.",
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option("--timeout", metavar="SECONDS", help="Seconds allowed per document (0: no limit).", min=0),
]
MarkOnly = Annotated[
    bool,
    typer.Option(
        "--mark-only", help="Detect clutter and record it in 'removed', but keep the text whole.", metavar=FLAG
    ),
]
NoClutter = Annotated[bool, typer.Option("--no-clutter", help="Do not strip clutter at all.", metavar=FLAG)]
DisableFamily = Annotated[
    list[str] | None,
    typer.Option(
        "--disable", metavar="NAME", help="Turn a clutter rule family (text, structure, template) or a rule id off."
    ),
]
Engine = Annotated[
    str,
    typer.Option(
        "--engine", metavar="local|dask", help="Where to run: 'local' (this machine) or 'dask' (needs cleaner\\[dask])."
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://host:8786 (default: a LocalCluster here).",
    ),
]
IndexDir = Annotated[
    Path | None,
    typer.Option(
        "--index",
        metavar="DIR",
        help="Persistent event index folder: dedup against every event kept by earlier runs, then extend it.",
    ),
]
Accelerate = Annotated[
    str | None,
    typer.Option(
        "--accelerate",
        metavar="auto|off|verify",
        help="Speed-ups below trafilatura's public API: 'auto' (where their guard passes), 'off' (public API only) or "
        "'verify' (compute both, stop on any difference). Same output in every mode.",
    ),
]
UserRule = Annotated[
    list[str] | None,
    typer.Option(
        "--rule",
        metavar="REGEX",
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
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_ERROR) from exc
    except KeyboardInterrupt:
        stderr.print("interrupted: no output file was left half-written; rerun to complete")
        raise typer.Exit(130) from None
    except OSError as exc:  # the machine's doing (a disk full, a file gone mid-run), not a bug
        if verbose:
            stderr.print_exception()
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_ERROR) from exc
    except Exception as exc:  # anything else is a bug of ours
        if verbose:
            stderr.print_exception()
        hint = "please report it" if verbose else "rerun with -v for a traceback, and please report it"
        message = f"{type(exc).__name__}: {escape(str(exc))}"
        stderr.print(f"[bold red]internal error:[/] {message} ({hint})", soft_wrap=True)
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


class _StageBars:
    """The engine's progress hook: one bar per stage (extract N/M, templates, clustering, writing), each with its
    total and time left once the engine announces the total (`cleaner.models.announce_total`)."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}

    def _task(self, stage: str, total: int | None = None) -> Any:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        return self.tasks[stage]

    def total(self, stage: str, count: int | None) -> None:
        self.progress.update(self._task(stage, count), total=count)

    def __call__(self, stage: str, count: int) -> None:
        self.progress.advance(self._task(stage), count)


@contextmanager
def _progress(enabled: bool, console: Console = stderr) -> Iterator[ProgressHook | None]:
    """A rich progress display on a terminal; nothing when piped or quiet."""
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn())
    times = (TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, *times, console=console, transient=True) as progress:
        yield _StageBars(progress)


def _print_summary(report: RunReport, summary_format: str, quiet: bool) -> None:
    if summary_format == "json":
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True))
        return
    if quiet:
        return
    # soft wrap: a line is never cut at the console's width (80 columns when stderr is not a terminal)
    stderr.print(
        f"cleaner: {report.documents} documents read: {report.kept} kept, {report.duplicates} duplicates, "
        f"{report.rejected} rejected; {report.clusters} clusters; {report.clutter_removed} clutter lines removed "
        f"({report.seconds:.1f} s)",
        soft_wrap=True,
    )
    if report.rejection_reasons:
        reasons = ", ".join(f"{reason or 'unknown'}: {n}" for reason, n in report.rejection_reasons.items())
        stderr.print(f"  rejected: {escape(reasons)}", soft_wrap=True)
    for name, path in report.outputs.items():
        stderr.print(f"  {name}: {escape(path)}", soft_wrap=True)


def _warn_if_empty(report: RunReport, inputs: list[str]) -> None:
    """No document at all is most likely a wrong path or suffix: say so (the run itself succeeded, exit 0)."""
    if report.documents == 0:
        suffixes = " ".join(INPUT_SUFFIXES)
        stderr.print(
            f"[yellow]warning:[/] no input documents found in {escape(' '.join(inputs))} "
            f"(folders are read for {suffixes})",
            soft_wrap=True,
        )


def _check_choices(summary_format: str, engine: str, scheduler: str | None) -> None:
    if summary_format not in ("text", "json"):
        raise typer.BadParameter("choose 'text' or 'json'", param_hint="--summary-format")
    if engine not in api.ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(api.ENGINES)}", param_hint="--engine")
    if scheduler and engine != "dask":
        raise typer.BadParameter("--scheduler needs --engine dask", param_hint="--scheduler")


def _check_inputs(inputs: list[str], engine: str, dry_run: bool = False) -> None:
    """URLs (s3://, gs://, file://, ...) are listed and read through fsspec by the Dask engine's workers only;
    standard input by this process only."""
    urls = [value for value in inputs if is_url(value)]
    if urls and (engine != "dask" or dry_run):
        raise typer.BadParameter(
            f"{urls[0]}: URL inputs are read by the Dask engine only (add --engine dask, without --dry-run)",
            param_hint="INPUTS",
        )
    if STDIN in inputs and engine != "local":
        raise typer.BadParameter("'-' (standard input) is read by the local engine only", param_hint="INPUTS")
    if inputs.count(STDIN) > 1:
        raise typer.BadParameter("'-' (standard input) can be given once", param_hint="INPUTS")


def _check_input_format(input_format: str | None) -> None:
    if input_format is not None and input_format not in ("html", "jsonl"):
        raise typer.BadParameter("choose 'html' or 'jsonl'", param_hint="--input-format")


def _dry_run(inputs: list[str], config: Config) -> None:
    read = ReadOptions(
        config.run.html_key,
        config.run.url_key,
        config.extract.max_html_bytes,
        id_key=config.run.html_id_key,
        stdin_format=config.run.input_format,
    )
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
    _warn_if_empty(report, inputs)


@app.command()
def run(
    inputs: Inputs,
    output: OutDir,
    jobs: Jobs = None,
    output_format: OutputFormat = None,
    html_key: HtmlKey = None,
    url_key: UrlKey = None,
    id_key: HtmlIdKey = None,
    input_format: InputFormat = None,
    timeout: Timeout = None,
    mark_only: MarkOnly = False,
    no_clutter: NoClutter = False,
    disable: DisableFamily = None,
    rule: UserRule = None,
    config_file: ConfigFile = None,
    accelerate: Accelerate = None,
    dry_run: DryRun = False,
    index: IndexDir = None,
    engine: Engine = "local",
    scheduler: Scheduler = None,
    summary_format: SummaryFormat = "text",
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Extract, strip clutter and cluster: writes articles, clusters, documents, manifest, run.json and report.html
    into the --output DIR."""
    _setup_logging(verbose)
    _check_choices(summary_format, engine, scheduler)
    _check_inputs(inputs, engine, dry_run)
    _check_input_format(input_format)
    with _errors_to_exit_codes(verbose):
        config = _base_config(config_file)
        config = with_overrides(config, "run", jobs=jobs, output_format=output_format, timeout_seconds=timeout)
        config = with_overrides(config, "run", html_key=html_key, url_key=url_key)
        config = with_overrides(config, "run", html_id_key=id_key, input_format=input_format)
        config = with_overrides(config, "extract", accelerate=accelerate)
        config = _clutter_overrides(config, mark_only, no_clutter, disable, rule)
        if dry_run:
            _dry_run(inputs, config)
            return
        run_job = functools.partial(api.run, index=index)
        _job(run_job, inputs, output, config, quiet, summary_format, engine=engine, scheduler=scheduler)


@app.command()
def extract(
    inputs: Inputs,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Output file (.jsonl, .jsonl.gz or .parquet); '-': standard output."
        ),
    ],
    jobs: Jobs = None,
    html_key: HtmlKey = None,
    url_key: UrlKey = None,
    id_key: HtmlIdKey = None,
    input_format: InputFormat = None,
    timeout: Timeout = None,
    mark_only: MarkOnly = False,
    no_clutter: NoClutter = False,
    disable: DisableFamily = None,
    rule: UserRule = None,
    config_file: ConfigFile = None,
    accelerate: Accelerate = None,
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
    _check_input_format(input_format)
    if str(output) == STDOUT and summary_format == "json":
        raise typer.BadParameter("-o - writes the records to standard output: use the text summary", param_hint="-o")
    with _errors_to_exit_codes(verbose):
        config = _base_config(config_file)
        config = with_overrides(config, "run", jobs=jobs, timeout_seconds=timeout, html_key=html_key, url_key=url_key)
        config = with_overrides(config, "run", html_id_key=id_key, input_format=input_format)
        config = with_overrides(config, "extract", accelerate=accelerate)
        config = _clutter_overrides(config, mark_only, no_clutter, disable, rule)
        if dry_run:
            _dry_run(inputs, config)
            return
        _job(api.run_extract, inputs, output, config, quiet, summary_format, engine=engine, scheduler=scheduler)


@app.command()
def dedup(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUTS",
            help="JSONL(.gz) files whose records hold text, '-' for standard input; with --engine dask also URLs.",
        ),
    ],
    output: OutDir,
    text_key: Annotated[
        str | None, typer.Option("--text-key", metavar="KEY", help="The field holding the text.")
    ] = None,
    id_key: Annotated[
        str | None, typer.Option("--id-key", metavar="KEY", help="The field holding a record id.")
    ] = None,
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
        dedup_job = functools.partial(api.run_dedup, index=index)
        _job(dedup_job, inputs, output, config, quiet, summary_format, engine=engine, scheduler=scheduler)


@app.command()
def explain(
    output: Annotated[
        Path, typer.Argument(metavar="OUT", help="A run's output folder (holds its manifest and documents files).")
    ],
    document: Annotated[
        str,
        typer.Argument(
            metavar="DOCUMENT", help="Document id, its source as the manifest lists it, or any path to the same file."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.", metavar=FLAG)] = False,
    config_file: ConfigFile = None,
    verbose: Verbose = 0,
) -> None:
    """Say why a document was kept, merged or rejected, and list every clutter span removed from it."""
    _setup_logging(verbose)
    with _errors_to_exit_codes(verbose):
        from cleaner.explain import explain_document, render_text

        # the run's own settings (run.json) decide; --config, when given, adds what its settings would decide
        given = load_config(config_file).dedup if config_file is not None else None
        explanation = explain_document(output, document, given)
        if as_json:
            typer.echo(json.dumps(explanation.to_dict(), ensure_ascii=False, indent=1))
        else:
            typer.echo(render_text(explanation))


index_app = typer.Typer(
    help="Read a persistent event index (the --index folder of daily runs) without replaying the days.",
    no_args_is_help=True,
)
app.add_typer(index_app, name="index")
IndexFolder = Annotated[Path, typer.Argument(metavar="INDEX", help="The index folder (what --index was given).")]


@index_app.command("show")
def index_show(
    index_dir: IndexFolder,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write to this file (.jsonl, .jsonl.gz, .parquet), not stdout."
        ),
    ] = None,
    output_format: OutputFormat = None,
    verbose: Verbose = 0,
) -> None:
    """Every current event: its representative (with text), members and merged ids, one JSON line each."""
    _setup_logging(verbose)
    with _errors_to_exit_codes(verbose):
        from cleaner.index import iter_events
        from cleaner.io.writers import dumps, format_for, write_records

        lines = (event.to_dict() for event in iter_events(index_dir))
        if output is None:
            for line in lines:
                typer.echo(dumps(line))
        else:
            write_records(output, lines, format_for(output, output_format))


@index_app.command("stats")
def index_stats(
    index_dir: IndexFolder,
    as_json: Annotated[bool, typer.Option("--json", metavar=FLAG, help="Print the figures as JSON.")] = False,
    verify: Annotated[
        bool, typer.Option("--verify", metavar=FLAG, help="Check every stored array against its checksum.")
    ] = False,
    verbose: Verbose = 0,
) -> None:
    """Documents, events, runs, segments and bytes on disk of an index."""
    _setup_logging(verbose)
    with _errors_to_exit_codes(verbose):
        from cleaner.index import index_stats as read_stats

        figures = read_stats(index_dir, verify=verify)
        if as_json:
            typer.echo(json.dumps(figures, ensure_ascii=False, sort_keys=True))
            return
        typer.echo(
            f"{figures['documents']} documents, {figures['events']} events, {figures['runs']} runs, "
            f"{len(figures['segments'])} segments, {figures['bytes']} bytes"
            + (" (checksums verified)" if verify else "")
        )


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
