"""The attribution adds up to paper PnL - live PnL, exactly and to the cent as displayed, on every row of
every comparison table: on the headless demo's own ledger (emulator, executor, venue sync, settlement)
and on a generated ledger (`lt bench analytics`'s data: every status, caps, partial fills, fees, SELLs,
voids). Checked here in Python, independently of analytics.checks."""

import io
import os
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from lt_pipeline.analytics import store
from lt_pipeline.analytics.facts import TERMS
from lt_pipeline.analytics.figures import CUT_TABLES
from lt_pipeline.analytics.refresh import refresh_days
from lt_pipeline.tools.bench_analytics_data import generate

COMPARISON = ("ft_vs_lt_daily", *CUT_TABLES.values())
CENT = Decimal("0.01")


def assert_attribution_adds_up(path) -> int:
    """Every comparison row: the seven terms sum to paper - live exactly; the displayed cents add up."""
    checked = 0
    with store.reader(path) as duck:
        for table in COMPARISON:
            cursor = duck.execute(f"SELECT * FROM {table}")
            names = [c[0] for c in cursor.description]
            for values in cursor.fetchall():
                row = dict(zip(names, values))
                assert sum(row[t] for t in TERMS) == row["paper_pnl"] - row["live_pnl"] == row["paper_minus_live"], row
                shown = row["paper_pnl"].quantize(CENT) - row["live_pnl"].quantize(CENT)
                assert row["difference_cents"] == shown == sum(row[f"{t}_cents"] for t in TERMS), row
                assert abs(row["residual_cents"] - row["residual"]) <= Decimal("0.04"), row
                checked += 1
    return checked


def test_on_the_demos_ledger(tmp_path, monkeypatch):
    from lt_pipeline.settings import load_settings
    from lt_pipeline.tools.demo import run_demo

    for name in [k for k in os.environ if k.startswith("LT_")]:
        monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("LT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LT_LEDGER_URL", url)
    demo = run_demo(replace(load_settings()), minutes=16, seed=7, out=io.StringIO())
    day = demo.clock.now().date()
    path = tmp_path / "analytics.duckdb"
    report = refresh_days(url, path, day, day, computed_at=demo.clock.now())
    assert report.counts["settled"] > 0 and report.counts["filled"] > 0  # the demo settles some live fills
    assert assert_attribution_adds_up(path) >= 4  # at least one row per twin
    assert sum(report.money[t] for t in TERMS) == report.money["paper_minus_live"]


def test_on_generated_data(sqlite_url, tmp_path):
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine

    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    engine.dispose()
    generate(sqlite_url, 3_000)
    path = tmp_path / "analytics.duckdb"
    report = refresh_days(sqlite_url, path, date(2026, 11, 1), date(2026, 11, 30),
                          computed_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert report.counts["settled"] > 1_000 and report.money["residual"] != 0  # rounding residuals exist
    assert assert_attribution_adds_up(path) > 200
