"""Shared fixtures: the repository root, the demo corpus and one run over it (computed once per session)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
SEED = next((ROOT / "seeds").glob("*.txt"))


def load_make_hostile() -> ModuleType:
    """fixtures/ is not a package: load the hostile corpus generator from its path (once)."""
    if "make_hostile" not in sys.modules:
        spec = importlib.util.spec_from_file_location("make_hostile", ROOT / "fixtures" / "hostile" / "make_hostile.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_hostile"] = module
        spec.loader.exec_module(module)
    return sys.modules["make_hostile"]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def demo_expected() -> dict[str, Any]:
    return json.loads((DEMO / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cleaner run fixtures/demo` once, from the repository root so that sources are relative paths."""
    import os

    from cleaner import Config, run
    from cleaner.config import RunConfig

    out = tmp_path_factory.mktemp("demo-run")
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        run(["fixtures/demo"], out, Config(run=RunConfig(jobs=1)))
    finally:
        os.chdir(previous)
    return out
