"""The emulator's wire plumbing shared by every route module: the route context (`WireContext`,
`WireOptions`), JSON replies and error bodies, request parsing (`read_json`, `int_param`, ...), L1/L2
auth checks, best-level prices, and turning a route table into Starlette routes run under the venue lock.

It imports no route module; the route modules (`clob_routes`, `data_api`, `gamma`, `admin`) import it,
and `server` assembles them into the app.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..clock import Clock, to_unix
from . import auth, orders, render
from .faults import FaultInjector
from .quotas import QuotaEnforcer, QuotaPolicy
from .types import Market, VenueError

log = logging.getLogger(__name__)

MARKET_NOT_FOUND = "market not found"
INVALID_PAYLOAD = "Invalid payload"
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
    # Published request quotas (the Data API's by default); None turns them off (quotas.py).
    quotas: QuotaPolicy | None = field(default_factory=QuotaPolicy)


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
    quotas: QuotaEnforcer | None = None  # built from options.quotas by server.build_context

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
            "quotas": self.quotas.counters() if self.quotas is not None else None,
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


# ---- route tables -> Starlette routes ------------------------------------------------------------


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

