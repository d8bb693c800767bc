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


# --- a month's read, split across processes ------------------------------------------------------------


@pytest.fixture
def traded_ledger(sqlite_url):
    from lt_pipeline.tools.bench_analytics_data import generate

    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    engine.dispose()
    generate(sqlite_url, 3_000)
    return sqlite_url


def _rows(tables):
    return {view: table.sort_by(table.column_names[0]).to_pylist() for view, table in tables.items()}


@pytest.fixture
def parts_run(monkeypatch):
    """The number of reading processes of each read (a fallback is a second read)."""
    runs = []
    run_children = ledger_read._run_children

    def counted(database, days, folder, parts):
        runs.append(parts)
        return run_children(database, days, folder, parts)

    monkeypatch.setattr(ledger_read, "_run_children", counted)
    return runs


def test_a_read_split_across_processes_returns_every_row_once(traded_ledger, parts_run, monkeypatch):
    monkeypatch.setattr(ledger_read, "read_processes", lambda start, end: 1)
    alone = ledger_read.read_ledger(traded_ledger)
    monkeypatch.setattr(ledger_read, "read_processes", lambda start, end: 3)
    split = ledger_read.read_ledger(traded_ledger)
    assert parts_run == [1, 3]
    assert {view: t.num_rows for view, t in split.items()}["st_lt"] == 3_000
    assert _rows(split) == _rows(alone)


def test_the_readers_release_the_ledger_and_a_long_write_sends_them_back_to_one_process(traded_ledger, parts_run,
                                                                                       monkeypatch):
    import sqlite3

    database = traded_ledger.removeprefix("sqlite:///")
    monkeypatch.setattr(ledger_read, "read_processes", lambda start, end: 2)
    before = _rows(ledger_read.read_ledger(traded_ledger))
    writer = sqlite3.connect(database, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the lock was released: a writer takes it at once
    monkeypatch.setattr(ledger_read, "SNAPSHOT_LOCK_WAIT", 0.2)
    during = _rows(ledger_read.read_ledger(traded_ledger))  # the writer holds it: one reader, same rows
    writer.execute("ROLLBACK")
    writer.close()
    assert parts_run == [2, 2, 1]
    assert during == before
