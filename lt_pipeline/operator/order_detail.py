"""The seed's order detail (§10.3): one LT order's signal, its execution at the venue, the quality of
that execution, its outcome against its paper twin, and its journal of events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select

from lt_pipeline.execution.journal import history
from lt_pipeline.ledger.schema import fills, ft_orders, lt_execution_quality, lt_orders, orders
from lt_pipeline.operator.common import JsonMixin, UnknownId, plain

MIN_PREFIX = 6  # the first characters of an id, as lists show it, name an order when only one matches
QUALITY_SKIPPED = ("id", "lt_order_id", "strategy_id", "score_components_json", "created_at", "updated_at")


@dataclass(frozen=True)
class Signal:
    """The FT order the live order copies (the seed's "Signal (FT)")."""

    ft_order_id: str
    source_trade_id: str
    wallet_id: str
    trader_address: str
    market: str
    condition_id: str
    token_id: str
    token_label: str | None
    side: str
    price: Decimal
    size_usd: Decimal
    shares: Decimal
    traded_at: datetime  # the tracked trader's fill
    at: datetime  # the FT order's time: the signal time


@dataclass(frozen=True)
class Fill:
    trade_id: str
    status: str
    trader_side: str
    price: Decimal
    shares: Decimal
    fee_usd: Decimal
    matched_at: datetime


@dataclass(frozen=True)
class Execution:
    """What live did with the signal (the seed's "Execution (Live)")."""

    status: str
    decision_reason: str | None
    rejection_reason: str | None
    order_type: str | None
    limit_price: Decimal | None
    intended_size_usd: Decimal | None
    intended_shares: Decimal | None
    executed_shares: Decimal
    executed_price: Decimal | None
    executed_size_usd: Decimal
    fees_usd: Decimal
    venue_order_id: str | None  # the signed order's hash
    venue_status: str | None  # the venue's word for it (orders.status)
    venue_size_matched: Decimal | None
    decided_at: datetime | None
    submitted_at: datetime | None
    acked_at: datetime | None
    first_fill_at: datetime | None
    fully_filled_at: datetime | None
    cancelled_at: datetime | None
    execution_latency_ms: int | None
    fill_latency_ms: int | None
    fills: list[Fill] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    outcome: str  # OPEN, WON, LOST, VOID, CLOSED (no position)
    winning_label: str | None
    pnl: Decimal | None
    ft_pnl: Decimal | None
    difference_usd: Decimal | None  # pnl - ft_pnl
    performance_diff_pct: Decimal | None  # (pnl - ft_pnl) / |ft_pnl| x 100, as settlement stored it
    resolved_at: datetime | None
    settled_at: datetime | None


@dataclass(frozen=True)
class FtTwin:
    """The paper order on the same signal, as the paper book holds it."""

    ft_order_id: str
    entry_price: Decimal
    size_usd: Decimal
    shares: Decimal
    outcome: str
    pnl: Decimal | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class JournalLine:
    at: datetime
    event: str
    from_state: str | None
    to_state: str
    reason: str
    detail: dict


@dataclass(frozen=True)
class OrderDetail(JsonMixin):
    lt_order_id: str
    strategy_id: str
    user_id: str
    signal: Signal
    execution: Execution
    quality: dict[str, Any] | None  # the lt_execution_quality row (docs/tca.md §8), score components parsed
    outcome: Outcome
    ft_twin: FtTwin
    journal: list[JournalLine]


def order_detail(engine: Engine, lt_order_id: str) -> OrderDetail:
    """One LT order by its id, its venue order id (hash), or the first characters of its id."""
    with engine.connect() as connection:
        row = _find(connection, lt_order_id)
        ft = connection.execute(select(ft_orders).where(ft_orders.c.order_id == row["ft_order_id"])).mappings().one()
        venue = None
        if row["order_id"]:
            venue = connection.execute(select(orders).where(orders.c.lt_order_id == row["lt_order_id"])).mappings().first()
        fill_rows = connection.execute(
            select(fills).where(fills.c.lt_order_id == row["lt_order_id"]).order_by(fills.c.matched_at, fills.c.trade_id)
        ).mappings().all()
        quality = connection.execute(
            select(lt_execution_quality).where(lt_execution_quality.c.lt_order_id == row["lt_order_id"])
        ).mappings().first()
        events = history(connection, row["lt_order_id"])
    return OrderDetail(
        lt_order_id=row["lt_order_id"],
        strategy_id=row["strategy_id"],
        user_id=row["user_id"],
        signal=_signal(row, ft),
        execution=_execution(row, venue, fill_rows),
        quality=_quality(quality),
        outcome=_outcome(row),
        ft_twin=FtTwin(ft["order_id"], plain(ft["entry_price"]), plain(ft["size"]), plain(ft["shares"]), ft["outcome"],
                       plain(ft["pnl"]), ft["resolved_at"]),
        journal=[JournalLine(e.at, e.event.value, e.from_state.value if e.from_state else None, e.to_state.value,
                             e.reason, e.detail) for e in events],
    )


def _find(connection: Connection, wanted: str):
    o = lt_orders.c
    wanted = str(wanted).strip()
    for condition in (o.lt_order_id == wanted, o.order_id == wanted):
        row = connection.execute(select(lt_orders).where(condition)).mappings().first()
        if row is not None:
            return row
    if len(wanted) >= MIN_PREFIX:
        found = connection.execute(
            select(lt_orders).where(o.lt_order_id.startswith(wanted, autoescape=True)).limit(2)
        ).mappings().all()
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UnknownId("single LT order starting with", wanted, "several match; give more of the id")
    raise UnknownId("LT order", wanted, "see `lt orders list`")


def _signal(row, ft) -> Signal:
    return Signal(
        ft_order_id=ft["order_id"], source_trade_id=ft["source_trade_id"], wallet_id=ft["wallet_id"],
        trader_address=ft["trader_address"], market=row["market_title"] or ft["market_title"] or row["market_slug"] or ft["condition_id"],
        condition_id=ft["condition_id"], token_id=ft["token_id"], token_label=ft["token_label"] or row["token_label"],
        side=ft["side"], price=plain(ft["entry_price"]), size_usd=plain(ft["size"]), shares=plain(ft["shares"]),
        traded_at=ft["source_traded_at"], at=ft["order_time"],
    )


def _execution(row, venue, fill_rows) -> Execution:
    return Execution(
        status=row["status"], decision_reason=row["decision_reason"], rejection_reason=row["rejection_reason"],
        order_type=row["order_type"], limit_price=plain(row["limit_price"]),
        intended_size_usd=plain(row["intended_size_usd"]), intended_shares=plain(row["intended_shares"]),
        executed_shares=plain(row["executed_shares"]), executed_price=plain(row["executed_price"]),
        executed_size_usd=plain(row["executed_size"]), fees_usd=plain(row["fees_usd"]),
        venue_order_id=row["order_id"], venue_status=venue["status"] if venue else None,
        venue_size_matched=plain(venue["size_matched"]) if venue else None,
        decided_at=row["decided_at"], submitted_at=row["submitted_at"], acked_at=row["acked_at"],
        first_fill_at=row["first_fill_at"], fully_filled_at=row["fully_filled_at"], cancelled_at=row["cancelled_at"],
        execution_latency_ms=row["execution_latency_ms"], fill_latency_ms=row["fill_latency_ms"],
        fills=[Fill(f["trade_id"], f["status"], f["trader_side"], plain(f["price"]), plain(f["size"]), plain(f["fee_usd"]),
                    f["matched_at"]) for f in fill_rows],
    )


def _quality(row) -> dict[str, Any] | None:
    if row is None:
        return None
    values = {name: plain(value) if isinstance(value, Decimal) else value
              for name, value in row.items() if name not in QUALITY_SKIPPED}
    values["score_components"] = json.loads(row["score_components_json"]) if row["score_components_json"] else None
    return values


def _outcome(row) -> Outcome:
    pnl, ft_pnl = plain(row["pnl"]), plain(row["ft_pnl"])
    return Outcome(
        outcome=row["outcome"], winning_label=row["winning_label"], pnl=pnl, ft_pnl=ft_pnl,
        difference_usd=None if pnl is None or ft_pnl is None else pnl - ft_pnl,
        performance_diff_pct=plain(row["performance_diff_pct"]), resolved_at=row["resolved_at"], settled_at=row["settled_at"],
    )
