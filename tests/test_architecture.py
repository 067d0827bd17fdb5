"""The package's import graph: no cycle (function-level imports included) and layers that only import downwards.

Layers, lowest first (docs/ARCHITECTURE.md): models/config/errors -> io -> extract, clutter, dedup -> stages ->
outputs -> index, report, explain -> engines -> api -> check, cli and the package's public face.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cleaner"

# (module or package prefix, layer); the longest matching prefix wins
LAYERS = (
    ("cleaner.models", 0),
    ("cleaner.errors", 0),
    ("cleaner.config", 0),
    ("cleaner.clutter.config", 0),
    ("cleaner.dedup.config", 0),
    ("cleaner.io", 1),
    ("cleaner.extract", 2),
    ("cleaner.clutter", 2),
    ("cleaner.dedup", 2),
    ("cleaner.stages", 3),
    ("cleaner.outputs", 4),
    ("cleaner.index", 5),
    ("cleaner.report", 5),
    ("cleaner.explain", 5),
    ("cleaner.engines", 6),
    ("cleaner.api", 7),
    ("cleaner.check", 8),
    ("cleaner.cli", 9),
    ("cleaner", 9),  # the package's __init__: the public API
)


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names[name] = path
    return names


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every cleaner module `path` imports, at the top or inside a function (`from a.b import c` counts a.b.c when
    c is a module, else a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):  # a name defined in the module itself, not a submodule
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in modules}


def graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imported_modules(path, modules) - {name} for name, path in modules.items()}


def layer_of(module: str) -> int:
    matches = [(len(prefix), layer) for prefix, layer in LAYERS if module == prefix or module.startswith(prefix + ".")]
    assert matches, f"{module} has no layer: add it to LAYERS (and to docs/ARCHITECTURE.md)"
    return max(matches)[1]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in graph().items()
        for target in targets
        if layer_of(target) > layer_of(module) and not module.startswith(target + ".")
    ]
    assert upward == []


def test_the_checks_catch_a_cycle_and_an_upward_import() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_of("cleaner.stages") < layer_of("cleaner.outputs.records") < layer_of("cleaner.engines.local")


@pytest.mark.parametrize("heavy", ["trafilatura", "dask", "distributed", "pyarrow", "warcio", "fsspec"])
def test_heavy_dependencies_are_imported_in_few_places(heavy: str) -> None:
    """Each optional or heavy dependency has one home (trafilatura: the extract package)."""
    homes = {"trafilatura": "cleaner.extract", "dask": "cleaner.engines.dask_engine"}
    importers = set()
    for name, path in module_names().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            roots = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(root == heavy or root.startswith(heavy + ".") for root in roots):
                importers.add(name)
    home = homes.get(heavy)
    if home is not None:
        assert all(name == home or name.startswith(home + ".") for name in importers), sorted(importers)
    else:
        assert len(importers) <= 2, sorted(importers)
