"""The layers hold: the model imports no other layer; venues/ and quality/ import the model, never the
engine; no domain package imports Dagster or defs/; nothing in the domain imports the tools."""

from __future__ import annotations

import ast
from pathlib import Path

import lt_pipeline

ROOT = Path(lt_pipeline.__file__).parent
DOMAIN = ("model", "execution", "venues", "quality", "strategy", "ledger", "forward_test", "ingest", "emulator")


def imports_of(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, *forbidden: str) -> list[str]:
    return sorted(f"{module} imports {name}" for module, names in imports_of(package).items()
                  for name in names if any(name == f or name.startswith(f + ".") for f in forbidden))


def test_no_domain_package_imports_dagster_defs_or_tools():
    for package in DOMAIN:
        assert offenders(package, "dagster", "lt_pipeline.defs", "lt_pipeline.tools") == [], package


def test_the_model_is_the_bottom_layer_and_adapters_and_measures_never_import_the_engine():
    assert offenders("model", *(f"lt_pipeline.{p}" for p in DOMAIN if p != "model")) == []
    assert offenders("venues", "lt_pipeline.execution") == []
    assert offenders("quality", "lt_pipeline.execution") == []
