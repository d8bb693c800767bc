"""How the dashboard writes figures: dollars with cents and a sign where it matters, fractions as
percentages, latencies in seconds, times in UTC. Jinja filters; exact decimals in, text out."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

MINUS = "\u2212"  # a real minus sign lines up with the plus in a column of figures
DASH = "\u2014"  # no figure yet


def _d(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def usd(value, signed: bool = False) -> str:
    """$1,234.50; with `signed`, +$45.20 or −$6.90."""
    if value is None:
        return DASH
    amount = _d(value).quantize(Decimal("0.01"), ROUND_HALF_UP)
    sign = MINUS if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def pct(fraction, signed: bool = False, places: int = 1) -> str:
    """A fraction as a percentage: 0.0452 -> 4.5 %."""
    if fraction is None:
        return DASH
    value = (_d(fraction) * 100).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    return f"{sign}{abs(value):.{places}f}%"


def percent(value) -> str:
    """A value that is already a percent (slippage tolerance 0.5 -> 0.5%)."""
    return DASH if value is None else f"{format(_d(value).normalize(), 'f')}%"


def cents(value) -> str:
    if value is None:
        return DASH
    amount = _d(value).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{MINUS if amount < 0 else ('+' if amount > 0 else '')}{abs(amount):.2f}¢"


def price(value) -> str:
    return DASH if value is None else format(_d(value).normalize(), "f")


def number(value) -> str:
    if value is None:
        return DASH
    amount = _d(value).normalize()
    return f"{int(amount):,}" if amount == amount.to_integral_value() else format(amount, "f")


def seconds(milliseconds) -> str:
    """1234 ms -> 1.23 s; under a second stays in ms."""
    if milliseconds is None:
        return DASH
    ms = _d(milliseconds)
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def when(moment: datetime | None) -> str:
    if moment is None:
        return DASH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(moment: datetime | None, now: datetime) -> str:
    """3 min ago, 5 h ago, 2 d ago."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds_ = (now - moment).total_seconds()
    if seconds_ < 0:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds_ >= size:
            return f"{int(seconds_ // size)} {unit} ago"
    return f"{int(seconds_)} s ago"


def tone(value) -> str:
    """A CSS class for a signed figure: good, bad, or plain at zero or none."""
    if value is None:
        return "plain"
    amount = _d(value)
    return "good" if amount > 0 else "bad" if amount < 0 else "plain"


def cost_tone(value) -> str:
    """A cost (slippage, rejection): positive is bad."""
    return {"good": "bad", "bad": "good"}.get(tone(value), "plain")


def status_class(status: str | None) -> str:
    return "status-" + (status or "unknown").lower().replace(" ", "-").replace("_", "-")


FILTERS = {
    "usd": usd, "pct": pct, "percent": percent, "cents": cents, "price": price, "number": number,
    "seconds": seconds, "when": when, "ago": ago, "tone": tone, "cost_tone": cost_tone,
    "status_class": status_class,
}
