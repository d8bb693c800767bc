"""Fills and settlement of live orders: our trades read back from the venue become `fills` rows whose
status follows the chain (MATCHED -> MINED -> CONFIRMED, or RETRYING -> FAILED, which reverses the
fill); every LT order they touch gets its executed size, VWAP, fees, fill rate, slippage and latency
recomputed from the fills that count, and its state moved the way the venue proves; GTC orders past
their time-to-live, and orders in markets that closed, are cancelled.

Everything an LT order reports about its execution is derived from its fills, so re-reading the same
trades changes nothing, and a failed trade simply stops counting.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, and_, exists, insert, or_, select, update

from lt_pipeline.clock import Clock
from lt_pipeline.execution.controls import cancel_orders
from lt_pipeline.execution.credentials import CredentialsError
from lt_pipeline.execution.lifecycle import (
    FillStatus,
    IllegalTransition,
    OrderEvent,
    OrderState,
    fill_counts,
    fill_transition,
    transition,
)
from lt_pipeline.execution.venue_orders import (
    MARKET_ORDER_TYPES,
    OrderRecords,
    OurFill,
    Resting,
    VenueOrder,
    fills_of,
    our_order_ids,
    read_trades,
)
from lt_pipeline.ledger.schema import (
    fills,
    lt_execution_quality,
    lt_orders,
    lt_strategies,
    markets,
    orders,
    signal_decisions,
)
from lt_pipeline.ledger.writes import insert_missing, read_cursor, upsert, write_cursor
from lt_pipeline.money import ZERO
from lt_pipeline.quality.measures import exact, fill_rate, slippage_cents, slippage_pct, vwap
from lt_pipeline.venues.polymarket.models import VenueError
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

SAFETY_WINDOW = timedelta(minutes=10)  # trades are re-read this far behind the cursor to see status changes
# Accepted orders that may still fill; their venue record is read on every refresh.
ACTIVE_STATES = (OrderState.SUBMITTED.name, OrderState.LIVE.name, OrderState.PARTIALLY_FILLED.name)
RESTING_STATES = (OrderState.LIVE.name, OrderState.PARTIALLY_FILLED.name)
PROVISIONAL_FILLS = (FillStatus.MATCHED.value, FillStatus.MINED.value, FillStatus.RETRYING.value)
CHUNK = 500  # ids per IN (...) list, well inside every engine's limit

TraderForUser = Callable[[str], ClobTrader]


def fills_cursor(user_id: str) -> str:
    return f"lt_fills.trades.{user_id}"


@dataclass
class FillsReport:
    users: int = 0
    trades_read: int = 0
    fills_new: int = 0
    fills_changed: int = 0  # status moves of fills already in the ledger
    fills_reversed: int = 0  # fills that FAILED and stopped counting
    lt_orders_updated: int = 0
    orders_refreshed: int = 0  # `orders` rows brought up to the venue's record
    filled: int = 0  # LT orders that reached FILLED in this refresh
    cancelled_by_venue: int = 0
    cancelled_ttl: int = 0
    cancelled_market_closed: int = 0
    awaiting_reconciliation: int = 0  # fills of ours whose order the ledger does not hold yet
    failed_users: dict[str, str] = field(default_factory=dict)
    bad_records: list[str] = field(default_factory=list)
    cancel_failures: list[str] = field(default_factory=list)


# --- the refresh ---------------------------------------------------------------------------------------


def refresh_fills(
    engine: Engine, trader_for_user: TraderForUser, clock: Clock, *, safety_window: timedelta = SAFETY_WINDOW
) -> FillsReport:
    """Bring fills, orders and LT order metrics up to the venue for every user with open or recently
    active orders, then cancel expired GTC orders and orders in closed markets. A user whose trader or
    venue calls fail is reported in `failed_users`; the other users are still refreshed."""
    report = FillsReport()
    with engine.connect() as connection:
        users = users_to_refresh(connection, clock.now(), safety_window)
    for user_id in users:
        report.users += 1
        try:
            trader = trader_for_user(user_id)
            _refresh_user(engine, trader, user_id, clock, safety_window, report)
            _cancel_stale(engine, trader, user_id, clock.now(), report)
        except Exception as error:  # one user's venue or credential failure never stops the others
            report.failed_users[user_id] = failure_text(error)
            log.warning("fills refresh of user %s failed: %s", user_id, report.failed_users[user_id])
    return report


def _refresh_user(
    engine: Engine, trader: ClobTrader, user_id: str, clock: Clock, window: timedelta, report: FillsReport
) -> None:
    with engine.connect() as connection:
        placed = placed_orders(connection, user_id)
        since = trades_since(connection, user_id, fills_cursor(user_id), window)
    # The venue's order records are read before its trades, so every match an order record counts is
    # also among the trades read after it: a DONE order is never taken for cancelled for want of a fill.
    records = OrderRecords(trader, report.bad_records)
    active = [oid for oid, p in placed.items() if p.status in ACTIVE_STATES]
    if active:
        records.read_open()
        records.read(active)
    # A GTC filled on entry is off the book, but its `orders` row still shows nothing matched.
    records.read(oid for oid, p in placed.items() if p.awaiting_fills and p.order_type == "GTC")
    trades = read_trades(trader, since, report.bad_records)
    report.trades_read += len(trades)
    ours = [fill for trade in trades for fill in fills_of(trade, placed)]
    # A filled GTC whose trade failed was not read above; where it now stands decides what it becomes.
    records.read(
        fill.order_id for fill in ours
        if fill.status == FillStatus.FAILED and placed[fill.order_id].status == OrderState.FILLED.name
        and placed[fill.order_id].order_type == "GTC"
    )
    seen = {oid: records.get(oid) for oid in records.records if oid in placed}
    report.awaiting_reconciliation += len(
        {(t.trade_id, oid) for t in trades for oid in our_order_ids(t, trader.funder) if oid not in placed}
    )
    now = clock.now()
    with engine.begin() as connection:
        changes = record_fills(connection, ours, {oid: p.lt_order_id for oid, p in placed.items()}, now)
        report.fills_new += changes.new
        report.fills_changed += changes.changed
        report.fills_reversed += changes.reversed
        report.orders_refreshed += refresh_order_rows(connection, seen, now)
        touched = changes.lt_order_ids | {placed[oid].lt_order_id for oid in seen}
        touched |= {p.lt_order_id for p in placed.values() if p.awaiting_fills}
        resting = {p.lt_order_id: records.resting(oid, p.order_type) for oid, p in placed.items() if p.lt_order_id in touched}
        outcome = update_lt_orders(connection, touched, resting, now)
        report.lt_orders_updated += outcome.updated
        report.filled += outcome.filled
        report.cancelled_by_venue += outcome.cancelled
        if trades:
            latest = max(t.match_time for t in trades)
            write_cursor(connection, fills_cursor(user_id), latest.isoformat(), now)


# --- which users, which orders, since when ----------------------------------------------------------


def users_to_refresh(connection: Connection, now: datetime, window: timedelta) -> list[str]:
    """Users with an accepted order that may still fill, a fill not yet final, a fill-less FILLED
    order (filled on entry, its trades not read yet), or an order that changed within the window."""
    provisional = exists().where(
        and_(fills.c.lt_order_id == lt_orders.c.lt_order_id, fills.c.status.in_(PROVISIONAL_FILLS))
    )
    query = (
        select(lt_orders.c.user_id)
        .join(orders, orders.c.lt_order_id == lt_orders.c.lt_order_id)
        .where(
            or_(
                lt_orders.c.status.in_(ACTIVE_STATES),
                _awaiting_fills(),
                lt_orders.c.updated_at >= now - window,
                provisional,
            )
        )
        .distinct()
        .order_by(lt_orders.c.user_id)
    )
    return list(connection.execute(query).scalars())


def _awaiting_fills():
    return and_(lt_orders.c.status == OrderState.FILLED.name, lt_orders.c.executed_shares == ZERO)


@dataclass(frozen=True)
class PlacedOrder:
    """One of a user's venue orders as the ledger holds it (an `orders` row and its LT order)."""

    order_id: str
    lt_order_id: str
    order_type: str
    status: str  # the LT order's state (OrderState name)
    submitted_at: datetime | None
    awaiting_fills: bool  # FILLED on entry, its fills not read back yet


def placed_orders(connection: Connection, user_id: str) -> dict[str, PlacedOrder]:
    rows = connection.execute(
        select(
            orders.c.order_id,
            orders.c.lt_order_id,
            orders.c.order_type,
            lt_orders.c.status,
            lt_orders.c.submitted_at,
            lt_orders.c.executed_shares,
        )
        .join(lt_orders, lt_orders.c.lt_order_id == orders.c.lt_order_id)
        .where(lt_orders.c.user_id == user_id)
    )
    return {
        row.order_id: PlacedOrder(
            row.order_id, row.lt_order_id, row.order_type, row.status, row.submitted_at,
            row.status == OrderState.FILLED.name and row.executed_shares == ZERO,
        )
        for row in rows
    }


def trades_since(connection: Connection, user_id: str, cursor_name: str, window: timedelta) -> datetime | None:
    """Where to start reading a user's trades: the window behind the cursor, and further back for any
    order that may still fill or whose fills are not final (the venue filters trades by match time, so
    a status change is seen only if its trade is read again). None reads everything."""
    starts: list[datetime] = []
    cursor = read_cursor(connection, cursor_name)
    if cursor:
        starts.append(datetime.fromisoformat(cursor))
    pending_orders = connection.execute(
        select(lt_orders.c.submitted_at, lt_orders.c.updated_at)
        .join(orders, orders.c.lt_order_id == lt_orders.c.lt_order_id)
        .where(lt_orders.c.user_id == user_id)
        .where(or_(lt_orders.c.status.in_(ACTIVE_STATES), _awaiting_fills()))
    )
    starts += [row.submitted_at or row.updated_at for row in pending_orders]
    oldest_provisional = connection.execute(
        select(fills.c.matched_at)
        .join(lt_orders, lt_orders.c.lt_order_id == fills.c.lt_order_id)
        .where(lt_orders.c.user_id == user_id, fills.c.status.in_(PROVISIONAL_FILLS))
        .order_by(fills.c.matched_at)
        .limit(1)
    ).scalar()
    if oldest_provisional is not None:
        starts.append(oldest_provisional)
    if not cursor and not starts:
        first = connection.execute(
            select(lt_orders.c.submitted_at).where(lt_orders.c.user_id == user_id, lt_orders.c.submitted_at.is_not(None))
            .order_by(lt_orders.c.submitted_at).limit(1)
        ).scalar()
        starts += [first] if first is not None else []
    return min(starts) - window if starts else None


# --- writing fills ------------------------------------------------------------------------------------------


@dataclass
class FillChanges:
    new: int = 0
    changed: int = 0
    reversed: int = 0
    stale: int = 0  # the venue reported an older status than the ledger's; the ledger's stays
    lt_order_ids: set[str] = field(default_factory=set)
    new_fill_ids: list[str] = field(default_factory=list)


def record_fills(connection: Connection, ours: Iterable[OurFill], lt_order_of: Mapping[str, str], now: datetime) -> FillChanges:
    """Insert new fills and move known ones along the status chain; dedupe by (trade_id, order_id).
    `lt_order_of` maps each of our order hashes to its LT order."""
    latest: dict[str, OurFill] = {}
    for fill in ours:
        latest[fill.fill_id] = fill
    changes = FillChanges()
    known = _fill_statuses(connection, list(latest))
    new_rows = []
    for fill_id, fill in latest.items():
        lt_order_id = lt_order_of[fill.order_id]
        current = known.get(fill_id)
        if current is None:
            new_rows.append(_fill_row(fill, lt_order_id, now))
            continue
        try:
            status = fill_transition(current, fill.status)
        except IllegalTransition:
            changes.stale += 1
            continue
        if status == current:
            continue
        connection.execute(
            update(fills)
            .where(fills.c.fill_id == fill_id)
            .values(status=status.value, transaction_hash=fill.transaction_hash, status_changed_at=now)
        )
        changes.changed += 1
        changes.lt_order_ids.add(lt_order_id)
        if fill_counts(current) and not fill_counts(status):
            changes.reversed += 1
            _log_reversal(connection, lt_order_id, fill, now)
    changes.new = insert_missing(connection, fills, new_rows, ["fill_id"])
    changes.new_fill_ids = [row["fill_id"] for row in new_rows]
    changes.lt_order_ids |= {row["lt_order_id"] for row in new_rows}
    return changes


def _fill_statuses(connection: Connection, fill_ids: list[str]) -> dict[str, FillStatus]:
    statuses = {}
    for start in range(0, len(fill_ids), CHUNK):
        rows = connection.execute(
            select(fills.c.fill_id, fills.c.status).where(fills.c.fill_id.in_(fill_ids[start : start + CHUNK]))
        )
        statuses.update({row.fill_id: FillStatus(row.status) for row in rows})
    return statuses


def _fill_row(fill: OurFill, lt_order_id: str, now: datetime) -> dict:
    return {
        "fill_id": fill.fill_id,
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "lt_order_id": lt_order_id,
        "token_id": fill.token_id,
        "side": fill.side,
        "price": fill.price,
        "size": fill.size,
        "fee_rate_bps": fill.fee_rate_bps,
        "fee_usd": fill.fee_usd,
        "trader_side": fill.trader_side,
        "status": fill.status.value,
        "transaction_hash": fill.transaction_hash,
        "matched_at": fill.matched_at,
        "status_changed_at": now,
        "created_at": now,
    }


def refresh_order_rows(connection: Connection, records: Mapping[str, VenueOrder | None], now: datetime) -> int:
    """Copy the venue's status and matched size onto our `orders` rows (orders with a record only: a
    FOK/FAK's matched size is its fills', set by `update_lt_orders`). `records` maps hash -> record."""
    refreshed = 0
    for order_id, record in records.items():
        if record is None:
            continue
        connection.execute(
            update(orders)
            .where(orders.c.order_id == order_id)
            .values(size_matched=record.size_matched, status=record.status, last_seen_at=now, updated_at=now)
        )
        refreshed += 1
    return refreshed


# --- deriving an LT order from its fills -------------------------------------------------------------------


@dataclass(frozen=True)
class FillMetrics:
    """An order's execution as its counting fills say: q, P_x, Σ q·p, fees, first and last fill."""

    executed_shares: Decimal
    executed_usd: Decimal
    executed_price: Decimal | None
    fees_usd: Decimal
    first_fill_at: datetime | None
    last_fill_at: datetime | None


def fill_metrics(counted: Iterable[tuple[Decimal, Decimal, Decimal, datetime]]) -> FillMetrics:
    """Metrics of (price, size, fee_usd, matched_at) fills that count (not FAILED); exact sums."""
    counted = list(counted)
    with exact():
        shares = sum((size for _, size, _, _ in counted), ZERO)
        usd = sum((price * size for price, size, _, _ in counted), ZERO)
        fees_usd = sum((fee for _, _, fee, _ in counted), ZERO)
    times = [at for _, _, _, at in counted]
    return FillMetrics(
        executed_shares=shares,
        executed_usd=usd,
        executed_price=vwap((price, size) for price, size, _, _ in counted) if shares > ZERO else None,
        fees_usd=fees_usd,
        first_fill_at=min(times) if times else None,
        last_fill_at=max(times) if times else None,
    )


_EVENT_TO = {
    OrderState.LIVE: OrderEvent.REST,
    OrderState.PARTIALLY_FILLED: OrderEvent.PARTIAL_FILL,
    OrderState.FILLED: OrderEvent.FILL,
    OrderState.CANCELLED: OrderEvent.CANCEL,
    OrderState.REJECTED: OrderEvent.REJECT,
}
# States whose fills may still change what the order reports but no longer its state.
_STATE_KEPT = frozenset({OrderState.CANCELLED, OrderState.REJECTED, OrderState.NEVER_ARRIVED, OrderState.SKIPPED})


def venue_state(executed: Decimal, order_size: Decimal, resting: Resting | None, current: OrderState) -> OrderState:
    """The state the venue proves, from the shares that count and where the order stands there."""
    full = executed >= order_size > ZERO
    if resting == Resting.INVALID:
        return OrderState.REJECTED
    if full:
        return OrderState.FILLED
    if resting == Resting.OPEN:
        return OrderState.PARTIALLY_FILLED if executed > ZERO else OrderState.LIVE
    if resting in (Resting.DONE, Resting.CANCELLED):
        # Off the book with shares missing: a FAK's killed rest, a cancel, or a match that failed.
        return OrderState.CANCELLED
    # Where the order stands is unknown: only what the fills alone prove.
    if executed > ZERO and current in (OrderState.SUBMITTED, OrderState.UNKNOWN, OrderState.LIVE):
        return OrderState.PARTIALLY_FILLED
    return current


def next_state(current: OrderState, executed: Decimal, order_size: Decimal, resting: Resting | None) -> OrderState:
    """The LT order's state after its fills changed or the venue's record was read.

    Forward moves go through the lifecycle's table. The one move it has no event for is a reversal: a
    FILLED (or partly filled) order whose trade FAILED is set to what still counts, because a failed
    trade is the venue's own word that those shares never changed hands. Cancelled, rejected and
    never-arrived orders keep their state; their fills still update what they report.
    """
    current = OrderState(current)
    if current in _STATE_KEPT:
        return current
    target = venue_state(executed, order_size, resting, current)
    if target == current:
        return current
    try:
        return transition(current, _EVENT_TO[target])
    except IllegalTransition:
        if current in (OrderState.FILLED, OrderState.PARTIALLY_FILLED) and target in _EVENT_TO:
            return target
        return current


@dataclass
class LtOrderUpdates:
    updated: int = 0
    filled: int = 0
    cancelled: int = 0


def update_lt_orders(
    connection: Connection, lt_order_ids: Iterable[str], resting: Mapping[str, Resting | None], now: datetime
) -> LtOrderUpdates:
    """Recompute each LT order's execution from its counting fills, its state from them and `resting`
    (lt_order_id -> where its venue order stands, None or absent when unknown), its `orders` row's
    matched size when the venue keeps no record of it, and its execution-quality row."""
    result = LtOrderUpdates()
    ids = sorted(set(lt_order_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        counted = _counted_fills(connection, chunk)
        rows = connection.execute(
            select(lt_orders, orders.c.original_size, orders.c.order_type.label("venue_order_type"))
            .join(orders, orders.c.lt_order_id == lt_orders.c.lt_order_id)
            .where(lt_orders.c.lt_order_id.in_(chunk))
        ).mappings()
        for row in rows:
            _update_one(connection, row, fill_metrics(counted.get(row["lt_order_id"], [])),
                        resting.get(row["lt_order_id"]), now, result)
    return result


# The exact figures that change only when the counting fills do (ratios derived from them are left out:
# PostgreSQL keeps 18 decimal places of a repeating quotient, so they never compare equal).
_FROM_FILLS = ("executed_shares", "executed_usd", "fees_usd", "first_fill_at", "fully_filled_at")


def _counted_fills(connection: Connection, lt_order_ids: list[str]) -> dict[str, list]:
    rows = connection.execute(
        select(fills.c.lt_order_id, fills.c.price, fills.c.size, fills.c.fee_usd, fills.c.matched_at)
        .where(fills.c.lt_order_id.in_(lt_order_ids), fills.c.status != FillStatus.FAILED.value)
    )
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.lt_order_id].append((row.price, row.size, row.fee_usd, row.matched_at))
    return grouped


def _update_one(connection: Connection, row, metrics: FillMetrics, resting: Resting | None, now: datetime,
                result: LtOrderUpdates) -> None:
    current = OrderState[row["status"]]
    order_size = row["original_size"]
    state = next_state(current, metrics.executed_shares, order_size, resting)
    values = _execution_values(row, metrics, order_size)
    if state == current and all(values[name] == row[name] for name in _FROM_FILLS):
        return  # nothing new: re-reading the same trades writes nothing
    values.update(status=state.name, updated_at=now)
    if state == OrderState.CANCELLED and current != OrderState.CANCELLED:
        values["cancelled_at"] = now
    # Conditional on the state read: a cancel or another refresh that moved it meanwhile wins, and the
    # next refresh recomputes from there.
    moved = connection.execute(
        update(lt_orders)
        .where(lt_orders.c.lt_order_id == row["lt_order_id"], lt_orders.c.status == row["status"])
        .values(**values)
    )
    if moved.rowcount != 1:
        return
    result.updated += 1
    if row["venue_order_type"] in MARKET_ORDER_TYPES:
        # A FOK/FAK has no venue record to copy: its matched size is what its trades say.
        connection.execute(
            update(orders).where(orders.c.order_id == row["order_id"]).values(size_matched=metrics.executed_shares, updated_at=now)
        )
    _update_quality(connection, row, values, now)
    if state != current:
        _log_state_change(connection, row, current, state, metrics, order_size, resting, now, result)


def _execution_values(row, metrics: FillMetrics, order_size: Decimal) -> dict:
    executed, price = metrics.executed_shares, metrics.executed_price
    intended = row["intended_shares"]
    submitted_at = row["submitted_at"]
    latency = None
    if metrics.first_fill_at is not None and submitted_at is not None:
        latency = max(0, int((metrics.first_fill_at - submitted_at).total_seconds() * 1000))
    return {
        "executed_shares": executed,
        "executed_price": price,
        "executed_usd": metrics.executed_usd,
        "fees_usd": metrics.fees_usd,
        "fill_rate": fill_rate(executed, intended) if intended else None,
        "slippage_pct": slippage_pct(price, row["signal_price"]) if price is not None and row["signal_price"] else None,
        "first_fill_at": metrics.first_fill_at,
        "fully_filled_at": metrics.last_fill_at if executed >= order_size > ZERO else None,
        "fill_latency_ms": latency,
    }


def _update_quality(connection: Connection, row, values: dict, now: datetime) -> None:
    price = values["executed_price"]
    upsert(
        connection,
        lt_execution_quality,
        [
            {
                "lt_order_id": row["lt_order_id"],
                "strategy_id": row["strategy_id"],
                "signal_price": row["signal_price"],
                "executed_price": price,
                "slippage_pct": values["slippage_pct"],
                "slippage_cents": slippage_cents(row["side"], price, row["signal_price"]) if price is not None else None,
                "fill_rate": values["fill_rate"],
                "fill_latency_ms": values["fill_latency_ms"],
                "created_at": now,
                "updated_at": now,
            }
        ],
        ["lt_order_id"],
        ["executed_price", "slippage_pct", "slippage_cents", "fill_rate", "fill_latency_ms", "updated_at"],
    )


# --- the decision log -----------------------------------------------------------------------------------------


def log_decision(connection: Connection, row, decision: str, reason: str, detail: dict, now: datetime) -> None:
    """Append one signal_decisions row for an LT order (`row` has its ids)."""
    connection.execute(
        insert(signal_decisions).values(
            strategy_id=row["strategy_id"],
            ft_order_id=row["ft_order_id"],
            lt_order_id=row["lt_order_id"],
            source_trade_id=row["source_trade_id"],
            decision=decision,
            reason=reason,
            detail_json=json.dumps(detail, default=str, sort_keys=True),
            decided_at=now,
        )
    )


def _log_state_change(connection: Connection, row, current: OrderState, state: OrderState, metrics: FillMetrics,
                      order_size: Decimal, resting: Resting | None, now: datetime, result: LtOrderUpdates) -> None:
    detail = {"order_id": row["order_id"], "from": current.name, "to": state.name,
              "executed_shares": metrics.executed_shares, "order_shares": order_size}
    executed = f"{metrics.executed_shares:f} of {order_size:f} shares"
    if state == OrderState.FILLED:
        result.filled += 1
        log_decision(connection, row, "FILLED",
                     f"filled: {executed} at {metrics.executed_price} average (${metrics.executed_usd:f})", detail, now)
    elif state == OrderState.CANCELLED:
        result.cancelled += 1
        why = "the venue killed the unfilled rest" if resting == Resting.DONE else "cancelled at the venue"
        log_decision(connection, row, "CANCELLED", f"{why}: {executed} filled", detail, now)
    elif state == OrderState.REJECTED:
        log_decision(connection, row, "REJECTED", "the venue marked the order invalid", detail, now)


def _log_reversal(connection: Connection, lt_order_id: str, fill: OurFill, now: datetime) -> None:
    row = connection.execute(
        select(lt_orders.c.lt_order_id, lt_orders.c.strategy_id, lt_orders.c.ft_order_id, lt_orders.c.source_trade_id)
        .where(lt_orders.c.lt_order_id == lt_order_id)
    ).mappings().one()
    log_decision(
        connection, row, "RECONCILED",
        f"trade {fill.trade_id} failed at the venue: its {fill.size:f} shares at {fill.price} no longer count",
        {"trade_id": fill.trade_id, "order_id": fill.order_id, "size": fill.size, "price": fill.price}, now,
    )


# --- time-to-live and closed markets --------------------------------------------------------------------------


def _cancel_stale(engine: Engine, trader: ClobTrader, user_id: str, now: datetime, report: FillsReport) -> None:
    """Cancel the user's resting GTC orders past their strategy's time-to-live (from submitted_at), and
    any resting order whose market closed. Cancelled orders keep their fills."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                lt_orders.c.lt_order_id, lt_orders.c.order_id, lt_orders.c.strategy_id, lt_orders.c.user_id,
                lt_orders.c.ft_order_id, lt_orders.c.source_trade_id, lt_orders.c.status, lt_orders.c.order_type,
                lt_orders.c.submitted_at, lt_strategies.c.order_ttl_seconds,
                or_(markets.c.closed, ~markets.c.accepting_orders, markets.c.resolution_status.is_not(None)).label("market_closed"),
            )
            .join(lt_strategies, lt_strategies.c.strategy_id == lt_orders.c.strategy_id)
            .outerjoin(markets, markets.c.condition_id == lt_orders.c.condition_id)
            .where(lt_orders.c.user_id == user_id, lt_orders.c.status.in_(RESTING_STATES), lt_orders.c.order_id.is_not(None))
            .order_by(lt_orders.c.lt_order_id)
        ).all()
    closed = [row for row in rows if row.market_closed]
    expired: dict[int, list] = defaultdict(list)
    for row in rows:
        if row.market_closed or row.order_type != "GTC" or row.submitted_at is None:
            continue
        if now >= row.submitted_at + timedelta(seconds=row.order_ttl_seconds):
            expired[row.order_ttl_seconds].append(row)
    if closed:
        report.cancelled_market_closed += _cancel(engine, closed, trader, "market closed", "market_closed", now, report)
    for ttl, group in sorted(expired.items()):
        report.cancelled_ttl += _cancel(engine, group, trader, f"time-to-live of {ttl} s passed", "ttl", now, report)


def _cancel(engine: Engine, rows: list, trader: ClobTrader, why: str, trigger: str, now: datetime,
            report: FillsReport) -> int:
    done = cancel_orders(engine, rows, trader, why=why, trigger=trigger, now=now)
    report.cancel_failures += done.failures
    cancelled = [order.order_id for order in done.cancelled]
    if cancelled:
        with engine.begin() as connection:
            connection.execute(
                update(orders).where(orders.c.order_id.in_(cancelled)).values(status="CANCELED", last_seen_at=now, updated_at=now)
            )
    return len(cancelled)


# --- helpers ----------------------------------------------------------------------------------------------------


def failure_text(error: Exception) -> str:
    """What to say about a user's failed pass. Venue, credential and lookup errors carry messages made
    to be shown (they name a route or an environment variable, never a secret); any other error shows
    only its type, since its text may echo what it was given."""
    if isinstance(error, VenueError):
        return error.message
    if isinstance(error, (CredentialsError, KeyError)):
        return str(error)
    return type(error).__name__
