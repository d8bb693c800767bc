"""Gamma routes (`/gamma/markets`, `/gamma/events`): market metadata and resolution as the public
Gamma API shows it in 2026, with repeated-key array filters and JSON-encoded string fields.

The shapes follow the 2026 captures (payloads `gamma_market*.json`, `gamma_event.json`):

* a market carries no `category` and no `tags` (unless asked with `include_tag=true`); its
  `events[]` holds its event, and the event carries `tags` (`{id, label, slug, ...}`), whose first
  label is the market's category (what the project's Gamma parser falls back to);
* fees: `feesEnabled` always; on a fee-charging market also `feeType` (e.g. "crypto_fees"),
  `makerBaseFee`/`takerBaseFee` (bps) and `feeSchedule` `{"exponent", "rate", "takerOnly",
  "rebateRate"}` (the live 2026 shape); a fee-free market has `feeType: null` and none of the others;
* `/events` items embed their markets (without `events` inside them) and carry their tags.

Fee terms and tags are read from the venue's `Market` with getattr and a default, so markets that
predate those attributes still render.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from . import render
from .wire import BadRequest, Handler, WireContext, best_levels, bool_param, int_param, live_prices
from .types import Market, VenueError

MAX_LIMIT = 1000
MAX_OFFSET = 10000

FEE_TYPES = {  # category -> feeType, as seen on 2026 captures; others are "<category>_fees"
    "crypto": "crypto_fees",
    "sports": "sports_fees_v2",
}
REBATE_RATES = {"crypto": Decimal("0.2")}  # share of taker fees paid back to makers; 0.25 elsewhere
DEFAULT_REBATE_RATE = Decimal("0.25")
RESOLVER = "0x0000000000000000000000000000000000000000"


# ---- fees and tags --------------------------------------------------------------------------------


def fee_terms(market: Market) -> tuple[bool, Decimal, Decimal]:
    """(fees enabled, taker fee rate, exponent) of the market; a market without the fee attributes
    (older objects) falls back to its `fee_rate_bps` (rate = bps / 10000, exponent 1)."""
    rate = getattr(market, "fee_rate", None)
    if rate is None:
        rate = Decimal(int(getattr(market, "fee_rate_bps", 0) or 0)) / 10000
    enabled = getattr(market, "fees_enabled", None)
    if enabled is None:
        enabled = rate > 0
    exponent = getattr(market, "fee_exponent", None)
    return bool(enabled), Decimal(rate), Decimal(exponent if exponent is not None else 1)


def fee_fields(market: Market) -> dict[str, Any]:
    """The fee keys of a Gamma market: `feesEnabled` and `feeType` always; base fees and
    `feeSchedule` when fees apply. The base fees agree with the emulator's CLOB (`taker_base_fee` =
    the taker rate in bps, `maker_base_fee` 0: makers pay nothing here), where production shows a
    1000 bps cap in both."""
    enabled, rate, exponent = fee_terms(market)
    if not enabled:
        return {"feesEnabled": False, "feeType": None}
    category = _category(market).lower()
    rebate = getattr(market, "fee_rebate_rate", None)
    rebate = Decimal(rebate) if rebate is not None else REBATE_RATES.get(category, DEFAULT_REBATE_RATE)
    fee_type = getattr(market, "fee_type", None) or FEE_TYPES.get(category) or f"{_slug(category) or 'other'}_fees"
    return {
        "makerBaseFee": 0,
        "takerBaseFee": int(rate * 10000),
        "feesEnabled": True,
        "feeType": fee_type.replace("-", "_"),
        "feeSchedule": {
            "exponent": render.num(exponent),
            "rate": render.num(rate),
            "takerOnly": True,
            "rebateRate": render.num(rebate),
        },
    }


def _category(market: Market) -> str:
    return (getattr(market, "category", "") or "").strip()


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def tag_json(label: str) -> dict[str, Any]:
    """A Gamma tag with a stable numeric id derived from its slug."""
    slug = _slug(label) or "tag"
    tag_id = str(int(hashlib.sha256(f"tag:{slug}".encode()).hexdigest()[:7], 16) % 900_000 + 100_000)
    return {"id": tag_id, "label": label, "slug": slug, "forceShow": False, "requiresTranslation": False}


def tags_json(markets: Iterable[Market]) -> list[dict[str, Any]]:
    """An event's tags: each market's category first (the label the parser takes as the category),
    then the markets' own `tags`, without repeats."""
    labels: list[str] = []
    seen: set[str] = set()
    markets = list(markets)
    for label in [_category(m) for m in markets] + [str(t) for m in markets for t in getattr(m, "tags", ()) or ()]:
        label = label.strip()
        if label and label.lower() not in seen:
            seen.add(label.lower())
            labels.append(label)
    return [tag_json(label) for label in labels]


# ---- bodies ---------------------------------------------------------------------------------------


def _closed_time(value: datetime | None) -> str | None:
    """Gamma's market `closedTime` style: "2026-04-05 19:37:33+00"."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00")


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


def market_json(
    ctx: WireContext, market: Market, event: list[Market] | None, *, include_tag: bool = False
) -> dict[str, Any]:
    """A Gamma `/markets` item; `event` (the markets of its event) is embedded as `events[0]`, or
    left out (None) for the markets an `/events` item embeds."""
    prices = render.token_prices(market, live_prices(ctx, market))
    quotes = _quotes(ctx, market)
    resolved = market.closed and (market.winner_token_id is not None or market.voided)
    body: dict[str, Any] = {
        "id": render.gamma_market_id(market),
        "question": market.question,
        "conditionId": market.condition_id,
        "slug": market.slug,
        "resolutionSource": "",
        "endDate": render.iso(market.end_date),
        "liquidity": render.dec(market.liquidity),
        "startDate": render.iso(market.created_at),
        "image": "",
        "icon": "",
        "description": market.description,
        "outcomes": json.dumps([t.outcome for t in market.tokens]),
        "outcomePrices": json.dumps([render.dec(prices[t.token_id]) for t in market.tokens]),
        "volume": render.dec(market.volume),
        "active": True,
        "closed": market.closed,
        "marketMakerAddress": "",
        "createdAt": render.iso(market.created_at),
        "updatedAt": render.iso(market.resolved_at or market.created_at),
        "new": False,
        "featured": False,
        "archived": False,
        "restricted": True,
        "questionID": market.question_id,
        "enableOrderBook": True,
        "orderPriceMinTickSize": render.num(market.tick_size),
        "orderMinSize": render.num(market.min_order_size),
        "volumeNum": render.num(market.volume),
        "liquidityNum": render.num(market.liquidity),
        "endDateIso": market.end_date.astimezone(timezone.utc).strftime("%Y-%m-%d"),
        "startDateIso": market.created_at.astimezone(timezone.utc).strftime("%Y-%m-%d"),
        "hasReviewedDates": True,
        "volume24hr": render.num(market.volume_24h),
        "clobTokenIds": json.dumps([t.token_id for t in market.tokens]),
        "volumeClob": render.num(market.volume),
        "liquidityClob": render.num(market.liquidity),
        "acceptingOrders": market.accepting_orders and not market.closed,
        "negRisk": market.neg_risk,
        "negRiskRequestID": market.question_id if market.neg_risk else "",
    }
    if market.neg_risk:
        body["negRiskMarketID"] = market.neg_risk_market_id
    if include_tag:
        body["tags"] = tags_json([market])
    if event is not None:
        body["events"] = [event_json(event)]
    body.update(
        {
            "ready": False,
            "funded": False,
            "acceptingOrdersTimestamp": render.iso(market.created_at),
            "cyom": False,
            "approved": True,
            "spread": quotes.get("spread", 0),
            "lastTradePrice": quotes.get("lastTradePrice", 0),
            "bestBid": quotes.get("bestBid", 0),
            "bestAsk": quotes.get("bestAsk", 0),
            "automaticallyActive": True,
            "clearBookOnStart": False,
            "umaResolutionStatus": "resolved" if resolved else "",
            "umaResolutionStatuses": json.dumps(["proposed", "resolved"] if resolved else []),
            "resolvedBy": RESOLVER if resolved else "",
            "automaticallyResolved": resolved,
            "pendingDeployment": False,
            "deploying": False,
            "rfqEnabled": False,
            "holdingRewardsEnabled": False,
            "requiresTranslation": False,
        }
    )
    if market.closed:
        body["closedTime"] = _closed_time(market.resolved_at or market.end_date)
    body.update(fee_fields(market))
    return body


def event_json(markets: list[Market], market_bodies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Gamma event for `markets` (all of one event): embedded in a market's `events` (no
    `markets` key) or an `/events` item (with `market_bodies` as its `markets`)."""
    first = markets[0]
    closed = all(m.closed for m in markets)
    created = min(m.created_at for m in markets)
    updated = max((m.resolved_at or m.created_at) for m in markets)
    liquidity = sum((m.liquidity for m in markets), Decimal(0))
    body: dict[str, Any] = {
        "id": render.gamma_event_id(first),
        "ticker": first.event_slug,
        "slug": first.event_slug,
        "title": first.event_slug.replace("-", " ").title(),
        "description": first.description,
        "resolutionSource": "",
        "startDate": render.iso(created),
        "creationDate": render.iso(created),
        "endDate": render.iso(max(m.end_date for m in markets)),
        "image": "",
        "icon": "",
        "active": True,
        "closed": closed,
        "archived": False,
        "new": False,
        "featured": False,
        "restricted": True,
        "liquidity": render.num(liquidity),
        "volume": render.num(sum((m.volume for m in markets), Decimal(0))),
        "openInterest": 0,
        "createdAt": render.iso(created),
        "updatedAt": render.iso(updated),
        "volume24hr": render.num(sum((m.volume_24h for m in markets), Decimal(0))),
        "enableOrderBook": True,
        "liquidityClob": render.num(liquidity),
        "negRisk": first.neg_risk,
    }
    if first.neg_risk:
        body["negRiskMarketID"] = first.neg_risk_market_id
    body["commentCount"] = 0
    if market_bodies is not None:
        body["markets"] = market_bodies
    body["tags"] = tags_json(markets)
    body.update(
        {
            "cyom": False,
            "showAllOutcomes": True,
            "showMarketImages": True,
            "enableNegRisk": first.neg_risk,
            "automaticallyActive": True,
            "negRiskAugmented": False,
            "pendingDeployment": False,
            "deploying": False,
            "requiresTranslation": False,
        }
    )
    if closed:
        body["closedTime"] = render.iso(max((m.resolved_at or m.end_date) for m in markets))
    return body


# ---- routes ---------------------------------------------------------------------------------------


def _events(markets: list[Market]) -> dict[str, list[Market]]:
    grouped: dict[str, list[Market]] = {}
    for m in markets:
        grouped.setdefault(render.gamma_event_id(m), []).append(m)
    return grouped


def _filtered(request: Request, markets: list[Market]) -> list[Market]:
    q = request.query_params
    closed = bool_param(request, "closed", None)
    ids = set(q.getlist("id"))
    slugs = set(q.getlist("slug"))
    condition_ids = {c.lower() for c in q.getlist("condition_ids")}
    token_ids = set(q.getlist("clob_token_ids"))
    tag_ids = set(q.getlist("tag_id"))
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
    if tag_ids:
        markets = [m for m in markets if any(t["id"] in tag_ids for t in tags_json([m]))]
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


def _bodies(request: Request, ctx: WireContext, markets: list[Market], everything: list[Market]) -> list[dict[str, Any]]:
    include_tag = bool(bool_param(request, "include_tag", False))
    events = _events(everything)
    return [market_json(ctx, m, events[render.gamma_event_id(m)], include_tag=include_tag) for m in markets]


async def get_markets(request: Request, ctx: WireContext) -> Any:
    limit, offset = _paging(request)
    with ctx.lock:
        everything = ctx.venue.markets()
        markets = _ordered(request, _filtered(request, everything))[offset : offset + limit]
        return _bodies(request, ctx, markets, everything)


async def get_market(request: Request, ctx: WireContext) -> Any:
    wanted = request.path_params["market_id"]
    with ctx.lock:
        everything = ctx.venue.markets()
        found = [m for m in everything if render.gamma_market_id(m) == wanted][:1]
        if found:
            return _bodies(request, ctx, found, everything)[0]
    raise VenueError(404, "market not found")


async def get_market_by_slug(request: Request, ctx: WireContext) -> Any:
    wanted = request.path_params["slug"]
    with ctx.lock:
        everything = ctx.venue.markets()
        found = [m for m in everything if m.slug == wanted][:1]
        if found:
            return _bodies(request, ctx, found, everything)[0]
    raise VenueError(404, "market not found")


def _event_item(ctx: WireContext, markets: list[Market]) -> dict[str, Any]:
    return event_json(markets, [market_json(ctx, m, None) for m in markets])


async def get_events(request: Request, ctx: WireContext) -> Any:
    limit, offset = _paging(request)
    closed = bool_param(request, "closed", None)
    ids = set(request.query_params.getlist("id"))
    slugs = set(request.query_params.getlist("slug"))
    tag_ids = set(request.query_params.getlist("tag_id"))
    with ctx.lock:
        chosen = []
        for event_id, markets in _events(ctx.venue.markets()).items():
            if closed is not None and all(m.closed for m in markets) != closed:
                continue
            if ids and event_id not in ids:
                continue
            if slugs and markets[0].event_slug not in slugs:
                continue
            if tag_ids and not any(t["id"] in tag_ids for t in tags_json(markets)):
                continue
            chosen.append(markets)
        return [_event_item(ctx, markets) for markets in chosen[offset : offset + limit]]


async def get_event(request: Request, ctx: WireContext) -> Any:
    wanted = request.path_params["event_id"]
    with ctx.lock:
        markets = _events(ctx.venue.markets()).get(wanted)
        if not markets:
            raise VenueError(404, "event not found")
        return _event_item(ctx, markets)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/markets", get_markets),
    ("GET", "/markets/slug/{slug}", get_market_by_slug),
    ("GET", "/markets/{market_id}", get_market),
    ("GET", "/events", get_events),
    ("GET", "/events/{event_id}", get_event),
]
