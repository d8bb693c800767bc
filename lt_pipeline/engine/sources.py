"""Where the engine learns that a tracked trader traded: a detection source hands `Sighting`s to the
engine's queue. Two sources and a supervisor:

- `PollingSource`: the rotating per-trader poll of `ingest/detection.py` (one `/trades?user=` request
  per trader, a batch sized to the engine's share of the Data API quota), on a background thread.
- `FeedSource`: a real-time leader-trade feed (`LeaderTradeFeed` of `venues/polymarket/realtime.py`,
  or anything with its shape) whose trades are handed over as they arrive.
- `FallbackSource`: the feed first; the poll while the feed is down or silent; and, when the feed
  comes back after a gap, a REST backfill of every tracked trader since the gap began (the venue does
  not replay a stream).

A sighting only says "read this trader now"; the ledger's per-trader cursor and the unique keys of
`source_trades` make a trader read twice cost nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from lt_pipeline.clock import Clock
from lt_pipeline.ingest.detection import PollPlan, detect
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.models import SourceTrade
from lt_pipeline.venues.polymarket.quotas import planned

log = logging.getLogger(__name__)

Notify = Callable[["Sighting"], None]


@dataclass(frozen=True)
class Sighting:
    """A tracked trader traded (or may have: a backfill). `trades` are the trades the feed handed over
    (empty from the poll: the engine reads them from the Data API); `since` asks for a read from that
    time rather than from the ledger's cursor (a backfill after a feed gap)."""

    trader: str
    seen_at: datetime
    via: str  # "poll", "feed" or "backfill"
    traded_at: datetime | None = None
    trades: tuple[SourceTrade, ...] = ()
    since: datetime | None = None


class DetectionSource(Protocol):
    """What the engine needs of a detection source. `start` begins handing sightings to `notify`
    (from any thread); `stop` ends it; `healthy` says whether it currently sees trades at the venue's
    speed (a dropped or silent feed is not healthy); `describe` is one line for the log and status."""

    name: str

    def start(self, notify: Notify) -> None: ...

    def stop(self) -> None: ...

    @property
    def healthy(self) -> bool: ...

    def describe(self) -> str: ...


# --- polling ---------------------------------------------------------------------------------------


@dataclass
class PollStats:
    cycles: int = 0
    polled: int = 0
    sightings: int = 0
    failures: int = 0
    last_error: str = ""


class PollingSource:
    """Per-trader polling within the quota, on its own thread. `traders()` is read each cycle (the tracked
    traders change); `seen()` gives each trader's newest trade the ledger holds, so only traders with
    something unread are sighted. While `active()` says no (the feed is healthy), the thread idles.

    A cycle is as short as the quota allows for the traders tracked (a few traders are each polled
    several times a second), never shorter than `min_cycle_seconds` nor longer than `cycle_seconds`
    (many traders: a rotating batch per cycle, as the sensor does)."""

    name = "poll"

    def __init__(self, data_api: DataApiClient, traders: Callable[[], list[str]],
                 seen: Callable[[], Mapping[str, datetime | None]], clock: Clock, *, cycle_seconds: float = 1.0,
                 quota_share: float = 0.5, active: Callable[[], bool] = lambda: True,
                 wait: Callable[[threading.Event, float], bool] | None = None, min_cycle_seconds: float = 0.1) -> None:
        self._data_api = data_api
        self._traders = traders
        self._seen = seen
        self._clock = clock
        self.cycle_seconds = cycle_seconds
        self.min_cycle_seconds = min(min_cycle_seconds, cycle_seconds)
        self.quota_share = quota_share
        self._next_wait = cycle_seconds
        self._active = active
        self._offset = 0
        self._sighted: dict[str, datetime] = {}  # trader -> newest trade already handed over
        self._sighted_at: dict[str, datetime] = {}  # trader -> when it was handed over
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wait = wait or (lambda event, seconds: event.wait(seconds))
        self.stats = PollStats()

    def start(self, notify: Notify) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(notify,), name="engine-poll", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def healthy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def describe(self) -> str:
        return (f"polling every {self.cycle_seconds:g} s within {self.quota_share:.0%} of the /trades quota "
                f"({self.stats.cycles} cycles, {self.stats.polled} polls, {self.stats.failures} failed)")

    def cycle(self, notify: Notify) -> int:
        """One cycle: poll the next batch and sight the traders with an unread trade. Returns how many."""
        traders = self._traders()
        if not traders:
            return 0
        per_second = planned("/trades", self.quota_share).per_second
        cycle = min(self.cycle_seconds, max(self.min_cycle_seconds, len(traders) / per_second))
        self._next_wait = cycle
        plan = PollPlan.within_quota(len(traders), cycle, self.quota_share)
        seen = self._seen()
        found = detect(self._data_api, traders, seen, self._offset, plan.batch)
        self._offset = found.next_offset
        self.stats.cycles += 1
        self.stats.polled += len(found.polled)
        if found.failed:
            self.stats.failures += len(found.failed)
            self.stats.last_error = next(iter(found.failed.values()))
        now = self._clock.now()
        count = 0
        for trader, traded_at in found.traded.items():
            # Sighted again only for a newer trade, or when the ledger still has not read the old one
            # after a while (the engine's read failed): the engine's read is what moves the cursor.
            last = self._sighted.get(trader)
            if last is not None and traded_at <= last and self._still_fresh(trader, now):
                continue
            self._sighted[trader] = traded_at
            self._sighted_at[trader] = now
            notify(Sighting(trader, now, "poll", traded_at=traded_at))
            count += 1
        self.stats.sightings += count
        return count

    def _still_fresh(self, trader: str, now: datetime) -> bool:
        at = self._sighted_at.get(trader)
        return at is not None and now - at < timedelta(seconds=max(5.0, 5 * self.cycle_seconds))

    def _loop(self, notify: Notify) -> None:
        while not self._stop.is_set():
            if self._active():
                try:
                    self.cycle(notify)
                except Exception as error:  # a bad cycle is logged; the next one tries again
                    self.stats.failures += 1
                    self.stats.last_error = f"{type(error).__name__}: {error}"
                    log.warning("detection poll failed: %s", self.stats.last_error)
            self._wait(self._stop, self._next_wait)


# --- the real-time feed ----------------------------------------------------------------------------


class Feed(Protocol):
    """The shape of `venues.polymarket.realtime.LeaderTradeFeed` the engine relies on."""

    connected: bool
    last_message_at: datetime | None

    def start(self) -> None: ...

    def stop(self) -> None: ...


FeedFactory = Callable[[list[str], Callable[[SourceTrade], None]], Feed]


class FeedSource:
    """A leader-trade feed as a detection source: each trade of a tracked wallet becomes a sighting
    carrying the trade. `make_feed(wallets, on_trade)` builds the feed (the wallets are fixed for its
    life; `refresh()` rebuilds it when the tracked traders change). Healthy while connected and not
    silent for longer than `silence`."""

    name = "feed"

    def __init__(self, make_feed: FeedFactory, traders: Callable[[], list[str]], clock: Clock, *,
                 silence: timedelta = timedelta(seconds=30)) -> None:
        self._make_feed = make_feed
        self._traders = traders
        self._clock = clock
        self.silence = silence
        self._feed: Feed | None = None
        self._wallets: list[str] = []
        self._notify: Notify | None = None
        self._lock = threading.Lock()
        self.trades_seen = 0
        self.started_at: datetime | None = None

    def start(self, notify: Notify) -> None:
        self._notify = notify
        self.refresh()

    def refresh(self) -> None:
        """(Re)build the feed when the tracked traders changed."""
        wallets = sorted(t.lower() for t in self._traders())
        with self._lock:
            if self._feed is not None and wallets == self._wallets:
                return
            if self._feed is not None and wallets and hasattr(self._feed, "set_wallets"):
                self._feed.set_wallets(wallets)  # LeaderTradeFeed filters on our side: no reconnection
                self._wallets = wallets
                return
            old, self._feed, self._wallets = self._feed, None, wallets
        if old is not None:
            old.stop()
        if not wallets:
            return
        feed = self._make_feed(wallets, self._on_trade)
        feed.start()
        with self._lock:
            self._feed = feed
            self.started_at = self._clock.now()

    def stop(self) -> None:
        with self._lock:
            feed, self._feed = self._feed, None
        if feed is not None:
            feed.stop()

    def _on_trade(self, trade: SourceTrade) -> None:
        if trade.trader_address.lower() not in self._wallets or self._notify is None:
            return
        self.trades_seen += 1
        self._notify(Sighting(trade.trader_address.lower(), self._clock.now(), "feed", traded_at=trade.traded_at,
                              trades=(trade,)))

    @property
    def connected(self) -> bool:
        feed = self._feed
        return feed is not None and bool(feed.connected)

    @property
    def last_message_at(self) -> datetime | None:
        feed = self._feed
        return feed.last_message_at if feed is not None else None

    @property
    def gaps(self) -> list:
        """The feed's own record of its losses (LeaderTradeFeed.gaps: `disconnected_at`,
        `resubscribed_at`), oldest first; empty for a feed that keeps none."""
        feed = self._feed
        return list(getattr(feed, "gaps", ())) if feed is not None else []

    @property
    def healthy(self) -> bool:
        if not self.connected:
            return False
        last = self.last_message_at or self.started_at
        return last is not None and self._clock.now() - last <= self.silence

    def describe(self) -> str:
        state = "connected" if self.connected else "down"
        return f"real-time feed ({state}, {len(self._wallets)} wallets, {self.trades_seen} trades)"


@dataclass
class FallbackStats:
    drops: int = 0
    backfills: int = 0
    fallback_since: datetime | None = None
    gaps: list[tuple[datetime, datetime]] = field(default_factory=list)


class FallbackSource:
    """The feed first, polling while it is down or silent, a REST backfill when it comes back.

    A watchdog checks the feed every `check_seconds`. When it stops being healthy, the poll takes over
    (the poll's thread idles while the feed is healthy) and the gap's start is remembered (the feed's
    last message, or when it was last known healthy). When the feed is healthy again, every tracked
    trader is sighted as a backfill since the gap's start, so what the stream did not replay is read
    from the Data API. A loss the feed recovered from on its own between two checks is found in the
    feed's own gap record and backfilled the same way."""

    name = "feed+poll"

    def __init__(self, feed: FeedSource, poll: PollingSource, traders: Callable[[], list[str]], clock: Clock, *,
                 check_seconds: float = 1.0, refresh_seconds: float = 60.0) -> None:
        self.feed = feed
        self.poll = poll
        self._traders = traders
        self._clock = clock
        self.check_seconds = check_seconds
        self.refresh_seconds = refresh_seconds
        self._down_since: datetime | None = None
        self._last_healthy: datetime | None = None
        self._gaps_handled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._notify: Notify | None = None
        self.stats = FallbackStats()
        poll._active = lambda: self._down_since is not None  # the poll runs only while the feed is down

    def start(self, notify: Notify) -> None:
        self._notify = notify
        # Until the feed proves itself, the poll covers: the gap starts now (nothing is lost before
        # it: the ledger's cursors cover what came earlier).
        self._down_since = self._clock.now()
        self.feed.start(notify)
        self.poll.start(notify)
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="engine-feed-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.feed.stop()
        self.poll.stop()

    @property
    def healthy(self) -> bool:
        return self.feed.healthy or self.poll.healthy

    @property
    def on_fallback(self) -> bool:
        return self._down_since is not None

    def describe(self) -> str:
        mode = "polling fallback" if self.on_fallback else "feed"
        return f"{mode}: {self.feed.describe()}; {self.poll.describe()}; {self.stats.drops} drops, {self.stats.backfills} backfills"

    def check(self) -> None:
        """One watchdog step (the thread calls it every `check_seconds`; tests call it directly)."""
        now = self._clock.now()
        gaps = self.feed.gaps
        if len(gaps) < self._gaps_handled:  # a new feed (rebuilt): its record starts over
            self._gaps_handled = 0
        closed = [gap for gap in gaps[self._gaps_handled:] if not gap.open]
        if self.feed.healthy:
            starts = [gap.disconnected_at for gap in closed] + ([self._down_since] if self._down_since else [])
            if starts:
                self._backfill(min(starts), now)
            self._gaps_handled += len(closed)
            self._down_since = None
            self.stats.fallback_since = None
            self._last_healthy = now
            return
        if self._down_since is None:
            last = self.feed.last_message_at
            start = min(t for t in (last, self._last_healthy, now) if t is not None)
            self._down_since = start
            self.stats.drops += 1
            self.stats.fallback_since = now
            log.warning("real-time feed %s since %s: polling takes over",
                        "disconnected" if not self.feed.connected else "silent", start.isoformat())

    def _backfill(self, since: datetime, now: datetime) -> None:
        self.stats.backfills += 1
        self.stats.gaps.append((since, now))
        traders = self._traders()
        log.info("real-time feed back: backfilling %d traders since %s", len(traders), since.isoformat())
        if self._notify is not None:
            for trader in traders:
                self._notify(Sighting(trader, now, "backfill", since=since))

    def _watch(self) -> None:
        refreshed = self._clock.now()
        while not self._stop.wait(self.check_seconds):
            try:
                self.check()
                if (self._clock.now() - refreshed).total_seconds() >= self.refresh_seconds:
                    self.feed.refresh()
                    refreshed = self._clock.now()
            except Exception as error:  # the watchdog must survive anything the feed throws
                log.warning("feed watchdog: %s: %s", type(error).__name__, error)


def realtime_feed_factory(url: str, clock: Clock, **options: Any) -> FeedFactory | None:
    """A factory of `LeaderTradeFeed`s when `venues/polymarket/realtime.py` exists; None otherwise."""
    try:
        from lt_pipeline.venues.polymarket import realtime  # noqa: PLC0415  (optional, being written)
    except ImportError:
        return None
    feed_class = getattr(realtime, "LeaderTradeFeed", None)
    if feed_class is None:
        return None
    return lambda wallets, on_trade: feed_class(url, wallets, on_trade, clock, **options)
