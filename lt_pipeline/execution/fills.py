"""Fills of our orders and what they make of an LT order: our trades become `fills` rows whose status
follows the chain (MATCHED -> MINED -> CONFIRMED, or RETRYING -> FAILED, which reverses the fill); every
LT order they touch gets its executed size, VWAP, fees, fill rates, slippage and latency recomputed
from the fills that count, its `orders` row brought into agreement with them, and its state moved
through the order journal the way the venue proves.

Everything an LT order reports about its execution is derived from its fills, so re-reading the same
trades changes nothing, and a failed trade simply stops counting.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select, update

from lt_pipeline.execution.fees import fee_schedule_of, fill_fee
from lt_pipeline.execution.journal import Journal, OrderRef
from lt_pipeline.execution.quality_record import FILL_COLUMNS, fill_values
from lt_pipeline.ledger.schema import fills, lt_execution_quality, lt_orders, market_tokens, markets, orders
from lt_pipeline.ledger.writes import insert_missing, upsert
from lt_pipeline.model.orders import (
    AT_VENUE,
    IN_FLIGHT_STATES,
    FillStatus,
    IllegalTransition,
    OrderEvent,
    OrderState,
    fill_counts,
    fill_transition,
    next_state,
)  # noqa: I001
from lt_pipeline.model.reports import OurFill, Resting, VenueOrder, VenueTrade
from lt_pipeline.model.trading import MARKET_ORDER_TYPES, FeeSchedule
from lt_pipeline.money import ZERO, quantize_ratio
from lt_pipeline.quality.measures import exact, fill_rate, slippage_cents, slippage_pct, vwap

log = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) list, well inside every engine's limit
VENUE_MATCHED = "MATCHED"  # the venue's order status once its full size matched
VENUE_CANCELED = "CANCELED"
VENUE_OPEN = ("LIVE", "DELAYED", "UNMATCHED")


# --- our fills in a trade ----------------------------------------------------------------------------


def fills_of(trade: VenueTrade, order_ids: Container[str], schedules: Mapping[str, FeeSchedule] | None = None) -> list[OurFill]:
    """The fills in `trade` that belong to the orders in `order_ids` (ours): as taker, as maker, or both
    when we crossed ourselves. Sizes and prices are always our order's own. The fee is the taker's
    only, by the market's schedule (`schedules`: token id -> schedule, from the ledger's markets), or
    by the rate the venue reported when the market's schedule is unknown; a maker fill books none."""
    found = []
    schedules = schedules or {}
    common = dict(trade_id=trade.trade_id, status=trade.status, transaction_hash=trade.transaction_hash,
                  matched_at=trade.match_time)
    if trade.taker_order_id in order_ids:
        found.append(_fill(trade.taker_order_id, trade.token_id, trade.side, trade.price, trade.size,
                           trade.fee_rate_bps, "TAKER", schedules.get(trade.token_id), common))
    for leg in trade.maker_orders:
        if leg.order_id in order_ids:
            found.append(_fill(leg.order_id, leg.token_id, leg.side, leg.price, leg.matched_amount,
                               leg.fee_rate_bps, "MAKER", schedules.get(leg.token_id), common))
    return found


def _fill(order_id, token_id, side, price, size, bps, trader_side, schedule, common) -> OurFill:
    return OurFill(order_id=order_id, token_id=token_id, side=side, price=price, size=size, fee_rate_bps=bps,
                   fee_usd=fill_fee(size, price, trader_side, schedule, bps), trader_side=trader_side, **common)


def fee_schedules(connection: Connection, token_ids: Iterable[str]) -> dict[str, FeeSchedule]:
    """The fee schedule of each known token's market."""
    wanted = sorted(set(token_ids))
    found: dict[str, FeeSchedule] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = connection.execute(
            select(market_tokens.c.token_id, markets.c.fees_enabled, markets.c.fee_rate, markets.c.fee_exponent)
            .join(markets, markets.c.condition_id == market_tokens.c.condition_id)
            .where(market_tokens.c.token_id.in_(wanted[start : start + CHUNK]))
        ).mappings()
        found.update({row["token_id"]: fee_schedule_of(row) for row in rows})
    return found


def our_order_ids(trade: VenueTrade, funder: str) -> set[str]:
    """Which orders in `trade` are the requesting user's, known or not to the ledger: the taker order
    when the venue says we took, and every maker leg made from our funder address."""
    ids = {trade.taker_order_id} if trade.trader_side == "TAKER" else set()
    ids |= {leg.order_id for leg in trade.maker_orders if leg.maker_address == funder.lower()}
    return ids


# --- writing fills ------------------------------------------------------------------------------------------


@dataclass
class FillChanges:
    new: int = 0
    changed: int = 0
    reversed: int = 0
    stale: int = 0  # the venue reported an older status than the ledger's; the ledger's stays
    lt_order_ids: set[str] = field(default_factory=set)
    new_fill_ids: list[str] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)  # lt_order_id -> what failed, in words


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
            changes.failed.setdefault(lt_order_id, []).append(
                f"trade {fill.trade_id} failed at the venue: its {fill.size:f} shares at {fill.price} no longer count"
            )
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
    """Copy the venue's status and matched size onto our `orders` rows (orders with a record only).
    `records` maps hash -> record."""
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
    executed_size: Decimal
    executed_price: Decimal | None
    fees_usd: Decimal
    first_fill_at: datetime | None
    last_fill_at: datetime | None
    fills: int = 0  # how many fills count


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
        executed_size=usd,
        executed_price=vwap((price, size) for price, size, _, _ in counted) if shares > ZERO else None,
        fees_usd=fees_usd,
        first_fill_at=min(times) if times else None,
        last_fill_at=max(times) if times else None,
        fills=len(counted),
    )


def venue_state(executed: Decimal, order_size: Decimal, resting: Resting | None, current: OrderState) -> OrderState:
    """The state the venue proves, from the shares that count and where the order stands there."""
    full = executed >= order_size > ZERO
    if resting == Resting.INVALID:
        return OrderState.REJECTED
    if full:
        return OrderState.FILLED
    if resting == Resting.OPEN:
        return OrderState.PARTIALLY_FILLED if executed > ZERO else OrderState.LIVE
    if resting in (Resting.DONE, Resting.CANCELLED, Resting.FINISHED):
        # Off the book with shares missing: a FAK's killed rest, a cancel, or a match that failed.
        return OrderState.CANCELLED
    # Where the order stands is unknown: only what the fills alone prove.
    if executed > ZERO and current in (OrderState.SUBMITTED, OrderState.UNKNOWN, OrderState.LIVE):
        return OrderState.PARTIALLY_FILLED
    if current in IN_FLIGHT_STATES:
        return OrderState.LIVE  # found at the venue, nothing matched, not known to be off the book
    return current


_KEPT = frozenset({OrderState.CANCELLED, OrderState.REJECTED, OrderState.NEVER_ARRIVED, OrderState.SKIPPED})
_PROGRESS = {OrderState.LIVE: 0, OrderState.PARTIALLY_FILLED: 1, OrderState.FILLED: 2}


def state_change(current: OrderState, target: OrderState, *, failed: bool) -> tuple[OrderEvent, OrderState] | None:
    """The journal event that takes an order from `current` to what the venue proves (`target`), or
    None when its state stays as it is. `failed`: one of its trades failed in this pass.

    An order found at the venue after its answer was lost is RECONCILED into the venue's state.
    Cancelled, rejected and never-arrived orders keep their state (their fills still update what they
    report). Going back (FILLED to PARTIALLY_FILLED ...) happens only when a trade failed."""
    if current in IN_FLIGHT_STATES:
        return (OrderEvent.RECONCILED, target) if target in AT_VENUE | {OrderState.REJECTED} else None
    if current in _KEPT:
        return (OrderEvent.FILL_FAILED, current) if failed and current != OrderState.SKIPPED else None
    if target == current:
        return (OrderEvent.FILL_FAILED, current) if failed and current != OrderState.LIVE else None
    if current == OrderState.FILLED or (target in _PROGRESS and _PROGRESS[target] < _PROGRESS[current]):
        return OrderEvent.FILL_FAILED, target
    return OrderEvent(target.value), target


@dataclass
class LtOrderUpdates:
    updated: int = 0
    filled: int = 0
    cancelled: int = 0
    reconciled: int = 0


def update_lt_orders(
    journal: Journal,
    lt_order_ids: Iterable[str],
    resting: Mapping[str, Resting | None],
    failed: Mapping[str, list[str]] | None = None,
    found: Mapping[str, str] | None = None,
    venue_matched: Mapping[str, Decimal] | None = None,
) -> LtOrderUpdates:
    """Recompute each LT order's execution from its counting fills, its state from them and `resting`
    (lt_order_id -> where its venue order stands, None or absent when unknown), its `orders` row's
    status and matched size so they agree with the fills, and its execution-quality row. `failed` says
    which orders had a trade fail in this pass; `found` why an in-flight order counts as found;
    `venue_matched` what the venue's trades say each order (by hash) matched, for orders whose every
    trade was read this pass (the venue's word on an order it keeps no record of)."""
    result = LtOrderUpdates()
    ids = sorted(set(lt_order_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        counted = _counted_fills(journal.connection, chunk)
        rows = journal.connection.execute(
            select(lt_orders, orders.c.original_size, orders.c.size_matched.label("venue_size_matched"),
                   orders.c.status.label("venue_status"), orders.c.order_type.label("venue_order_type"))
            .join(orders, orders.c.lt_order_id == lt_orders.c.lt_order_id)
            .where(lt_orders.c.lt_order_id.in_(chunk))
        ).mappings().all()
        for row in rows:
            lt_id = row["lt_order_id"]
            _update_one(journal, row, fill_metrics(counted.get(lt_id, [])), resting.get(lt_id),
                        (failed or {}).get(lt_id, []), (found or {}).get(lt_id), result,
                        (venue_matched or {}).get(row["order_id"]))
    return result


# The exact figures that change only when the counting fills do (ratios derived from them are left out:
# PostgreSQL keeps 18 decimal places of a repeating quotient, so they never compare equal).
_FROM_FILLS = ("executed_shares", "executed_size", "fees_usd", "first_fill_at", "fully_filled_at")


def _counted_fills(connection: Connection, lt_order_ids: list[str]) -> dict[str, list]:
    rows = connection.execute(
        select(fills.c.lt_order_id, fills.c.price, fills.c.size, fills.c.fee_usd, fills.c.matched_at)
        .where(fills.c.lt_order_id.in_(lt_order_ids), fills.c.status != FillStatus.FAILED.value)
    )
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.lt_order_id].append((row.price, row.size, row.fee_usd, row.matched_at))
    return grouped


def _update_one(journal: Journal, row, metrics: FillMetrics, resting: Resting | None, failed: list[str],
                found: str | None, result: LtOrderUpdates, venue_matched: Decimal | None = None) -> None:
    now = journal.now
    current = OrderState(row["status"])
    order_size = row["original_size"]
    _agree_order_row(journal.connection, row, metrics.executed_shares, resting, venue_matched, now)
    target = venue_state(metrics.executed_shares, order_size, resting, current)
    change = state_change(current, target, failed=bool(failed))
    values = _execution_values(row, metrics, order_size)
    if change is not None:
        try:
            next_state(current, change[0], change[1], order=f"LT order {row['lt_order_id']}")
        except IllegalTransition as error:
            log.warning("%s; its fills and orders row keep what the venue reported", error)
            change = None
    if change is None and all(values[name] == row[name] for name in _FROM_FILLS):
        return  # nothing new: re-reading the same trades writes nothing
    if change is None:
        # Figures only: conditional on the state read, so a writer that moved it meanwhile wins and the
        # next sync recomputes from there.
        moved = journal.connection.execute(
            update(lt_orders).where(lt_orders.c.lt_order_id == row["lt_order_id"], lt_orders.c.status == row["status"])
            .values(**values, updated_at=now)
        ).rowcount
        if moved != 1:
            return
    else:
        event, to = change
        if to == OrderState.CANCELLED and current != OrderState.CANCELLED:
            values["cancelled_at"] = now
        applied = journal.apply(OrderRef.of(row), event, to=to, values=values, detail=_detail(row, metrics, order_size),
                                reason=_sentence(event, to, metrics, order_size, resting, failed, found))
        if applied is None:
            return
        result.filled += to == OrderState.FILLED and current != OrderState.FILLED
        result.cancelled += to == OrderState.CANCELLED and current != OrderState.CANCELLED
        result.reconciled += event == OrderEvent.RECONCILED
    result.updated += 1
    _update_quality(journal.connection, row, values, now, metrics, change[1] if change is not None else current)


def _agree_order_row(connection: Connection, row, executed: Decimal, resting: Resting | None,
                     venue_matched: Decimal | None, now: datetime) -> None:
    """The `orders` row says what the venue says: an order the venue keeps no record of (a FOK/FAK, or
    one finished, its record empty) matched what the venue's trades for it count, when all of them
    were read; a record read before its last trades is raised to our fills, and called MATCHED once
    full; a finished order short of its size is CANCELED. The ledger check then compares it with the
    fills the ledger holds."""
    matched = row["venue_size_matched"]
    if row["venue_order_type"] in MARKET_ORDER_TYPES or resting == Resting.FINISHED:
        if venue_matched is not None:
            matched = venue_matched  # no record to copy: what its trades say
    elif executed > matched:
        matched = executed
    status = row["venue_status"]
    if matched >= row["original_size"] > ZERO:
        status = VENUE_MATCHED
    elif resting in (Resting.FINISHED, Resting.CANCELLED) and status in VENUE_OPEN + (VENUE_MATCHED,):
        status = VENUE_CANCELED
    if matched != row["venue_size_matched"] or status != row["venue_status"]:
        connection.execute(
            update(orders).where(orders.c.order_id == row["order_id"]).values(size_matched=matched, status=status, updated_at=now)
        )


def _execution_values(row, metrics: FillMetrics, order_size: Decimal) -> dict:
    executed, price = metrics.executed_shares, metrics.executed_price
    intended = row["intended_shares"]
    submitted_at = row["submitted_at"]
    latency = None
    if metrics.first_fill_at is not None and submitted_at is not None:
        latency = max(0, int((metrics.first_fill_at - submitted_at).total_seconds() * 1000))
    signal_usd = row["signal_size_usd"]
    return {
        "executed_shares": executed,
        "executed_price": price,
        "executed_size": metrics.executed_size,
        "fees_usd": metrics.fees_usd,
        "fill_rate": quantize_ratio(fill_rate(executed, intended)) if intended else None,
        "signal_fill_rate": quantize_ratio(metrics.executed_size / signal_usd) if signal_usd else None,
        "slippage_pct": quantize_ratio(slippage_pct(price, row["signal_price"])) if price is not None and row["signal_price"] else None,
        "first_fill_at": metrics.first_fill_at,
        "fully_filled_at": metrics.last_fill_at if executed >= order_size > ZERO else None,
        "fill_latency_ms": latency,
    }


def _update_quality(connection: Connection, row, values: dict, now: datetime, metrics: FillMetrics,
                    state: OrderState) -> None:
    price = values["executed_price"]
    seed = fill_values(connection, row, values, metrics.fills, metrics.last_fill_at, state)
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
                **seed,
                "created_at": now,
                "updated_at": now,
            }
        ],
        ["lt_order_id"],
        ["executed_price", "slippage_pct", "slippage_cents", "fill_rate", "fill_latency_ms", *FILL_COLUMNS, "updated_at"],
    )


def _detail(row, metrics: FillMetrics, order_size: Decimal) -> dict:
    return {"order_id": row["order_id"], "executed_shares": metrics.executed_shares, "order_shares": order_size}


def _sentence(event: OrderEvent, to: OrderState, metrics: FillMetrics, order_size: Decimal, resting: Resting | None,
              failed: list[str], found: str | None) -> str:
    executed = f"{metrics.executed_shares:f} of {order_size:f} shares"
    if event == OrderEvent.RECONCILED:
        return f"{found or 'found at the venue by its hash'}: now {to.value}, {executed} filled"
    if event == OrderEvent.FILL_FAILED:
        return "; ".join(failed) + f"; now {to.value}, {executed} filled" if failed else f"now {to.value}: {executed} filled"
    if to == OrderState.FILLED:
        return f"filled: {executed} at {metrics.executed_price} average (${metrics.executed_size:f})"
    if to == OrderState.CANCELLED:
        why = {Resting.DONE: "the venue killed the unfilled rest",
               Resting.FINISHED: "off the book (the venue keeps no record of it)"}.get(resting, "cancelled at the venue")
        return f"{why}: {executed} filled"
    if to == OrderState.REJECTED:
        return "the venue marked the order invalid"
    return f"{to.value.lower().replace('_', ' ')}: {executed} filled"


def orders_disagreeing(connection: Connection, order_ids: Iterable[str] | None = None) -> list[tuple[str, str, Decimal, Decimal]]:
    """(order_id, lt_order_id, orders.size_matched, Σ counting fills) of every `orders` row whose
    matched size is not what its fills say; `order_ids` narrows the look. The one rule behind the
    venue sync's report and the ledger check."""
    query = select(orders.c.order_id, orders.c.lt_order_id, orders.c.size_matched)
    if order_ids is not None:
        query = query.where(orders.c.order_id.in_(sorted(set(order_ids))))
    rows = connection.execute(query).all()
    if not rows:
        return []
    totals = counted_shares(connection, [row.order_id for row in rows])
    return [(row.order_id, row.lt_order_id, row.size_matched, totals[row.order_id])
            for row in rows if row.size_matched != totals[row.order_id]]


def counted_shares(connection: Connection, order_ids: Iterable[str]) -> dict[str, Decimal]:
    """Venue order hash -> the shares of its fills that count (not FAILED) in the ledger (0 if none)."""
    order_ids = sorted(set(order_ids))
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for start in range(0, len(order_ids), CHUNK):
        chunk = order_ids[start : start + CHUNK]
        for fill in connection.execute(
            select(fills.c.order_id, fills.c.size).where(fills.c.order_id.in_(chunk), fills.c.status != FillStatus.FAILED.value)
        ):
            totals[fill.order_id] += fill.size  # summed in Python: SQLite keeps these decimals as text
    return totals
