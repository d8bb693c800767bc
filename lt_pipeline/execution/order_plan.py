"""Turn a sized signal into the exact order to sign: price on the tick grid, size and amounts that the
venue's precision rules accept, or a local denial saying why not.

The plan carries what py-clob-client-v2's `OrderArgs` (GTC) or `MarketOrderArgs` (FOK/FAK) need, the
tick-size label for its options, and the makerAmount/takerAmount its order builder will produce, so
that the caller can store the intent before signing and check the signed order against it. Pass the
plan's Decimals to the client as they are: converting to float first can lose a cent to float
artefacts (float 0.29 * 100 floors to 28).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from math import gcd

from lt_pipeline.model.plan import OrderDenial, OrderPlan
from lt_pipeline.model.trading import ORDER_TYPES, OrderType, Side, SkipReason, check_side
from lt_pipeline.execution.book_walk import FillEstimate, within_tolerance
from lt_pipeline.money import ONE, ZERO, round_down, round_up, to_decimal, to_price, to_size

AMOUNT_STEP = Decimal("0.01")  # the client rounds share sizes, and a market BUY's dollars, down to 2 dp
LEDGER_STEP = Decimal("0.000001")  # 6 dp, the collateral's unit
MARKET_ORDER_DP = 4  # market orders: the venue accepts at most 4 dp on the counter amount, any tick


@dataclass(frozen=True)
class TickRules:
    """The client's rounding config for one tick size (order_builder.ROUNDING_CONFIG)."""

    tick: Decimal
    label: str  # the client's TickSize literal, e.g. "0.01"
    price_dp: int
    amount_dp: int


TICK_RULES: dict[Decimal, TickRules] = {
    Decimal(label): TickRules(Decimal(label), label, price_dp, amount_dp)
    for label, price_dp, amount_dp in (
        ("0.1", 1, 3), ("0.01", 2, 4), ("0.005", 3, 5), ("0.0025", 4, 6), ("0.001", 3, 5), ("0.0001", 4, 6),
    )
}


def tick_rules(tick_size: object) -> TickRules:
    tick = to_decimal(tick_size, "tick_size")
    if tick not in TICK_RULES:
        known = ", ".join(rules.label for rules in TICK_RULES.values())
        raise ValueError(f"tick_size: expected one of {known}, got {tick_size}")
    return TICK_RULES[tick]


def plan_order(
    *,
    side: Side,
    order_type: OrderType,
    signal_price: Decimal,
    size_usd: Decimal,
    tick_size: Decimal | str,
    min_order_size: Decimal,
    tolerance_pct: Decimal,
    estimate: FillEstimate | None = None,
) -> OrderPlan | OrderDenial:
    """Plan the order for one sized signal (`size_usd` from `limits.size_signal`).

    Price: signal * (1 + tol) for a BUY rounded DOWN to the tick (never pay more than the
    tolerance), signal * (1 - tol) for a SELL rounded UP, kept within [tick, 1 - tick]. It is the
    limit of a GTC and the worst price of a FOK/FAK.
    Size: GTC BUY buys size_usd / limit price shares; a SELL sells size_usd / signal price shares
    (selling more because the floor is lower would sell shares the paper strategy kept); shares are
    rounded down to 2 dp. A market BUY spends size_usd rounded down to the cent.
    `min_order_size` is the market's minimum in shares. `estimate` is the book walk for this
    order's size (USD for a BUY, shares for a SELL); when given, the order is denied if the estimated
    average price breaks the tolerance, and a FOK is denied if the book cannot fill it in full.
    """
    side = check_side(side)
    if order_type not in ORDER_TYPES:
        raise ValueError(f"order_type: expected one of {', '.join(ORDER_TYPES)}, got {order_type!r}")
    signal = to_price(signal_price, "signal_price")
    if signal in (ZERO, ONE):
        raise ValueError(f"signal_price: expected a price strictly between 0 and 1, got {signal}")
    size_usd = to_size(size_usd, "size_usd")
    minimum = to_size(min_order_size, "min_order_size")
    tolerance = to_decimal(tolerance_pct, "tolerance_pct")
    if not ZERO <= tolerance <= 100:
        raise ValueError(f"tolerance_pct: expected a percentage between 0 and 100, got {tolerance_pct}")
    rules = tick_rules(tick_size)

    price = _tolerance_price(side, signal, tolerance / 100, rules.tick)
    if price is None:
        return OrderDenial(
            SkipReason.PRICE_OUT_OF_RANGE,
            f"no price on the {rules.label} tick grid within [{rules.tick}, {ONE - rules.tick}] keeps a "
            f"{side} at {signal} within {tolerance}% tolerance",
        )
    if estimate is not None:
        denial = _check_estimate(estimate, side, order_type, signal, tolerance, price)
        if denial is not None:
            return denial

    plan = (_limit_plan if order_type == "GTC" else _market_plan)(side, order_type, signal, size_usd, price, rules)
    if plan.order_shares <= ZERO or plan.order_shares < minimum:
        shortfall = "nothing to place" if plan.order_shares <= ZERO else f"below the market's minimum of {minimum:f} shares"
        return OrderDenial(
            SkipReason.BELOW_VENUE_MIN_SIZE, f"${size_usd:f} makes {plan.order_shares:f} shares at {plan.price}, {shortfall}"
        )
    return plan


def _tolerance_price(side: Side, signal: Decimal, tolerance: Decimal, tick: Decimal) -> Decimal | None:
    if side == "BUY":
        price = min(round_down(signal * (1 + tolerance), tick), ONE - tick)
        return price if price >= tick else None
    price = max(round_up(signal * (1 - tolerance), tick), tick)
    return price if price <= ONE - tick else None


def _check_estimate(
    estimate: FillEstimate, side: Side, order_type: OrderType, signal: Decimal, tolerance: Decimal, price: Decimal
) -> OrderDenial | None:
    if estimate.avg_price is None:
        return OrderDenial(SkipReason.NO_LIQUIDITY, f"the book has no {'asks' if side == 'BUY' else 'bids'} to take")
    if not within_tolerance(estimate.avg_price, signal, tolerance, side=side):
        return OrderDenial(
            SkipReason.SLIPPAGE_OVER_TOLERANCE,
            f"estimated average price {_short(estimate.avg_price)} is beyond {tolerance}% of the signal price {signal}",
        )
    beyond_limit = estimate.worst_price is not None and (
        estimate.worst_price > price if side == "BUY" else estimate.worst_price < price
    )
    if order_type == "FOK" and (not estimate.fully_fillable or beyond_limit):
        return OrderDenial(
            SkipReason.INSUFFICIENT_DEPTH,
            f"the book cannot fill this FOK in full at {price} or better (estimated {_short(estimate.shares)} shares)",
        )
    return None


def _limit_plan(
    side: Side, order_type: OrderType, signal: Decimal, size_usd: Decimal, price: Decimal, rules: TickRules
) -> OrderPlan:
    shares = round_down(size_usd / (price if side == "BUY" else signal), AMOUNT_STEP)
    usd = shares * price  # 2 + price_dp decimals, within the tick's amount precision
    maker, taker = (usd, shares) if side == "BUY" else (shares, usd)
    return OrderPlan(side, order_type, price, shares, None, rules.label, maker, taker, shares)


def _market_plan(
    side: Side, order_type: OrderType, signal: Decimal, size_usd: Decimal, worst: Decimal, rules: TickRules
) -> OrderPlan:
    budget = round_down(size_usd if side == "BUY" else size_usd / signal, AMOUNT_STEP)
    price, amount = _precise_market_amount(side, worst, budget, rules)
    if side == "BUY":
        taker = _client_counter_amount(amount / price, rules.amount_dp)
        intended = round_down(amount / signal, LEDGER_STEP)
        return OrderPlan(side, order_type, price, None, amount, rules.label, amount, taker, intended)
    taker = _client_counter_amount(amount * price, rules.amount_dp)
    return OrderPlan(side, order_type, price, None, amount, rules.label, amount, taker, amount)


def _precise_market_amount(side: Side, worst: Decimal, budget: Decimal, rules: TickRules) -> tuple[Decimal, Decimal]:
    """The (price, amount) for a market order whose counter amount the venue accepts (at most 4 dp).

    At ticks of 0.01 and 0.1 the client's own rounding already gets there. At finer ticks it rounds to
    5-6 dp, which the venue rejects ("market buy orders ... taker amount a max of 4 decimals"), so the
    amount must divide exactly. The worst price is the user's tolerance and stays: the amount is
    rounded down to the nearest one that divides. Only when none fits in the budget at that price
    (near 1 a BUY's step can be dollars) do we step the price toward the safe side (lower for a BUY,
    higher for a SELL), at most one cent, to the first price where one does.
    """
    if rules.price_dp + 2 <= MARKET_ORDER_DP:
        return worst, budget
    units = int(budget / AMOUNT_STEP)  # cents of USD for a BUY, hundredths of a share for a SELL
    step = rules.tick if side == "BUY" else -rules.tick
    candidate = worst
    while rules.tick <= candidate <= ONE - rules.tick and abs(worst - candidate) < Decimal("0.01"):
        granularity = _amount_granularity(side, candidate, rules.price_dp)
        if units >= granularity:
            return candidate, units // granularity * granularity * AMOUNT_STEP
        candidate -= step
    return worst, ZERO


def _amount_granularity(side: Side, price: Decimal, price_dp: int) -> int:
    """Smallest number c of amount units (1/100 each) whose counter amount has at most D = 4 decimals."""
    numerator = int(price * 10**price_dp)  # price = n / 10^k
    if side == "BUY":
        # (c/100) / (n/10^k) has <= D dp  <=>  n divides c * 10^(k+D-2)
        return numerator // gcd(numerator, 10 ** (price_dp + MARKET_ORDER_DP - 2))
    # (c/100) * (n/10^k) has <= D dp  <=>  10^(k+2-D) divides c * n
    scale = 10 ** (price_dp + 2 - MARKET_ORDER_DP)
    return scale // gcd(numerator, scale)


def _client_counter_amount(exact: Decimal, amount_dp: int) -> Decimal:
    """The client's rule for an amount with too many decimals: round up at amount_dp + 4, and if that
    still has too many, round down at amount_dp (order_builder.get_market_order_amounts)."""
    if _places(exact) <= amount_dp:
        return exact
    nudged = round_up(exact, Decimal(10) ** -(amount_dp + 4))
    if _places(nudged) <= amount_dp:
        return nudged
    return round_down(nudged, Decimal(10) ** -amount_dp)


def _places(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def _short(value: Decimal) -> str:
    with localcontext() as context:
        context.prec = 6
        return str(+value)
