"""The venue's real-time channels on the emulator, in the venue's message shapes: the real-time data
service (RTDS, websocket at `/`, topic `activity` with types `trades` and `orders_matched`, the
Data API's trade rows) and the CLOB user channel (`/ws/user`: `order` and `trade` events for the
orders of the API key that authenticated), plus the admin fault hooks that drop every connection or
make the channels go silent.

A pump on the server's event loop watches the venue while anyone is connected: every few
milliseconds it brings the simulation up to the clock and reads what changed (new trades on the
tape, users' orders placed, filled or cancelled, users' trades settling), renders each change once
and queues it to the connections whose subscriptions match. The venue is pickled whole by
persistence, so no observer can live on it; the pump reads it instead and never writes to it.
Nothing is replayed: a change made while a client is disconnected or a channel is silent is gone
for that client, as on the real venue.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from starlette.requests import Request
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import auth, render
from .admin import _body as _admin_body
from .admin import _loopback_only
from .settlement import TERMINAL_STATUSES
from .types import OrderRecord, TradeRecord
from .wire import BadRequest, Handler, WireContext

log = logging.getLogger(__name__)

RTDS_PATH = "/"  # wss://ws-live-data.polymarket.com
USER_PATH = "/ws/user"  # wss://ws-subscriptions-clob.polymarket.com/ws/user
CHANNELS = ("rtds", "user")

PUMP_INTERVAL_S = 0.01
QUEUE_LIMIT = 10_000  # messages waiting for one slow client before it is cut off, as venues do
ACTIVITY_TOPIC = "activity"
ACTIVITY_TYPES = ("trades", "orders_matched")
ACTIVITY_FILTER_KEYS = ("event_slug", "market_slug")

CLOSE_POLICY = 1008  # the user channel refuses credentials with this close code
CLOSE_RESTART = 1012  # what a dropped connection sees (the admin drop hook)
UNAUTHORIZED = auth.INVALID_L2

ZERO = Decimal("0")
_SETTLED = ("MATCHED", "MINED", "CONFIRMED")
_FAILED_AFTER_MINED = ("MATCHED", "MINED", "RETRYING", "FAILED")
_FAILED = ("MATCHED", "RETRYING", "FAILED")


# ---- what changed on the venue -------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityEvent:
    """One public trade row for RTDS `activity`, with what its filters match on."""

    payload: dict[str, Any]
    event_slug: str
    market_slug: str


@dataclass(frozen=True)
class UserEvent:
    """One user-channel message for the API key `owner`, about condition id `market`."""

    owner: str
    market: str
    payload: dict[str, Any]


def settlement_steps(last: str, now: str) -> tuple[str, ...]:
    """The statuses a trade went through after `last` up to `now`, each of which the user channel
    reports (a trade seen late, already MINED, is still reported MATCHED first)."""
    if now in ("MINED", "CONFIRMED"):
        chain = _SETTLED
    else:
        chain = _FAILED_AFTER_MINED if last == "MINED" else _FAILED
    start = chain.index(last) + 1 if last in chain else 0
    return chain[start : chain.index(now) + 1] if now in chain else (now,)


def order_message(order: OrderRecord, kind: str, timestamp_ms: str, *, status: str | None = None,
                  size_matched: Decimal | None = None, trades: list[str] | None = None) -> dict[str, Any]:
    """A user-channel `order` event: the REST OpenOrder fields (created_at as a string, as the channel
    sends it) plus event_type, type (PLACEMENT / UPDATE / CANCELLATION), order_owner and a ms timestamp."""
    body = render.open_order_json(order)
    associate = list(order.associate_trades) if trades is None else trades
    body.update(
        status=order.status if status is None else status,
        size_matched=render.dec(order.size_matched if size_matched is None else size_matched),
        associate_trades=associate or None,
        created_at=str(body["created_at"]),
        event_type="order",
        type=kind,
        order_owner=order.owner,
        timestamp=timestamp_ms,
    )
    return body


def trade_message(trade: TradeRecord, owner: str, status: str, timestamp_ms: str) -> dict[str, Any]:
    """A user-channel `trade` event for the API key `owner`: the REST trade as that user sees it
    (TAKER or MAKER) plus event_type, type TRADE, trade_owner and a ms timestamp."""
    viewer = trade.taker_address
    if trade.owner != owner:
        viewer = next((m.maker_address for m in trade.maker_orders if m.owner == owner), viewer)
    body = render.trade_json(trade, viewer_address=viewer)
    body.update(status=status, event_type="trade", type="TRADE", trade_owner=owner, timestamp=timestamp_ms)
    return body


class VenueTap:
    """Reads what changed on the venue since the last look (read-only; the venue's private state is
    read here and nowhere else in the wire layer). Starts at the present: nothing earlier is reported."""

    def __init__(self, venue: Any) -> None:
        self._venue = venue
        self._live: dict[str, tuple[str, Decimal, int]] = {}  # order id -> (status, size_matched, trades) reported
        self._unsettled: dict[str, str] = {}  # user trade id -> status reported
        with venue._lock:
            self._tape_seen = len(venue._tape)
            self._orders_seen = len(venue._orders)
            # orders resting and trades settling now: what happens to them from now on is news
            for open_orders in venue._open.values():
                for order in open_orders.values():
                    self._live[order.id] = (order.status, order.size_matched, len(order.associate_trades))
            for trade in venue._tape.since(0):
                if trade.status not in TERMINAL_STATUSES and _owners(trade):
                    self._unsettled[trade.id] = trade.status

    def changes(self, timestamp_ms: str) -> tuple[list[ActivityEvent], list[UserEvent]]:
        venue = self._venue
        activity: list[ActivityEvent] = []
        user: list[UserEvent] = []
        with venue._lock:
            self._new_orders(venue._orders, user, timestamp_ms)
            self._changed_orders(venue._orders, user, timestamp_ms)
            tape = venue._tape
            for trade in tape.since(self._tape_seen):
                for row in tape._rows(trade, True):
                    activity.append(ActivityEvent(render.public_trade_json(row), row.event_slug, row.slug))
                for owner in _owners(trade):
                    user.append(UserEvent(owner, trade.market, trade_message(trade, owner, "MATCHED", timestamp_ms)))
                    self._unsettled.setdefault(trade.id, "MATCHED")
            self._tape_seen = len(tape)
            self._settled_trades(tape, user, timestamp_ms)
        return activity, user

    def _new_orders(self, orders: dict[str, OrderRecord], out: list[UserEvent], timestamp_ms: str) -> None:
        added = len(orders) - self._orders_seen
        if added <= 0:
            return
        for order in reversed(list(islice(reversed(orders.values()), added))):
            out.append(UserEvent(order.owner, order.market,
                                 order_message(order, "PLACEMENT", timestamp_ms, status="LIVE", size_matched=ZERO, trades=[])))
            self._live[order.id] = ("LIVE", ZERO, 0)
        self._orders_seen = len(orders)

    def _changed_orders(self, orders: dict[str, OrderRecord], out: list[UserEvent], timestamp_ms: str) -> None:
        for order_id, reported in list(self._live.items()):
            order = orders[order_id]
            state = (order.status, order.size_matched, len(order.associate_trades))
            if state == reported:
                continue
            ended = order.status.startswith("CANCELED") or order.status == "INVALID"
            out.append(UserEvent(order.owner, order.market,
                                 order_message(order, "CANCELLATION" if ended else "UPDATE", timestamp_ms)))
            if order.status == "LIVE":
                self._live[order_id] = state
            else:
                del self._live[order_id]

    def _settled_trades(self, tape: Any, out: list[UserEvent], timestamp_ms: str) -> None:
        for trade_id, reported in list(self._unsettled.items()):
            trade = tape.get(trade_id)
            if trade.status != reported:
                for status in settlement_steps(reported, trade.status):
                    for owner in _owners(trade):
                        out.append(UserEvent(owner, trade.market, trade_message(trade, owner, status, timestamp_ms)))
            if trade.status in TERMINAL_STATUSES:
                del self._unsettled[trade_id]
            else:
                self._unsettled[trade_id] = trade.status


def _owners(trade: TradeRecord) -> list[str]:
    """The API keys with an order in this trade (simulated traders and the market maker have none)."""
    owners = [trade.owner] + [m.owner for m in trade.maker_orders]
    return [o for o in dict.fromkeys(owners) if o]


# ---- subscriptions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivitySubscription:
    type: str  # trades, orders_matched or *
    filters: tuple[tuple[str, str], ...]  # (key, value) pairs; empty = every trade

    def wants(self, kind: str, event: ActivityEvent) -> bool:
        if self.type not in (kind, "*"):
            return False
        return all((event.event_slug if key == "event_slug" else event.market_slug) == value for key, value in self.filters)


def parse_activity_filters(raw: Any) -> tuple[tuple[str, str], ...]:
    """RTDS filters: a JSON-encoded object (an object is accepted too); empty means no filter."""
    if raw in (None, "", {}):
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValueError(f"filters: expected a JSON object as a string, got {raw!r}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"filters: expected a JSON object, got {raw!r}")
    unknown = sorted(set(raw) - set(ACTIVITY_FILTER_KEYS))
    if unknown:
        raise ValueError(f"filters: activity accepts {' or '.join(ACTIVITY_FILTER_KEYS)}, got {unknown}")
    if any(not isinstance(v, str) for v in raw.values()):
        raise ValueError("filters: expected string values")
    return tuple(sorted(raw.items()))


@dataclass(eq=False)
class Connection:
    """One client: its websocket, its outgoing queue (drained by its own writer) and subscriptions."""

    ws: WebSocket
    channel: str
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    activity: set[ActivitySubscription] = field(default_factory=set)
    owner: str | None = None  # user channel: the authenticated API key
    markets: set[str] = field(default_factory=set)  # user channel: condition ids; empty = all
    closing: bool = False

    def offer(self, text: str) -> None:
        if self.closing:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.close(CLOSE_RESTART, "slow consumer")
            return
        self.queue.put_nowait(text)

    def close(self, code: int, reason: str = "") -> None:
        """Close after what is already queued (the writer sends the close frame)."""
        if not self.closing:
            self.closing = True
            self.queue.put_nowait((code, reason))

    def finish(self) -> None:
        """The client went away: stop the writer."""
        self.closing = True
        self.queue.put_nowait(None)


# ---- the hub ------------------------------------------------------------------------------------


class RealtimeHub:
    """The connections, the pump that feeds them, and the fault switches the admin routes flip."""

    def __init__(self, ctx: WireContext) -> None:
        self.ctx = ctx
        self.connections: set[Connection] = set()
        self._tap: VenueTap | None = None
        self._pump: asyncio.Task | None = None
        self._silent_until: dict[str, float] = {}  # channel -> monotonic deadline (inf = until resumed)
        self._refuse_until: dict[str, float] = {}
        self.counts: dict[str, int] = {"connections": 0, "refused": 0, "messages": 0, "dropped": 0,
                                       "auth_failures": 0, "silenced_messages": 0}

    # -- routes ----------------------------------------------------------------------------------

    def websocket_routes(self) -> list[WebSocketRoute]:
        return [WebSocketRoute(RTDS_PATH, self._rtds), WebSocketRoute(USER_PATH, self._user)]

    def admin_routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/ws/drop", self._admin_drop),
            ("POST", "/ws/silence", self._admin_silence),
            ("POST", "/ws/resume", self._admin_resume),
            ("GET", "/ws", self._admin_state),
        ]

    # -- fault switches --------------------------------------------------------------------------

    def silent(self, channel: str) -> bool:
        return time.monotonic() < self._silent_until.get(channel, 0.0)

    def refusing(self, channel: str) -> bool:
        return time.monotonic() < self._refuse_until.get(channel, 0.0)

    def drop(self, channels: Iterable[str], refuse_seconds: float = 0.0) -> int:
        wanted = set(channels)
        dropped = 0
        for connection in list(self.connections):
            if connection.channel in wanted:
                connection.close(CLOSE_RESTART, "dropped by the emulator")
                dropped += 1
        for channel in wanted:
            self._refuse_until[channel] = time.monotonic() + refuse_seconds
        self.counts["dropped"] += dropped
        return dropped

    def silence(self, channels: Iterable[str], seconds: float | None) -> None:
        until = float("inf") if seconds is None else time.monotonic() + seconds
        for channel in channels:
            self._silent_until[channel] = until

    def resume(self) -> None:
        self._silent_until.clear()
        self._refuse_until.clear()

    # -- connections -----------------------------------------------------------------------------

    async def _serve(self, ws: WebSocket, channel: str, handle_text: Any) -> None:
        if self.refusing(channel):
            self.counts["refused"] += 1
            await ws.close(code=1013)  # before accept: the handshake is refused (HTTP 403)
            return
        await ws.accept()
        connection = Connection(ws, channel)
        self.connections.add(connection)
        self.counts["connections"] += 1
        self._ensure_pump()
        writer = asyncio.create_task(self._write(connection))
        try:
            while not connection.closing:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", "replace")
                if text is not None:
                    await handle_text(connection, text)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.connections.discard(connection)
            connection.finish()
            await writer

    async def _write(self, connection: Connection) -> None:
        ws = connection.ws
        try:
            while True:
                item = await connection.queue.get()
                if item is None:
                    return
                if isinstance(item, tuple):
                    code, reason = item
                    await ws.close(code=code, reason=reason)
                    return
                await ws.send_text(item)
        except Exception:  # the client went away mid-send; the reader sees the disconnect
            return

    def _pong(self, connection: Connection, text: str) -> bool:
        if text.strip().upper() != "PING":
            return False
        if not self.silent(connection.channel):
            connection.offer("PONG")
        return True

    # RTDS: {"action": "subscribe"|"unsubscribe", "subscriptions": [{"topic", "type", "filters"}]}
    async def _rtds(self, ws: WebSocket) -> None:
        await self._serve(ws, "rtds", self._rtds_text)

    async def _rtds_text(self, connection: Connection, text: str) -> None:
        if self._pong(connection, text):
            return
        try:
            body = json.loads(text)
            action = body.get("action") if isinstance(body, dict) else None
            subscriptions = body.get("subscriptions") if isinstance(body, dict) else None
            if action not in ("subscribe", "unsubscribe") or not isinstance(subscriptions, list):
                raise ValueError('expected {"action": "subscribe" or "unsubscribe", "subscriptions": [...]}')
            for index, raw in enumerate(subscriptions):
                if not isinstance(raw, dict) or not isinstance(raw.get("topic"), str) or not isinstance(raw.get("type"), str):
                    raise ValueError(f"subscriptions[{index}]: expected an object with topic and type")
                if raw["topic"] != ACTIVITY_TOPIC:
                    continue  # other topics (comments, prices) exist on the venue but carry nothing here
                subscription = ActivitySubscription(raw["type"], parse_activity_filters(raw.get("filters")))
                if action == "subscribe":
                    connection.activity.add(subscription)
                elif "filters" in raw:
                    connection.activity.discard(subscription)
                else:
                    connection.activity = {s for s in connection.activity if s.type != raw["type"]}
        except ValueError as error:
            connection.offer(json.dumps({"error": f"invalid message: {error}"}))

    # CLOB user channel: {"auth": {apiKey, secret, passphrase}, "type": "user", "markets": [...]}, then
    # {"operation": "subscribe"|"unsubscribe", "markets": [...]} to change the markets.
    async def _user(self, ws: WebSocket) -> None:
        await self._serve(ws, "user", self._user_text)

    async def _user_text(self, connection: Connection, text: str) -> None:
        if self._pong(connection, text):
            return
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            connection.offer(json.dumps({"error": "invalid message: expected a JSON object"}))
            return
        if "auth" in body or connection.owner is None:
            key = self._authenticate(body.get("auth"))
            if key is None:
                self.counts["auth_failures"] += 1
                connection.close(CLOSE_POLICY, UNAUTHORIZED)
                return
            connection.owner = key.api_key
        markets = body.get("markets") or body.get("condition_ids") or []
        if not isinstance(markets, list) or not all(isinstance(m, str) for m in markets):
            connection.offer(json.dumps({"error": "invalid message: markets must be a list of condition ids"}))
            return
        operation = body.get("operation")
        if operation == "unsubscribe":
            connection.markets.difference_update(markets)
        elif operation == "subscribe":
            connection.markets.update(markets)
        else:
            connection.markets = set(markets)

    def _authenticate(self, raw: Any) -> auth.ApiKey | None:
        if not isinstance(raw, dict):
            return None
        key = self.ctx.keys.get(str(raw.get("apiKey") or raw.get("key") or ""))
        if key is None:
            return None
        secret_ok = hmac.compare_digest(str(raw.get("secret", "")).encode(), key.secret.encode())
        passphrase_ok = hmac.compare_digest(str(raw.get("passphrase", "")).encode(), key.passphrase.encode())
        return key if secret_ok and passphrase_ok else None

    # -- the pump --------------------------------------------------------------------------------

    def _ensure_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._tap = VenueTap(self.ctx.venue)  # from now on: nothing before this is replayed
            self._pump = asyncio.get_running_loop().create_task(self._run_pump())

    async def _run_pump(self) -> None:
        while self.connections:
            try:
                self.tick()
            except Exception:
                log.exception("emulator realtime pump failed; carrying on")
            await asyncio.sleep(PUMP_INTERVAL_S)

    def tick(self) -> None:
        """Sync the venue, read what changed and queue it to the matching connections."""
        ctx = self.ctx
        with ctx.lock:
            ctx.venue.sync()
            now = ctx.clock.now()
            activity, user = self._tap.changes(str(_ms(now)))
        if activity:
            self._publish_activity(activity, _ms(now))
        if user:
            self._publish_user(user)

    def _publish_activity(self, events: list[ActivityEvent], timestamp_ms: int) -> None:
        listeners = [c for c in self.connections if c.channel == "rtds" and c.activity]
        if not listeners:
            return
        if self.silent("rtds"):
            self.counts["silenced_messages"] += len(events)
            return
        for event in events:
            for kind in ACTIVITY_TYPES:
                text = None
                for connection in listeners:
                    if any(s.wants(kind, event) for s in connection.activity):
                        if text is None:
                            text = json.dumps({"topic": ACTIVITY_TOPIC, "type": kind, "timestamp": timestamp_ms,
                                               "payload": event.payload}, separators=(",", ":"))
                        connection.offer(text)
                        self.counts["messages"] += 1

    def _publish_user(self, events: list[UserEvent]) -> None:
        listeners = [c for c in self.connections if c.channel == "user" and c.owner is not None]
        if not listeners:
            return
        if self.silent("user"):
            self.counts["silenced_messages"] += len(events)
            return
        for event in events:
            text = None
            for connection in listeners:
                if connection.owner == event.owner and (not connection.markets or event.market in connection.markets):
                    text = text or json.dumps(event.payload, separators=(",", ":"))
                    connection.offer(text)
                    self.counts["messages"] += 1

    # -- admin -----------------------------------------------------------------------------------

    async def _admin_drop(self, request: Request, ctx: WireContext) -> Any:
        body = await _admin_body(request)
        refuse = _seconds(body, "refuse_seconds", default=0.0)
        dropped = self.drop(_channels(body), refuse or 0.0)
        return {"dropped": dropped}

    async def _admin_silence(self, request: Request, ctx: WireContext) -> Any:
        body = await _admin_body(request)
        self.silence(_channels(body), _seconds(body, "seconds", default=None))
        return self.state()

    async def _admin_resume(self, request: Request, ctx: WireContext) -> Any:
        await _admin_body(request)
        self.resume()
        return self.state()

    async def _admin_state(self, request: Request, ctx: WireContext) -> Any:
        _loopback_only(request)
        return self.state()

    def state(self) -> dict[str, Any]:
        open_by_channel = {channel: sum(1 for c in self.connections if c.channel == channel) for channel in CHANNELS}
        return {
            "open": open_by_channel,
            "silent": [c for c in CHANNELS if self.silent(c)],
            "refusing": [c for c in CHANNELS if self.refusing(c)],
            "counts": dict(self.counts),
        }


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _channels(body: dict[str, Any]) -> list[str]:
    channels = body.get("channels", list(CHANNELS))
    if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
        raise BadRequest(f"channels: expected a list drawn from {list(CHANNELS)}, got {channels!r}")
    return channels


def _seconds(body: dict[str, Any], name: str, *, default: float | None) -> float | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BadRequest(f"{name}: expected a number of seconds of at least 0, got {value!r}")
    return float(value)
