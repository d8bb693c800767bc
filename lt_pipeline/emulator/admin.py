"""Admin routes under `/admin/` (no auth, loopback clients only): resolve markets, pause and resume
the simulation, set books, fund wallets, inject or clear faults, advance a simulated clock, and read
counters and simulated traders; fail a trade or change settlement timing; set a market's fee schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from ..clock import SimulatedClock, ensure_utc
from ..money import BadNumber, to_decimal, to_price, to_size
from . import render
from .wire import BadRequest, Handler, WireContext, read_json
from .types import VenueError

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        raise VenueError(403, "admin routes answer loopback clients only")


async def _body(request: Request) -> dict[str, Any]:
    _loopback_only(request)
    body = await read_json(request, "invalid admin body: expected a JSON object")
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("invalid admin body: expected a JSON object")
    return body


def _string(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{name}: expected a non-empty string, got {value!r}")
    return value


def _levels(body: dict[str, Any], name: str) -> list[tuple[Decimal, Decimal]]:
    raw = body.get(name, [])
    if not isinstance(raw, list):
        raise BadRequest(f"{name}: expected a list of [price, size] pairs")
    levels = []
    for i, level in enumerate(raw):
        if isinstance(level, dict):
            level = [level.get("price"), level.get("size")]
        if not isinstance(level, (list, tuple)) or len(level) != 2:
            raise BadRequest(f"{name}[{i}]: expected [price, size], got {level!r}")
        try:
            levels.append((to_price(level[0], f"{name}[{i}].price"), to_size(level[1], f"{name}[{i}].size")))
        except BadNumber as exc:
            raise BadRequest(str(exc)) from None
    return levels


async def resolve(request: Request, ctx: WireContext) -> Any:
    """`{"condition_id": "0x..", "winner": "Yes" | token id | null}`; null voids the market (0.5 each)."""
    body = await _body(request)
    condition_id = _string(body, "condition_id")
    winner = _string(body, "winner", required=False)
    with ctx.lock:
        ctx.venue.sync()
        market = ctx.venue.market(condition_id)
        if market is None:
            raise VenueError(404, "market not found")
        outcome = winner
        for token in market.tokens:
            if winner is not None and winner in (token.token_id, token.outcome):
                outcome = token.outcome
        if winner is not None and outcome not in [t.outcome for t in market.tokens]:
            raise BadRequest(f"winner: expected one of {[t.outcome for t in market.tokens]} or null, got {winner!r}")
        market = ctx.venue.resolve(condition_id, outcome)
        return {"condition_id": market.condition_id, "closed": market.closed, "winner_token_id": market.winner_token_id}


async def pause(request: Request, ctx: WireContext) -> Any:
    await _body(request)
    with ctx.lock:
        ctx.venue.pause()
        return {"paused": ctx.venue.paused}


async def resume(request: Request, ctx: WireContext) -> Any:
    await _body(request)
    with ctx.lock:
        ctx.venue.resume()
        return {"paused": ctx.venue.paused}


async def set_book(request: Request, ctx: WireContext) -> Any:
    """`{"token_id": "..", "bids": [[price, size], ...], "asks": [...]}` (any level order)."""
    body = await _body(request)
    token = _string(body, "token_id")
    bids, asks = _levels(body, "bids"), _levels(body, "asks")
    with ctx.lock:
        ctx.venue.sync()
        if ctx.venue.market_for_token(token) is None:
            raise VenueError(404, "market not found")
        ctx.venue.set_book(token, bids, asks)
        return render.book_json(ctx.venue.book(token))


async def fund(request: Request, ctx: WireContext) -> Any:
    """`{"address": "0x..", "amount": "100", "token_id": optional}`: credit collateral or shares."""
    body = await _body(request)
    address = _string(body, "address")
    token = _string(body, "token_id", required=False)
    try:
        amount = to_size(body.get("amount"), "amount")
    except BadNumber as exc:
        raise BadRequest(str(exc)) from None
    asset_type = "CONDITIONAL" if token else "COLLATERAL"
    with ctx.lock:
        ctx.venue.fund(address, amount, token)
        return {"address": address, "asset_type": asset_type, "balance": render.dec(ctx.venue.balance(address, asset_type, token))}


def _decimal(body: dict[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        return to_decimal(value, name)
    except BadNumber as exc:
        raise BadRequest(str(exc)) from None


async def set_fee_schedule(request: Request, ctx: WireContext) -> Any:
    """`{"condition_id": "0x..", "rate": "0.072", "exponent": 2, "enabled": true}`: the market's taker
    fee for trades from now on; each of rate, exponent and enabled is optional (unchanged when left out;
    a rate given without `enabled` turns fees on when above 0, off at 0)."""
    body = await _body(request)
    condition_id = _string(body, "condition_id")
    enabled = body.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise BadRequest(f"enabled: expected true or false, got {enabled!r}")
    rate, exponent = _decimal(body, "rate"), _decimal(body, "exponent")
    with ctx.lock:
        market = ctx.venue.set_fee_schedule(condition_id, rate=rate, exponent=exponent, enabled=enabled)
    return {
        "condition_id": market.condition_id,
        "category": market.category,
        "enabled": market.fees_enabled,
        "rate": render.dec(market.fee_rate),
        "exponent": render.dec(market.fee_exponent),
        "taker_base_fee": market.fee_rate_bps,
    }


async def fail_trade(request: Request, ctx: WireContext) -> Any:
    """`{"trade_id": ".."}`: a trade not yet settled goes RETRYING -> FAILED at its next step."""
    body = await _body(request)
    trade_id = _string(body, "trade_id")
    with ctx.lock:
        trade = ctx.venue.fail_trade(trade_id)
        return {"trade_id": trade.id, "status": trade.status}


async def set_settlement(request: Request, ctx: WireContext) -> Any:
    """`{"mined_after_seconds": 5, "confirmed_after_seconds": 15, "failure_rate": 0.0}` for new trades."""
    from .settlement import SettlementConfig

    body = await _body(request)
    try:
        config = SettlementConfig(
            mined_after=timedelta(seconds=float(body.get("mined_after_seconds", 5))),
            confirmed_after=timedelta(seconds=float(body.get("confirmed_after_seconds", 15))),
            failure_rate=float(body.get("failure_rate", 0.0)),
        )
    except (TypeError, ValueError) as exc:
        raise BadRequest(str(exc)) from None
    with ctx.lock:
        ctx.venue.set_settlement(config)
    return {
        "mined_after_seconds": config.mined_after.total_seconds(),
        "confirmed_after_seconds": config.confirmed_after.total_seconds(),
        "failure_rate": config.failure_rate,
    }


async def set_faults(request: Request, ctx: WireContext) -> Any:
    """`{"profile": "flaky"}` or `{"settings": {...fields...}}`, optional `"seed"`."""
    body = await _body(request)
    spec = body.get("settings", body.get("profile"))
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BadRequest(f"seed: expected an integer, got {seed!r}")
    try:
        profile = ctx.faults.set_profile(spec, seed=seed)
    except (ValueError, TypeError) as exc:
        raise BadRequest(str(exc)) from None
    return profile.to_json()


async def clear_faults(request: Request, ctx: WireContext) -> Any:
    await _body(request)
    ctx.faults.clear()
    return ctx.faults.profile.to_json()


async def advance(request: Request, ctx: WireContext) -> Any:
    """`{"seconds": 60}` or `{"to": "2026-01-01T00:00:00Z"}`; only for a venue on a SimulatedClock."""
    body = await _body(request)
    clock = ctx.clock
    if not isinstance(clock, SimulatedClock):
        raise BadRequest("the clock can only be moved when the emulator runs on a simulated clock")
    try:
        if "to" in body:
            target = ensure_utc(datetime.fromisoformat(str(body["to"]).replace("Z", "+00:00")), "to")
            clock.set(target)
        else:
            seconds = body.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise BadRequest(f"seconds: expected a number of at least 0, got {seconds!r}")
            clock.advance(timedelta(seconds=seconds))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    with ctx.lock:
        ctx.venue.sync()
    now = clock.now()
    return {"now": render.iso(now), "unix": int(now.timestamp())}


async def clock_now(request: Request, ctx: WireContext) -> Any:
    _loopback_only(request)
    now = ctx.clock.now()
    return {"now": render.iso(now), "unix": int(now.timestamp()), "simulated": isinstance(ctx.clock, SimulatedClock)}


async def counters(request: Request, ctx: WireContext) -> Any:
    _loopback_only(request)
    return ctx.counters()


async def traders(request: Request, ctx: WireContext) -> Any:
    _loopback_only(request)
    with ctx.lock:
        return [
            {
                "address": t.address,
                "name": t.name,
                "pseudonym": t.pseudonym,
                "skill": t.skill,
                "typical_size_usd": render.dec(t.typical_size_usd),
                "trades_per_hour": t.trades_per_hour,
            }
            for t in ctx.venue.traders()
        ]


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/resolve", resolve),
    ("POST", "/pause", pause),
    ("POST", "/resume", resume),
    ("POST", "/book", set_book),
    ("POST", "/fund", fund),
    ("POST", "/fee-schedule", set_fee_schedule),
    ("POST", "/fail-trade", fail_trade),
    ("POST", "/settlement", set_settlement),
    ("POST", "/faults", set_faults),
    ("DELETE", "/faults", clear_faults),
    ("POST", "/faults/clear", clear_faults),
    ("POST", "/advance", advance),
    ("GET", "/clock", clock_now),
    ("POST", "/clock", clock_now),
    ("GET", "/counters", counters),
    ("POST", "/counters", counters),
    ("GET", "/traders", traders),
    ("POST", "/traders", traders),
]
