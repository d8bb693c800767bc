"""The emulator's modules import each other without a circle: every module imports on its own, and
the import graph among `lt_pipeline.emulator` modules (read with `ast` from the files, counting imports
inside functions too) has no cycle."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import lt_pipeline.emulator as emulator_package

PACKAGE = "lt_pipeline.emulator"
PACKAGE_DIR = Path(emulator_package.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE_DIR.glob("*.py") if p.stem != "__init__")


def _imported_modules(name: str) -> set[str]:
    """The sibling emulator modules that module `name` imports anywhere in its file."""
    tree = ast.parse((PACKAGE_DIR / f"{name}.py").read_text(encoding="utf-8"))
    siblings = set(MODULES)
    found: set[str] = set()

    def note(dotted: str) -> None:
        # "lt_pipeline.emulator.x[.y]" -> "x", when x is one of the package's modules
        if dotted.startswith(PACKAGE + "."):
            head = dotted[len(PACKAGE) + 1 :].split(".", 1)[0]
            if head in siblings:
                found.add(head)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                note(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = PACKAGE.split(".")
                base = base[: len(base) - (node.level - 1)]  # the module sits in PACKAGE itself
                if not base:
                    continue
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == PACKAGE:  # `from . import render, orders`: each name may be a module
                for alias in node.names:
                    note(f"{PACKAGE}.{alias.name}")
            else:
                note(target)
    found.discard(name)
    return found


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


@pytest.mark.parametrize("name", MODULES)
def test_each_emulator_module_imports(name):
    module = importlib.import_module(f"{PACKAGE}.{name}")
    assert module.__doc__ and module.__doc__.strip(), f"{name}.py opens without a docstring saying its job"


def test_the_graph_reader_sees_relative_and_absolute_imports():
    graph = {name: _imported_modules(name) for name in MODULES}
    assert "types" in graph["orders"]  # `from .types import ...`
    assert "render" in graph["gamma"]  # `from . import render`


def test_emulator_modules_import_each_other_without_a_cycle():
    graph = {name: _imported_modules(name) for name in MODULES}
    cycle = _find_cycle(graph)
    assert cycle is None, "emulator import cycle: " + " -> ".join(cycle)


def test_find_cycle_finds_one():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
