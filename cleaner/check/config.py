"""`[tool.cleaner.check]`: which rules run and how records are read. Discovered like the rest of `[tool.cleaner]`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.check.codes import resolve
from cleaner.config import Config, _coerce, config_from_mapping, read_tool_table
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
    baseline: the committed baseline file, relative to the working directory (pre-commit runs at the repo root).
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
    """The check's own settings plus the pipeline config it shares (clutter rules, MinHash parameters)."""

    check: CheckConfig = field(default_factory=CheckConfig)
    config: Config = field(default_factory=Config)


def check_config_from_mapping(table: dict[str, Any], where: str) -> CheckConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [check] must be a table")
    # `select = "CLN1"` means one selector, not the tuple of its characters
    table = {k: [v] if k in ("select", "ignore") and isinstance(v, str) else v for k, v in table.items()}
    changes = {key: _coerce(CheckConfig, key, value, f"{where} [check]") for key, value in table.items()}
    config = dataclasses.replace(CheckConfig(), **changes)
    config.validate()
    return config


def find_pyproject(search_from: Path | None = None) -> Path | None:
    start = (search_from or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_check_settings(config_file: Path | None = None, search_from: Path | None = None) -> CheckSettings:
    """`--config FILE`, else `[tool.cleaner]` of the nearest pyproject.toml, else defaults (as `load_config`)."""
    source = config_file if config_file is not None else find_pyproject(search_from)
    if source is None:
        return CheckSettings()
    table = read_tool_table(source)
    return CheckSettings(
        check=check_config_from_mapping(table.get("check", {}), str(source)),
        config=config_from_mapping(table, str(source)),
    )
