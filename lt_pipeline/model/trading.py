"""The words of trading: sides, order types, outcomes of a position, and why live skipped a signal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal

Side = Literal["BUY", "SELL"]
OrderType = Literal["GTC", "FOK", "FAK"]

SIDES: tuple[Side, ...] = ("BUY", "SELL")
ORDER_TYPES: tuple[OrderType, ...] = ("GTC", "FOK", "FAK")
MARKET_ORDER_TYPES: tuple[OrderType, ...] = ("FOK", "FAK")


class PositionOutcome(StrEnum):
    """`lt_orders.outcome` / `ft_orders.outcome`, the seed's words plus VOID.

    OPEN: not settled yet. WON / LOST / VOID: the position was settled at payout 1 / 0 / 0.5 a share.
    CLOSED: the market resolved while the order held no position (skipped, rejected, never arrived,
    cancelled unfilled): settled with pnl 0, its `ft_pnl` the paper PnL live missed.
    """

    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"
    VOID = "VOID"
    CLOSED = "CLOSED"


class SkipReason(StrEnum):
    """Why live did not send a signal: a local decision, never a venue rejection.

    The values are stable strings stored in the ledger's decision log, so "why did live not copy this
    trade?" always has an answer that survives a rename in code.
    """

    PAUSED = "paused"
    HALTED = "halted"
    BEFORE_LAUNCH = "before_launch"
    NOT_LAUNCHED = "not_launched"
    MARKET_CLOSED = "market_closed"
    DAILY_LOSS_LIMIT = "daily_loss_limit"
    BELOW_MIN_ORDER_SIZE = "below_min_order_size"
    POSITION_CAP = "position_cap"
    EXPOSURE_CAP = "exposure_cap"
    INSUFFICIENT_CAPITAL = "insufficient_capital"
    NOTHING_TO_SELL = "nothing_to_sell"
    BELOW_VENUE_MIN_SIZE = "below_venue_min_size"
    PRICE_OUT_OF_RANGE = "price_out_of_range"
    NO_LIQUIDITY = "no_liquidity"
    INSUFFICIENT_DEPTH = "insufficient_depth"
    SLIPPAGE_OVER_TOLERANCE = "slippage_over_tolerance"
    STALE_SIGNAL = "stale_signal"
    BELOW_VENUE_MIN_NOTIONAL = "below_venue_min_notional"
    INSUFFICIENT_BALANCE = "insufficient_balance"


@dataclass(frozen=True)
class FeeSchedule:
    """A market's taker fee: fee = shares x rate x (p x (1 - p)) ^ exponent at trade price p; makers pay
    nothing; a market with fees disabled charges none."""

    enabled: bool = False
    rate: Decimal = Decimal(0)
    exponent: Decimal = Decimal(1)

    @property
    def charges(self) -> bool:
        return self.enabled and self.rate > 0


def check_side(side: object) -> Side:
    """`side` itself when it is "BUY" or "SELL"; otherwise a ValueError naming the field."""
    if side not in SIDES:
        raise ValueError(f"side: expected BUY or SELL, got {side!r}")
    return side  # type: ignore[return-value]


def side_sign(side: object) -> Decimal:
    """TCA's s: +1 for a BUY of the outcome token, -1 for a SELL."""
    return Decimal(1) if check_side(side) == "BUY" else Decimal(-1)
