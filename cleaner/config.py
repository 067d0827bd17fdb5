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
    min_text_chars: int = 100  # shorter bodies are rejected as "empty after extraction"
    max_html_bytes: int = 20_000_000  # larger pages are rejected, not parsed


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


def read_tool_table(path: Path) -> dict[str, Any]:
    """The `[tool.cleaner]` table of a pyproject.toml, or the top level of any other TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc}); pass a valid TOML file with --config") from exc
    if path.name == "pyproject.toml":
        return data.get("tool", {}).get("cleaner", {})
    return data.get("tool", {}).get("cleaner", data)


def load_config(config_file: Path | None = None, search_from: Path | None = None) -> Config:
    """Load `--config FILE`, else `[tool.cleaner]` from the nearest pyproject.toml, else defaults."""
    if config_file is not None:
        return config_from_mapping(read_tool_table(config_file), str(config_file))
    start = (search_from or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return config_from_mapping(read_tool_table(candidate), str(candidate))
    return Config()


def with_overrides(config: Config, section: str, **changes: Any) -> Config:
    """Apply CLI flags (which win over files); `None` means "flag not given"."""
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        return config
    return dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **given)})
