"""LT orders as a list a person scans: newest signal first, filtered by strategy, state, signal time
and market."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, func, or_, select

from lt_pipeline.clock import ensure_utc
from lt_pipeline.ledger.schema import lt_execution_quality, lt_orders, lt_strategies
from lt_pipeline.model.orders import OrderState
from lt_pipeline.operator.common import JsonMixin, UnknownId, plain

STATUSES = tuple(state.value for state in OrderState)
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class OrderRow(JsonMixin):
    lt_order_id: str
    strategy_id: str
    source_trade_id: str
    signal_at: datetime
    market: str  # the market's title, else its slug, else its condition id
    condition_id: str
    token_label: str | None
    side: str
    order_type: str | None
    status: str
    decision_reason: str | None
    signal_price: Decimal
    executed_price: Decimal | None
    intended_shares: Decimal | None
    executed_shares: Decimal
    fill_rate: Decimal | None
    slippage_cents: Decimal | None
    outcome: str
    pnl: Decimal | None
    ft_pnl: Decimal | None


def list_orders(
    engine: Engine,
    *,
    strategy_id: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    market: str | None = None,
    limit: int = 50,
) -> list[OrderRow]:
    """LT orders whose signal time is in [since, until), newest first, at most `limit`. `market` matches a
    condition id or slug exactly, or any part of the market's title (case-insensitive)."""
    if status is not None and status.upper() not in STATUSES:
        raise ValueError(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: expected a whole number from 1 to {MAX_LIMIT}, got {limit!r}")
    since = ensure_utc(since, "since") if since is not None else None
    until = ensure_utc(until, "until") if until is not None else None
    if since is not None and until is not None and until <= since:
        raise ValueError(f"until: expected a time after since ({since.isoformat()}), got {until.isoformat()}")
    o, q = lt_orders.c, lt_execution_quality.c
    query = (
        select(lt_orders, q.slippage_cents)
        .outerjoin(lt_execution_quality, q.lt_order_id == o.lt_order_id)
        .order_by(o.signal_at.desc(), o.lt_order_id)
        .limit(limit)
    )
    with engine.connect() as connection:
        if strategy_id is not None:
            known = connection.execute(select(lt_strategies.c.strategy_id).where(lt_strategies.c.strategy_id == strategy_id)).first()
            if known is None:
                raise UnknownId("LT strategy", strategy_id, "see `lt strategy list`")
            query = query.where(o.strategy_id == strategy_id)
        if status is not None:
            query = query.where(o.status == status.upper())
        if since is not None:
            query = query.where(o.signal_at >= since)
        if until is not None:
            query = query.where(o.signal_at < until)
        if market:
            query = query.where(or_(o.condition_id == market, o.market_slug == market,
                                    func.lower(o.market_title).contains(market.lower(), autoescape=True)))
        rows = connection.execute(query).mappings().all()
    return [order_row(row) for row in rows]


def order_row(row) -> OrderRow:
    return OrderRow(
        lt_order_id=row["lt_order_id"],
        strategy_id=row["strategy_id"],
        source_trade_id=row["source_trade_id"],
        signal_at=row["signal_at"],
        market=row["market_title"] or row["market_slug"] or row["condition_id"],
        condition_id=row["condition_id"],
        token_label=row["token_label"],
        side=row["side"],
        order_type=row["order_type"],
        status=row["status"],
        decision_reason=row["decision_reason"],
        signal_price=plain(row["signal_price"]),
        executed_price=plain(row["executed_price"]),
        intended_shares=plain(row["intended_shares"]),
        executed_shares=plain(row["executed_shares"]),
        fill_rate=plain(row["fill_rate"]),
        slippage_cents=plain(row["slippage_cents"]),
        outcome=row["outcome"],
        pnl=plain(row["pnl"]),
        ft_pnl=plain(row["ft_pnl"]),
    )
