"""A past day backfilled gives the figures that day had when it was computed live: DAY1 is materialised
by the Dagster asset while it is today (before DAY2 exists in the ledger); the next days bring DAY2's
signals; then DAY1 is backfilled alone and as part of the range DAY1..DAY2 (one run). Every column of
every table (but `computed_at`) is the same in all three."""

import shutil
from datetime import datetime, timezone

import dagster as dg
from dagster_duckdb import DuckDBResource

from lt_pipeline.analytics import store
from lt_pipeline.analytics.figures import TABLES
from lt_pipeline.clock import register_clock
from lt_pipeline.defs.analytics.assets import analytics_daily
from lt_pipeline.defs.resources import ClockResource, LedgerResource
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline_tests.analytics import examples_ledger as X
from lt_pipeline_tests.analytics.examples_ledger import DAY1, DAY2

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
CLOCK = "lt-examples-backfill"


def resources(url: str, path) -> dict:
    return {"ledger": LedgerResource(url=url), "duckdb": DuckDBResource(database=str(path)),
            "clock": ClockResource(simulated=CLOCK)}


def day_rows(path, day) -> dict[str, list[tuple]]:
    with store.reader(path) as duck:
        return {table: duck.execute(f"SELECT * EXCLUDE (computed_at) FROM {table} WHERE day = ? ORDER BY ALL",
                                    [day]).fetchall() for table in TABLES}


def test_a_backfilled_day_equals_the_day_computed_live(ledger_engine, tmp_path):
    url = ledger_engine.url.render_as_string(hide_password=False)
    world = X.World(ledger_engine, url)
    register_clock(CLOCK, world.clock)
    live, alone, ranged = tmp_path / "live.duckdb", tmp_path / "alone.duckdb", tmp_path / "ranged.duckdb"
    world.day1()  # DAY1 23:00: its orders synced, MA MB MC settled, markouts written
    sqlite = ledger_engine.dialect.name == "sqlite"
    later_url = url
    if sqlite:
        # SQLite: the later ledger is a copy taken at DAY1 23:00 that then lives on, so that no write
        # follows an in-process ADBC read of the same file (see the test below).
        ledger_engine.dispose()
        later_url = f"sqlite:///{tmp_path / 'later.db'}"
        shutil.copy(ledger_engine.url.database, tmp_path / "later.db")
        world.engine = make_engine(later_url)
        world.day2()
        world.engine.dispose()
    with dg.instance_for_test() as instance:
        assert dg.materialize([analytics_daily], partition_key=DAY1.isoformat(), instance=instance,
                              resources=resources(url, live)).success  # the schedule's "today"
        if not sqlite:
            world.day2()
        world.clock.set(datetime(2026, 5, 7, 3, tzinfo=timezone.utc))
        assert dg.materialize([analytics_daily], partition_key=DAY1.isoformat(), instance=instance,
                              resources=resources(later_url, alone)).success
        backfill = dg.materialize([analytics_daily], instance=instance, resources=resources(later_url, ranged),
                                  tags={RANGE_START: DAY1.isoformat(), RANGE_END: DAY2.isoformat()})
    assert backfill.success and all(e.passed for e in backfill.get_asset_check_evaluations())
    computed_live = day_rows(live, DAY1)
    assert computed_live["ft_vs_lt_daily"] and computed_live["ft_vs_lt_by_trader_daily"]
    assert day_rows(alone, DAY1) == computed_live
    assert day_rows(ranged, DAY1) == computed_live
    assert day_rows(live, DAY2) == {table: [] for table in TABLES}  # nothing of DAY2 existed yet
    assert all(day_rows(ranged, DAY2)[t] for t in ("strategy_quality_daily", "ft_vs_lt_daily"))


def test_a_sqlite_ledger_stays_usable_after_an_analytics_read_in_process(sqlite_url):
    """BUG (analytics/ledger_read.py, ADBC SQLite): a process that holds a SQLAlchemy connection to the
    SQLite ledger while `read_ledger` reads it through the ADBC driver (its own copy of SQLite), and then
    writes through that connection, can no longer open the ledger: every new connection fails with
    "disk I/O error". Two copies of SQLite in one process do not see each other's POSIX locks (closing
    one's file descriptor drops the other's locks; SQLite's "How to corrupt" section 2.2.1). A Dagster run
    holds such a connection: LedgerResource checks the migration level before the asset reads."""
    from sqlalchemy import text

    from lt_pipeline.analytics.ledger_read import read_ledger
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine

    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    with engine.begin() as connection:  # the pooled connection stays open, as the resource's does
        connection.execute(text("INSERT INTO users (user_id, display_name, created_at) VALUES ('u1', 'U1', '2026-05-01')"))
    read_ledger(sqlite_url)
    with engine.begin() as connection:  # the same process writes the ledger again
        connection.execute(text("INSERT INTO users (user_id, display_name, created_at) VALUES ('u2', 'U2', '2026-05-01')"))
    fresh = make_engine(sqlite_url)
    try:
        with fresh.connect() as connection:  # expected: 2 users; actual: OperationalError disk I/O error
            assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 2
    finally:
        fresh.dispose()
        engine.dispose()
