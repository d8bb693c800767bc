"""`lt report` and the pictures asset on the tiny hand-worked ledger, after the analytics assets ran for
its two days: the strategy's figures and attribution as the tables hold them, per-order lines with the
stored quality figures, `--json` for scripts, one clear line for an unknown strategy; and the pictures
asset shows PNGs on its page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal

import dagster as dg
from dagster_duckdb import DuckDBResource

from lt_pipeline.analytics import store
from lt_pipeline.defs.analytics.assets import analytics_daily
from lt_pipeline.defs.reporting.assets import ft_vs_lt_pictures
from lt_pipeline.defs.resources import ClockResource, LedgerResource
from lt_pipeline.reporting.report import build_report
from lt_pipeline_tests.analytics import tiny_ledger
from lt_pipeline_tests.analytics.tiny_ledger import DAY1, DAY2

RANGE = {"dagster/asset_partition_range_start": DAY1.isoformat(), "dagster/asset_partition_range_end": DAY2.isoformat()}


def test_the_report_agrees_with_the_analytics_tables_and_the_pictures_render(sqlite_url, tmp_path):
    from lt_pipeline.ledger.engine import make_engine
    from lt_pipeline_tests import ledger_template

    engine = make_engine(sqlite_url)
    ledger_template.upgrade(engine)
    tiny_ledger.build(engine)
    path = tmp_path / "analytics.duckdb"
    resources = {"ledger": LedgerResource(url=sqlite_url), "duckdb": DuckDBResource(database=str(path)),
                 "clock": ClockResource()}
    with dg.instance_for_test() as instance:
        assert dg.materialize([analytics_daily], resources=resources, instance=instance, tags=RANGE).success
        pictures = dg.materialize([ft_vs_lt_pictures], resources=resources, instance=instance, selection=[ft_vs_lt_pictures])
    assert pictures.success
    [event] = pictures.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["strategies_pictured"].value >= 1 and "data:image/png;base64," in metadata["pictures"].value

    report = build_report(engine, path, "LT_A", None, datetime(2026, 3, 12, tzinfo=timezone.utc))
    with store.reader(path) as duck:
        signals, live_pnl = duck.execute(
            "SELECT sum(signals), sum(live_pnl) FROM strategy_quality_daily WHERE strategy_id = 'LT_A'").fetchone()
        difference = duck.execute("SELECT sum(paper_minus_live) FROM ft_vs_lt_daily WHERE strategy_id = 'LT_A'").fetchone()[0]
    assert report.figures["signals"] == signals and Decimal(report.figures["live_pnl"]) == Decimal(live_pnl)
    terms = {k: Decimal(v) for k, v in report.attribution.items() if k != "paper_minus_live"}
    assert sum(terms.values()) == Decimal(report.attribution["paper_minus_live"]) == Decimal(difference)
    assert report.orders and all(o.status for o in report.orders)

    env = {**os.environ, "LT_LEDGER_URL": sqlite_url, "LT_DUCKDB_PATH": str(path), "LT_STATE_DIR": str(tmp_path)}
    lt = [sys.executable, "-m", "lt_pipeline.tools.cli", "report"]
    as_json = subprocess.run([*lt, "LT_A", "--json"], env=env, capture_output=True, text=True)
    assert as_json.returncode == 0, as_json.stderr
    [parsed] = json.loads(as_json.stdout)
    assert parsed["strategy_id"] == "LT_A" and parsed["attribution"]
    text = subprocess.run(lt, env=env, capture_output=True, text=True)
    assert text.returncode == 0 and "LT_A" in text.stdout and "paper - live" in text.stdout
    unknown = subprocess.run([*lt, "LT_NOPE"], env=env, capture_output=True, text=True)
    assert unknown.returncode == 1 and unknown.stderr.strip() == "lt: no LT strategy 'LT_NOPE' (see `lt strategy list`)"
    bad_date = subprocess.run([*lt, "--since", "yesterday"], env=env, capture_output=True, text=True)
    assert bad_date.returncode == 2 and "Invalid value for '--since': 'yesterday' does not match the format '%Y-%m-%d'" in bad_date.stderr
