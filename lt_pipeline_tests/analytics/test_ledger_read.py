"""How the analytics read the SQLite ledger: today's refresh finds its rows through indexes, a month's
refresh scans (walking an index over a month of rows costs several times a scan)."""

from datetime import date

import pytest
from sqlalchemy import text

from lt_pipeline.analytics import ledger_read
from lt_pipeline.ledger import migrate
from lt_pipeline.ledger.engine import make_engine


@pytest.fixture
def plans(sqlite_url):
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)

    def plan(view: str, start: date, end: date) -> str:
        table = next(t for t in ledger_read.TABLES if t.view == view)
        with engine.connect() as connection:
            rows = connection.execute(text("EXPLAIN QUERY PLAN " + ledger_read.query_for(table, "sqlite", start, end)))
            return " | ".join(row[3] for row in rows)

    yield plan
    engine.dispose()


def test_todays_refresh_reads_its_signals_by_index(plans):
    today = date(2026, 11, 30)
    assert "USING INDEX ix_lt_orders_signal_at" in plans("st_lt", today, today)
    quality = plans("st_quality", today, today)
    assert "SEARCH lt_execution_quality USING INDEX" in quality and "ix_lt_orders_signal_at" in quality
    assert "USING INDEX ix_ft_orders_wallet_time" in plans("st_ft", today, today)


def test_a_months_refresh_scans_every_table(plans):
    month = (date(2026, 11, 1), date(2026, 11, 30))
    for view in ("st_ft", "st_lt", "st_quality"):
        plan = plans(view, *month)
        assert "USING INDEX" not in plan.split(" | ")[0], f"{view}: {plan}"
        assert plan.startswith("SCAN"), f"{view}: {plan}"
