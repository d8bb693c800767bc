"""The engine's place in the layers: above execution, forward_test and ingest (which never import it),
below the tools; no defs/ or tools import; Dagster only in its one reporting module."""

from __future__ import annotations

from lt_pipeline_tests.foundation.test_layers import DOMAIN, imports_of, offenders


def test_the_engine_imports_no_defs_or_tools_and_dagster_only_where_it_reports():
    assert offenders("engine", "lt_pipeline.defs", "lt_pipeline.tools") == []
    assert {line.split(" imports ")[0] for line in offenders("engine", "dagster")} == {"engine/dagster_events.py"}
    assert {module for module, names in imports_of("engine").items() if "lt_pipeline.engine.dagster_events" in names} \
        <= {"engine/service.py"}


def test_no_domain_package_imports_the_engine():
    for package in DOMAIN:
        assert offenders(package, "lt_pipeline.engine") == [], package
