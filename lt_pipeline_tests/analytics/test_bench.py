"""`lt bench analytics` at a small size, as a user runs it, on SQLite and on PostgreSQL: exit code 0 and,
from the last JSON line, counts of the work done (never times): every generated order read, every
table written, the DuckDB-only phase over every staged signal, and the naive totals equal to DuckDB's."""

import json
import os
import subprocess
import sys

from lt_pipeline_tests.conftest import PG_URL

ORDERS, DUCKDB_ROWS = 2_000, 20_000


def lt_bench_analytics(tmp_path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LT_")}
    env.update(LT_STATE_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "lt_pipeline.tools.cli", "bench", "analytics", "--orders", str(ORDERS),
         "--duckdb-rows", str(DUCKDB_ROWS), *extra],
        capture_output=True, text=True, env=env, timeout=300,
    )
    lines = done.stdout.strip().splitlines()
    return done, json.loads(lines[-1]) if lines else {}


def assert_counts(figures: dict, ledger: str) -> None:
    assert figures["ledger"] == ledger and figures["orders"] == ORDERS
    generated = figures["generated_rows"]
    assert generated["ft_orders"] == generated["lt_orders"] == generated["source_trades"] == ORDERS
    assert generated["lt_execution_quality"] == ORDERS and 0 < generated["fills"] <= generated["orders"] < ORDERS
    assert figures["ft_orders_read"] == figures["lt_orders_read"] == figures["signals"] == ORDERS
    assert set(figures["tables_written"]) == {
        "strategy_quality_daily", "ft_vs_lt_daily", "ft_vs_lt_by_trader_daily", "ft_vs_lt_by_category_daily",
        "ft_vs_lt_by_price_bucket_daily", "skip_reasons_daily", "signal_facts"}
    assert all(rows > 0 for rows in figures["tables_written"].values())
    assert figures["tables_written"]["ft_vs_lt_daily"] == 2 * 30  # two strategies, 30 days of November
    assert figures["tables_written"]["signal_facts"] == ORDERS
    assert 0 < figures["today_signals"] < ORDERS  # today's refresh: the last day's signals only
    assert figures["duckdb_signals"] == DUCKDB_ROWS
    # the strategy comparison alone covers the same strategy-days as the full run's strategy table
    assert figures["duckdb_comparison_rows"] == figures["duckdb_result_rows"]["fig_strategy"] > 0
    assert figures["naive_agrees"] is True


def test_bench_analytics_on_sqlite(tmp_path):
    done, figures = lt_bench_analytics(tmp_path)
    assert done.returncode == 0, done.stderr
    assert_counts(figures, "sqlite")


def test_bench_analytics_on_postgresql_in_a_scratch_schema(pg_available, tmp_path):
    done, figures = lt_bench_analytics(tmp_path, "--ledger-url", PG_URL)
    assert done.returncode == 0, done.stderr
    assert_counts(figures, "postgresql")
