"""Polymarket's trading fee as the emulated venue charges it: per market, by category, takers only.

    fee = C * rate * (p * (1 - p)) ** exponent

C is the shares a taker matched in one trade, p that trade's price (the taker's token), `rate` and
`exponent` the market's fee schedule. Makers never pay. The fee is in collateral (pUSD): a taker BUY
pays its amount plus the fee, a taker SELL receives its proceeds minus the fee.

Category rates (case-insensitive; the category is the market's first tag):

| category                                  | rate  |
|-------------------------------------------|-------|
| crypto                                    | 0.072 |
| sports                                    | 0.03  |
| politics, finance, mentions, tech         | 0.04  |
| economics, culture, weather               | 0.05  |
| geopolitics, world                        | 0 (fee-free: `fees_enabled` false) |
| anything else ("other", unknown)          | 0.05  |

Crypto, sports, politics, finance and geopolitics are the project's figures; the rest follow the
venue's published table (docs.polymarket.com/trading/fees: economics, culture and weather 0.05,
mentions and tech 0.04, geopolitical and world events fee-free), and an unlisted category takes the
highest non-crypto rate, 0.05, so an unknown market never looks cheaper than it may be. The exponent
is 1 unless a scenario or `POST /admin/fee-schedule` sets another.

Rounding: the exact Decimal product is rounded DOWN to 5 decimal places (0.00001 pUSD), per trade.
That is how NautilusTrader's Polymarket adapter says the venue charges ("floored to 5 decimal places,
matching the venue charge", `compute_commission`); it is also a whole number of the collateral's
6-decimal units, so balances stay exact. Exponents are whole numbers (1 to 10), so the product before
rounding is exact too.

Rates are whole basis points (a rate of 0.072 is 720 bps), which is how the CLOB shows them
(`taker_base_fee`, `/fee-rate`'s `base_fee`, a trade's `fee_rate_bps`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext

ZERO = Decimal("0")
ONE = Decimal("1")
BPS = Decimal("10000")
FEE_QUANTUM = Decimal("0.00001")  # fees are floored to 5 decimal places of pUSD
DEFAULT_EXPONENT = Decimal("1")
DEFAULT_RATE = Decimal("0.05")  # an unlisted category ("other")

CATEGORY_RATES: dict[str, Decimal] = {
    "crypto": Decimal("0.072"),
    "sports": Decimal("0.03"),
    "politics": Decimal("0.04"),
    "finance": Decimal("0.04"),
    "mentions": Decimal("0.04"),
    "tech": Decimal("0.04"),
    "economics": Decimal("0.05"),
    "culture": Decimal("0.05"),
    "weather": Decimal("0.05"),
    "geopolitics": ZERO,
    "world": ZERO,
}


@dataclass(frozen=True)
class FeeSchedule:
    enabled: bool
    rate: Decimal
    exponent: Decimal = DEFAULT_EXPONENT

    @property
    def effective_rate(self) -> Decimal:
        return self.rate if self.enabled else ZERO


def schedule_for(category: str) -> FeeSchedule:
    """The default schedule of a market in this category."""
    rate = CATEGORY_RATES.get(category.strip().lower(), DEFAULT_RATE)
    return FeeSchedule(enabled=rate > ZERO, rate=rate)


def check_rate(rate: Decimal, name: str = "rate") -> Decimal:
    """A fee rate the venue can show: 0 <= rate < 1, in whole basis points. Raises ValueError."""
    if not isinstance(rate, Decimal) or not rate.is_finite() or not ZERO <= rate < ONE:
        raise ValueError(f"{name}: expected a fee rate of at least 0 and below 1, got {rate!r}")
    if (rate * BPS) % 1:
        raise ValueError(f"{name}: expected a rate in whole basis points (0.0001 steps), got {rate}")
    return rate


def check_exponent(exponent: Decimal, name: str = "exponent") -> Decimal:
    """A fee-curve exponent: a whole number from 1 to 10 (the venue's curves use 1 and 2). Raises ValueError."""
    if (not isinstance(exponent, Decimal) or not exponent.is_finite() or not ONE <= exponent <= 10
            or exponent != exponent.to_integral_value()):
        raise ValueError(f"{name}: expected a whole-number exponent from 1 to 10, got {exponent!r}")
    return exponent.to_integral_value()


def rate_bps(rate: Decimal) -> int:
    """A rate in whole basis points (0.072 -> 720)."""
    return int(rate * BPS)


def taker_fee(shares: Decimal, price: Decimal, rate: Decimal, exponent: Decimal = DEFAULT_EXPONENT) -> Decimal:
    """The fee a taker pays for `shares` matched at `price`, floored to 0.00001 pUSD."""
    if not rate or not shares:
        return ZERO
    with localcontext() as context:
        context.prec = 200  # wide enough that every product below is exact
        factor = (price * (ONE - price)) ** int(exponent)
        return (shares * rate * factor).quantize(FEE_QUANTUM, rounding=ROUND_DOWN)
