"""Exact decimal money and prices: parsing, quantising and the checks every boundary applies."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, InvalidOperation

ZERO = Decimal("0")
ONE = Decimal("1")
CENT = Decimal("0.01")
USDC_UNIT = Decimal("1000000")  # on-chain amounts carry 6 implied decimals


class BadNumber(ValueError):
    """A value that should be an exact decimal was missing, malformed, NaN or out of range."""


def to_decimal(value: object, field: str) -> Decimal:
    """Parse `value` exactly (floats via their shortest repr), refusing NaN, infinities and junk."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or value is None:
        raise BadNumber(f"{field}: expected a decimal number, got {value!r}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # float.__repr__ also for numpy floats, whose own repr reads "np.float64(0.5)".
        result = Decimal(float.__repr__(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise BadNumber(f"{field}: expected a decimal number, got {value!r}") from None
    else:
        raise BadNumber(f"{field}: expected a decimal number, got {type(value).__name__} {value!r}")
    if not result.is_finite():
        raise BadNumber(f"{field}: expected a finite decimal number, got {value!r}")
    return result


def to_price(value: object, field: str = "price") -> Decimal:
    """A probability price in [0, 1]."""
    price = to_decimal(value, field)
    if price < ZERO or price > ONE:
        raise BadNumber(f"{field}: expected a price between 0 and 1, got {price}")
    return price


def to_size(value: object, field: str = "size") -> Decimal:
    """A non-negative size (shares or USD)."""
    size = to_decimal(value, field)
    if size < ZERO:
        raise BadNumber(f"{field}: expected a size of at least 0, got {size}")
    return size


def round_down(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def round_up(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_UP) * step


def round_half_even(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_EVEN)


def cents(value: Decimal) -> Decimal:
    """Round a dollar amount to the cent (banker's rounding), for display and PnL reports."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


PRICE_PLACES = Decimal("0.000001")  # prices the ledger derives (estimates, averages): 6 dp, the collateral's unit
RATIO_PLACES = Decimal("1e-10")  # ratios and percentages it derives: 10 dp


def quantize_price(value: Decimal | None) -> Decimal | None:
    """A derived price at the ledger's fixed precision (never 0.05999999999999999999999999999)."""
    return None if value is None else round_half_even(value, PRICE_PLACES)


def quantize_ratio(value: Decimal | None) -> Decimal | None:
    """A derived ratio or percentage at the ledger's fixed precision."""
    return None if value is None else round_half_even(value, RATIO_PLACES)
