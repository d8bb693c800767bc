"""CLOB price history at `/prices-history`: a token's price through time, as py-clob-client-v2's
`get_prices_history` asks for it and the real venue answers, `{"history": [{"t": unix, "p": price}]}`.

Query: `market` (the token id, required); either `interval` (1h, 6h, 1d, 1w, 1m = a month, max or all:
a window ending now) or `startTs` (with `endTs`, which defaults to now), never both; `fidelity`, the
spacing of the points in minutes (default 1).

The emulator's price at a moment is the token's LAST TRADE price at or before it (a trade in the other
outcome at p counts as 1 - p; failed trades are left out), read from the venue's tape. The real venue
does not document how it builds `p` (midpoint or last trade); the emulator keeps no past books, so its
series is the trade tape. Points fall on the fidelity grid in unix time (multiples of `fidelity` x 60
seconds) inside the window, each carrying the last trade before it; grid points before the token's
first trade are left out, so a token that never traded answers an empty history, as does one the
venue does not know.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request

from ..clock import from_unix, to_unix
from . import render
from .wire import BadRequest, Handler, WireContext, int_param, token_param

INTERVALS = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
    "1m": timedelta(days=30),
    "max": None,
    "all": None,
}
MAX_POINTS = 20_000  # a window too long for its fidelity is refused rather than answered in megabytes


def _window(request: Request, ctx: WireContext, first_trade: datetime | None) -> tuple[datetime, datetime]:
    interval = request.query_params.get("interval")
    start_ts = int_param(request, "startTs")
    end_ts = int_param(request, "endTs")
    now = ctx.clock.now()
    if interval is not None and interval != "":
        if start_ts is not None or end_ts is not None:
            raise BadRequest("invalid filters: interval and startTs/endTs are mutually exclusive")
        if interval not in INTERVALS:
            raise BadRequest(f"invalid interval: expected one of {', '.join(INTERVALS)}, got {interval!r}")
        length = INTERVALS[interval]
        if length is None:
            return (first_trade or now), now
        return now - length, now
    if start_ts is None:
        raise BadRequest("invalid filters: startTs or interval is required")
    end = from_unix(end_ts) if end_ts is not None else now
    start = from_unix(start_ts)
    if end < start:
        raise BadRequest("invalid filters: endTs is before startTs")
    return start, end


async def get_prices_history(request: Request, ctx: WireContext) -> Any:
    token = token_param(request, "market")
    step_seconds = 60 * int_param(request, "fidelity", 1, low=1)
    with ctx.lock:
        trades = ctx.venue.trade_prices(token)
    if not trades:
        _window(request, ctx, None)  # a bad query is refused even for a token with no history
        return {"history": []}
    start, end = _window(request, ctx, trades[0][0])
    first = -(-to_unix(start) // step_seconds) * step_seconds  # the first grid point at or after start
    last = to_unix(end)
    if first <= last and (last - first) // step_seconds + 1 > MAX_POINTS:
        raise BadRequest(f"invalid filters: more than {MAX_POINTS} points; use a larger fidelity or a shorter range")
    history = []
    index, price = 0, None
    for t in range(first, last + 1, step_seconds):
        at = from_unix(t)
        while index < len(trades) and trades[index][0] <= at:
            price = trades[index][1]
            index += 1
        if price is not None:
            history.append({"t": t, "p": render.num(price)})
    return {"history": history}


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/prices-history", get_prices_history),
]
