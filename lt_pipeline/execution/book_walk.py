"""Walk an order book to estimate what an order of a given size would fill at, before sending it.

A BUY walks the asks, a SELL the bids, always best level first. The venue's own wire order is the
opposite (best last), so `best_first` exists to turn a book snapshot around.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from lt_pipeline.model.trading import Side, check_side
from lt_pipeline.money import ZERO, to_decimal, to_price, to_size
from lt_pipeline.quality.measures import slippage_pct

__all__ = ["FillEstimate", "best_first", "estimate_fill", "slippage_pct", "within_tolerance"]

HUNDRED = Decimal(100)

Level = tuple[Decimal, Decimal]  # (price, size in shares)


@dataclass(frozen=True)
class FillEstimate:
    """What walking the book predicts. `avg_price` and `worst_price` are None when nothing fills."""

    avg_price: Decimal | None
    shares: Decimal
    usd: Decimal
    worst_price: Decimal | None
    levels_used: int
    fully_fillable: bool


def _is_better_or_equal(side: Side, price: Decimal, than: Decimal) -> bool:
    return price <= than if side == "BUY" else price >= than


def best_first(levels: Iterable[Level], side: Side) -> list[Level]:
    """The levels a `side` order would take, best first: asks ascending for BUY, bids descending for SELL."""
    check_side(side)
    return sorted(levels, key=lambda level: level[0], reverse=(side == "SELL"))


def estimate_fill(
    levels: Iterable[Level],
    side: Side,
    *,
    usd: Decimal | None = None,
    shares: Decimal | None = None,
    limit_price: Decimal | None = None,
) -> FillEstimate:
    """Walk `levels` (best first) to fill either `usd` of notional or `shares`, exactly one of them.

    With `limit_price`, levels worse than the limit are not taken, as the venue would not match
    them: `fully_fillable` then answers "would a FOK at this limit fill?".
    """
    check_side(side)
    if (usd is None) == (shares is None):
        raise ValueError("estimate_fill: give exactly one of usd or shares")
    want_usd = usd is not None
    remaining = to_size(usd if want_usd else shares, "usd" if want_usd else "shares")
    limit = None if limit_price is None else to_price(limit_price, "limit_price")

    filled_shares = filled_usd = ZERO
    worst: Decimal | None = None
    used = 0
    previous: Decimal | None = None
    for raw_price, raw_size in levels:
        price, size = to_price(raw_price, "level price"), to_size(raw_size, "level size")
        if previous is not None and not _is_better_or_equal(side, previous, price):
            raise ValueError(
                f"levels: expected best level first for a {side} ({'ascending' if side == 'BUY' else 'descending'}"
                f" prices), got {price} after {previous}; use best_first() on a wire-order book"
            )
        previous = price
        if remaining <= ZERO or (limit is not None and not _is_better_or_equal(side, price, limit)):
            break
        if size == ZERO or price == ZERO:
            continue
        level_amount = price * size if want_usd else size
        take = min(remaining, level_amount)
        taken_shares = take / price if want_usd else take
        filled_shares += taken_shares
        # The USD target is tracked exactly; the shares of a partly taken level may be a long quotient.
        filled_usd += take if want_usd else taken_shares * price
        remaining -= take
        worst = price
        used += 1

    return FillEstimate(
        avg_price=filled_usd / filled_shares if filled_shares > ZERO else None,
        shares=filled_shares,
        usd=filled_usd,
        worst_price=worst,
        levels_used=used,
        fully_fillable=remaining <= ZERO,
    )


def within_tolerance(
    estimate_price: Decimal, signal_price: Decimal, tolerance_pct: Decimal, *, side: Side
) -> bool:
    """BUY: estimate <= signal * (1 + tol); SELL: estimate >= signal * (1 - tol). tol is a percent."""
    check_side(side)
    estimate = to_price(estimate_price, "estimate_price")
    signal = to_price(signal_price, "signal_price")
    tolerance = to_decimal(tolerance_pct, "tolerance_pct") / HUNDRED
    if side == "BUY":
        return estimate <= signal * (1 + tolerance)
    return estimate >= signal * (1 - tolerance)
