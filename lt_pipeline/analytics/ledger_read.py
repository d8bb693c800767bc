"""Read the ledger in bulk into Arrow and stage it in DuckDB with exact types.

One query per table through ADBC (the SQLite or the PostgreSQL driver), in one snapshot: the database
hands over columns, never Python objects row by row. Each column arrives as the ledger stores
it (SQLite: decimals and timestamps as text; PostgreSQL: NUMERIC sent as text, TIMESTAMPTZ as Arrow
timestamps), and the staging views give both engines one typed shape: DECIMAL(38, 18) for money (the
PostgreSQL columns' own scale), DECIMAL(18, 8) for shares and DECIMAL(18, 10) for prices (see TYPES),
naive UTC TIMESTAMP, VARCHAR and BIGINT.

SQLite's ADBC driver infers a column's Arrow type from the first rows it reads, so a text column whose
first values are NULL would be taken for an integer column: a nullable text column is read as
COALESCE(column, '') and the staging view turns '' back into NULL.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from datetime import date, timedelta
from typing import Literal

import pyarrow as pa

Kind = Literal["text", "money", "shares", "price", "timestamp", "int"]
# Money is summed at PostgreSQL's own scale. Shares and prices are multiplied, so they are staged
# narrower: DECIMAL(18, 8) x DECIMAL(18, 10) multiplies into DECIMAL(38, 18) exactly and quickly (no
# 128-bit division on the way). A value with more decimals than its type holds is flagged, not rounded.
TYPES = {"money": ("DECIMAL(38, 18)", 18), "shares": ("DECIMAL(18, 8)", 8), "price": ("DECIMAL(18, 10)", 10)}
WIDE_RANGE_DAYS = 7  # a longer range reads most of a table: scanning beats index lookups on SQLite
BATCH_ROWS = 65_536  # SQLite rows per Arrow batch
MAX_READERS = 4  # SQLite reading processes at most (measured: 2 on 2 cores read in 55 % of one's time)
SNAPSHOT_LOCK_WAIT = 5.0  # seconds to wait for the write lock that lines the readers' snapshots up


@dataclass(frozen=True)
class Column:
    name: str  # the staged name
    source: str  # the ledger expression (qualified where the query joins)
    kind: Kind
    nullable: bool = False

    @property
    def decimal(self) -> bool:
        return self.kind in TYPES


@dataclass(frozen=True)
class LedgerTable:
    """One ledger query: `view` is the DuckDB staging view's name; rows are limited to the day range by
    `day_column` (a signal time) when set; `table` is the table (as named in `from_sql`) whose indexes
    a wide range skips; `narrow_where` limits the rows of a short range only (a condition on {start} and
    {end}, the range's first instant and the instant after it), where a wide range reads the whole table
    more cheaply."""

    view: str
    from_sql: str
    columns: tuple[Column, ...]
    day_column: str | None = None
    where: str | None = None
    table: str | None = None
    narrow_where: str | None = None
    split: tuple[str, str] | None = None  # (table, its rowid as the query names it): read in rowid ranges


def _cols(*specs: str) -> tuple[Column, ...]:
    """'name:kind' or 'name=source:kind' (kind defaults to text); a trailing '?' marks a column that
    may be NULL (the others are NOT NULL in the ledger)."""
    out = []
    for spec in specs:
        nullable = spec.endswith("?")
        head, _, kind = spec.rstrip("?").partition(":")
        name, _, source = head.partition("=")
        out.append(Column(name, source or name, kind or "text", nullable))  # type: ignore[arg-type]
    return tuple(out)


LAUNCHED_WALLETS = "SELECT ft_wallet_id FROM lt_strategies WHERE launched_at IS NOT NULL"

TABLES: tuple[LedgerTable, ...] = (
    LedgerTable("st_strategies", "lt_strategies", _cols("strategy_id", "ft_wallet_id", "launched_at:timestamp?")),
    LedgerTable(
        "st_ft",
        "ft_orders",
        _cols(
            "order_id", "wallet_id", "trader_address", "token_id", "side", "entry_price:price", "size:money",
            "shares:shares", "order_time:timestamp", "outcome", "pnl:money?",
        ),
        day_column="order_time",
        where=f"wallet_id IN ({LAUNCHED_WALLETS})",
        table="ft_orders",
        split=("ft_orders", "rowid"),
    ),
    LedgerTable(
        "st_lt",
        "lt_orders l",
        _cols(
            "lt_order_id=l.lt_order_id", "strategy_id=l.strategy_id", "ft_order_id=l.ft_order_id",
            "signal_at=l.signal_at:timestamp",
            "intended_shares=l.intended_shares:shares?", "executed_shares=l.executed_shares:shares",
            "executed_price=l.executed_price:price?", "executed_size=l.executed_size:money",
            "fees_usd=l.fees_usd:money", "status=l.status",
            "decision_reason=CASE WHEN l.status = 'SKIPPED' THEN l.decision_reason END?",
            "outcome=l.outcome", "pnl=l.pnl:money?", "execution_latency_ms=l.execution_latency_ms:int?",
            "fill_latency_ms=l.fill_latency_ms:int?",
        ),
        day_column="l.signal_at",
        table="lt_orders l",
        split=("lt_orders", "l.rowid"),
    ),
    # The mid at the signal, joined in DuckDB: joined in SQLite, one index lookup per LT order took longer
    # than reading both tables (1M orders: 3.3 s against 2.1 s + 0.2 s). A short range (today's refresh)
    # reads the rows of its own LT orders only, found by their signal time.
    LedgerTable(
        "st_quality", "lt_execution_quality", _cols("lt_order_id", "mid_price:price?"),
        narrow_where="lt_order_id IN (SELECT lt_order_id FROM lt_orders WHERE signal_at >= {start} AND signal_at < {end})",
        split=("lt_execution_quality", "rowid"),
    ),
    LedgerTable("st_markets", "markets", _cols("condition_id", "category")),
    LedgerTable("st_tokens", "market_tokens", _cols("token_id", "condition_id", "payout:price?")),
)


def _parse(url: str):
    # Imported here: the SQLite reading child never parses a URL, and SQLAlchemy takes ~0.4 s to import.
    from sqlalchemy.engine import make_url

    return make_url(url)


def dialect_of(url: str) -> str:
    backend = _parse(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"ledger url: expected a sqlite or postgresql URL, got the {backend} backend")
    return backend


def adbc_connect(url: str, *, autocommit: bool = False):
    """An ADBC DB-API connection to the ledger named by a SQLAlchemy URL (its driver suffix dropped)."""
    parsed = _parse(url)
    if dialect_of(url) == "sqlite":
        return _sqlite_connect(parsed.database or ":memory:", autocommit=autocommit)
    import adbc_driver_postgresql.dbapi as pg_adbc

    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return pg_adbc.connect(libpq, autocommit=autocommit)


def _sqlite_connect(database: str, *, autocommit: bool = False):
    import adbc_driver_sqlite.dbapi as sqlite_adbc

    return sqlite_adbc.connect(database, autocommit=autocommit)


def _select_expr(column: Column, dialect: str) -> str:
    if dialect == "sqlite":
        if column.kind == "int" or not column.nullable:
            return f"{column.source} AS {column.name}"
        return f"COALESCE({column.source}, '') AS {column.name}"
    if column.decimal:  # NUMERIC as its shortest exact text (no trailing zeros), for the digits check
        return f"CAST(trim_scale({column.source}) AS TEXT) AS {column.name}"
    return f"{column.source} AS {column.name}"


def _day_literal(day: date, dialect: str) -> str:
    # SQLite keeps naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', so a bare date compares as midnight.
    return f"'{day.isoformat()}'" if dialect == "sqlite" else f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"


def wide_range(start: date | None, end: date | None) -> bool:
    return start is None or end is None or (end - start).days + 1 > WIDE_RANGE_DAYS


def query_for(table: LedgerTable, dialect: str, start: date | None, end: date | None,
              rowids: tuple[int, int] | None = None) -> str:
    """The ledger SELECT of `table`, limited to signals of days start..end (inclusive) when given, and
    to the rows whose rowid is in (first, last] when `rowids` is given (SQLite, a table with `split`)."""
    conditions = [table.where] if table.where else []
    if rowids is not None and table.split:
        conditions.append(f"{table.split[1]} > {rowids[0]} AND {table.split[1]} <= {rowids[1]}")
    if start is not None and end is not None:
        first, after = _day_literal(start, dialect), _day_literal(end + timedelta(days=1), dialect)
        if table.day_column:
            conditions += [f"{table.day_column} >= {first}", f"{table.day_column} < {after}"]
        if table.narrow_where and not wide_range(start, end):
            conditions.append(table.narrow_where.format(start=first, end=after))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    select = ", ".join(_select_expr(c, dialect) for c in table.columns)
    source = table.from_sql
    if dialect == "sqlite" and wide_range(start, end) and table.table:
        source = source.replace(table.table, f"{table.table} NOT INDEXED", 1)
    return f"SELECT {select} FROM {source}{where}"


def _fetch(cursor, table: LedgerTable, dialect: str, start: date | None, end: date | None,
           rowids: tuple[int, int] | None = None) -> pa.Table:
    if dialect == "sqlite":  # DuckDB scans big batches several times faster than the default 1,024 rows
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
    cursor.execute(query_for(table, dialect, start, end, rowids))
    return cursor.fetch_arrow_table()


def _rowid_ranges(cursor, part: int, parts: int) -> dict[str, tuple[int, int] | None]:
    """This part's rowid range of each split table, from its first and last rowid; None: the table is
    empty (part 0 reads it whole)."""
    ranges = {}
    for table in TABLES:
        if table.split:
            cursor.execute(f"SELECT min(rowid), max(rowid) FROM {table.split[0]}")
            low, high = cursor.fetchone()
            ranges[table.view] = None if low is None else (
                low - 1 + (high - low + 1) * part // parts, low - 1 + (high - low + 1) * (part + 1) // parts)
    return ranges


def _read_sqlite_here(database: str, start: date | None, end: date | None, part: int = 0, parts: int = 1,
                      snapshot_taken=lambda: None) -> dict[str, pa.Table]:
    """One connection, one read transaction: part `part` of `parts` (each part reads a rowid range of
    the big tables, part 0 the small ones too; the only part reads everything). With several parts,
    `snapshot_taken` is called once the transaction's snapshot is fixed (its first read), before the big
    reads."""
    with _sqlite_connect(database) as connection:
        cursor = connection.cursor()
        cursor.execute("PRAGMA mmap_size = 2147418112")  # pages through a memory map, not a read() each
        ranges = _rowid_ranges(cursor, part, parts) if parts > 1 else {}  # with parts, the snapshot's first read
        snapshot_taken()
        tables = {}
        for table in TABLES:
            if table.view in ranges and ranges[table.view] is not None:
                tables[table.view] = _fetch(cursor, table, "sqlite", start, end, ranges[table.view])
            elif part == 0:
                tables[table.view] = _fetch(cursor, table, "sqlite", start, end)
        connection.rollback()
    return tables


def _read_postgresql(url: str, start: date | None, end: date | None) -> dict[str, pa.Table]:
    """Two connections in one snapshot: the second imports the first's exported snapshot and reads the LT
    orders in a thread while the first reads the rest (the server does half the work: ~25 % faster)."""
    with adbc_connect(url) as first, adbc_connect(url) as second:
        main, side = first.cursor(), second.cursor()
        main.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        main.execute("SELECT pg_export_snapshot()")
        snapshot = main.fetchone()[0]
        side.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        side.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        lt = next(t for t in TABLES if t.view == "st_lt")
        with ThreadPoolExecutor(max_workers=1) as pool:
            lt_rows = pool.submit(_fetch, side, lt, "postgresql", start, end)
            tables = {t.view: _fetch(main, t, "postgresql", start, end) for t in TABLES if t is not lt}
            tables[lt.view] = lt_rows.result()
        first.rollback()
        second.rollback()
    return tables


# --- SQLite: the reading children ----------------------------------------------------------------------


def read_processes(start: date | None, end: date | None) -> int:
    """How many processes read SQLite: one per core (up to MAX_READERS) for a wide range, where the
    driver's per-value work is most of the time and two processes took 55 % of one's time on 2 cores;
    one for a short range (today's), which its index makes small."""
    return max(1, min(MAX_READERS, os.cpu_count() or 1)) if wide_range(start, end) else 1


def _child_main(argv: list[str]) -> None:
    """The reading child: DATABASE START END FOLDER PART PARTS (days ISO or empty). With several parts
    it says `connected`, waits for `go` (the parent then holds the ledger's write lock), opens its
    snapshot, says `ready`, and reads; each table goes to FOLDER/<view>.<part> as an Arrow IPC file."""
    database, start, end, folder, part, parts = argv
    part, parts = int(part), int(parts)

    def snapshot_taken() -> None:
        if parts > 1:
            print("ready", flush=True)

    if parts > 1:
        print("connected", flush=True)
        if sys.stdin.readline().strip() != "go":
            raise SystemExit("the parent did not say go")
    tables = _read_sqlite_here(database, date.fromisoformat(start) if start else None,
                               date.fromisoformat(end) if end else None, part, parts, snapshot_taken)
    for view, arrow in tables.items():
        with pa.OSFile(str(Path(folder) / f"{view}.{part}"), "wb") as sink, pa.ipc.new_file(sink, arrow.schema) as writer:
            writer.write_table(arrow)


def _last_line(child: subprocess.Popen, err: str) -> str:
    """Why a finished child failed: the last line it wrote to stderr, or its exit code."""
    return (err.strip().splitlines() or [f"exit code {child.returncode}"])[-1]


def _failure(child: subprocess.Popen) -> str:
    child.kill()
    _, err = child.communicate()
    return _last_line(child, err)


def _one_snapshot(database: str, children: list[subprocess.Popen]) -> bool:
    """Open every child's snapshot while this process holds the ledger's write lock, so that no write
    commits between them: they all see the same ledger. Writers wait (their busy timeout) only while
    the children take their snapshots. False, and the children killed, when the lock stayed taken by a
    writer for SNAPSHOT_LOCK_WAIT seconds."""
    for child in children:
        if child.stdout.readline().strip() != "connected":
            raise RuntimeError(f"reading the SQLite ledger: {_failure(child)}")
    lock = sqlite3.connect(database, timeout=SNAPSHOT_LOCK_WAIT, isolation_level=None)
    try:
        try:
            lock.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked": a long write; read in one process instead
            for child in children:
                child.kill()
                child.communicate()
            return False
        try:
            for child in children:
                child.stdin.write("go\n")
                child.stdin.flush()
            for child in children:
                if child.stdout.readline().strip() != "ready":
                    raise RuntimeError(f"reading the SQLite ledger: {_failure(child)}")
        finally:
            lock.execute("ROLLBACK")
    finally:
        lock.close()
    return True


def _run_children(database: str, days: list[str], folder: str, parts: int) -> bool:
    children = [subprocess.Popen([sys.executable, "-m", __name__, database, *days, folder, str(part), str(parts)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for part in range(parts)]
    try:
        if parts > 1 and not _one_snapshot(database, children):
            return False
        for child in children:
            _, err = child.communicate()
            if child.returncode != 0:
                raise RuntimeError(f"reading the SQLite ledger: {_last_line(child, err)}")
        return True
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()


def _read_sqlite(url: str, start: date | None, end: date | None) -> dict[str, pa.Table]:
    """The read in child processes. The ADBC driver carries its own SQLite library, and two SQLite
    libraries in one process release each other's POSIX locks on the ledger file: after a read in the
    process that also writes the ledger (a Dagster run holding the ledger resource), the next write fails
    with "disk I/O error". The children (`python -m` this module: it depends on nothing of the caller's
    main module) write Arrow IPC files to memory-backed storage; they are mapped here without a copy."""
    shm = Path("/dev/shm")
    database = _parse(url).database or ":memory:"
    parts = read_processes(start, end) if database != ":memory:" else 1
    with tempfile.TemporaryDirectory(prefix="lt-ledger-read-", dir=shm if shm.is_dir() else None) as folder:
        days = [day.isoformat() if day else "" for day in (start, end)]
        if not _run_children(database, days, folder, parts):
            parts = 1
            _run_children(database, days, folder, parts)
        # A mapped file stays readable after the folder is removed (the mapping holds it).
        tables = {}
        for table in TABLES:
            pieces = [pa.ipc.open_file(pa.memory_map(str(path))).read_all()
                      for path in (Path(folder) / f"{table.view}.{part}" for part in range(parts)) if path.exists()]
            # A part whose rows of an integer column are all NULL has that column typed null: unify.
            tables[table.view] = pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces, promote_options="permissive")
        return tables


def read_ledger(url: str, start: date | None = None, end: date | None = None) -> dict[str, pa.Table]:
    """Every table the analytics need, as Arrow, from one consistent snapshot of the ledger."""
    if dialect_of(url) == "sqlite":
        return _read_sqlite(url, start, end)
    return _read_postgresql(url, start, end)


def _staged_exprs(column: Column, dialect: str) -> list[str]:
    """The typed column, and for a decimal `<name>_exact`: false when its text has more decimals than
    the staged type keeps (ledger text is canonical: no trailing zeros on SQLite, trim_scale on
    PostgreSQL) or its value does not fit."""
    raw = f"raw.{column.name}"
    if dialect == "sqlite" and column.kind != "int" and column.nullable:
        raw = f"NULLIF({raw}, '')"
    if column.kind == "timestamp":
        return [f"CAST({raw} AS TIMESTAMP) AS {column.name}"]
    if column.kind == "int":
        return [f"CAST({raw} AS BIGINT) AS {column.name}"]
    if not column.decimal:
        return [f"CAST({raw} AS VARCHAR) AS {column.name}"]
    sql_type, places = TYPES[column.kind]
    text = f"CAST({raw} AS VARCHAR)"
    value = f"TRY_CAST({text} AS {sql_type})"
    exact = (f"({text} IS NULL OR ({value} IS NOT NULL AND "
             f"(strpos({text}, '.') = 0 OR length({text}) - strpos({text}, '.') <= {places})))")
    return [f"{value} AS {column.name}", f"{exact} AS {column.name}_exact"]


def _as_text(arrow: pa.Table, table: LedgerTable, dialect: str) -> pa.Table:
    """SQLite columns read as text stay text even when empty or all NULL (typed null/int64 then)."""
    if dialect != "sqlite":
        return arrow
    for column in table.columns:
        index = arrow.schema.get_field_index(column.name)
        if column.kind != "int" and arrow.schema.field(index).type != pa.string():
            arrow = arrow.set_column(index, column.name, arrow.column(index).cast(pa.string()))
    return arrow


def stage(duck, tables: dict[str, pa.Table], dialect: str) -> dict[str, int]:
    """Register the Arrow tables with DuckDB (zero copy) behind typed views st_*; returns rows per view."""
    duck.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ -> TIMESTAMP casts in UTC
    rows = {}
    for table in TABLES:
        arrow = _as_text(tables[table.view], table, dialect)
        duck.register(f"arrow_{table.view}", arrow)
        select = ", ".join(expr for c in table.columns for expr in _staged_exprs(c, dialect))
        duck.execute(f"CREATE OR REPLACE TEMP VIEW {table.view} AS SELECT {select} FROM arrow_{table.view} AS raw")
        rows[table.view] = arrow.num_rows
    return rows


if __name__ == "__main__":  # a reading child (_child_main)
    _child_main(sys.argv[1:])
