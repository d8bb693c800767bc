"""TCA measures (docs/tca.md, D1-D5): slippage, fill rate, fees, implementation shortfall and its
delay / impact / opportunity / fee decomposition, post-trade spreads and markouts, the fill and
rejection KPIs and latency percentiles.

Prices are probabilities in [0, 1]; per-share costs are reported in cents, dollar costs in USD, and a
positive cost is always bad for us whatever the side. PnL and shortfall arithmetic runs at 100
significant digits, so that the decomposition sums to the shortfall exactly for any ledger amounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from math import ceil
from typing import Literal

from lt_pipeline.clock import ensure_utc
from lt_pipeline.model.trading import Side, side_sign
from lt_pipeline.money import ONE, ZERO, round_half_even, to_decimal, to_price, to_size

CENTS_PER_DOLLAR = Decimal(100)
EXACT_DIGITS = 100


def exact():
    """A decimal context wide enough that sums and products of ledger amounts are never rounded."""
    return localcontext(prec=EXACT_DIGITS)


# --- D3: per-signal slippage and fill -------------------------------------------------------------


def slippage_pct(executed_price: Decimal, signal_price: Decimal) -> Decimal:
    """The seed's slippage_pct, (executed - signal) / signal, as a FRACTION (0.03 is 3 %).

    Not side-adjusted: a SELL that executes lower than its signal has a negative value yet costs us.
    Use `slippage_cents` for a signed cost.
    """
    executed = to_price(executed_price, "executed_price")
    signal = to_price(signal_price, "signal_price")
    if signal == ZERO:
        raise ValueError("signal_price: expected a price above 0 to measure slippage against, got 0")
    return (executed - signal) / signal


def slippage_cents(side: Side, executed_price: Decimal, signal_price: Decimal) -> Decimal:
    """Slippage versus signal per share, s * (P_x - P_d), in cents; positive means we paid for it."""
    executed = to_price(executed_price, "executed_price")
    signal = to_price(signal_price, "signal_price")
    return side_sign(side) * (executed - signal) * CENTS_PER_DOLLAR


def fill_rate(filled_shares: Decimal, intended_shares: Decimal) -> Decimal:
    """The seed's fill_rate, executed / intended shares."""
    filled = to_size(filled_shares, "filled_shares")
    intended = to_size(intended_shares, "intended_shares")
    if intended == ZERO:
        raise ValueError("intended_shares: expected more than 0 shares to measure a fill rate against, got 0")
    return filled / intended


VWAP_STEP = Decimal("1e-10")


def vwap(fills: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Volume-weighted price sum(q_k * p_k) / sum(q_k) of (price, shares) fills; None when nothing filled.

    Rounded half-even to 1e-10, far below any tick: the exact quotient can run to 100 digits, and
    every product and sum with it would then round in the default 28-digit context, breaking the
    exact sums that callers check.
    """
    notional = shares = ZERO
    with exact():
        for price, size in fills:
            size = to_size(size, "fill shares")
            notional += to_price(price, "fill price") * size
            shares += size
        return round_half_even(notional / shares, VWAP_STEP) if shares > ZERO else None


def fee_rate_from_bps(bps: Decimal | int) -> Decimal:
    """A fee rate in basis points as a fraction: 200 bps is 0.02."""
    return to_size(bps, "fee_rate_bps") / Decimal(10_000)


def taker_fee(shares: Decimal, price: Decimal, fee_rate: Decimal, exponent: Decimal = ONE) -> Decimal:
    """Polymarket's taker fee for one fill, C * feeRate * (p * (1 - p)) ^ exponent, in USD: exact for a
    whole exponent; a fractional one is rounded in the wide exact context, far below a micro-dollar."""
    size = to_size(shares, "shares")
    p = to_price(price, "price")
    rate = to_size(fee_rate, "fee_rate")
    power = to_size(exponent, "fee_exponent")
    with exact():
        base = p * (ONE - p)
        factor = base ** int(power) if power == power.to_integral_value() else base ** power
        return size * rate * factor


# --- D1/D2: PnL, implementation shortfall and its decomposition -----------------------------------


def paper_pnl(
    side: Side,
    shares: Decimal,
    signal_price: Decimal,
    terminal_price: Decimal,
    *,
    invested_usd: Decimal | None = None,
) -> Decimal:
    """s * (Q * P_T - I): paper fills the full size at the signal price, with no fees.

    I is what the paper order put in (a BUY paid it, a SELL received it). By default I = Q * P_d, which
    gives TCA's s * Q * (P_T - P_d). A paper book order passes its own amount, `invested_usd=size`:
    its shares are size / price rounded down to the cent of a share, so Q * P_d is not quite the size,
    and only I = size makes a lost $10 BUY lose exactly $10 (won: Q - 10; void: 0.5 * Q - 10).
    """
    s = side_sign(side)
    Q = to_size(shares, "shares")
    P_T = to_price(terminal_price, "terminal_price")
    P_d = to_price(signal_price, "signal_price")
    with exact():
        invested = Q * P_d if invested_usd is None else to_size(invested_usd, "invested_usd")
        return s * (Q * P_T - invested)


def live_pnl(
    side: Side, filled_shares: Decimal, executed_price: Decimal | None, terminal_price: Decimal, fees: Decimal
) -> Decimal:
    """s * q * (P_T - P_x) - F."""
    filled = to_size(filled_shares, "filled_shares")
    fee = to_decimal(fees, "fees")
    if filled == ZERO:
        return -fee
    if executed_price is None:
        raise ValueError(f"executed_price: expected the fill price of {filled} filled shares, got None")
    with exact():
        return side_sign(side) * filled * (
            to_price(terminal_price, "terminal_price") - to_price(executed_price, "executed_price")
        ) - fee


@dataclass(frozen=True)
class ShortfallBreakdown:
    """Implementation shortfall (paper PnL - live PnL, USD) and its four parts, which sum to it exactly."""

    paper_pnl: Decimal
    live_pnl: Decimal
    delay: Decimal  # s * q * (M_0 - P_d): signal-to-arrival drift
    impact: Decimal  # s * q * (P_x - M_0): spread crossed and levels walked
    opportunity: Decimal  # s * (Q - q) * (P_T - P_d): what the unfilled shares would have made
    fees: Decimal  # F
    paper_notional: Decimal  # Q * P_d

    @property
    def total(self) -> Decimal:
        """IS = paper PnL - live PnL (D1); delay + impact + opportunity + fees equals it exactly."""
        with exact():
            return self.paper_pnl - self.live_pnl

    @property
    def pct(self) -> Decimal | None:
        """IS as a fraction of paper notional, IS / (Q * P_d); None when that notional is zero."""
        return None if self.paper_notional == ZERO else self.total / self.paper_notional


def implementation_shortfall(
    *,
    side: Side,
    intended_shares: Decimal,
    filled_shares: Decimal,
    signal_price: Decimal,
    executed_price: Decimal | None,
    arrival_mid: Decimal | None,
    terminal_price: Decimal,
    fees: Decimal = ZERO,
) -> ShortfallBreakdown:
    """TCA D1/D2 for one signal: Q intended shares, q filled at P_x, signal price P_d, mid at arrival
    M_0, terminal price P_T (resolution 1/0/0.5, or the mark if unresolved), fees F.

    `executed_price` may be None only when nothing filled. Without an arrival mid (a one-sided or
    empty book) the drift cannot be split off, so the whole slippage is booked as impact.
    """
    s = side_sign(side)
    Q = to_size(intended_shares, "intended_shares")
    q = to_size(filled_shares, "filled_shares")
    P_d = to_price(signal_price, "signal_price")
    P_T = to_price(terminal_price, "terminal_price")
    F = to_decimal(fees, "fees")
    M_0 = P_d if arrival_mid is None else to_price(arrival_mid, "arrival_mid")
    if q == ZERO:
        P_x = M_0  # no fill: delay and impact are zero whatever the prices were
    elif executed_price is None:
        raise ValueError(f"executed_price: expected the fill price of {q} filled shares, got None")
    else:
        P_x = to_price(executed_price, "executed_price")
    with exact():
        return ShortfallBreakdown(
            paper_pnl=paper_pnl(side, Q, P_d, P_T),
            live_pnl=live_pnl(side, q, P_x, P_T, F),
            delay=s * q * (M_0 - P_d),
            impact=s * q * (P_x - M_0),
            opportunity=s * (Q - q) * (P_T - P_d),
            fees=F,
            paper_notional=Q * P_d,
        )


# --- D3/D4: spreads and markouts, per share in price units (x100 for cents) ------------------------


def arrival_slippage(side: Side, executed_price: Decimal, arrival_mid: Decimal) -> Decimal:
    """s * (P_x - M_0), the effective half-spread."""
    return side_sign(side) * (to_price(executed_price, "executed_price") - to_price(arrival_mid, "arrival_mid"))


def effective_spread(side: Side, executed_price: Decimal, arrival_mid: Decimal) -> Decimal:
    """2 * s * (P_x - M_0) = realised spread + price impact."""
    return 2 * arrival_slippage(side, executed_price, arrival_mid)


def realised_spread(side: Side, executed_price: Decimal, later_mid: Decimal) -> Decimal:
    """2 * s * (P_x - M_{t+h}): the part of the spread that did not move against us by the horizon."""
    return 2 * side_sign(side) * (to_price(executed_price, "executed_price") - to_price(later_mid, "later_mid"))


def price_impact(side: Side, arrival_mid: Decimal, later_mid: Decimal) -> Decimal:
    """2 * s * (M_{t+h} - M_0)."""
    return 2 * side_sign(side) * (to_price(later_mid, "later_mid") - to_price(arrival_mid, "arrival_mid"))


def markout(side: Side, later_mid: Decimal, reference_price: Decimal) -> Decimal:
    """MO(h) = s * (M_{t+h} - P): negative and persistent means adverse selection.

    `reference_price` is our fill price P_x, or the leader's P_d for the leader's own markout.
    """
    return side_sign(side) * (to_price(later_mid, "later_mid") - to_price(reference_price, "reference_price"))


# --- D5: fill, rejection and latency KPIs ---------------------------------------------------------

Disposition = Literal["sent", "denied", "skipped"]


@dataclass(frozen=True)
class ExecutionRecord:
    """One signal's execution, as the KPIs and the score need it.

    disposition: "sent" to the venue; "denied" by a risk rule (caps, capital, minimum size, slippage
    estimate); "skipped" for any other local reason (paused, halted, market closed, before launch).
    `rejected`: the venue refused it. `ambiguous`: the submit's outcome was unknown at the time
    (timeout, 5xx, crash), whatever reconciliation found later.
    """

    disposition: Disposition
    intended_shares: Decimal = ZERO
    filled_shares: Decimal = ZERO
    rejected: bool = False
    ambiguous: bool = False
    slippage_cents: Decimal | None = None  # per share versus signal, signed cost; None without a fill
    signal_to_fill_ms: Decimal | None = None  # L_signal_to_fill; None without a fill

    def __post_init__(self) -> None:
        if self.disposition not in ("sent", "denied", "skipped"):
            raise ValueError(f"disposition: expected sent, denied or skipped, got {self.disposition!r}")
        if self.disposition != "sent" and (self.rejected or self.ambiguous or self.filled_shares):
            raise ValueError(f"disposition: a {self.disposition} signal was never sent, so it cannot be "
                             "rejected, ambiguous or filled")


@dataclass(frozen=True)
class ExecutionKpis:
    """TCA D5 over a set of signals. A rate is None when its denominator is zero."""

    signals: int
    sent: int
    denied: int
    skipped: int
    rejected: int
    ambiguous: int
    quantity_fill_rate: Decimal | None  # sum q / sum Q over sent orders
    order_fill_rate: Decimal | None  # sent orders with q > 0 / sent
    full_fill_ratio: Decimal | None  # sent orders with q >= Q / sent
    rejection_rate: Decimal | None  # venue rejects / sent
    local_denial_rate: Decimal | None  # risk denials / signals
    unknown_outcome_rate: Decimal | None  # ambiguous submits / sent
    skip_rate: Decimal | None  # every signal not sent (denied or skipped) / signals


def _rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    return None if not denominator else Decimal(numerator) / Decimal(denominator)


def execution_kpis(records: Iterable[ExecutionRecord]) -> ExecutionKpis:
    signals = sent = denied = skipped = rejected = ambiguous = any_fill = full_fill = 0
    intended = filled = ZERO
    for record in records:
        signals += 1
        if record.disposition == "denied":
            denied += 1
        elif record.disposition == "skipped":
            skipped += 1
        else:
            sent += 1
            rejected += record.rejected
            ambiguous += record.ambiguous
            intended += record.intended_shares
            filled += record.filled_shares
            any_fill += record.filled_shares > ZERO
            full_fill += record.filled_shares > ZERO and record.filled_shares >= record.intended_shares
    return ExecutionKpis(
        signals=signals,
        sent=sent,
        denied=denied,
        skipped=skipped,
        rejected=rejected,
        ambiguous=ambiguous,
        quantity_fill_rate=_rate(filled, intended),
        order_fill_rate=_rate(any_fill, sent),
        full_fill_ratio=_rate(full_fill, sent),
        rejection_rate=_rate(rejected, sent),
        local_denial_rate=_rate(denied, signals),
        unknown_outcome_rate=_rate(ambiguous, sent),
        skip_rate=_rate(denied + skipped, signals),
    )


def latency_ms(start: datetime, end: datetime) -> int:
    """Whole milliseconds from `start` to `end` (negative if the clocks disagree), e.g. execution_latency_ms."""
    return (ensure_utc(end, "end") - ensure_utc(start, "start")) // timedelta(milliseconds=1)


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50: Decimal
    p90: Decimal
    p99: Decimal
    max: Decimal


def percentile(sorted_values: list[Decimal], pct: int) -> Decimal:
    """Nearest-rank percentile: the smallest observed value with at least pct % of values at or below it."""
    if not sorted_values:
        raise ValueError("percentile: expected at least one value")
    rank = max(1, ceil(pct * len(sorted_values) / 100))
    return sorted_values[rank - 1]


def latency_summary(latencies: Iterable[Decimal | int | float | timedelta | None]) -> LatencySummary | None:
    """p50, p90, p99 and max of latencies in milliseconds (timedeltas are converted); None values
    (a span that never ended, such as an order with no fill) are left out. None when nothing is left."""
    values = sorted(
        Decimal(value // timedelta(microseconds=1)) / 1000
        if isinstance(value, timedelta)
        else to_decimal(value, "latency_ms")
        for value in latencies
        if value is not None
    )
    if not values:
        return None
    return LatencySummary(
        count=len(values),
        p50=percentile(values, 50),
        p90=percentile(values, 90),
        p99=percentile(values, 99),
        max=values[-1],
    )
