"""`[tool.cleaner.check]`: which rules run and how records are read. Discovered like the rest of `[tool.cleaner]`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.check.codes import resolve
from cleaner.config import (
    Config,
    _coerce,
    config_from_mapping,
    find_pyproject,
    project_folders,
    read_tool_table,
    repository_root,
)
from cleaner.errors import ConfigError


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """Settings of `cleaner check`.

    select / ignore: codes, code prefixes or rule names, as in ruff ("CLN" = everything, "CLN3" = encoding rules).
    min_chars: a text shorter than this is CLN202 (100 = ExtractConfig.min_text_chars, what extraction keeps).
    duplicate_threshold: verified containment at or above which two records are near-duplicates (CLN502). Higher
        than the pipeline's 0.5 (dedup.containment_threshold), which is tuned to merge OCR-noisy copies: a rule
        that blocks a commit should fire on clear copies only.
    allow_key: a record field listing codes to ignore for that record, e.g. {"cleaner_allow": ["CLN502"]}.
    baseline: the committed baseline file, relative to the folder of the config file that sets it; without a config
        file, the nearest one found from the working directory up to the repository root, else one to create
        there (see `baseline_file`).
    """

    select: tuple[str, ...] = ("CLN",)
    ignore: tuple[str, ...] = ()
    min_chars: int = 100
    duplicate_threshold: float = 0.7
    text_key: str = "text"
    id_key: str = "id"
    allow_key: str = "cleaner_allow"
    baseline: str = ".cleaner-baseline.json"
    # The baseline stores one signature per committed record, in git: 64 permutations (256 bytes) rather than the
    # pipeline's 256. As 32 bands of 2 rows they still propose a pair with Jaccard 0.35 with p ~ 0.98, below what
    # a pair at containment 0.7 reaches unless one text is under half the other's length.
    num_perm: int = 64
    band_rows: int = 2

    def enabled_codes(self) -> frozenset[str]:
        return resolve(self.select, "check.select") - resolve(self.ignore, "check.ignore")

    def validate(self) -> None:
        if not 0.0 < self.duplicate_threshold <= 1.0:
            raise ConfigError(f"check.duplicate_threshold must be in (0, 1], got {self.duplicate_threshold}")
        if self.band_rows < 1 or self.num_perm < self.band_rows or self.num_perm % self.band_rows:
            raise ConfigError(f"check.num_perm ({self.num_perm}) must be a multiple of band_rows ({self.band_rows})")
        if self.min_chars < 0:
            raise ConfigError(f"check.min_chars must be >= 0, got {self.min_chars}")
        self.enabled_codes()


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """The check's own settings plus the pipeline config it shares (clutter rules, MinHash parameters), and the
    file they were read from (None: defaults)."""

    check: CheckConfig = field(default_factory=CheckConfig)
    config: Config = field(default_factory=Config)
    source: Path | None = None

    def baseline_file(self, search_from: Path | None = None) -> Path:
        """Where the baseline is: relative to the config file that was read, else the nearest existing one between
        the working directory and the repository root, else a new one at the repository root. So it is found the
        same from any subfolder as from the root, where pre-commit runs. Outside a repository: the working
        directory's."""
        if self.source is not None:
            return self.source.resolve().parent / self.check.baseline
        start = (search_from or Path.cwd()).resolve()
        root = repository_root(start)
        if root is None:
            return start / self.check.baseline
        existing = (folder / self.check.baseline for folder in project_folders(start))
        return next((path for path in existing if path.is_file()), root / self.check.baseline)


def check_config_from_mapping(table: dict[str, Any], where: str) -> CheckConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [check] must be a table")
    # `select = "CLN1"` means one selector, not the tuple of its characters
    table = {k: [v] if k in ("select", "ignore") and isinstance(v, str) else v for k, v in table.items()}
    changes = {key: _coerce(CheckConfig, key, value, f"{where} [check]") for key, value in table.items()}
    config = dataclasses.replace(CheckConfig(), **changes)
    config.validate()
    return config


def load_check_settings(config_file: Path | None = None, search_from: Path | None = None) -> CheckSettings:
    """`--config FILE`, else `[tool.cleaner]` of the nearest pyproject.toml that has one, up to the repository root,
    else defaults (as `load_config`)."""
    source = config_file if config_file is not None else find_pyproject(search_from)
    if source is None:
        return CheckSettings()
    table = read_tool_table(source)
    return CheckSettings(
        check=check_config_from_mapping(table.get("check", {}), str(source)),
        config=config_from_mapping(table, str(source)),
        source=source,
    )
