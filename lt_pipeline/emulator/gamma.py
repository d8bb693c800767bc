"""Gamma routes (`/gamma/markets`, `/gamma/events`): market metadata and resolution as the public
Gamma API shows it, with repeated-key array filters and JSON-encoded string fields."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from . import render
from .wire import BadRequest, Handler, WireContext, best_levels, bool_param, int_param, live_prices
from .types import Market, VenueError

MAX_LIMIT = 1000
MAX_OFFSET = 10000


def _quotes(ctx: WireContext, market: Market) -> dict[str, Any]:
    token = market.tokens[0].token_id
    quotes: dict[str, Any] = {}
    if not market.closed:
        try:
            bid, ask = best_levels(ctx, token)
        except VenueError:
            bid = ask = None
        if bid is not None:
            quotes["bestBid"] = render.num(bid)
        if ask is not None:
            quotes["bestAsk"] = render.num(ask)
        if bid is not None and ask is not None:
            quotes["spread"] = render.num(ask - bid)
    last = ctx.venue.last_trade(token)
    if last is not None:
        quotes["lastTradePrice"] = render.num(last[0])
    return quotes


def market_body(ctx: WireContext, market: Market, *, with_events: bool = True) -> dict[str, Any]:
    prices = render.token_prices(market, live_prices(ctx, market))
    return render.gamma_market_json(market, prices, _quotes(ctx, market), with_events=with_events)


def _filtered(request: Request, ctx: WireContext) -> list[Market]:
    q = request.query_params
    closed = bool_param(request, "closed", None)
    ids = set(q.getlist("id"))
    slugs = set(q.getlist("slug"))
    condition_ids = {c.lower() for c in q.getlist("condition_ids")}
    token_ids = set(q.getlist("clob_token_ids"))
    markets = ctx.venue.markets()
    if closed is not None:
        markets = [m for m in markets if m.closed == closed]
    if ids:
        markets = [m for m in markets if render.gamma_market_id(m) in ids]
    if slugs:
        markets = [m for m in markets if m.slug in slugs]
    if condition_ids:
        markets = [m for m in markets if m.condition_id.lower() in condition_ids]
    if token_ids:
        markets = [m for m in markets if any(t.token_id in token_ids for t in m.tokens)]
    return markets


def _paging(request: Request) -> tuple[int, int]:
    limit = int_param(request, "limit", 100, low=0, high=MAX_LIMIT)
    offset = int_param(request, "offset", 0, low=0, high=MAX_OFFSET)
    assert limit is not None and offset is not None
    return limit, offset


def _ordered(request: Request, markets: list[Market]) -> list[Market]:
    order = request.query_params.get("order", "")
    ascending = bool_param(request, "ascending", False)
    keys = {
        "volume": lambda m: m.volume,
        "volumeNum": lambda m: m.volume,
        "volume24hr": lambda m: m.volume_24h,
        "liquidity": lambda m: m.liquidity,
        "liquidityNum": lambda m: m.liquidity,
        "endDate": lambda m: m.end_date,
        "startDate": lambda m: m.created_at,
        "createdAt": lambda m: m.created_at,
    }
    if not order:
        return markets
    field = order.split(",")[0]
    if field not in keys:
        raise BadRequest(f"invalid order: expected one of {', '.join(keys)}, got {field!r}")
    return sorted(markets, key=keys[field], reverse=not ascending)


async def get_markets(request: Request, ctx: WireContext) -> Any:
    limit, offset = _paging(request)
    with ctx.lock:
        markets = _ordered(request, _filtered(request, ctx))[offset : offset + limit]
        return [market_body(ctx, m) for m in markets]


async def get_market(request: Request, ctx: WireContext) -> Any:
    wanted = request.path_params["market_id"]
    with ctx.lock:
        for m in ctx.venue.markets():
            if render.gamma_market_id(m) == wanted:
                return market_body(ctx, m)
    raise VenueError(404, "market not found")


async def get_market_by_slug(request: Request, ctx: WireContext) -> Any:
    wanted = request.path_params["slug"]
    with ctx.lock:
        for m in ctx.venue.markets():
            if m.slug == wanted:
                return market_body(ctx, m)
    raise VenueError(404, "market not found")


def _events(ctx: WireContext) -> dict[str, list[Market]]:
    grouped: dict[str, list[Market]] = {}
    for m in ctx.venue.markets():
        grouped.setdefault(render.gamma_event_id(m), []).append(m)
    return grouped


async def get_events(request: Request, ctx: WireContext) -> Any:
    limit, offset = _paging(request)
    closed = bool_param(request, "closed", None)
    ids = set(request.query_params.getlist("id"))
    slugs = set(request.query_params.getlist("slug"))
    answer = []
    with ctx.lock:
        for event_id, markets in _events(ctx).items():
            event_closed = all(m.closed for m in markets)
            if closed is not None and event_closed != closed:
                continue
            if ids and event_id not in ids:
                continue
            if slugs and markets[0].event_slug not in slugs:
                continue
            answer.append((markets, [market_body(ctx, m, with_events=False) for m in markets]))
    return [render.gamma_event_json(ms, bodies) for ms, bodies in answer[offset : offset + limit]]


async def get_event(request: Request, ctx: WireContext) -> Any:
    wanted = request.path_params["event_id"]
    with ctx.lock:
        markets = _events(ctx).get(wanted)
        if not markets:
            raise VenueError(404, "event not found")
        return render.gamma_event_json(markets, [market_body(ctx, m, with_events=False) for m in markets])


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/markets", get_markets),
    ("GET", "/markets/slug/{slug}", get_market_by_slug),
    ("GET", "/markets/{market_id}", get_market),
    ("GET", "/events", get_events),
    ("GET", "/events/{event_id}", get_event),
]
