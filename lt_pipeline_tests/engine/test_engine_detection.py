"""The engine against the emulator: a tracked trader's new trade seen by polling becomes, in one tick,
the trade in the ledger, its FT orders and the live twin's order acknowledged by the venue; the feed
path hands trades over without a Data API read; a dropped feed falls back to polling and, when it is
back, the gap is backfilled from the Data API."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lt_pipeline.engine.sources import FallbackSource, FeedSource, Sighting
from lt_pipeline.ledger import schema
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.engine.support import advance, make_lane, polling, sight_all
from lt_pipeline_tests.forward_test.harness import make_harness
from lt_pipeline_tests.live.test_executor import add_strategy


@pytest.fixture
def world(sqlite_url, tmp_path):
    """The emulator's traders tracked and read once, one launched twin of the loose FT wallet."""
    emulator = start_emulator(seed=11)
    try:
        harness = make_harness(emulator, sqlite_url, tmp_path)
        harness.execution_tick()
        add_strategy(harness.engine, harness.clock.now(), user="u1")
        yield harness
    finally:
        emulator.stop(wait=False)


def count(engine, table, *where) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_polling_sees_new_trades_and_one_tick_places_the_twins_orders(world):
    lane = make_lane(world.engine, world.clock, world.emulator.url)
    source = polling(lane)
    assert sight_all(source) == []  # the ledger has read everything so far

    advance(world.clock, world.emulator.url)  # the simulated traders trade again
    sightings = sight_all(source)
    assert sightings and {s.via for s in sightings} == {"poll"}
    report = lane.tick(sightings)
    assert report.ingest.trades_new > 0 and report.signals.orders_created > 0
    assert report.execution.accepted > 0 and not report.execution.failed
    assert report.execution.accepted == count(world.engine, schema.lt_orders, schema.lt_orders.c.acked_at.is_not(None))
    assert world.emulator.venue.counters()["orders_placed"] == report.execution.accepted
    assert report.signal_to_ack_ms and report.metadata()["accepted"] == report.execution.accepted

    polled = source.stats.polled
    assert sight_all(source, cycles=1) == []  # read: not sighted again ...
    assert source.stats.polled - polled == len(lane.tracked_traders())  # ... by a cycle that polled every trader
    again = lane.tick()  # a sweep finds nothing left to place
    assert (again.execution.claimed, again.execution.submitted) == (0, 0)


def test_the_engine_loop_places_within_its_own_thread_until_stopped(world):
    lane = make_lane(world.engine, world.clock, world.emulator.url)
    lane.sweep_seconds = 0.2
    source = polling(lane, cycle_seconds=0.2)
    world.clock.advance(timedelta(minutes=2))
    stop = threading.Event()
    runner = threading.Thread(target=lane.run, args=(source, stop))
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and lane.placed == 0:
            time.sleep(0.1)
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive() and lane.placed > 0
    assert world.emulator.venue.counters()["orders_placed"] == lane.placed


class FakeFeed:
    """A leader-trade feed with LeaderTradeFeed's shape, driven by the test: `push` hands a trade over,
    `drop`/`reconnect` cut and restore it (the venue does not replay what was sent meanwhile)."""

    def __init__(self, wallets, on_trade, clock) -> None:
        self.wallets, self.on_trade, self.clock = wallets, on_trade, clock
        self.connected = False
        self.last_message_at: datetime | None = None

    def start(self) -> None:
        self.connected = True
        self.last_message_at = self.clock.now()

    def stop(self) -> None:
        self.connected = False

    def push(self, trade) -> None:
        self.last_message_at = self.clock.now()
        if self.connected:
            self.on_trade(trade)

    def drop(self) -> None:
        self.connected = False

    def reconnect(self) -> None:
        self.connected = True
        self.last_message_at = self.clock.now()


def newest_trades(lane, since):
    """Every tracked trader's trades since `since`, read from the emulator's Data API."""
    trades = []
    for trader in lane.tracked_traders():
        found, _ = lane.data_api.trades_of(trader, since=since)
        trades += found
    return trades


def test_feed_trades_are_placed_without_a_data_api_read_and_a_dropped_feed_is_backfilled(world):
    lane = make_lane(world.engine, world.clock, world.emulator.url)
    feeds: list[FakeFeed] = []

    def make_feed(wallets, on_trade):
        feeds.append(FakeFeed(wallets, on_trade, world.clock))
        return feeds[-1]

    feed = FeedSource(make_feed, lane.tracked_traders, world.clock, silence=timedelta(minutes=10))
    source = FallbackSource(feed, polling(lane), lane.tracked_traders, world.clock)
    inbox: list[Sighting] = []
    source._notify = inbox.append
    source._down_since = None
    feed.start(inbox.append)
    (fake,) = feeds
    source.check()
    assert not source.on_fallback

    # The feed hands the traders' new trades over: the engine stores them as the poll would, and places.
    before = world.clock.now()
    world.clock.advance(timedelta(minutes=2))
    for trade in newest_trades(lane, before + timedelta(seconds=1)):
        fake.push(trade)
    assert inbox and {s.via for s in inbox} == {"feed"}
    pushed = sum(len(s.trades) for s in inbox)
    report = lane.tick(inbox)
    assert report.ingest.trades_new == pushed and report.execution.accepted > 0
    inbox.clear()

    # The feed drops; the traders trade during the gap; the watchdog hands over to polling.
    fake.drop()
    source.check()
    assert source.on_fallback and source.stats.drops == 1
    gap_start = world.clock.now()
    world.clock.advance(timedelta(minutes=2))
    missed = newest_trades(lane, gap_start + timedelta(seconds=1))
    assert missed

    # Back: every tracked trader is backfilled from the gap's start, and what was missed is placed.
    fake.reconnect()
    source.check()
    assert not source.on_fallback and source.stats.backfills == 1
    assert inbox and {s.via for s in inbox} == {"backfill"} and all(s.since <= gap_start for s in inbox)
    report = lane.tick(inbox)
    with world.engine.connect() as connection:
        stored = set(connection.execute(select(schema.source_trades.c.source_trade_id)).scalars())
    assert {t.source_trade_id for t in missed} <= stored
    assert report.execution.accepted > 0
    placed = count(world.engine, schema.lt_orders, schema.lt_orders.c.acked_at.is_not(None))
    assert world.emulator.venue.counters()["orders_placed"] == placed
