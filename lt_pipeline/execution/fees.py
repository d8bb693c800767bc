"""Taker fees as the venue charges them, and the venue's floor for a marketable order, for the
executor's sizing and the fills' bookkeeping: one rule in one place.

fee = shares x rate x (p x (1 - p)) ^ exponent at the trade price, paid by the taker only, in
collateral: a BUY pays it on top of its amount, a SELL receives its proceeds less it. The schedule
comes from the market (Gamma's feeSchedule / the CLOB's fee fields, stored in `markets`); a resting
order that fills as a maker pays nothing, but a BUY reserves its fee at its limit price in case it
takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lt_pipeline.model.plan import OrderPlan
from lt_pipeline.model.trading import FeeSchedule
from lt_pipeline.quality.measures import taker_fee
from lt_pipeline.venues.polymarket.models import BookSnapshot

VENUE_MIN_MARKETABLE_USD = Decimal(1)  # the venue refuses a marketable order under $1
FEE_UNIT = Decimal("0.000001")  # fees are charged in collateral, whose unit is 1e-6


def fee_schedule_of(market: Mapping[str, Any] | None) -> FeeSchedule:
    """A `markets` row's fee schedule (none when the market is unknown)."""
    if not market:
        return FeeSchedule()
    return FeeSchedule(bool(market.get("fees_enabled")), market.get("fee_rate") or Decimal(0),
                       market.get("fee_exponent") or Decimal(1))


def fill_fee(shares: Decimal, price: Decimal, trader_side: str, schedule: FeeSchedule | None,
             reported_bps: int) -> Decimal:
    """The fee we paid on one fill: none as maker; as taker by the market's schedule. Where the ledger's
    schedule is unknown or says no fee while the venue reports a rate on the trade, the venue's word
    wins: its reported rate, at the schedule's exponent (1 when unknown)."""
    if trader_side != "TAKER":
        return Decimal(0)
    if schedule is not None and schedule.charges:
        return taker_fee(shares, price, schedule.rate, schedule.exponent)
    exponent = schedule.exponent if schedule is not None else Decimal(1)
    return taker_fee(shares, price, Decimal(reported_bps) / Decimal(10_000), exponent)


def reserved_fee(plan: OrderPlan, schedule: FeeSchedule) -> Decimal:
    """What a BUY holds back for its fee should it take: at its limit (worst) price, rounded up to the
    collateral's unit. A SELL's fee comes out of its proceeds, so it reserves nothing."""
    if plan.side != "BUY" or not schedule.charges:
        return Decimal(0)
    fee = taker_fee(plan.order_shares, plan.price, schedule.rate, schedule.exponent)
    return (fee / FEE_UNIT).to_integral_value(rounding="ROUND_CEILING") * FEE_UNIT


def buy_fee_per_dollar(price: Decimal, schedule: FeeSchedule) -> Decimal:
    """A BUY's fee per dollar of amount at `price`: rate x (p(1 - p)) ^ exponent / p."""
    if not schedule.charges or price <= 0:
        return Decimal(0)
    return taker_fee(Decimal(1), price, schedule.rate, schedule.exponent) / price


def is_marketable(plan: OrderPlan, book: BookSnapshot | None) -> bool:
    """A FOK/FAK always; a GTC when its limit crosses the best price on the other side."""
    if plan.is_market_order:
        return True
    if book is None:
        return False
    if plan.side == "BUY":
        return book.best_ask is not None and plan.price >= book.best_ask
    return book.best_bid is not None and plan.price <= book.best_bid
