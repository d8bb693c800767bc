"""Data API routes (`/data-api/trades`, `/data-api/activity`): the public, chain-indexed view of
fills that copy-trading polls, with `takerOnly` defaulting to true as on the real service."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..clock import from_unix
from . import render
from .wire import BadRequest, Handler, WireContext, bool_param, int_param

TRADES_MAX_LIMIT = 10000
ACTIVITY_MAX_LIMIT = 500
MAX_OFFSET = 10000
ACTIVITY_TYPES = {
    "TRADE", "SPLIT", "MERGE", "REDEEM", "REWARD", "CONVERSION", "MAKER_REBATE",
    "YIELD", "TAKER_REBATE", "REFERRAL_REWARD", "DEPOSIT", "WITHDRAWAL",
}  # fmt: skip


def _address(request: Request, name: str, *, required: bool) -> str | None:
    value = request.query_params.get(name, "")
    if not value:
        if required:
            raise BadRequest(f"{name} is required")
        return None
    if len(value) != 42 or not value.startswith("0x"):
        raise BadRequest(f"invalid {name}: expected a 0x-prefixed 40-hex-digit address, got {value!r}")
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        raise BadRequest(f"invalid {name}: expected a 0x-prefixed 40-hex-digit address, got {value!r}") from None
    return value


def _markets(request: Request) -> list[str] | None:
    text = request.query_params.get("market", "")
    if not text:
        return None
    markets = [m.strip() for m in text.split(",") if m.strip()]
    for m in markets:
        if not m.startswith("0x") or len(m) != 66:
            raise BadRequest(f"invalid market: expected comma-separated 0x condition ids, got {m!r}")
    return markets


def _side(request: Request) -> str | None:
    side = request.query_params.get("side", "")
    if side and side not in ("BUY", "SELL"):
        raise BadRequest(f"invalid side: expected BUY or SELL, got {side!r}")
    return side or None


def _public_trades(
    request: Request, ctx: WireContext, *, user_required: bool, taker_only_default: bool,
    page: tuple[int, int] | None = None,
) -> list[Any]:
    """The rows the query selects, newest first; with `page` (limit, offset), only that page, read
    straight off the venue's tape (in match order, so its newest-first rows are already in timestamp
    order): a per-trader poll of a long history stays cheap. Only for queries without filterType or
    eventId, which filter after the venue."""
    user = _address(request, "user", required=user_required)
    markets = _markets(request)
    side = _side(request)
    start, end = int_param(request, "start"), int_param(request, "end")
    taker_only = bool_param(request, "takerOnly", taker_only_default)
    filter_type = request.query_params.get("filterType", "")
    filter_amount = request.query_params.get("filterAmount", "")
    if bool(filter_type) != bool(filter_amount):
        raise BadRequest("filterType and filterAmount must be given together")
    if filter_type and filter_type not in ("CASH", "TOKENS"):
        raise BadRequest(f"invalid filterType: expected CASH or TOKENS, got {filter_type!r}")
    event_ids = request.query_params.get("eventId", "")
    limit, offset = page if page is not None else (None, 0)
    if limit == 0:
        return []
    with ctx.lock:
        trades = ctx.venue.public_trades(
            user=user,
            market=markets,
            side=side,
            taker_only=bool(taker_only),
            start=from_unix(start) if start is not None else None,
            end=from_unix(end) if end is not None else None,
            limit=limit,
            offset=offset,
        )
    if filter_type:
        try:
            minimum = float(filter_amount)
        except ValueError:
            raise BadRequest(f"invalid filterAmount: expected a number, got {filter_amount!r}") from None
        trades = [t for t in trades if float(t.size * t.price if filter_type == "CASH" else t.size) >= minimum]
    if event_ids:
        if markets:
            raise BadRequest("market and eventId are mutually exclusive")
        wanted = {e.strip() for e in event_ids.split(",")}
        with ctx.lock:
            in_events = {
                m.condition_id for m in ctx.venue.markets() if m.event_id in wanted or render.gamma_event_id(m) in wanted
            }
        trades = [t for t in trades if t.condition_id in in_events]
    return trades


async def get_trades(request: Request, ctx: WireContext) -> Any:
    limit = int_param(request, "limit", 100, low=0, high=TRADES_MAX_LIMIT)
    offset = int_param(request, "offset", 0, low=0, high=MAX_OFFSET)
    assert limit is not None and offset is not None
    paged = not request.query_params.get("filterType") and not request.query_params.get("eventId")
    page = (limit, offset) if paged else None
    trades = _public_trades(request, ctx, user_required=False, taker_only_default=True, page=page)
    trades.sort(key=lambda t: t.timestamp, reverse=True)
    return [render.public_trade_json(t) for t in (trades if paged else trades[offset : offset + limit])]


async def get_activity(request: Request, ctx: WireContext) -> Any:
    limit = int_param(request, "limit", 100, low=0, high=ACTIVITY_MAX_LIMIT)
    offset = int_param(request, "offset", 0, low=0, high=MAX_OFFSET)
    types = {t.strip() for t in request.query_params.get("type", "TRADE").split(",") if t.strip()}
    unknown = types - ACTIVITY_TYPES
    if unknown:
        raise BadRequest(f"invalid type: unknown {sorted(unknown)}")
    sort_by = request.query_params.get("sortBy", "TIMESTAMP")
    direction = request.query_params.get("sortDirection", "DESC")
    if sort_by not in ("TIMESTAMP", "TOKENS", "CASH"):
        raise BadRequest(f"invalid sortBy: expected TIMESTAMP, TOKENS or CASH, got {sort_by!r}")
    if direction not in ("ASC", "DESC"):
        raise BadRequest(f"invalid sortDirection: expected ASC or DESC, got {direction!r}")
    # Activity lists every fill of the user, maker or taker; only trades happen on this venue.
    trades = _public_trades(request, ctx, user_required=True, taker_only_default=False) if "TRADE" in types else []
    sort_keys = {"TIMESTAMP": lambda t: t.timestamp, "TOKENS": lambda t: t.size, "CASH": lambda t: t.size * t.price}
    trades.sort(key=sort_keys[sort_by], reverse=direction == "DESC")
    return [render.activity_json(t) for t in trades[offset : offset + limit]]


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/trades", get_trades),
    ("GET", "/activity", get_activity),
]
