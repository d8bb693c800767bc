"""Risk limits: how much of a paper signal live may place, and when a strategy must stop for the day.

Sizes are USD. A denial carries a stable `SkipReason`; a clamp names every limit that cut the size,
so the decision log shows both "denied because" and "reduced by".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lt_pipeline.model.trading import Side, SkipReason, check_side
from lt_pipeline.execution.settings import LtStrategySettings
from lt_pipeline.money import ZERO, to_decimal, to_price, to_size



@dataclass(frozen=True)
class SizingDecision:
    """`size_usd` to place, or None with the `reason` the signal was denied.

    `clamped_by` lists, in the order applied, the limits that reduced the size: "max_order_size",
    "position_cap", "exposure_cap", "insufficient_capital", "position_held".
    """

    size_usd: Decimal | None
    reason: SkipReason | None
    clamped_by: list[str] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.size_usd is not None


def available_capital(starting: Decimal, realised_pnl: Decimal, open_exposure: Decimal) -> Decimal:
    """Starting capital + realised PnL - open exposure; negative means the strategy is over-committed."""
    return (
        to_decimal(starting, "starting_capital")
        + to_decimal(realised_pnl, "realised_pnl")
        - to_size(open_exposure, "open_exposure")
    )


def daily_loss_breached(
    realised_today: Decimal, unrealised: Decimal = ZERO, *, limit: Decimal | None
) -> bool:
    """True once today's loss (realised plus, if given, unrealised) reaches the limit; None: no limit."""
    if limit is None:
        return False
    pnl_today = to_decimal(realised_today, "realised_today") + to_decimal(unrealised, "unrealised")
    return -pnl_today >= to_size(limit, "max_daily_loss_usd")


def size_signal(
    signal_size_usd: Decimal,
    signal_price: Decimal,
    *,
    settings: LtStrategySettings,
    position_usd: Decimal,
    open_exposure_usd: Decimal,
    available_capital: Decimal,
    side: Side = "BUY",
    held_shares: Decimal | None = None,
) -> SizingDecision:
    """Size one signal for live, starting from the paper (FT) size.

    BUY: clamp by max_order_size_usd, the room left under max_position_size_usd (given
    `position_usd`, this strategy's open exposure in the token), under max_total_exposure_usd (given
    `open_exposure_usd`, the whole strategy's) and by `available_capital`.
    SELL frees capital, so only max_order_size_usd applies, plus the value of `held_shares` at the
    signal price when the caller knows them (live cannot sell what it never bought).

    Denied when the result is below min_order_size_usd (or zero). The reason is the limit that cut it
    last, which is the tightest one; with no clamp it is "below_min_order_size".
    """
    size = to_size(signal_size_usd, "signal_size_usd")
    price = to_price(signal_price, "signal_price")
    if check_side(side) == "BUY":
        rooms = [
            ("position_cap", settings.max_position_size_usd - to_size(position_usd, "position_usd")),
            ("exposure_cap", settings.max_total_exposure_usd - to_size(open_exposure_usd, "open_exposure_usd")),
            ("insufficient_capital", to_decimal(available_capital, "available_capital")),
        ]
    else:
        rooms = [] if held_shares is None else [("position_held", to_size(held_shares, "held_shares") * price)]

    clamped_by: list[str] = []
    if size > settings.max_order_size_usd:
        size = settings.max_order_size_usd
        clamped_by.append("max_order_size")
    for name, room in rooms:
        room = max(room, ZERO)
        if size > room:
            size = room
            clamped_by.append(name)

    if size <= ZERO or size < settings.min_order_size_usd:
        return SizingDecision(None, _denial_reason(clamped_by), clamped_by)
    return SizingDecision(size, None, clamped_by)


def _denial_reason(clamped_by: list[str]) -> SkipReason:
    last = clamped_by[-1] if clamped_by else None
    if last == "position_held":
        return SkipReason.NOTHING_TO_SELL
    if last in ("position_cap", "exposure_cap", "insufficient_capital"):
        return SkipReason(last)
    # max_order_size_usd >= min_order_size_usd is a settings rule, so that clamp alone cannot deny.
    return SkipReason.BELOW_MIN_ORDER_SIZE
