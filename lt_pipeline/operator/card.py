"""The seed's strategy card (§10.2): one live twin since launch against its paper strategy, as the
ledger stands now.

The figures are the analytics' own: this strategy's rows of the ledger are read as the analytics read
them (analytics.ledger_read), staged in an in-memory DuckDB, and put through analytics.facts and
analytics.figures, grouped over the whole period since launch instead of by day. So PnL, ROI, win
rate, counts, rates and latency percentiles have one definition, and the card never waits for (or
trusts) the analytics file. Available capital is the executor's own (execution.strategy_book).

Two figures the analytics do not have yet are defined here: the average latency (the mean of the same
signal-to-submit latencies whose percentiles the figures give) and the average slippage, share-weighted
over the filled orders since launch, side-signed so that positive is a cost (docs/tca.md §2):

    avg_slippage_cents    = 100 × Σ s·q·(P_x − P_d) / Σ q
    avg_slippage_fraction =       Σ s·q·(P_x − P_d) / Σ q·P_d

Rates, ratios and ROI are fractions (0.0452 is 4.52 %), exact, at the ledger's ratio precision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, Engine, select

from lt_pipeline.analytics import ledger_read, store
from lt_pipeline.analytics.facts import TERMS, build_facts
from lt_pipeline.analytics.figures import COUNTS, MONEY, RATES, RATIOS, group_sql
from lt_pipeline.clock import ensure_utc
from lt_pipeline.execution.controls import current_halt
from lt_pipeline.execution.strategy_book import read_strategy_book
from lt_pipeline.ledger.schema import ft_orders, lt_orders, lt_strategies, lt_strategy_versions
from lt_pipeline.money import ZERO, quantize_ratio
from lt_pipeline.operator.common import JsonMixin, UnknownId, plain

HUNDRED = Decimal(100)
STORE_WAIT_SECONDS = 1.0  # the freshness line is optional: never wait on an analytics writer for it


@dataclass(frozen=True)
class PauseWindow:
    paused_at: datetime
    resumed_at: datetime | None  # None while the pause lasts
    reason: str | None


@dataclass(frozen=True)
class StrategyCard(JsonMixin):
    strategy_id: str
    display_name: str
    user_id: str
    ft_wallet_id: str
    status: str  # not launched, live, paused, halted (global halt on), inactive
    launched_at: datetime | None
    pause_reason: str | None
    halt_reason: str | None
    pause_windows: list[PauseWindow]
    as_of: datetime
    # performance since launch (settled signals)
    pnl_usd: Decimal
    roi: Decimal | None
    win_rate: Decimal | None
    ft_pnl_usd: Decimal
    ft_roi: Decimal | None
    ft_win_rate: Decimal | None
    difference_usd: Decimal  # live minus paper
    difference_roi: Decimal | None  # live ROI minus paper ROI
    # execution quality
    avg_slippage_cents: Decimal | None
    avg_slippage_fraction: Decimal | None
    fill_rate: Decimal | None  # shares filled / shares ordered over placed orders
    order_fill_rate: Decimal | None  # placed orders with any fill / placed
    rejection_rate: Decimal | None  # venue rejections / placed
    avg_latency_ms: Decimal | None  # signal to submit
    p95_latency_ms: Decimal | None
    # positions and money
    open_positions: int
    open_usd: Decimal
    total_trades: int  # placed orders that filled (in part or in full)
    starting_capital: Decimal
    available_capital: Decimal
    fees_paid_usd: Decimal
    counts: dict[str, int] = field(default_factory=dict)  # every count of analytics.figures.COUNTS
    rates: dict[str, Decimal | None] = field(default_factory=dict)  # every rate and ratio of the figures
    latency_ms: dict[str, Decimal | None] = field(default_factory=dict)  # p50/p95/p99 submit and fill
    attribution: dict[str, Decimal] = field(default_factory=dict)  # paper - live and its terms, USD
    analytics_computed_at: datetime | None = None  # the analytics file's last write, when readable


def strategy_card(engine: Engine, duckdb_path: Path | str | None, strategy_id: str, now: datetime) -> StrategyCard:
    """The card of one LT strategy as the ledger stands at `now`. `duckdb_path` only says how fresh the
    analytics file is (`analytics_computed_at`); no figure comes from it."""
    now = ensure_utc(now, "now")
    with engine.connect() as connection:
        row = connection.execute(select(lt_strategies).where(lt_strategies.c.strategy_id == strategy_id)).mappings().first()
        if row is None:
            raise UnknownId("LT strategy", strategy_id, "see `lt strategy list`")
        strategy = dict(row)
        book = read_strategy_book(connection, strategy, now)
        halt = current_halt(connection)
        windows = pause_windows(connection, strategy_id, strategy)
        slippage = _average_slippage(connection, strategy)
    figures, average_latency = _figures(engine, strategy)
    counts = {name: int(figures.get(name) or 0) for name, _ in COUNTS}
    money = {name: plain(figures.get(name)) or ZERO for name in (*MONEY, "paper_pnl", "live_pnl")}
    rates = _rates(counts, {**money, **_share_sums(figures)})
    live_roi, paper_roi = rates["live_roi"], rates["paper_roi"]
    return StrategyCard(
        strategy_id=strategy_id,
        display_name=strategy["display_name"],
        user_id=strategy["user_id"],
        ft_wallet_id=strategy["ft_wallet_id"],
        status=strategy_status(strategy, halt.on),
        launched_at=strategy["launched_at"],
        pause_reason=strategy["pause_reason"] if strategy["is_paused"] else None,
        halt_reason=halt.reason if halt.on else None,
        pause_windows=windows,
        as_of=now,
        pnl_usd=money["live_pnl"],
        roi=live_roi,
        win_rate=rates["live_win_rate"],
        ft_pnl_usd=money["paper_pnl"],
        ft_roi=paper_roi,
        ft_win_rate=rates["paper_win_rate"],
        difference_usd=money["live_pnl"] - money["paper_pnl"],
        difference_roi=None if live_roi is None or paper_roi is None else live_roi - paper_roi,
        avg_slippage_cents=slippage[0],
        avg_slippage_fraction=slippage[1],
        fill_rate=rates["quantity_fill_rate"],
        order_fill_rate=rates["order_fill_rate"],
        rejection_rate=rates["rejection_rate"],
        avg_latency_ms=average_latency,
        p95_latency_ms=_ms(figures.get("submit_latency_p95_ms")),
        open_positions=counts["open_positions"],
        open_usd=money["open_usd"],
        total_trades=counts["filled"],
        starting_capital=plain(book.settings.starting_capital),
        available_capital=plain(book.available),
        fees_paid_usd=money["fees_paid"],
        counts=counts,
        rates=rates,
        latency_ms={name: _ms(figures.get(name)) for name in figures if name.endswith("_ms")},
        attribution={name: plain(figures.get(name)) or ZERO for name in ("paper_minus_live", *TERMS)},
        analytics_computed_at=_computed_at(duckdb_path, strategy_id),
    )


def strategy_status(strategy: dict, halted: bool) -> str:
    """The one word for where a strategy stands: the global halt outranks a strategy's own state."""
    if not strategy["is_active"]:
        return "inactive"
    if strategy["launched_at"] is None:
        return "not launched"
    if halted:
        return "halted"
    return "paused" if strategy["is_paused"] else "live"


def pause_windows(connection: Connection, strategy_id: str, strategy: dict | None = None) -> list[PauseWindow]:
    """Every pause of the strategy, oldest first, from its version history (each pause and resume is one
    version row whose changes say `is_paused: [old, new]`); the strategy row's own last pause is added
    when the history does not hold it (a row written without versions)."""
    rows = connection.execute(
        select(lt_strategy_versions.c.changes_json, lt_strategy_versions.c.created_at)
        .where(lt_strategy_versions.c.strategy_id == strategy_id)
        .order_by(lt_strategy_versions.c.settings_version)
    )
    windows: list[PauseWindow] = []
    for changes_json, at in rows:
        changes = json.loads(changes_json)
        paused = changes.get("is_paused")
        if paused == [False, True]:
            reason = (changes.get("pause_reason") or [None, None])[1]
            windows.append(PauseWindow(at, None, reason))
        elif paused == [True, False] and windows and windows[-1].resumed_at is None:
            windows[-1] = replace(windows[-1], resumed_at=at)
    last = strategy and strategy["paused_at"]
    if last and all(window.paused_at != last for window in windows):
        resumed = strategy["resumed_at"] if not strategy["is_paused"] else None
        windows.append(PauseWindow(last, resumed, strategy["pause_reason"]))
    return windows


# --- the analytics' figures over this strategy's signals ------------------------------------------


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _strategy_tables(strategy: dict) -> list[ledger_read.LedgerTable]:
    """The analytics' ledger queries narrowed to one strategy (and its wallet's tokens and markets)."""
    sid, wallet = _literal(strategy["strategy_id"]), _literal(strategy["ft_wallet_id"])
    of_wallet = f"FROM ft_orders WHERE wallet_id = {wallet}"
    narrowed = {
        "st_strategies": f"strategy_id = {sid}",
        "st_ft": f"wallet_id = {wallet}",
        "st_lt": f"l.strategy_id = {sid}",
        "st_quality": f"lt_order_id IN (SELECT lt_order_id FROM lt_orders WHERE strategy_id = {sid})",
        "st_tokens": f"token_id IN (SELECT token_id {of_wallet})",
        "st_markets": f"condition_id IN (SELECT condition_id {of_wallet})",
    }
    return [replace(t, where=narrowed.get(t.view, t.where), day_column=None, table=None) for t in ledger_read.TABLES]


def _read(engine: Engine, dialect: str, tables: list[ledger_read.LedgerTable]) -> dict[str, pa.Table]:
    """The narrowed analytics queries in one read transaction, into Arrow shaped as ADBC hands them over.

    Read through the engine's own driver, not ADBC: on SQLite a second SQLite library in the same process
    (ADBC's) breaks the first one's POSIX file locks and WAL view (stale reads, "disk I/O error"), and the
    web server and the `lt` command keep SQLAlchemy connections open. A strategy's rows are few."""
    options = {"isolation_level": "REPEATABLE READ"} if dialect == "postgresql" else {}
    arrow = {}
    with engine.connect().execution_options(**options) as connection:
        for table in tables:
            rows = connection.exec_driver_sql(ledger_read.query_for(table, dialect, None, None)).all()
            arrow[table.view] = pa.table(
                {c.name: pa.array([row[i] for row in rows], type=_arrow_type(c, dialect)) for i, c in enumerate(table.columns)}
            )
        connection.rollback()
    return arrow


def _arrow_type(column: ledger_read.Column, dialect: str) -> pa.DataType:
    if column.kind == "int":
        return pa.int64()
    if column.kind == "timestamp" and dialect == "postgresql":
        return pa.timestamp("us", tz="UTC")
    return pa.string()  # SQLite keeps decimals and times as text; PostgreSQL's decimals are cast to text


def _figures(engine: Engine, strategy: dict) -> tuple[dict, Decimal | None]:
    """Every figure of analytics.figures for this strategy since launch, and the mean submit latency."""
    dialect = ledger_read.dialect_of(engine.url.render_as_string(hide_password=False))
    tables = _read(engine, dialect, _strategy_tables(strategy))
    duck = duckdb.connect()
    try:
        ledger_read.stage(duck, tables, dialect)
        build_facts(duck)
        result = duck.execute(group_sql(("strategy_id",)))
        names = [d[0] for d in result.description]
        found = result.fetchone()
        sums = duck.execute(
            "SELECT sum(placed_intended_shares), sum(placed_filled_shares), "
            "sum(submit_latency_ms), count(submit_latency_ms) FROM signal_facts"
        ).fetchone()
    finally:
        duck.close()
    figures = dict(zip(names, found)) if found else {}
    figures["placed_intended_shares"], figures["placed_filled_shares"] = sums[0], sums[1]
    average = None if not sums[3] else quantize_ratio(Decimal(int(sums[2])) / Decimal(sums[3]))
    return figures, plain(average)


def _share_sums(figures: dict) -> dict[str, Decimal]:
    return {name: plain(figures.get(name)) or ZERO for name in ("placed_intended_shares", "placed_filled_shares")}


def _rates(counts: dict[str, int], sums: dict[str, Decimal]) -> dict[str, Decimal | None]:
    """figures.RATES and figures.RATIOS, numerator over denominator as they define them, but exact."""
    values: dict[str, Decimal] = {**{k: Decimal(v) for k, v in counts.items()}, **sums}

    def term(expression: str) -> Decimal:
        return sum((values[name.strip()] for name in expression.split("+")), ZERO)

    out: dict[str, Decimal | None] = {}
    for name, numerator, denominator in (*RATES, *RATIOS):
        below = term(denominator)
        out[name] = None if not below else plain(quantize_ratio(term(numerator) / below))
    return out


def _ms(value: float | None) -> Decimal | None:
    # Nearest-rank percentiles are observed whole milliseconds; DuckDB hands them back as DOUBLE.
    return None if value is None else Decimal(int(value))


def _average_slippage(connection: Connection, strategy: dict) -> tuple[Decimal | None, Decimal | None]:
    """Share-weighted slippage versus the signal over the strategy's filled signals since launch."""
    if strategy["launched_at"] is None:
        return None, None
    rows = connection.execute(
        select(lt_orders.c.side, lt_orders.c.signal_price, lt_orders.c.executed_price, lt_orders.c.executed_shares)
        .join(ft_orders, ft_orders.c.order_id == lt_orders.c.ft_order_id)
        .where(
            lt_orders.c.strategy_id == strategy["strategy_id"],
            lt_orders.c.status != "SKIPPED",
            ft_orders.c.order_time >= strategy["launched_at"],
        )
    )
    cost = shares = notional = ZERO
    for side, signal_price, executed_price, executed_shares in rows:
        if not executed_shares or executed_price is None:
            continue
        sign = -1 if side == "SELL" else 1
        cost += sign * executed_shares * (executed_price - signal_price)
        shares += executed_shares
        notional += executed_shares * signal_price
    if not shares:
        return None, None
    fraction = quantize_ratio(cost / notional) if notional else None
    return plain(quantize_ratio(cost * HUNDRED / shares)), plain(fraction)


def _computed_at(duckdb_path: Path | str | None, strategy_id: str) -> datetime | None:
    """When the analytics file last wrote this strategy's rows; None if there is no file or it is busy."""
    if duckdb_path is None or not Path(duckdb_path).exists():
        return None
    try:
        with store.reader(duckdb_path, timeout=STORE_WAIT_SECONDS) as duck:
            found = duck.execute(
                "SELECT max(computed_at) FROM strategy_quality_daily WHERE strategy_id = ?", [strategy_id]
            ).fetchone()[0]
    except (store.StoreBusy, duckdb.Error):
        return None
    return None if found is None else found.replace(tzinfo=timezone.utc)  # stored as naive UTC
