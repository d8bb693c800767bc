"""The analytics package is domain code: plain Python over the ledger, DuckDB and Arrow. It imports no
Dagster, no defs/ wiring, no tools, and never the live engine; defs/analytics/ only wires it."""

from lt_pipeline_tests.foundation.test_layers import imports_of, offenders


def test_analytics_imports_no_dagster_defs_tools_or_engine():
    assert imports_of("analytics"), "the analytics package was not found"
    assert offenders("analytics", "dagster", "dagster_duckdb", "lt_pipeline.defs", "lt_pipeline.tools",
                     "lt_pipeline.execution", "lt_pipeline.emulator") == []


def test_the_analytics_wiring_calls_into_the_package():
    wiring = {name for names in imports_of("defs/analytics").values() for name in names}
    assert {"lt_pipeline.analytics", "lt_pipeline.analytics.refresh"} <= wiring
