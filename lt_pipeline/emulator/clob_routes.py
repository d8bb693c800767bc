"""CLOB V2 routes at `/`: health and time, API keys, books and prices, markets, order placement and
cancels, open orders and trades, balances, and the odds and ends (notifications, scoring, heartbeats)
that clients call. `ROUTES` is the table `server.build_app` mounts at the root."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..clock import from_unix
from . import auth, orders, render
from .types import Market, VenueError
from .wire import (
    INVALID_PAYLOAD,
    MARKET_NOT_FOUND,
    BadRequest,
    Handler,
    WireContext,
    best_levels,
    cursor_param,
    int_param,
    l1,
    l2,
    live_prices,
    market_of_token,
    midpoint,
    read_json,
    token_param,
)

MAX_CANCEL_IDS = 3000


# ---- CLOB: health, time, keys ---------------------------------------------------------------------


async def get_ok(request: Request, ctx: WireContext) -> Any:
    return "OK"


async def get_time(request: Request, ctx: WireContext) -> Any:
    return ctx.now_unix()


async def get_version(request: Request, ctx: WireContext) -> Any:
    return {"version": 2}


async def create_api_key(request: Request, ctx: WireContext) -> Any:
    address, nonce = l1(request, ctx)
    with ctx.lock:
        key = ctx.keys.create(address, nonce)
        ctx.venue.open_account(address)
    return key.creds_json()


async def derive_api_key(request: Request, ctx: WireContext) -> Any:
    address, nonce = l1(request, ctx)
    return ctx.keys.derive(address, nonce).creds_json()


async def get_api_keys(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    return {"apiKeys": ctx.keys.keys_of(key.address)}


async def delete_api_key(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    ctx.keys.delete(key.api_key)
    return "OK"


async def get_closed_only(request: Request, ctx: WireContext) -> Any:
    await l2(request, ctx)
    return {"closed_only": False}


# ---- CLOB: books and prices -----------------------------------------------------------------------


async def get_book(request: Request, ctx: WireContext) -> Any:
    token = token_param(request)
    with ctx.lock:
        return render.book_json(ctx.venue.book(token))


def _book_tokens(body: Any, *, need_side: bool = False) -> list[tuple[str, str]]:
    if not isinstance(body, list):
        raise BadRequest(INVALID_PAYLOAD)
    tokens = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("token_id"), str) or not item["token_id"].isdigit():
            raise BadRequest(orders.INVALID_TOKEN)
        side = item.get("side", "")
        if need_side and side not in ("BUY", "SELL"):
            raise BadRequest(f"invalid side for token {item['token_id']}: expected BUY or SELL")
        tokens.append((item["token_id"], side))
    return tokens


async def post_books(request: Request, ctx: WireContext) -> Any:
    tokens = _book_tokens(await read_json(request))
    books = []
    with ctx.lock:
        for token, _ in tokens:
            try:
                books.append(render.book_json(ctx.venue.book(token)))
            except VenueError:
                continue
    return books


def _price_for(ctx: WireContext, token: str, side: str) -> Decimal:
    bid, ask = best_levels(ctx, token)
    if side == "BUY":
        return bid if bid is not None else Decimal(0)
    return ask if ask is not None else Decimal(1)


async def get_price(request: Request, ctx: WireContext) -> Any:
    token = token_param(request)
    side = request.query_params.get("side", "")
    if side not in ("BUY", "SELL"):
        raise BadRequest("Invalid side")
    with ctx.lock:
        return {"price": render.dec(_price_for(ctx, token, side))}


async def post_prices(request: Request, ctx: WireContext) -> Any:
    tokens = _book_tokens(await read_json(request), need_side=True)
    answer: dict[str, dict[str, str]] = {}
    with ctx.lock:
        for token, side in tokens:
            try:
                answer.setdefault(token, {})[side] = render.dec(_price_for(ctx, token, side))
            except VenueError:
                continue
    return answer


async def get_midpoint(request: Request, ctx: WireContext) -> Any:
    token = token_param(request)
    with ctx.lock:
        return {"mid": render.dec(midpoint(*best_levels(ctx, token)))}


async def post_midpoints(request: Request, ctx: WireContext) -> Any:
    tokens = _book_tokens(await read_json(request))
    answer = {}
    with ctx.lock:
        for token, _ in tokens:
            try:
                answer[token] = render.dec(midpoint(*best_levels(ctx, token)))
            except VenueError:
                continue
    return answer


def _spread(ctx: WireContext, token: str) -> Decimal:
    bid, ask = best_levels(ctx, token)
    return (ask if ask is not None else Decimal(1)) - (bid if bid is not None else Decimal(0))


async def get_spread(request: Request, ctx: WireContext) -> Any:
    token = token_param(request)
    with ctx.lock:
        return {"spread": render.dec(_spread(ctx, token))}


async def post_spreads(request: Request, ctx: WireContext) -> Any:
    tokens = _book_tokens(await read_json(request))
    answer = {}
    with ctx.lock:
        for token, _ in tokens:
            try:
                answer[token] = render.dec(_spread(ctx, token))
            except VenueError:
                continue
    return answer


async def get_tick_size(request: Request, ctx: WireContext) -> Any:
    token = token_param(request)
    with ctx.lock:
        return {"minimum_tick_size": render.num(market_of_token(ctx, token).tick_size)}


async def get_neg_risk(request: Request, ctx: WireContext) -> Any:
    token = token_param(request)
    with ctx.lock:
        return {"neg_risk": market_of_token(ctx, token).neg_risk}


async def get_fee_rate(request: Request, ctx: WireContext) -> Any:
    token = token_param(request)
    with ctx.lock:
        return {"base_fee": market_of_token(ctx, token).fee_rate_bps}


def _last_trade(ctx: WireContext, token: str) -> dict[str, str]:
    market_of_token(ctx, token)
    last = ctx.venue.last_trade(token)
    if last is None:
        return {"price": "0.5", "side": ""}
    return {"price": render.dec(last[0]), "side": last[1]}


async def get_last_trade_price(request: Request, ctx: WireContext) -> Any:
    token = token_param(request)
    with ctx.lock:
        return _last_trade(ctx, token)


async def post_last_trades_prices(request: Request, ctx: WireContext) -> Any:
    tokens = _book_tokens(await read_json(request))
    answer = []
    with ctx.lock:
        for token, _ in tokens:
            try:
                answer.append({"token_id": token, **_last_trade(ctx, token)})
            except VenueError:
                continue
    return answer


# ---- CLOB: markets --------------------------------------------------------------------------------


def _market_json(ctx: WireContext, market: Market) -> dict[str, Any]:
    return render.clob_market_json(market, render.token_prices(market, live_prices(ctx, market)))


async def get_markets(request: Request, ctx: WireContext) -> Any:
    offset = cursor_param(request)
    limit = ctx.options.markets_page_size
    with ctx.lock:
        markets = ctx.venue.markets()
        chunk = [_market_json(ctx, m) for m in markets[offset : offset + limit]]
    end = offset + len(chunk)
    return {
        "limit": limit,
        "count": len(chunk),
        "next_cursor": render.encode_cursor(end) if end < len(markets) else render.END_CURSOR,
        "data": chunk,
    }


async def get_simplified_markets(request: Request, ctx: WireContext) -> Any:
    answer = await get_markets(request, ctx)
    answer["data"] = [
        {k: m[k] for k in ("condition_id", "tokens", "rewards", "active", "closed", "archived", "accepting_orders")}
        for m in answer["data"]
    ]
    return answer


def _market_by_id(ctx: WireContext, condition_id: str) -> Market:
    if not condition_id.startswith("0x") or len(condition_id) != 66:
        raise BadRequest("Invalid market")
    market = ctx.venue.market(condition_id)
    if market is None:
        raise VenueError(404, MARKET_NOT_FOUND)
    return market


async def get_market(request: Request, ctx: WireContext) -> Any:
    with ctx.lock:
        return _market_json(ctx, _market_by_id(ctx, request.path_params["condition_id"]))


async def get_clob_market(request: Request, ctx: WireContext) -> Any:
    with ctx.lock:
        return render.clob_market_info_json(_market_by_id(ctx, request.path_params["condition_id"]))


async def get_market_by_token(request: Request, ctx: WireContext) -> Any:
    token = request.path_params["token_id"]
    if not token.isdigit():
        raise BadRequest(orders.INVALID_TOKEN)
    with ctx.lock:
        return {"condition_id": market_of_token(ctx, token).condition_id}


# ---- CLOB: orders ---------------------------------------------------------------------------------


def place_one(ctx: WireContext, key: auth.ApiKey, body: Any) -> dict[str, Any]:
    """Verify and place one order request; raises VenueError with the venue's text on refusal."""
    request = orders.parse_order_request(body)
    with ctx.lock:
        market = ctx.venue.market_for_token(request.order.token_id)
        incoming = orders.verify_order(
            request, api_key=key.api_key, key_address=key.address, market=market, now_unix=ctx.now_unix()
        )
        if incoming.maker.lower() != key.address.lower():
            # A proxy/Safe funder first seen in a verified order gets the faucet, as the key's address did.
            ctx.venue.open_account(incoming.maker)
        result = ctx.venue.place(incoming)
        ctx.funders[key.api_key] = incoming.maker
    return render.placement_json(result)


async def post_order(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    body = await read_json(request, orders.INVALID_PAYLOAD)
    return place_one(ctx, key, body)


async def post_orders(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    body = await read_json(request, orders.INVALID_PAYLOAD)
    if not isinstance(body, list) or not body:
        raise BadRequest(orders.INVALID_PAYLOAD)
    if len(body) > orders.MAX_ORDERS_PER_BATCH:
        raise BadRequest(f"Too many orders in payload: {len(body)}, max allowed: {orders.MAX_ORDERS_PER_BATCH}")
    answers = []
    for item in body:
        try:
            answers.append(place_one(ctx, key, item))
        except VenueError as exc:
            answers.append(render.failed_placement_json(exc.message, exc.order_id))
    return answers


def _cancel_answer(canceled: list[str], not_canceled: dict[str, str]) -> dict[str, Any]:
    return {"canceled": list(canceled), "not_canceled": dict(not_canceled)}


async def cancel_order(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    body = await read_json(request, orders.INVALID_PAYLOAD)
    if not isinstance(body, dict) or not isinstance(body.get("orderID"), str) or not body["orderID"]:
        raise BadRequest(orders.INVALID_PAYLOAD)
    with ctx.lock:
        return _cancel_answer(*ctx.venue.cancel(key.api_key, [body["orderID"]]))


async def cancel_orders(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    body = await read_json(request, orders.INVALID_PAYLOAD)
    if not isinstance(body, list) or not all(isinstance(i, str) and i for i in body):
        raise BadRequest(orders.INVALID_PAYLOAD)
    if len(body) > MAX_CANCEL_IDS:
        raise BadRequest(f"Too many orders in payload, max allowed: {MAX_CANCEL_IDS}")
    with ctx.lock:
        return _cancel_answer(*ctx.venue.cancel(key.api_key, list(dict.fromkeys(body))))


async def cancel_all(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    with ctx.lock:
        return _cancel_answer(*ctx.venue.cancel_all(key.api_key))


async def cancel_market_orders(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    body = await read_json(request, orders.INVALID_PAYLOAD)
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise BadRequest(orders.INVALID_PAYLOAD)
    market, asset_id = body.get("market", ""), body.get("asset_id", "")
    if not isinstance(market, str) or not isinstance(asset_id, str):
        raise BadRequest(orders.INVALID_PAYLOAD)
    with ctx.lock:
        return _cancel_answer(*ctx.venue.cancel_market(key.api_key, market or None, asset_id or None))


async def get_order(request: Request, ctx: WireContext) -> Any:
    """One of the key's orders while it is open (LIVE); for an order that is done -- filled,
    cancelled by its owner, expired, or cancelled as its market resolved -- or unknown, the venue
    answers 200 with the body `null` (the client returns None; read fills from /data/trades)."""
    key = await l2(request, ctx)
    with ctx.lock:
        record = ctx.venue.get_order(request.path_params["order_id"])
    if record is None or record.owner != key.api_key or record.status != "LIVE":
        return None
    if ctx.options.hide_market_orders and record.order_type in orders.MARKET_ORDER_TYPES:
        return None
    return render.open_order_json(record, prefixed_statuses=ctx.options.prefixed_statuses)


async def get_open_orders(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    offset = cursor_param(request)
    q = request.query_params
    with ctx.lock:
        records = ctx.venue.orders(
            key.api_key, market=q.get("market") or None, asset_id=q.get("asset_id") or None, order_id=q.get("id") or None
        )
    rows = [render.open_order_json(r, prefixed_statuses=ctx.options.prefixed_statuses) for r in records]
    return render.page(rows, offset, ctx.options.data_page_size)


def funder_of(ctx: WireContext, key: auth.ApiKey) -> str:
    return ctx.funders.get(key.api_key, key.address)


async def get_trades(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    offset = cursor_param(request)
    q = request.query_params
    address = q.get("maker_address") or funder_of(ctx, key)
    before, after = int_param(request, "before"), int_param(request, "after")
    with ctx.lock:
        trades = ctx.venue.trades(
            address,
            trade_id=q.get("id") or None,
            market=q.get("market") or None,
            asset_id=q.get("asset_id") or None,
            before=from_unix(before) if before is not None else None,
            after=from_unix(after) if after is not None else None,
        )
    rows = [
        render.trade_json(t, viewer_address=address, prefixed_statuses=ctx.options.prefixed_statuses) for t in trades
    ]
    return render.page(rows, offset, ctx.options.data_page_size)


# ---- CLOB: balances and odds and ends -------------------------------------------------------------


def _balance_request(request: Request) -> tuple[str, str | None]:
    asset_type = request.query_params.get("asset_type", "")
    if asset_type not in ("COLLATERAL", "CONDITIONAL"):
        raise BadRequest("invalid asset_type: expected COLLATERAL or CONDITIONAL")
    token = request.query_params.get("token_id") or None
    if asset_type == "CONDITIONAL" and (token is None or not token.isdigit()):
        raise BadRequest(orders.INVALID_TOKEN)
    return asset_type, token if asset_type == "CONDITIONAL" else None


async def get_balance_allowance(request: Request, ctx: WireContext) -> Any:
    key = await l2(request, ctx)
    asset_type, token = _balance_request(request)
    with ctx.lock:
        balance = ctx.venue.balance(funder_of(ctx, key), asset_type, token)
    spenders = (orders.EXCHANGE_V2, orders.NEG_RISK_EXCHANGE_V2, orders.NEG_RISK_ADAPTER)
    return {"balance": render.micro(balance), "allowances": {s: render.MAX_UINT256 for s in spenders}}


async def update_balance_allowance(request: Request, ctx: WireContext) -> Any:
    await l2(request, ctx)
    _balance_request(request)
    return Response(b"", status_code=200)


async def get_notifications(request: Request, ctx: WireContext) -> Any:
    await l2(request, ctx)
    return []


async def drop_notifications(request: Request, ctx: WireContext) -> Any:
    await l2(request, ctx)
    return "OK"


async def get_order_scoring(request: Request, ctx: WireContext) -> Any:
    await l2(request, ctx)
    return {"scoring": False}


async def post_orders_scoring(request: Request, ctx: WireContext) -> Any:
    await l2(request, ctx)
    body = await read_json(request)
    if not isinstance(body, list):
        raise BadRequest(INVALID_PAYLOAD)
    return {str(order_id): False for order_id in body}


async def post_heartbeat(request: Request, ctx: WireContext) -> Any:
    await l2(request, ctx)
    body = await read_json(request)
    heartbeat_id = body.get("heartbeat_id") if isinstance(body, dict) else None
    return {"heartbeat_id": heartbeat_id or "0"}


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/", get_ok),
    ("GET", "/ok", get_ok),
    ("GET", "/time", get_time),
    ("GET", "/version", get_version),
    ("POST", "/auth/api-key", create_api_key),
    ("GET", "/auth/derive-api-key", derive_api_key),
    ("GET", "/auth/api-keys", get_api_keys),
    ("DELETE", "/auth/api-key", delete_api_key),
    ("GET", "/auth/ban-status/closed-only", get_closed_only),
    ("GET", "/book", get_book),
    ("POST", "/books", post_books),
    ("GET", "/price", get_price),
    ("POST", "/prices", post_prices),
    ("GET", "/midpoint", get_midpoint),
    ("POST", "/midpoints", post_midpoints),
    ("GET", "/spread", get_spread),
    ("POST", "/spreads", post_spreads),
    ("GET", "/tick-size", get_tick_size),
    ("GET", "/neg-risk", get_neg_risk),
    ("GET", "/fee-rate", get_fee_rate),
    ("GET", "/last-trade-price", get_last_trade_price),
    ("POST", "/last-trades-prices", post_last_trades_prices),
    ("GET", "/markets", get_markets),
    ("GET", "/sampling-markets", get_markets),
    ("GET", "/simplified-markets", get_simplified_markets),
    ("GET", "/sampling-simplified-markets", get_simplified_markets),
    ("GET", "/markets/{condition_id}", get_market),
    ("GET", "/clob-markets/{condition_id}", get_clob_market),
    ("GET", "/markets-by-token/{token_id}", get_market_by_token),
    ("POST", "/order", post_order),
    ("POST", "/orders", post_orders),
    ("DELETE", "/order", cancel_order),
    ("DELETE", "/orders", cancel_orders),
    ("DELETE", "/cancel-all", cancel_all),
    ("DELETE", "/cancel-market-orders", cancel_market_orders),
    ("GET", "/data/order/{order_id}", get_order),
    ("GET", "/data/orders", get_open_orders),
    ("GET", "/data/trades", get_trades),
    ("GET", "/balance-allowance", get_balance_allowance),
    ("GET", "/balance-allowance/update", update_balance_allowance),
    ("GET", "/notifications", get_notifications),
    ("DELETE", "/notifications", drop_notifications),
    ("GET", "/order-scoring", get_order_scoring),
    ("POST", "/orders-scoring", post_orders_scoring),
    ("POST", "/v1/heartbeats", post_heartbeat),
]

