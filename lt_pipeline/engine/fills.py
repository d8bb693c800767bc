"""Fills in real time: our trades, as the user channel pushes them (or as a one-second poll of our
trades reads them when there is no channel), recorded through the same fill code as the venue sync
(`fills_of`, `record_fills`, `update_lt_orders`), so an LT order's fills, figures and state move
within a second of the match. The scheduled venue sync still reconciles everything (orders left in
flight, strays, TTL cancels) and proves the ledger equals the venue; this path only records what it
is sure of: trades of orders the ledger already holds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select

from lt_pipeline.clock import Clock
from lt_pipeline.execution.fills import (
    counted_shares, fee_schedules, fills_of, our_order_ids, record_fills, update_lt_orders,
)
from lt_pipeline.execution.journal import Journal
from lt_pipeline.ledger.schema import lt_orders, orders
from lt_pipeline.model.orders import RESTING_STATES
from lt_pipeline.model.reports import Resting, VenueOrder, VenueTrade
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

PENDING_FOR = timedelta(seconds=60)  # a trade of ours whose order the ledger does not hold yet waits this long
POLL_WINDOW = timedelta(minutes=2)  # recently acknowledged orders whose trades are polled
OVERLAP = timedelta(seconds=5)  # the trades filter is inclusive whole seconds: re-read a little behind


@dataclass
class FillReport:
    trades: int = 0
    fills_new: int = 0
    fills_changed: int = 0
    lt_orders_updated: int = 0
    filled: int = 0
    waiting: int = 0  # trades of ours whose order the ledger does not hold yet


def record_trades(ledger: Engine, user_id: str, funder: str, trades: Iterable[VenueTrade], clock: Clock,
                  records: Mapping[str, VenueOrder] | None = None) -> tuple[FillReport, list[VenueTrade]]:
    """Record our fills in `trades` for the orders the ledger holds (an `orders` row), in one transaction,
    and derive the touched LT orders' figures and states; `records` (order hash -> the venue's record,
    from the channel's order updates) says where an order stands when known. Returns the report and the
    trades naming an order of ours the ledger does not hold yet (to be tried again: the POST's answer may
    still be being recorded)."""
    trades = list(trades)
    report = FillReport(trades=len(trades))
    if not trades:
        return report, []
    ours_by_trade = {t.trade_id: our_order_ids(t, funder) for t in trades}
    wanted = sorted({oid for ids in ours_by_trade.values() for oid in ids})
    now = clock.now()
    with ledger.begin() as connection:
        ledger_of = dict(connection.execute(
            select(orders.c.order_id, orders.c.lt_order_id).where(orders.c.order_id.in_(wanted), orders.c.user_id == user_id)
        ).all()) if wanted else {}
        waiting = [t for t in trades if ours_by_trade[t.trade_id] - set(ledger_of)]
        schedules = fee_schedules(connection, {t.token_id for t in trades} | {leg.token_id for t in trades for leg in t.maker_orders})
        ours = [f for t in trades for f in fills_of(t, ledger_of, schedules)]
        changes = record_fills(connection, ours, ledger_of, now)
        resting: dict[str, Resting | None] = {}
        known = {order_id: record for order_id, record in (records or {}).items() if order_id in ledger_of}
        recorded = counted_shares(connection, known)
        for order_id, record in known.items():
            # Where the order stands counts once every share the venue says it matched is recorded here.
            # Before that (its trades arrive one message at a time), a MATCHED order would look like a
            # killed rest with shares missing, and be closed CANCELLED while its last trade is on its way.
            if recorded[order_id] >= record.size_matched:
                resting[ledger_of[order_id]] = record.resting
        updates = update_lt_orders(Journal(connection, now), changes.lt_order_ids, resting, changes.failed)
    report.fills_new, report.fills_changed = changes.new, changes.changed
    report.lt_orders_updated, report.filled = updates.updated, updates.filled
    report.waiting = len(waiting)
    return report, waiting


@dataclass
class FillWatchStats:
    polls: int = 0
    trades: int = 0
    fills_new: int = 0
    lt_orders_updated: int = 0
    failures: int = 0
    last_error: str = ""
    by_user: dict[str, datetime] = field(default_factory=dict)  # user -> match time read up to


class FillPoller:
    """Without a user channel: every `interval` seconds, each user with an order that may still fill
    (resting, or acknowledged in the last two minutes) has its trades read since the last match seen
    and recorded by `record_trades`. One CLOB request per such user per interval."""

    name = "fill-poll"

    def __init__(self, ledger: Engine, trader_for_user: Callable[[str], ClobTrader], clock: Clock, *,
                 interval: float = 1.0, users: Callable[[], list[str]] | None = None,
                 on_report: Callable[[FillReport], None] | None = None) -> None:
        self._ledger = ledger
        self._on_report = on_report
        self._trader_for_user = trader_for_user
        self._clock = clock
        self.interval = interval
        self._users = users or (lambda: users_with_orders_in_play(ledger, clock.now()))
        self._pending: dict[str, dict[str, tuple[VenueTrade, datetime]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = FillWatchStats()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="engine-fills", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def describe(self) -> str:
        return (f"fills polled every {self.interval:g} s ({self.stats.polls} polls, {self.stats.fills_new} new fills, "
                f"{self.stats.failures} failed)")

    def poll(self) -> FillReport:
        """One pass over the users with orders in play."""
        total = FillReport()
        now = self._clock.now()
        for user in self._users():
            try:
                trader = self._trader_for_user(user)
                after = self.stats.by_user.get(user, now - POLL_WINDOW) - OVERLAP
                read = trader.trades(after=after)
                trades = list(read.records) + [t for t, _ in self._pending.get(user, {}).values()]
                report, waiting = record_trades(self._ledger, user, trader.funder, trades, self._clock)
                self._keep_waiting(user, waiting, now)
                if read.records:
                    self.stats.by_user[user] = max(self.stats.by_user.get(user, after), max(t.match_time for t in read.records))
                self.stats.trades += len(read.records)
                self.stats.fills_new += report.fills_new
                self.stats.lt_orders_updated += report.lt_orders_updated
                total.trades += report.trades
                total.fills_new += report.fills_new
                total.fills_changed += report.fills_changed
                total.lt_orders_updated += report.lt_orders_updated
                total.filled += report.filled
                total.waiting += report.waiting
            except Exception as error:  # one user's failure never stops the others; the sync catches up
                self.stats.failures += 1
                self.stats.last_error = f"{type(error).__name__}: {error}"
                log.warning("fills of user %s not read: %s", user, self.stats.last_error)
        self.stats.polls += 1
        return total

    def _keep_waiting(self, user: str, waiting: list[VenueTrade], now: datetime) -> None:
        kept = self._pending.get(user, {})
        fresh = {}
        for trade in waiting:
            first = kept[trade.trade_id][1] if trade.trade_id in kept else now
            if now - first < PENDING_FOR:
                fresh[trade.trade_id] = (trade, first)
        self._pending[user] = fresh

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            report = self.poll()
            if self._on_report is not None and (report.fills_new or report.fills_changed):
                self._on_report(report)


class UserChannelFills:
    """With a user channel (`UserChannelFeed` of `venues/polymarket/realtime.py`): each pushed trade of
    ours is recorded at once; order updates are kept so a trade's order is known to rest or be done.
    `make_feed(trader, on_trade, on_order)` builds one user's channel (`on_order(order, event)`)."""

    name = "user-channel"

    def __init__(self, ledger: Engine, trader_for_user: Callable[[str], ClobTrader], clock: Clock,
                 make_feed: Callable[..., object], users: Callable[[], list[str]]) -> None:
        self._ledger = ledger
        self._trader_for_user = trader_for_user
        self._clock = clock
        self._make_feed = make_feed
        self._users = users
        self._feeds: dict[str, object] = {}
        self._feeds_lock = threading.Lock()  # add_user runs on the engine's tick thread
        self._stopped = False
        self._records: dict[str, VenueOrder] = {}
        self._lock = threading.Lock()
        self.stats = FillWatchStats()

    def start(self) -> None:
        for user in self._users():
            self.add_user(user)

    def add_user(self, user: str) -> None:
        """Watch `user`'s channel from now on (at start for the users with orders in play; then for each
        user the engine places an order for, so a user whose first order came later is covered too)."""
        with self._feeds_lock:
            if user in self._feeds or self._stopped:
                return
            trader = self._trader_for_user(user)
            feed = self._make_feed(trader, lambda trade, u=user: self._on_trade(u, trade), self._on_order)
            feed.start()
            self._feeds[user] = feed

    @property
    def users(self) -> list[str]:
        """Every user this channel has followed since it started (also after it stopped)."""
        with self._feeds_lock:
            return sorted(self._feeds)

    def stop(self) -> None:
        """Stop every user's feed; they stay listed (`users`), and no user is added after."""
        with self._feeds_lock:
            self._stopped = True
            for feed in self._feeds.values():
                feed.stop()

    def describe(self) -> str:
        with self._feeds_lock:
            feeds = list(self._feeds.values())
        connected = sum(1 for f in feeds if getattr(f, "connected", False))
        return f"user channel ({connected} of {len(feeds)} connected, {self.stats.fills_new} new fills)"

    @property
    def healthy(self) -> bool:
        with self._feeds_lock:
            feeds = list(self._feeds.values())
        return bool(feeds) and all(getattr(f, "connected", False) for f in feeds)

    def _on_order(self, order: VenueOrder, event: str = "UPDATE") -> None:
        with self._lock:
            self._records[order.order_id] = order

    def _on_trade(self, user: str, trade: VenueTrade) -> None:
        try:
            with self._lock:
                records = dict(self._records)
            report, _ = record_trades(self._ledger, user, self._trader_for_user(user).funder, [trade], self._clock, records)
            self.stats.trades += 1
            self.stats.fills_new += report.fills_new
            self.stats.lt_orders_updated += report.lt_orders_updated
        except Exception as error:
            self.stats.failures += 1
            self.stats.last_error = f"{type(error).__name__}: {error}"
            log.warning("fill from the user channel not recorded (the sync will): %s", self.stats.last_error)


def users_with_orders_in_play(ledger: Engine, now: datetime) -> list[str]:
    """Users with an order that may still fill: resting, or acknowledged within the poll window."""
    with ledger.connect() as connection:
        return list(connection.execute(
            select(lt_orders.c.user_id).where(or_(
                lt_orders.c.status.in_([state.value for state in RESTING_STATES]),
                lt_orders.c.acked_at >= now - POLL_WINDOW,
            )).distinct().order_by(lt_orders.c.user_id)
        ).scalars())
