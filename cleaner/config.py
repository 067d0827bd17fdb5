"""Frozen option objects for each stage, composed into one `Config`, loadable from `[tool.cleaner]`."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.clutter.config import ClutterConfig
from cleaner.dedup.config import DedupConfig
from cleaner.errors import ConfigError

# How extraction may reach below trafilatura's public API (cleaner.extract.accel): "auto" uses each accelerator
# whose guard passes (tested trafilatura version range and source digests), "off" only trafilatura's public API,
# "verify" computes both answers, uses trafilatura's own and stops the run on any difference. All three give the same
# output; CLEANER_ACCELERATE sets the default (the test suite runs once with it set to "off").
ACCELERATE_MODES = ("auto", "off", "verify")
ACCELERATE_ENV = "CLEANER_ACCELERATE"


def default_accelerate() -> str:
    return os.environ.get(ACCELERATE_ENV) or "auto"


@dataclass(frozen=True, slots=True)
class ExtractConfig:
    """trafilatura settings and what counts as an empty article."""

    include_comments: bool = False  # reader comments are not the article
    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    # htmldate's last resort scans the page text for any date when the markup names none. On the WCXB dev articles
    # (bench/metadata.py) it gives a date to 98% of the pages that have none, and the right date to 4% more of
    # those that do; off, fewer wrong dates and a third of the metadata time. trafilatura's own default is on.
    extensive_date_search: bool = False
    fast: bool = False  # trafilatura's fast mode: no readability/justext second opinion on hard pages
    # Recall check (cleaner.extract.core): where trafilatura's text covers less than `recall_check_coverage` of the
    # text under the page's located article root (or no root is found), or less than `recall_check_page_share` of
    # the page's visible text, its recall mode runs too, and that text is taken when it has at least
    # `recall_check_gain` times the words; where balanced mode finds no article, recall mode's is taken. Coverage 0
    # switches the check off. The setting is chosen on training folds by bench/extraction_cv.py (docs/CONTENT.md).
    recall_check_coverage: float = 0.9
    recall_check_page_share: float = 0.2
    recall_check_gain: float = 1.1
    min_text_chars: int = 100  # shorter bodies are rejected as "empty after extraction"
    max_html_bytes: int = 20_000_000  # larger pages are rejected, not parsed
    accelerate: str = field(default_factory=default_accelerate)  # one of ACCELERATE_MODES

    def __post_init__(self) -> None:
        if not 0.0 <= self.recall_check_coverage <= 1.0:
            raise ConfigError(f"extract.recall_check_coverage must be in 0..1, got {self.recall_check_coverage!r}")
        if not 0.0 <= self.recall_check_page_share <= 1.0:
            raise ConfigError(f"extract.recall_check_page_share must be in 0..1, got {self.recall_check_page_share!r}")
        if not 1.0 <= self.recall_check_gain < float("inf"):
            raise ConfigError(f"extract.recall_check_gain must be at least 1, got {self.recall_check_gain!r}")
        if self.accelerate not in ACCELERATE_MODES:
            source = f" (from ${ACCELERATE_ENV})" if self.accelerate == os.environ.get(ACCELERATE_ENV) else ""
            raise ConfigError(
                f"extract.accelerate must be one of {', '.join(ACCELERATE_MODES)}, got {self.accelerate!r}{source}"
            )


INPUT_FORMATS = ("auto", "html", "jsonl")  # of standard input


@dataclass(frozen=True, slots=True)
class RunConfig:
    """How a run executes: workers, limits, outputs."""

    jobs: int = 0  # 0: all cores
    timeout_seconds: float = 60.0  # per document
    max_memory_mb: int = 0  # address-space cap per worker process (RLIMIT_AS); 0: no cap
    max_tasks_per_worker: int = 500  # recycle workers: trafilatura can leak over thousands of pages
    output_format: str = "jsonl"  # "jsonl" | "jsonl.gz" | "parquet"
    html_key: str = "html"
    text_key: str = "text"
    id_key: str = "id"
    url_key: str = "url"
    # `run`/`extract` on JSONL pages: the field holding a record's id (None: ids are hashes of `path#line`)
    html_id_key: str | None = None
    input_format: str = "auto"  # standard input ("-"): "html" (one page), "jsonl" (records), "auto" (sniffed)

    def __post_init__(self) -> None:
        checks = [
            (self.jobs >= 0, "jobs must be 0 (all cores) or more"),
            (self.timeout_seconds >= 0, "timeout_seconds must be 0 (no limit) or more"),
            (self.max_memory_mb >= 0, "max_memory_mb must be 0 (no cap) or more"),
            (self.max_tasks_per_worker >= 1, "max_tasks_per_worker must be at least 1"),
            (self.input_format in INPUT_FORMATS, f"input_format must be one of {', '.join(INPUT_FORMATS)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"[run] {message}")

    def worker_count(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Config:
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    clutter: ClutterConfig = field(default_factory=ClutterConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    run: RunConfig = field(default_factory=RunConfig)


_SECTIONS = {"extract": ExtractConfig, "clutter": ClutterConfig, "dedup": DedupConfig, "run": RunConfig}


def _coerce(cls: type, name: str, value: Any, where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields:
        known = ", ".join(sorted(fields))
        raise ConfigError(f"{where}: unknown setting {name!r}; known settings: {known}")
    default = getattr(cls(), name)
    if isinstance(default, frozenset):
        return frozenset(value)
    if isinstance(default, tuple):
        return tuple(value)
    if isinstance(default, bool) and not isinstance(value, bool):
        raise ConfigError(f"{where}: {name} must be true or false, got {value!r}")
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if default is not None and not isinstance(value, type(default)):
        raise ConfigError(f"{where}: {name} must be {type(default).__name__}, got {value!r}")
    return value


def config_from_mapping(table: dict[str, Any], where: str = "config") -> Config:
    """Build a Config from a `[tool.cleaner]`-shaped mapping: sections extract/clutter/dedup/run."""
    config = Config()
    for section, values in table.items():
        if section == "check":  # read by cleaner.check
            continue
        if section not in _SECTIONS:
            raise ConfigError(f"{where}: unknown section [{section}]; known: {', '.join(_SECTIONS)}, check")
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: [{section}] must be a table")
        cls = _SECTIONS[section]
        changes = {k: _coerce(cls, k, v, f"{where} [{section}]") for k, v in values.items()}
        config = dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **changes)})
    return config


def config_to_mapping(config: Config) -> dict[str, dict[str, Any]]:
    """The `[tool.cleaner]`-shaped mapping of `config`, every setting spelled out (JSON/TOML values): the inverse
    of `config_from_mapping`, so that a run can record the settings it used and `explain` can read them back."""

    def plain(value: Any) -> Any:
        if isinstance(value, frozenset):
            return sorted(value)
        if isinstance(value, tuple):
            return list(value)
        return value

    return {
        section: {f.name: plain(getattr(getattr(config, section), f.name)) for f in dataclasses.fields(cls)}
        for section, cls in _SECTIONS.items()
    }


def read_tool_table(path: Path) -> dict[str, Any]:
    """The `[tool.cleaner]` table of a pyproject.toml, or the top level of any other TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc}); pass a valid TOML file with --config") from exc
    if path.name == "pyproject.toml":
        return data.get("tool", {}).get("cleaner", {})
    return data.get("tool", {}).get("cleaner", data)


def repository_root(search_from: Path | None = None) -> Path | None:
    """The nearest folder at or above `search_from` (default: the working directory) holding `.git` (a folder, or a
    file in a worktree or submodule), or None outside a repository."""
    start = (search_from or Path.cwd()).resolve()
    return next((folder for folder in (start, *start.parents) if (folder / ".git").exists()), None)


def project_folders(search_from: Path | None = None) -> list[Path]:
    """The folders settings are looked for in, nearest first: from `search_from` up to the repository root, or up
    to the filesystem root outside a repository (as ruff and pre-commit users expect)."""
    start = (search_from or Path.cwd()).resolve()
    folders = [start, *start.parents]
    root = repository_root(start)
    return folders if root is None else folders[: folders.index(root) + 1]


def find_pyproject(search_from: Path | None = None) -> Path | None:
    """The nearest pyproject.toml with a `[tool.cleaner]` table (see `project_folders`); as ruff does with its own
    table, a pyproject.toml without one (a subpackage's) is passed over."""
    for folder in project_folders(search_from):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _has_tool_table(candidate):
            return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:  # a broken file is named, not skipped
        raise ConfigError(f"{path}: cannot read config ({exc}); pass a valid TOML file with --config") from exc
    return isinstance(data.get("tool", {}).get("cleaner"), dict)


def load_config(config_file: Path | None = None, search_from: Path | None = None) -> Config:
    """Load `--config FILE`, else `[tool.cleaner]` from the nearest pyproject.toml that has one, else defaults."""
    source = config_file if config_file is not None else find_pyproject(search_from)
    if source is None:
        return Config()
    return config_from_mapping(read_tool_table(source), str(source))


def with_overrides(config: Config, section: str, **changes: Any) -> Config:
    """Apply CLI flags (which win over files); `None` means "flag not given"."""
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        return config
    return dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **given)})
