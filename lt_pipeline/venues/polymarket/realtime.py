"""Polymarket's real-time channels as feeds for the live engine: `LeaderTradeFeed` (the real-time
data service's `activity` trades, kept to the tracked wallets, handed over as the same `SourceTrade`
the Data API poller produces) and `UserChannelFeed` (the CLOB user channel: our orders and trades as
the model's `VenueOrder` / `VenueTrade`).

Each feed runs in its own thread with its own asyncio loop. It pings at the venue's cadence, a
watchdog declares the feed silent after `silence_timeout_s` without any message (a PONG counts) and
reconnects, and reconnects back off exponentially with jitter. The venue does not replay a stream
after a disconnection, so every loss is recorded as a `FeedGap` (from the last message heard to the
moment the feed was subscribed again) for the engine to fill from the REST endpoints. Callbacks run
on the feed's thread; an exception in one is logged and the feed carries on. API secrets and
passphrases are sent on the socket and nowhere else: never logged, never in a repr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from lt_pipeline.clock import Clock, system_clock
from lt_pipeline.model.reports import VenueOrder, VenueTrade
from lt_pipeline.venues.polymarket.models import BadPayload, SourceTrade, normalise_address
from lt_pipeline.venues.polymarket.parsing import parse_data_api_trade
from lt_pipeline.venues.polymarket.reports import parse_order, parse_trade

log = logging.getLogger(__name__)

RTDS_URL = "wss://ws-live-data.polymarket.com"
USER_CHANNEL_URL = "wss://ws-subscriptions-clob.polymarket.com/ws/user"
RTDS_PING_INTERVAL_S = 5.0  # the service asks for a PING every 5 s
CLOB_PING_INTERVAL_S = 10.0  # the CLOB channels: about every 10 s
ACTIVITY_TYPES = ("trades", "orders_matched")
ORDER_EVENT_TYPES = ("PLACEMENT", "UPDATE", "CANCELLATION")
CLOSE_POLICY = 1008  # how the user channel refuses credentials
MAX_GAPS_KEPT = 1000
SEEN_TRADES_KEPT = 50_000

OnLeaderTrade = Callable[[SourceTrade], None]
OnOrder = Callable[[VenueOrder, str], None]  # the order, and the event: PLACEMENT, UPDATE or CANCELLATION
OnTrade = Callable[[VenueTrade], None]
OnGap = Callable[["FeedGap"], None]


class FeedRefused(Exception):
    """The venue refused the subscription itself (bad credentials): reconnecting will not help."""


@dataclass(frozen=True)
class FeedGap:
    """A stretch in which the feed may have missed messages: from the last message heard before the
    loss (`disconnected_at`) until the feed was subscribed again (`resubscribed_at`, None while it
    is still down). `detected_at` is when the loss was noticed; `reason` says how."""

    disconnected_at: datetime
    detected_at: datetime
    reason: str
    resubscribed_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.resubscribed_at is None


class ApiCredentials(Protocol):
    """py-clob-client-v2's ApiCreds, or anything with the same three attributes."""

    api_key: str
    api_secret: str
    api_passphrase: str


class _Silent(Exception):
    pass


class _Feed:
    """One websocket subscription kept alive: connect, subscribe, ping, watch, reconnect, record gaps."""

    name = "feed"

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        ping_interval_s: float,
        silence_timeout_s: float,
        backoff_initial_s: float,
        backoff_max_s: float,
        connect_timeout_s: float,
        on_gap: OnGap | None,
    ) -> None:
        if ping_interval_s <= 0 or silence_timeout_s <= 0:
            raise ValueError("ping_interval_s and silence_timeout_s: expected above 0, "
                             f"got {ping_interval_s} and {silence_timeout_s}")
        if not 0 < backoff_initial_s <= backoff_max_s:
            raise ValueError("backoff: expected 0 < backoff_initial_s <= backoff_max_s, "
                             f"got {backoff_initial_s} and {backoff_max_s}")
        self.url = url
        self._clock = clock
        self.ping_interval_s = ping_interval_s
        self.silence_timeout_s = silence_timeout_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.connect_timeout_s = connect_timeout_s
        self._on_gap = on_gap
        self._random = random.Random()
        self._state = threading.Condition()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ws: ClientConnection | None = None
        self._last_heard = 0.0  # monotonic
        # what the engine reads
        self.connected = False
        self.last_message_at: datetime | None = None
        self.connected_at: datetime | None = None
        self.failure: str | None = None
        self.messages = 0
        self.connects = 0
        self._gaps: list[FeedGap] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, connected={self.connected})"

    # -- the engine's side -----------------------------------------------------------------------

    @property
    def gaps(self) -> list[FeedGap]:
        """Every loss since the feed was first subscribed, oldest first (the open one last)."""
        with self._state:
            return list(self._gaps)

    @property
    def open_gap(self) -> FeedGap | None:
        with self._state:
            return self._gaps[-1] if self._gaps and self._gaps[-1].open else None

    def start(self) -> _Feed:
        if self._thread is not None:
            raise RuntimeError(f"{self.name}: already started")
        self._thread = threading.Thread(target=self._thread_main, name=f"lt-{self.name}", daemon=True)
        self._thread.start()
        return self

    def wait_connected(self, timeout: float) -> bool:
        """Wait until the feed is subscribed; False on timeout, FeedRefused if the venue refused it."""
        with self._state:
            self._state.wait_for(lambda: self.connected or self.failure is not None, timeout)
            if self.failure is not None:
                raise FeedRefused(self.failure)
            return self.connected

    def stop(self, timeout: float = 5.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop closed meanwhile
                pass
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> _Feed:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a channel defines ------------------------------------------------------------------

    def _subscriptions(self) -> list[str]:
        raise NotImplementedError

    def _handle(self, text: str) -> None:
        raise NotImplementedError

    def _refusal(self, code: int | None, reason: str) -> str | None:
        """The text of a refusal when this close means the venue will never accept us; else None."""
        return None

    # -- the loop --------------------------------------------------------------------------------

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except Exception:
            log.exception("%s: stopped by an unexpected error", self.name)
        finally:
            loop.close()
            with self._state:
                self.connected = False
                self._state.notify_all()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        attempt = 0
        while not self._stop.is_set():
            try:
                reason = await self._session()
            except FeedRefused as refused:
                log.error("%s: %s; not reconnecting", self.name, refused)
                with self._state:
                    self.failure = str(refused)
                    self._state.notify_all()
                self._lost(str(refused))
                return
            if self._stop.is_set():
                break
            if self.connected:
                attempt = 0
            self._lost(reason)
            delay = self._backoff(attempt)
            attempt += 1
            log.warning("%s: %s; reconnecting in %.2f s", self.name, reason, delay)
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
            except TimeoutError:
                pass
        with self._state:  # stopped on purpose: not a gap
            self.connected = False
            self._state.notify_all()

    def _backoff(self, attempt: int) -> float:
        """Exponential, with jitter in the upper half so a crowd of clients spreads out."""
        ceiling = min(self.backoff_max_s, self.backoff_initial_s * 2 ** min(attempt, 30))
        return ceiling * self._random.uniform(0.5, 1.0)

    async def _session(self) -> str:
        """One connection, from connect to loss; returns why it ended."""
        try:
            async with connect(self.url, ping_interval=None, close_timeout=1, open_timeout=self.connect_timeout_s,
                               max_size=None) as ws:
                self._ws = ws
                self._last_heard = time.monotonic()
                for message in self._subscriptions():
                    await ws.send(message)
                await ws.send("PING")  # its PONG confirms the subscription was taken
                tasks = [asyncio.create_task(self._read(ws)), asyncio.create_task(self._ping(ws)),
                         asyncio.create_task(self._watch()), asyncio.create_task(self._stop.wait())]
                try:
                    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                outcome = next(iter(done))
                if outcome.exception() is not None:
                    raise outcome.exception()
                return outcome.result() if isinstance(outcome.result(), str) else "stopped"
        except ConnectionClosed as closed:
            return self._closed_reason(closed)
        except _Silent as silent:
            return str(silent)
        except InvalidStatus as refused:
            return f"handshake refused with HTTP {refused.response.status_code}"
        except (OSError, TimeoutError, InvalidHandshake) as error:
            return f"cannot connect: {type(error).__name__}: {error}"
        finally:
            self._ws = None

    def _closed_reason(self, closed: ConnectionClosed) -> str:
        frame = closed.rcvd
        code, reason = (frame.code, frame.reason) if frame is not None else (None, "")
        refusal = self._refusal(code, reason)
        if refusal is not None:
            raise FeedRefused(refusal)
        return f"connection closed ({code if code is not None else 'no close frame'}{': ' + reason if reason else ''})"

    async def _read(self, ws: ClientConnection) -> str:
        async for message in ws:
            self._heard()
            text = message if isinstance(message, str) else message.decode("utf-8", "replace")
            if text.strip().upper() == "PONG":
                continue
            self._handle(text)
        raise ConnectionClosed(ws.close_rcvd, ws.close_sent)

    async def _ping(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.ping_interval_s)
            await ws.send("PING")

    async def _watch(self) -> None:
        step = min(0.25, self.silence_timeout_s / 4)
        while True:
            await asyncio.sleep(step)
            quiet = time.monotonic() - self._last_heard
            if quiet > self.silence_timeout_s:
                raise _Silent(f"silent for {quiet:.1f} s (watchdog at {self.silence_timeout_s:g} s)")

    # -- state ------------------------------------------------------------------------------------

    def _heard(self) -> None:
        self._last_heard = time.monotonic()
        now = self._clock.now()
        self.last_message_at = now
        self.messages += 1
        if not self.connected:
            self._subscribed(now)

    def _subscribed(self, now: datetime) -> None:
        closed_gap = None
        with self._state:
            self.connected = True
            self.connected_at = now
            self.connects += 1
            if self._gaps and self._gaps[-1].open:
                closed_gap = self._gaps[-1] = replace(self._gaps[-1], resubscribed_at=now)
            self._state.notify_all()
        log.info("%s: subscribed on %s", self.name, self.url)
        if closed_gap is not None and self._on_gap is not None:
            self._call(self._on_gap, closed_gap)

    def _lost(self, reason: str) -> None:
        with self._state:
            if not self.connected:
                return  # never subscribed, or already counted in the open gap
            self.connected = False
            now = self._clock.now()
            since = self.last_message_at or self.connected_at or now
            self._gaps.append(FeedGap(disconnected_at=since, detected_at=now, reason=reason))
            del self._gaps[:-MAX_GAPS_KEPT]
            self._state.notify_all()

    def _call(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            log.exception("%s: a callback failed; the feed carries on", self.name)


class LeaderTradeFeed(_Feed):
    """Tracked traders' trades from the real-time data service (`activity`), filtered client-side
    by proxy wallet, each handed to `on_trade` once, as the Data API poller's `SourceTrade`.

    `message_type` is `orders_matched` (where the venue now points users) or `trades`; `filters` is
    the service's optional JSON filter (`{"event_slug": ...}` or `{"market_slug": ...}`).
    """

    name = "leader-trade-feed"

    def __init__(
        self,
        url: str,
        wallets: Iterable[str],
        on_trade: OnLeaderTrade,
        clock: Clock = system_clock,
        *,
        message_type: str = "orders_matched",
        filters: str | None = None,
        ping_interval_s: float = RTDS_PING_INTERVAL_S,
        silence_timeout_s: float = 3 * RTDS_PING_INTERVAL_S,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        on_gap: OnGap | None = None,
    ) -> None:
        if message_type not in (*ACTIVITY_TYPES, "*"):
            raise ValueError(f"message_type: expected one of {ACTIVITY_TYPES} or '*', got {message_type!r}")
        super().__init__(url, clock=clock, ping_interval_s=ping_interval_s, silence_timeout_s=silence_timeout_s,
                         backoff_initial_s=backoff_initial_s, backoff_max_s=backoff_max_s,
                         connect_timeout_s=connect_timeout_s, on_gap=on_gap)
        self._on_trade = on_trade
        self.message_type = message_type
        self.filters = filters
        self._wallets = frozenset(normalise_address(w, "wallets") for w in wallets)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.delivered = 0
        self.rejected = 0

    @property
    def wallets(self) -> frozenset[str]:
        return self._wallets

    def set_wallets(self, wallets: Iterable[str]) -> None:
        """Change the tracked wallets (the filter is ours, so no resubscription is needed)."""
        self._wallets = frozenset(normalise_address(w, "wallets") for w in wallets)

    def _subscriptions(self) -> list[str]:
        subscription: dict[str, Any] = {"topic": "activity", "type": self.message_type}
        if self.filters:
            subscription["filters"] = self.filters
        return [json.dumps({"action": "subscribe", "subscriptions": [subscription]}, separators=(",", ":"))]

    def _handle(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            log.debug("%s: ignoring a non-JSON message %.80r", self.name, text)
            return
        if not isinstance(message, dict) or message.get("topic") != "activity":
            if isinstance(message, dict) and "error" in message:
                log.warning("%s: the service answered %s", self.name, message["error"])
            return
        if message.get("type") not in ACTIVITY_TYPES:
            return
        payload = message.get("payload")
        wallet = payload.get("proxyWallet") if isinstance(payload, dict) else None
        if not isinstance(wallet, str) or wallet.strip().lower() not in self._wallets:
            return
        try:
            trade = parse_data_api_trade(payload)
        except BadPayload as error:
            self.rejected += 1
            log.warning("%s: a trade of %s could not be read: %s", self.name, wallet, error.message)
            return
        if trade.source_trade_id in self._seen:
            return  # the same fill under both message types
        self._seen[trade.source_trade_id] = None
        if len(self._seen) > SEEN_TRADES_KEPT:
            self._seen.popitem(last=False)
        self.delivered += 1
        self._call(self._on_trade, trade)


class UserChannelFeed(_Feed):
    """Our orders and trades from the CLOB user channel: `on_order(order, event)` with the event
    PLACEMENT, UPDATE or CANCELLATION, and `on_trade(trade)` for each trade status (MATCHED, MINED,
    CONFIRMED, RETRYING, FAILED). `markets` are condition ids; empty means all of ours."""

    name = "user-channel-feed"

    def __init__(
        self,
        url: str,
        credentials: ApiCredentials,
        markets: Iterable[str],
        on_order: OnOrder,
        on_trade: OnTrade,
        clock: Clock = system_clock,
        *,
        ping_interval_s: float = CLOB_PING_INTERVAL_S,
        silence_timeout_s: float = 3 * CLOB_PING_INTERVAL_S,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        on_gap: OnGap | None = None,
    ) -> None:
        super().__init__(url, clock=clock, ping_interval_s=ping_interval_s, silence_timeout_s=silence_timeout_s,
                         backoff_initial_s=backoff_initial_s, backoff_max_s=backoff_max_s,
                         connect_timeout_s=connect_timeout_s, on_gap=on_gap)
        self._credentials = credentials
        self._markets = tuple(dict.fromkeys(markets))
        self._on_order = on_order
        self._on_trade = on_trade
        self.rejected = 0

    @property
    def api_key(self) -> str:
        return self._credentials.api_key

    @property
    def markets(self) -> tuple[str, ...]:
        return self._markets

    def set_markets(self, markets: Iterable[str]) -> None:
        """Change the markets; a live connection is told at once, a later one subscribes with them."""
        new = tuple(dict.fromkeys(markets))
        added = [m for m in new if m not in self._markets]
        removed = [m for m in self._markets if m not in new]
        self._markets = new
        loop = self._loop
        if loop is None or loop.is_closed() or not (added or removed):
            return
        messages = []
        if added:
            messages.append(self._message({"operation": "subscribe", "markets": added}, auth=True))
        if removed:
            messages.append(self._message({"operation": "unsubscribe", "markets": removed}, auth=False))
        try:
            asyncio.run_coroutine_threadsafe(self._send_all(messages), loop)
        except RuntimeError:
            pass

    async def _send_all(self, messages: list[str]) -> None:
        ws = self._ws
        if ws is None:
            return
        try:
            for message in messages:
                await ws.send(message)
        except ConnectionClosed:
            pass  # the next connection subscribes with the new markets

    def _message(self, body: dict[str, Any], *, auth: bool) -> str:
        if auth:
            creds = self._credentials
            body = {"auth": {"apiKey": creds.api_key, "secret": creds.api_secret, "passphrase": creds.api_passphrase},
                    **body}
        return json.dumps(body, separators=(",", ":"))

    def _subscriptions(self) -> list[str]:
        return [self._message({"type": "user", "markets": list(self._markets)}, auth=True)]

    def _refusal(self, code: int | None, reason: str) -> str | None:
        if code == CLOSE_POLICY:
            return f"the user channel refused the API key {self.api_key}: {reason or 'policy violation'}"
        return None

    def _handle(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            log.debug("%s: ignoring a non-JSON message %.80r", self.name, text)
            return
        for event in message if isinstance(message, list) else [message]:
            if not isinstance(event, dict):
                continue
            kind = event.get("event_type")
            try:
                if kind == "order":
                    order = parse_order(ws_order_record(event))
                    self._call(self._on_order, order, str(event.get("type") or "UPDATE").upper())
                elif kind == "trade":
                    self._call(self._on_trade, parse_trade(event))
                elif "error" in event:
                    log.warning("%s: the channel answered %s", self.name, event["error"])
            except BadPayload as error:
                self.rejected += 1
                log.warning("%s: a %s event %s could not be read: %s", self.name, kind, event.get("id"), error.message)


def ws_order_record(event: dict[str, Any]) -> dict[str, Any]:
    """A user-channel order event in the REST record's terms: the channel sends "" for a size not
    yet matched (killed FOK orders) and for an unknown creation time."""
    record = dict(event)
    if record.get("size_matched") in (None, ""):
        record["size_matched"] = "0"
    return record
