"""The analytics file: one writer at a time (a second waits for the lock, or gives up naming why), whole
days replaced, and tables of an older layout dropped and rebuilt rather than written into."""

import threading
from datetime import date, datetime, timezone

import duckdb
import pytest

from lt_pipeline.analytics import store
from lt_pipeline.analytics.facts import MACROS
from lt_pipeline.analytics.figures import TABLES, TYPES


def _write(path, day: date, rows: int) -> dict[str, int]:
    """Fake fig_* results of `rows` rows for `day`, written through replace_days."""
    duck = duckdb.connect()
    duck.execute(MACROS)
    sources: dict[str, list[str]] = {}
    for columns, source in TABLES.values():
        sources.setdefault(source, [])
        sources[source] += [c for c in columns if c not in sources[source]]
    for source, columns in sources.items():
        select = ", ".join(["?::DATE AS day"] + [f"NULL::{TYPES[c]} AS {c}" for c in columns])
        duck.execute(f"CREATE OR REPLACE TEMP TABLE {source} AS SELECT {select} FROM range({rows})", [day])
    duck.execute(f"CREATE TEMP TABLE {store.FACTS} AS SELECT ?::DATE AS day, 'LT_A' AS strategy_id FROM range({rows})", [day])
    with store.attached(duck, path, write=True):
        written = store.replace_days(duck, day, day, datetime(2026, 3, 12, tzinfo=timezone.utc))
    duck.close()
    return written


def test_days_are_replaced_whole_and_other_days_are_kept(tmp_path):
    path = tmp_path / "a.duckdb"
    _write(path, date(2026, 3, 10), 3)
    _write(path, date(2026, 3, 11), 2)
    assert _write(path, date(2026, 3, 10), 1)["ft_vs_lt_daily"] == 1  # the day's three rows became one
    with store.reader(path) as duck:
        for table in ("ft_vs_lt_daily", store.FACTS):
            assert duck.execute(f"SELECT day, count(*) FROM {table} GROUP BY day ORDER BY day").fetchall() == [
                (date(2026, 3, 10), 1), (date(2026, 3, 11), 2)]


def test_tables_of_an_older_layout_are_rebuilt(tmp_path):
    path = tmp_path / "a.duckdb"
    _write(path, date(2026, 3, 10), 3)
    with duckdb.connect(str(path)) as duck:
        duck.execute("UPDATE analytics_layout SET layout = 'older'")
    _write(path, date(2026, 3, 11), 2)
    with store.reader(path) as duck:
        assert duck.execute("SELECT DISTINCT day FROM ft_vs_lt_daily").fetchall() == [(date(2026, 3, 11),)]
        assert duck.execute("SELECT layout FROM analytics_layout").fetchall() == [(store.layout(),)]


def test_a_second_writer_waits_for_the_first_and_gives_up_after_its_timeout(tmp_path):
    path = tmp_path / "a.duckdb"
    holding, release = threading.Event(), threading.Event()

    def first_writer():
        with store.file_lock(path, exclusive=True):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=first_writer)
    thread.start()
    holding.wait(10)
    with pytest.raises(store.StoreBusy, match="another analytics writer"):
        with store.file_lock(path, exclusive=True, timeout=0.3):
            pass
    release.set()
    thread.join()
    with store.file_lock(path, exclusive=True, timeout=1):  # free again
        pass
