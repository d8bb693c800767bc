"""Pure domain logic of live execution: settings, risk limits, book walking, order planning and the
order state machine. No Dagster, no database, no HTTP; this package's shared vocabulary lives here.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

Side = Literal["BUY", "SELL"]
OrderType = Literal["GTC", "FOK", "FAK"]

SIDES: tuple[Side, ...] = ("BUY", "SELL")
ORDER_TYPES: tuple[OrderType, ...] = ("GTC", "FOK", "FAK")


class SkipReason(StrEnum):
    """Why live did not send a signal: a local decision, never a venue rejection.

    The values are stable strings stored in the ledger's decision log, so "why did live not copy this
    trade?" always has an answer that survives a rename in code.
    """

    PAUSED = "paused"
    HALTED = "halted"
    BEFORE_LAUNCH = "before_launch"
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


def check_side(side: object) -> Side:
    """`side` itself when it is "BUY" or "SELL"; otherwise a ValueError naming the field."""
    if side not in SIDES:
        raise ValueError(f"side: expected BUY or SELL, got {side!r}")
    return side  # type: ignore[return-value]


def side_sign(side: object) -> Decimal:
    """TCA's s: +1 for a BUY of the outcome token, -1 for a SELL."""
    return Decimal(1) if check_side(side) == "BUY" else Decimal(-1)
