"""A synthetic ledger for `lt bench analytics`: N paper (FT) orders, their N live (LT) orders with venue
orders, fills and execution-quality rows, over 30 days of November 2026, on a migrated SQLite or
PostgreSQL ledger.

The rows are generated in DuckDB (vectorised, from hashes of the row number, so the same N gives the
same ledger) and bulk-loaded with ADBC ingestion: a prepared INSERT in C on SQLite, COPY on PostgreSQL.
The few strategy, wallet and market rows go in through SQLAlchemy. The mix: 15 % skipped (six reasons),
3 % rejected, 1 % never arrived, 1 % still unknown, 5 % cancelled unfilled, 10 % cancelled half filled,
65 % filled; one in five capped below the paper size; each wallet copies 20 traders; half the fills pay a taker fee; one market in
twenty unresolved and one in twenty void; settled like the ledger settles (docs/order-lifecycle.md §11).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import duckdb
from sqlalchemy import insert

from lt_pipeline.analytics.ledger_read import adbc_connect, dialect_of
from lt_pipeline.ledger import schema

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
DAYS = 30
# Runs up to this size load with every ledger constraint enforced (proving the rows valid); larger ones
# skip SQLite's CHECK constraints and PostgreSQL's foreign-key triggers, the rows being valid by construction.
CHECKED_UP_TO = 100_000
SKIP_REASONS = ("paused", "exposure_cap", "stale_signal", "below_min_order_size", "market_closed", "insufficient_capital")


def shape(orders: int) -> dict[str, int]:
    return {
        "strategies": max(2, min(50, orders // 2_000)),
        "markets": max(10, orders // 500),
        "traders": max(5, orders // 5_000),
        "per_wallet": 20,  # each FT wallet copies 20 of the tracked traders
    }


GENERATE = """
CREATE OR REPLACE MACRO r(i, salt, m) AS CAST(hash(i * 1000 + salt) % m AS BIGINT);
-- Identifiers as wide as the ledger's real ones (UUIDs, 64-hex hashes, 77-digit token ids), in row order,
-- and a signed order of the real shape (~600 bytes) on every placed LT order.
CREATE OR REPLACE MACRO uid(kind, i) AS printf('%08d-0000-4000-8000-%012d', kind, i);
CREATE OR REPLACE MACRO hash64(i) AS '0x' || lpad(lower(hex(i)), 64, '0');
CREATE OR REPLACE MACRO condition_of(m) AS '0x' || lpad(lower(hex(m)), 63, '0') || 'c';
CREATE OR REPLACE MACRO token_of(m, k) AS '71321045679252212594626385532706912750332728571942532289631379'
    || lpad(CAST(m * 2 + k AS VARCHAR), 15, '0');
CREATE OR REPLACE MACRO signed_json(i, side, token) AS '{{"builder":"0x' || repeat('0', 64) || '","expiration":"0",'
    || '"maker":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","makerAmount":"' || (i % 100000000) || '","metadata":"0x'
    || repeat('0', 64) || '","salt":' || i || ',"side":"' || side || '","signature":"0x' || lpad(lower(hex(i)), 130, 'a')
    || '","signatureType":0,"signer":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","takerAmount":"' || (i % 50000000)
    || '","timestamp":"1730419200000","tokenId":"' || token || '"}}';
CREATE OR REPLACE TABLE tokens AS
SELECT m, k, token_of(m, k) AS token_id, condition_of(m) AS condition_id,
       CAST(CASE WHEN r(m, 7, 20) = 0 THEN NULL WHEN r(m, 7, 20) = 1 THEN 0.5 WHEN r(m, 8, 2) = k THEN 1 ELSE 0 END
            AS DECIMAL(2, 1)) AS payout
FROM range({markets}) t(m), range(2) u(k);
CREATE OR REPLACE TABLE g AS
WITH a AS (
    SELECT i, i % {strategies} AS si, ((i % {strategies}) * 7 + r(i, 3, {per_wallet})) % {traders} AS ti,
           r(i, 1, {markets}) AS m, r(i, 2, 2) AS k,
           CASE WHEN r(i, 4, 10) = 0 THEN 'SELL' ELSE 'BUY' END AS side,
           5 + r(i, 5, 90) AS price_c, 500 + r(i, 6, 9500) AS size_c,
           TIMESTAMPTZ '{start}' + to_seconds(r(i, 9, {seconds})) + to_microseconds(r(i, 19, 1000000)) AS signal_at,
           r(i, 10, 100) AS roll, r(i, 12, 5) = 0 AS capped, r(i, 13, 3) AS slip, r(i, 14, 2) = 0 AS taxed,
           r(i, 15, 3) AS mid_step, 50 + r(i, 16, 3000) AS exec_ms, r(i, 17, 2000) AS fill_ms,
           {skip_reasons}[1 + r(i, 11, {n_reasons})] AS skip_reason
    FROM range({orders}) t(i)
), b AS (
    SELECT a.*, t.payout,
           CASE WHEN side = 'BUY' THEN 1 ELSE -1 END AS s,
           price_c * 0.01 AS price, size_c * 0.01 AS size, size_c * 100 // price_c AS shares_h,
           CASE WHEN roll < 15 THEN 'SKIPPED' WHEN roll < 18 THEN 'REJECTED' WHEN roll < 19 THEN 'NEVER_ARRIVED'
                WHEN roll < 20 THEN 'UNKNOWN' WHEN roll < 35 THEN 'CANCELLED' ELSE 'FILLED' END AS status
    FROM a JOIN tokens t ON t.m = a.m AND t.k = a.k
), c AS (
    SELECT b.*, shares_h * 0.01 AS shares,
           CASE WHEN status = 'SKIPPED' THEN NULL WHEN capped THEN shares_h // 2 ELSE shares_h END AS live_h,
           CASE WHEN side = 'BUY' THEN least(99, price_c + slip) ELSE greatest(1, price_c - slip) END * 0.01 AS exec_price,
           least(1, greatest(0, price + (mid_step - 1) * 0.005)) AS mid
    FROM b
), e AS (
    SELECT c.*, live_h * 0.01 AS live_shares,
           CASE WHEN status = 'FILLED' THEN live_h WHEN roll >= 25 AND roll < 35 THEN live_h // 2 ELSE 0 END * 0.01 AS q
    FROM c
), f AS (
    SELECT e.*, q * exec_price AS exec_size,
           CASE WHEN taxed THEN q * 0.02 * exec_price * (1 - exec_price) ELSE 0 END AS fee,
           CASE WHEN payout IS NOT NULL THEN s * (shares * payout - size) END AS paper
    FROM e
)
SELECT i, si, ti, m, k, side, status, roll, taxed, exec_ms, fill_ms,
       skip_reason, signal_at, signal_at + to_milliseconds(exec_ms) AS submitted_at, payout IS NOT NULL AS resolved,
       payout, price, size, shares, live_shares, q, exec_price, mid, exec_size AS executed_size, fee AS fees,
       paper AS ft_pnl,
       CASE WHEN payout IS NULL THEN 'OPEN' WHEN payout = 1 THEN 'WON' WHEN payout = 0 THEN 'LOST' ELSE 'VOID' END AS ft_outcome,
       CASE WHEN q = 0 THEN 0 ELSE s * (q * payout - exec_size) - fee END AS live_pnl
FROM f;
-- The wide strings are computed when a table is read, not kept for every row.
CREATE OR REPLACE VIEW gv AS
SELECT *, 'LT_BENCH_' || si AS strategy_id, 'FT_BENCH_' || si AS wallet_id,
       '0x' || lpad(CAST(ti AS VARCHAR), 40, '0') AS trader, token_of(m, k) AS token_id, condition_of(m) AS condition_id
FROM g;
"""

BIG_TABLES = {
    "source_trades": """SELECT lpad(CAST(i AS VARCHAR), 64, '0') AS source_trade_id, trader AS trader_address, condition_id, token_id, side, price,
        shares AS size, size AS notional_usd, signal_at AS traded_at, signal_at AS ingested_at,
        signal_at AS ft_evaluated_at FROM gv""",
    "ft_orders": """SELECT uid(1, i) AS order_id, wallet_id, lpad(CAST(i AS VARCHAR), 64, '0') AS source_trade_id, trader AS trader_address,
        condition_id, token_id, side, price AS entry_price, size, shares, 'fixed_usd' AS sizing_method,
        CAST(1 AS INTEGER) AS config_version, signal_at AS source_traded_at, signal_at AS order_time,
        ft_outcome AS outcome, ft_pnl AS pnl, CASE WHEN resolved THEN signal_at END AS resolved_at FROM gv""",
    "lt_orders": """SELECT uid(2, i) AS lt_order_id, strategy_id, uid(1, i) AS ft_order_id, lpad(CAST(i AS VARCHAR), 64, '0') AS source_trade_id,
        'bench' AS user_id, trader AS trader_address, condition_id, token_id, side, price AS signal_price,
        size AS signal_size_usd, signal_at, price AS ft_entry_price, size AS ft_size,
        live_shares * price AS intended_size_usd, live_shares AS intended_shares,
        CASE WHEN status <> 'SKIPPED' THEN price END AS limit_price, 'GTC' AS order_type,
        CASE WHEN status <> 'SKIPPED' THEN hash64(i) END AS order_id, status,
        CASE WHEN status <> 'SKIPPED' THEN signed_json(i, side, token_id) END AS signed_order_json,
        CASE WHEN status = 'SKIPPED' THEN skip_reason ELSE 'placed' END AS decision_reason,
        q AS executed_shares, CASE WHEN q > 0 THEN exec_price END AS executed_price, executed_size, fees AS fees_usd,
        signal_at AS detected_at, signal_at AS decided_at, CASE WHEN status <> 'SKIPPED' THEN submitted_at END AS submitted_at,
        CASE WHEN q > 0 THEN submitted_at + to_milliseconds(fill_ms) END AS first_fill_at,
        CAST(CASE WHEN status <> 'SKIPPED' THEN exec_ms END AS INTEGER) AS execution_latency_ms,
        CAST(CASE WHEN q > 0 THEN fill_ms END AS INTEGER) AS fill_latency_ms,
        CASE WHEN NOT resolved OR status = 'UNKNOWN' THEN 'OPEN' WHEN q = 0 THEN 'CLOSED'
             WHEN payout = 1 THEN 'WON' WHEN payout = 0 THEN 'LOST' ELSE 'VOID' END AS outcome,
        CASE WHEN resolved AND status <> 'UNKNOWN' THEN live_pnl END AS pnl,
        CASE WHEN resolved AND status <> 'UNKNOWN' THEN ft_pnl END AS ft_pnl,
        signal_at AS created_at, signal_at AS updated_at FROM gv""",
    "lt_execution_quality": """SELECT {quality_id}uid(2, i) AS lt_order_id, strategy_id, price AS signal_price, mid AS mid_price,
        signal_at AS created_at, signal_at AS updated_at FROM gv""",
    "orders": """SELECT hash64(i) AS order_id, strategy_id AS lt_strategy_id, uid(2, i) AS lt_order_id, price AS signal_price,
        size AS signal_size_usd, 'bench' AS user_id, condition_id, token_id, side, 'GTC' AS order_type, price,
        live_shares AS original_size, q AS size_matched, CASE WHEN status = 'FILLED' THEN 'MATCHED' ELSE 'CANCELED' END AS status,
        signal_at AS created_at, signal_at AS updated_at FROM gv WHERE status IN ('FILLED', 'CANCELLED')""",
    "fills": """SELECT uid(3, i) AS fill_id, uid(4, i) AS trade_id, hash64(i) AS order_id, uid(2, i) AS lt_order_id,
        token_id, side, exec_price AS price, q AS size, CAST(CASE WHEN taxed THEN 200 ELSE 0 END AS INTEGER) AS fee_rate_bps,
        fees AS fee_usd, 'TAKER' AS trader_side, 'CONFIRMED' AS status, submitted_at + to_milliseconds(fill_ms) AS matched_at,
        submitted_at + to_milliseconds(fill_ms) AS status_changed_at, submitted_at AS created_at FROM gv WHERE q > 0""",
}


def _for_sqlite(duck, sql: str) -> str:
    """The same columns as the ledger keeps them on SQLite: canonical decimal text, naive UTC text times."""
    described = duck.execute(f"DESCRIBE {sql}").fetchall()
    columns = []
    for name, kind, *_ in described:
        if kind.startswith("DECIMAL"):
            text = f"CAST({name} AS VARCHAR)"
            columns.append(f"CASE WHEN contains({text}, '.') THEN rtrim(rtrim({text}, '0'), '.') ELSE {text} END AS {name}")
        elif kind.startswith("TIMESTAMP"):
            columns.append(f"strftime({name}, '%Y-%m-%d %H:%M:%S.%f') AS {name}")
        else:
            columns.append(name)
    return f"SELECT {', '.join(columns)} FROM ({sql})"


def _small_rows(engine, sizes: dict[str, int]) -> None:
    now = START
    with engine.begin() as connection:
        connection.execute(insert(schema.users).values(user_id="bench", display_name="bench", created_at=now))
        for k in range(sizes["strategies"]):
            connection.execute(insert(schema.ft_wallets).values(
                wallet_id=f"FT_BENCH_{k}", display_name=f"FT_BENCH_{k}", starting_balance=Decimal(10_000),
                config_json="{}", config_hash="0" * 64, config_version=1, created_at=now, updated_at=now))
            connection.execute(insert(schema.lt_strategies).values(
                strategy_id=f"LT_BENCH_{k}", user_id="bench", ft_wallet_id=f"FT_BENCH_{k}", display_name=f"LT_BENCH_{k}",
                starting_capital=Decimal(100_000), slippage_tolerance_pct=Decimal(5), order_type="GTC",
                min_order_size_usd=Decimal(1), max_order_size_usd=Decimal(100), max_position_size_usd=Decimal(1_000),
                max_total_exposure_usd=Decimal(100_000), order_ttl_seconds=300, launched_at=now, created_at=now, updated_at=now))
        categories = ("politics", "sports", "crypto", "finance", "geopolitics")
        connection.execute(insert(schema.markets), [
            {"condition_id": f"0x{m:063x}c",  # condition_of(m)
             "question": f"market {m}", "category": categories[m % len(categories)],
             "created_at": now, "updated_at": now} for m in range(sizes["markets"])])


def generate(ledger_url: str, orders: int, *, exclusive: bool = False, verbose: bool = False) -> dict[str, int]:
    """Fill a migrated, empty ledger with `orders` FT and LT orders and what hangs off them; rows per table.

    `exclusive`: nothing else has the SQLite file open (the bench's own ledger), so it may load without a
    journal and go back to WAL afterwards; with another connection open that would corrupt the file."""
    from lt_pipeline.ledger.engine import make_engine

    sizes = shape(orders)
    dialect = dialect_of(ledger_url)
    engine = make_engine(ledger_url)
    try:
        _small_rows(engine, sizes)
    finally:
        engine.dispose()
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute(GENERATE.format(
        orders=orders, start=START.strftime("%Y-%m-%d %H:%M:%S+00"), seconds=DAYS * 86_400,
        skip_reasons="[" + ", ".join(f"'{r}'" for r in SKIP_REASONS) + "]", n_reasons=len(SKIP_REASONS), **sizes,
    ))
    counts = {"markets": sizes["markets"], "strategies": sizes["strategies"]}
    tokens_sql = "SELECT token_id, condition_id, 'Outcome ' || k AS token_label, CAST(k AS INTEGER) AS outcome_index, payout FROM tokens"
    with adbc_connect(ledger_url, autocommit=True) as connection:
        cursor = connection.cursor()
        if dialect == "sqlite":  # a throwaway ledger: a big page cache, and no fsync
            pragmas = ["synchronous = OFF", "cache_size = -1000000", "temp_store = MEMORY"]
            if exclusive:
                pragmas.insert(0, "journal_mode = OFF")
            if orders > CHECKED_UP_TO:  # the rows are valid by construction; small runs prove it
                pragmas.append("ignore_check_constraints = ON")
            for pragma in pragmas:
                cursor.execute(f"PRAGMA {pragma}")
        elif orders > CHECKED_UP_TO:  # no foreign-key triggers per row (needs a superuser; else keep them)
            try:
                cursor.execute("SET session_replication_role = replica")
            except Exception:  # noqa: BLE001 - an ordinary user loads with the triggers on
                connection.rollback()
        connection.adbc_connection.set_options(**{"adbc.connection.autocommit": "false"})
        for table, sql in (("market_tokens", tokens_sql), *BIG_TABLES.items()):
            began = time.perf_counter()
            # lt_execution_quality may key its rows by an `id` equal to lt_order_id (the seed's key).
            sql = sql.replace("{quality_id}", "uid(2, i) AS id, " if "id" in schema.lt_execution_quality.c else "")
            arrow = duck.sql(_for_sqlite(duck, sql) if dialect == "sqlite" else sql).to_arrow_table()
            built = time.perf_counter()
            cursor.adbc_ingest(table, arrow, mode="append")
            counts[table] = arrow.num_rows
            if verbose:
                print(f"  {table}: {arrow.num_rows} rows built in {built - began:.2f} s, loaded in {time.perf_counter() - built:.2f} s")
        connection.adbc_connection.commit()  # the DB-API wrapper still believes it autocommits
        if dialect == "sqlite" and exclusive:
            connection.adbc_connection.set_options(**{"adbc.connection.autocommit": "true"})
            cursor.execute("PRAGMA journal_mode = WAL")  # the ledger's own mode again
    duck.close()
    return counts


def _typed_select(table, start, end) -> str:
    """The staged columns of one ledger_read table, typed straight from the synthetic ledger's views:
    ledger_read's own column list, names and types, without the text round trip of a real read."""
    from lt_pipeline.analytics.ledger_read import TYPES, _day_literal

    exprs = []
    for column in table.columns:
        if column.kind in TYPES:
            exprs += [f"CAST({column.source} AS {TYPES[column.kind][0]}) AS {column.name}", f"TRUE AS {column.name}_exact"]
        else:
            kind = {"timestamp": "TIMESTAMP", "int": "BIGINT"}.get(column.kind, "VARCHAR")
            exprs.append(f"CAST({column.source} AS {kind}) AS {column.name}")
    conditions = [table.where] if table.where else []
    if table.day_column:
        conditions += [f"{table.day_column} >= {_day_literal(start, 'postgresql')}",
                       f"{table.day_column} < {_day_literal(end + timedelta(days=1), 'postgresql')}"]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT {', '.join(exprs)} FROM {table.from_sql}{where}"


def stage_synthetic(path: str, orders: int, start, end) -> int:
    """The same synthetic ledger, `orders` signals, staged for the DuckDB-only phase: the ledger's tables
    as views inside DuckDB, and ledger_read's staged tables (st_*, typed, the same columns a real read
    stages) written into the DuckDB file at `path`. DuckDB spills to disk beyond its memory limit."""
    from lt_pipeline.analytics.ledger_read import TABLES

    sizes = shape(orders)
    duck = duckdb.connect(path, config={"memory_limit": "8GB", "preserve_insertion_order": False})
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute(GENERATE.format(
        orders=orders, start=START.strftime("%Y-%m-%d %H:%M:%S+00"), seconds=DAYS * 86_400,
        skip_reasons="[" + ", ".join(f"'{r}'" for r in SKIP_REASONS) + "]", n_reasons=len(SKIP_REASONS), **sizes,
    ))
    for table in ("ft_orders", "lt_orders", "lt_execution_quality"):
        duck.execute(f"CREATE TEMP VIEW {table} AS {BIG_TABLES[table].replace('{quality_id}', '')}")
    duck.execute(f"""CREATE TEMP TABLE lt_strategies AS SELECT 'LT_BENCH_' || k AS strategy_id, 'FT_BENCH_' || k AS ft_wallet_id,
                     TIMESTAMPTZ '{START.isoformat()}' AS launched_at FROM range({sizes['strategies']}) t(k)""")
    categories = "['politics', 'sports', 'crypto', 'finance', 'geopolitics']"
    duck.execute(f"""CREATE TEMP TABLE markets AS SELECT condition_of(m) AS condition_id, {categories}[1 + m % 5] AS category
                     FROM range({sizes['markets']}) t(m)""")
    duck.execute("CREATE TEMP TABLE market_tokens AS SELECT token_id, condition_id, payout FROM tokens")
    for table in TABLES:
        duck.execute(f"CREATE TABLE {table.view} AS {_typed_select(table, start, end)}")
    for view in ("ft_orders", "lt_orders", "lt_execution_quality", "gv"):
        duck.execute(f"DROP VIEW {view}")
    duck.execute("DROP TABLE g")
    duck.execute("DROP TABLE tokens")
    count = duck.execute("SELECT count(*) FROM st_lt").fetchone()[0]
    duck.close()
    return count
