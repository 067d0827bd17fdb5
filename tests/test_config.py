"""Settings come from [tool.cleaner] or --config; unknown or mistyped settings fail with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaner.config import Config, load_config, with_overrides
from cleaner.errors import ConfigError


def test_pyproject_table_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.cleaner.run]\njobs = 3\n[tool.cleaner.clutter]\nmark_only = true\n")
    (tmp_path / "deep").mkdir()
    config = load_config(search_from=tmp_path / "deep")
    assert config.run.jobs == 3
    assert config.clutter.mark_only is True


def test_discovery_passes_over_other_pyprojects_and_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.cleaner.run]\njobs = 7\n")  # outside the repository
    repo = tmp_path / "repo"
    (repo / "pkg" / "deep").mkdir(parents=True)
    (repo / ".git").write_text("gitdir: elsewhere\n")  # a worktree's or submodule's .git is a file
    (repo / "pkg" / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")  # no [tool.cleaner]: passed over
    assert load_config(search_from=repo / "pkg" / "deep") == Config()
    (repo / "pyproject.toml").write_text("[tool.cleaner.run]\njobs = 3\n")
    assert load_config(search_from=repo / "pkg" / "deep").run.jobs == 3


def test_config_file_and_cli_override(tmp_path: Path) -> None:
    path = tmp_path / "cleaner.toml"
    path.write_text("[run]\njobs = 3\ntimeout_seconds = 5\n")
    config = with_overrides(load_config(path), "run", jobs=1, timeout_seconds=None)
    assert (config.run.jobs, config.run.timeout_seconds) == (1, 5.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[run]\njobz = 3\n", "unknown setting 'jobz'"),
        ("[run]\njobs = 'many'\n", "jobs must be int"),
        ("[nope]\nx = 1\n", "unknown section"),
        ("[run\n", "cannot read config"),
    ],
)
def test_bad_settings_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "cleaner.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_defaults_without_any_file(tmp_path: Path) -> None:
    # tmp_path lies outside any project, so no pyproject.toml is found above it
    assert load_config(search_from=tmp_path) == Config()
