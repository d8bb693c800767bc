"""The analytics DuckDB file (LT_DUCKDB_PATH): its tables, one writer at a time, and replacing whole
days.

DuckDB lets one process write a file, and a second process that opens it fails at once. Every writer
here first takes an exclusive lock on `<file>.lock` (readers a shared one), so two writers queue rather
than fail, whatever started them: a scheduled run, a backfill, a manual materialisation, `lt bench`.
The results are computed in an in-memory DuckDB first; the file is attached only to write them, so the
lock is held for the write alone. Days are replaced whole inside one transaction: delete the days of
the range, insert their new rows; a reader sees the old days or the new ones, never half.

Beside the daily tables the file keeps `signal_facts`, one row per signal (facts.py): any period's
figures (a strategy since launch, with its exact latency percentiles; a cut over a quarter) are one
aggregation over it (figures.group_sql), without reading the ledger again.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from lt_pipeline.analytics.facts import FACTS_SQL, MACROS
from lt_pipeline.analytics.figures import TABLES, TYPES

STORE = "analytics_store"
FACTS = "signal_facts"  # the per-signal table, in the file as in the computing DuckDB


class StoreBusy(RuntimeError):
    """The analytics file stayed locked by another writer for longer than the timeout."""


@contextmanager
def file_lock(path: str | Path, *, exclusive: bool, timeout: float = 600.0) -> Iterator[None]:
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreBusy(f"{path}: another analytics writer held it for more than {timeout:.0f} s") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _attach(duck, path: str | Path, *, read_only: bool, timeout: float) -> None:
    """ATTACH the file, retrying while a process outside this protocol (an interactive reader) holds it."""
    mode = " (READ_ONLY)" if read_only else ""
    deadline = time.monotonic() + timeout
    while True:
        try:
            duck.execute(f"ATTACH '{Path(path).as_posix()}' AS {STORE}{mode}")
            return
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def attached(duck, path: str | Path, *, write: bool, timeout: float = 600.0) -> Iterator[str]:
    """The analytics file attached to `duck` as `analytics_store`, under the file lock."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path, exclusive=write, timeout=timeout):
        _attach(duck, path, read_only=not write, timeout=timeout)
        try:
            yield STORE
        finally:
            duck.execute(f"DETACH {STORE}")


@contextmanager
def reader(path: str | Path, timeout: float = 600.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the analytics file attached read-only and USEd, and the cents macro."""
    duck = duckdb.connect()
    try:
        duck.execute(MACROS)
        with attached(duck, path, write=False, timeout=timeout):
            duck.execute(f"USE {STORE}")
            yield duck
            duck.execute("USE memory")
    finally:
        duck.close()


def layout() -> str:
    """A fingerprint of every table's columns and types: what the rows in the file were written as."""
    text = ";".join(f"{t}:" + ",".join(f"{c} {TYPES[c]}" for c in ("day", *cols, "computed_at")) for t, (cols, _) in TABLES.items())
    return hashlib.sha256((text + FACTS_SQL).encode()).hexdigest()[:16]


def create_tables(duck) -> bool:
    """Create the tables if missing. The file holds derived data only: written under another layout
    (an older version of these tables), they are dropped and created afresh (True), to be backfilled."""
    duck.execute(f"CREATE TABLE IF NOT EXISTS {STORE}.analytics_layout (layout VARCHAR)")
    found = duck.execute(f"SELECT layout FROM {STORE}.analytics_layout").fetchall()
    reset = bool(found) and found[0][0] != layout()
    if reset:
        for table in (*TABLES, FACTS):
            duck.execute(f"DROP TABLE IF EXISTS {STORE}.{table}")
    if reset or not found:
        duck.execute(f"DELETE FROM {STORE}.analytics_layout")
        duck.execute(f"INSERT INTO {STORE}.analytics_layout VALUES (?)", [layout()])
    for table, (columns, _) in TABLES.items():
        spec = ", ".join(f"{name} {TYPES[name]}" for name in ("day", *columns, "computed_at"))
        duck.execute(f"CREATE TABLE IF NOT EXISTS {STORE}.{table} ({spec})")
    # The facts' columns are the facts query's own (their fingerprint is in the layout).
    duck.execute(f"CREATE TABLE IF NOT EXISTS {STORE}.{FACTS} AS SELECT * FROM {FACTS} LIMIT 0")
    return reset


def replace_days(duck, start: date, end: date, computed_at: datetime) -> dict[str, int]:
    """Replace days start..end (inclusive) of every table with the fig_* results, and of the stored facts
    with the computed ones; rows written per table."""
    stamp = computed_at.astimezone(timezone.utc).replace(tzinfo=None) if computed_at.tzinfo else computed_at
    written = {}
    duck.execute("BEGIN TRANSACTION")
    try:
        create_tables(duck)
        for table, (columns, source) in TABLES.items():
            names = ", ".join(("day", *columns))
            duck.execute(f"DELETE FROM {STORE}.{table} WHERE day BETWEEN ? AND ?", [start, end])
            duck.execute(
                f"INSERT INTO {STORE}.{table} ({names}, computed_at) "
                f"SELECT {names}, ?::TIMESTAMP FROM {source} WHERE day BETWEEN ? AND ?",
                [stamp, start, end],
            )
            written[table] = duck.execute(
                f"SELECT count(*) FROM {STORE}.{table} WHERE day BETWEEN ? AND ?", [start, end]
            ).fetchone()[0]
        duck.execute(f"DELETE FROM {STORE}.{FACTS} WHERE day BETWEEN ? AND ?", [start, end])
        # In the order the facts were built (the FT orders' order, nearly by day): sorting them first cost
        # a third of the write, and a day's rows are found by the row groups' day ranges either way.
        duck.execute(f"INSERT INTO {STORE}.{FACTS} SELECT * FROM {FACTS} WHERE day BETWEEN ? AND ?", [start, end])
        written[FACTS] = duck.execute(f"SELECT count(*) FROM {FACTS} WHERE day BETWEEN ? AND ?", [start, end]).fetchone()[0]
        duck.execute("COMMIT")
    except BaseException:
        duck.execute("ROLLBACK")
        raise
    return written
