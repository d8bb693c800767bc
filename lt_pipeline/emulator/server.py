"""The emulator's one HTTP server: CLOB V2 routes at `/`, the Data API under `/data-api` and Gamma
under `/gamma`, admin under `/admin`, with L1/L2 auth, fault injection and request counters.

Handlers run on the event loop thread (the venue is CPU-bound and serialised by one lock anyway,
so a thread pool would only add hand-offs); every success is exactly HTTP 200 and every refusal
is the venue's own status and `{"error": ...}` text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from ..clock import Clock, from_unix, to_unix
from . import auth, orders, render
from .faults import (
    CANCEL_ONLY_TEXT,
    HALTED_TEXT,
    LOST_REPLY_TEXT,
    ORDER_ERROR_TEXT,
    THROTTLED_TEXT,
    Decision,
    FaultInjector,
    RouteKind,
)
from .types import Market, VenueError

log = logging.getLogger(__name__)

NO_BOOK = "No orderbook exists for the requested token id"
MARKET_NOT_FOUND = "market not found"
INVALID_PAYLOAD = "Invalid payload"
MAX_CANCEL_IDS = 3000
INTERNAL_ERROR = "Internal server error"
FAK_NO_MATCH_PREFIX = "no orders found to match with FAK order"


class BadRequest(VenueError):
    """A malformed query or body: 400 with a text naming what was wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


@dataclass
class WireOptions:
    max_clock_skew_s: int | None = auth.DEFAULT_MAX_CLOCK_SKEW_S
    markets_page_size: int = 1000
    data_page_size: int = 100
    prefixed_statuses: bool = False  # ORDER_STATUS_* / TRADE_STATUS_* on REST, as some V2 servers send
    hide_market_orders: bool = True  # GET /data/order/{id} answers null for FOK/FAK orders, as production does


@dataclass
class WireContext:
    """Everything a route needs: the venue, its clock, the key store, faults, counters, options."""

    venue: Any
    clock: Clock
    keys: auth.ApiKeyStore
    faults: FaultInjector
    options: WireOptions = field(default_factory=WireOptions)
    lock: threading.RLock = field(default_factory=threading.RLock)
    request_counts: dict[str, int] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)
    funders: dict[str, str] = field(default_factory=dict)  # api key -> funder address seen in its orders

    def now_unix(self) -> int:
        return to_unix(self.clock.now())

    def counters(self) -> dict[str, Any]:
        with self.lock:
            venue_counters = self.venue.counters() if hasattr(self.venue, "counters") else {}
        return {
            "venue": venue_counters,
            "faults": self.faults.counters(),
            "requests": dict(sorted(self.request_counts.items())),
            "statuses": dict(sorted(self.status_counts.items())),
            "api_keys": len(self.keys),
        }


# ---- responses and request parsing ---------------------------------------------------------------


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def error(status: int, message: str, **extra: Any) -> JSON:
    return JSON({"error": message, **extra}, status_code=status)


Handler = Callable[[Request, WireContext], Awaitable[Any]]


def wrap(ctx: WireContext, handler: Handler, *, sync_venue: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """Run a handler under the venue lock with the simulation synced; turn refusals into error bodies."""

    async def endpoint(request: Request) -> Response:
        try:
            if sync_venue:
                with ctx.lock:
                    ctx.venue.sync()
            result = await handler(request, ctx)
        except VenueError as exc:
            extra = {"orderID": exc.order_id} if exc.order_id and exc.message.startswith(FAK_NO_MATCH_PREFIX) else {}
            return error(exc.status, exc.message, **extra)
        except Exception:
            log.exception("emulator route %s %s failed", request.method, request.url.path)
            return error(500, INTERNAL_ERROR)
        return result if isinstance(result, Response) else JSON(result)

    return endpoint


async def read_json(request: Request, message: str = INVALID_PAYLOAD) -> Any:
    body = await request.body()
    try:
        return json.loads(body) if body else None
    except ValueError:
        raise BadRequest(message) from None


def token_param(request: Request, name: str = "token_id") -> str:
    token = request.query_params.get(name, "")
    if not token.isdigit():
        raise BadRequest(orders.INVALID_TOKEN)
    return token


def int_param(request: Request, name: str, default: int | None = None, *, low: int = 0, high: int | None = None) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"invalid {name}: expected an integer, got {text!r}") from None
    if value < low or (high is not None and value > high):
        limits = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"invalid {name}: expected an integer {limits}, got {value}")
    return value


def bool_param(request: Request, name: str, default: bool | None) -> bool | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if text.lower() in ("true", "1"):
        return True
    if text.lower() in ("false", "0"):
        return False
    raise BadRequest(f"invalid {name}: expected true or false, got {text!r}")


def cursor_param(request: Request) -> int:
    try:
        return render.decode_cursor(request.query_params.get("next_cursor"))
    except ValueError:
        raise BadRequest("invalid next_cursor") from None


def l1(request: Request, ctx: WireContext) -> tuple[str, int]:
    return auth.verify_l1(request.headers, ctx.now_unix(), ctx.options.max_clock_skew_s)


async def l2(request: Request, ctx: WireContext) -> auth.ApiKey:
    body = await request.body()
    return auth.verify_l2(
        ctx.keys, request.headers, request.method, request.url.path, body, ctx.now_unix(), ctx.options.max_clock_skew_s
    )


# ---- prices ---------------------------------------------------------------------------------------


def best_levels(ctx: WireContext, token_id: str) -> tuple[Decimal | None, Decimal | None]:
    view = ctx.venue.book(token_id)
    return (view.bids[-1][0] if view.bids else None, view.asks[-1][0] if view.asks else None)


def midpoint(bid: Decimal | None, ask: Decimal | None) -> Decimal:
    """An empty bid side counts as 0 and an empty ask side as 1, as for a fresh market."""
    return ((bid if bid is not None else Decimal(0)) + (ask if ask is not None else Decimal(1))) / 2


def live_prices(ctx: WireContext, market: Market) -> dict[str, Decimal]:
    prices: dict[str, Decimal] = {}
    if market.closed:
        return prices
    for token in market.tokens:
        try:
            bid, ask = best_levels(ctx, token.token_id)
        except VenueError:
            continue
        if bid is not None or ask is not None:
            prices[token.token_id] = midpoint(bid, ask)
        else:
            last = ctx.venue.last_trade(token.token_id)
            if last is not None:
                prices[token.token_id] = last[0]
    return prices


def market_of_token(ctx: WireContext, token_id: str) -> Market:
    market = ctx.venue.market_for_token(token_id)
    if market is None:
        raise VenueError(404, MARKET_NOT_FOUND)
    return market


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
    key = await l2(request, ctx)
    with ctx.lock:
        record = ctx.venue.get_order(request.path_params["order_id"])
    if record is None or record.owner != key.api_key:
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


CLOB_ROUTES: list[tuple[str, str, Handler]] = [
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


def make_routes(ctx: WireContext, table: list[tuple[str, str, Handler]], *, sync_venue: bool = True) -> list[Route]:
    by_path: dict[str, dict[str, Handler]] = {}
    for method, path, handler in table:
        by_path.setdefault(path, {})[method] = handler
    routes = []
    for path, handlers in by_path.items():
        endpoints = {m: wrap(ctx, h, sync_venue=sync_venue) for m, h in handlers.items()}
        routes.append(Route(path, _dispatch(endpoints), methods=list(endpoints)))
    return routes


def _dispatch(endpoints: dict[str, Callable[[Request], Awaitable[Response]]]) -> Callable[[Request], Awaitable[Response]]:
    if len(endpoints) == 1:
        return next(iter(endpoints.values()))

    async def endpoint(request: Request) -> Response:
        return await endpoints[request.method](request)

    return endpoint


# ---- faults and counters (raw ASGI, around the router) --------------------------------------------


def route_kind(method: str, path: str) -> RouteKind:
    if path.startswith("/admin"):
        return "admin"
    if method == "POST" and path in ("/order", "/orders"):
        return "order_post"
    if method == "DELETE" and path in ("/order", "/orders", "/cancel-all", "/cancel-market-orders"):
        return "cancel"
    if path.startswith(("/data/", "/balance-allowance", "/auth/")):
        return "private"
    return "public"


def counter_key(method: str, path: str) -> str:
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "data" and parts[2] == "order":
        path = "/data/order/{id}"
    elif len(parts) > 2 and parts[1] in ("markets", "clob-markets", "markets-by-token") and parts[2] != "":
        path = f"/{parts[1]}/{{id}}"
    elif parts[1:2] == ["gamma"] and len(parts) > 3 and parts[2] == "markets":
        path = "/gamma/markets/{id}"
    return f"{method} {path}"


class _LostReplyFilter(logging.Filter):
    """Hide uvicorn's complaint about the replies the fault injector cuts off on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_LostReplyFilter())


class FaultsAndCounters:
    """ASGI middleware: counts every request and status, and applies the active fault profile."""

    def __init__(self, app: Any, ctx: WireContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        ctx = self.ctx
        key = counter_key(method, path)
        ctx.request_counts[key] = ctx.request_counts.get(key, 0) + 1
        decision = ctx.faults.decide(route_kind(method, path))
        if decision.delay_seconds:
            await asyncio.sleep(decision.delay_seconds)

        async def counting_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status = str(message["status"])
                ctx.status_counts[status] = ctx.status_counts.get(status, 0) + 1
            await send(message)

        if decision.action != "none":
            await self._refuse(decision, counting_send)
            return
        if not decision.lose_reply:
            await self.app(scope, receive, counting_send)
            return

        async def swallow(message: dict) -> None:
            return None

        await self.app(scope, receive, swallow)  # the order is placed, the reply never arrives
        if decision.lose_reply == "drop":
            await _drop(counting_send)
        else:
            await _send_json(counting_send, 500, {"error": LOST_REPLY_TEXT})

    async def _refuse(self, decision: Decision, send: Callable) -> None:
        if decision.action == "drop":
            await _drop(send)
        elif decision.action == "throttle":
            retry = str(self.ctx.faults.retry_after())
            await _send_json(send, 429, {"error": THROTTLED_TEXT}, [(b"retry-after", retry.encode())])
        elif decision.action == "halted":
            await _send_json(send, 503, {"error": HALTED_TEXT})
        elif decision.action == "cancel_only":
            await _send_json(send, 503, {"error": CANCEL_ONLY_TEXT})
        elif decision.action == "order_error":
            await _send_json(send, 500, {"error": ORDER_ERROR_TEXT})


async def _send_json(send: Callable, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers + (headers or [])})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Callable) -> None:
    """Promise a body and stop half-way: the server closes the connection, the client sees it cut."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})


# ---- the app ---------------------------------------------------------------------------------------


def build_context(
    venue: Any,
    *,
    clock: Clock | None = None,
    faults: FaultInjector | str | None = None,
    key_seed: int = 0,
    options: WireOptions | None = None,
) -> WireContext:
    clock = clock if clock is not None else getattr(venue, "clock")
    injector = faults if isinstance(faults, FaultInjector) else FaultInjector(faults, seed=key_seed)
    return WireContext(venue=venue, clock=clock, keys=auth.ApiKeyStore(key_seed), faults=injector, options=options or WireOptions())


def build_app(ctx: WireContext) -> Any:
    """The ASGI app serving CLOB, Data API, Gamma and admin routes for one venue."""
    from . import admin, data_api, gamma

    routes: list[Any] = [
        Mount("/data-api", routes=make_routes(ctx, data_api.ROUTES)),
        Mount("/gamma", routes=make_routes(ctx, gamma.ROUTES)),
        Mount("/admin", routes=make_routes(ctx, admin.ROUTES, sync_venue=False)),
        *make_routes(ctx, CLOB_ROUTES),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    return FaultsAndCounters(app, ctx)


async def _not_found(request: Request, exc: Exception) -> Response:
    return error(404, "not found")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return error(405, "method not allowed")
