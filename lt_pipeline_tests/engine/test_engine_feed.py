"""The engine on the emulator's real-time data service (`LeaderTradeFeed` over a websocket): tracked
traders' trades arrive by the feed and are stored and placed without a Data API read; the connection
dropped (and refused for a while) while the traders trade, the watchdog hands over to polling and, once
the feed is back, every tracked trader is backfilled from the gap's start: nothing traded in the gap is
missing from the ledger, and every signal is placed once."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from lt_pipeline.engine.sources import FallbackSource, FeedSource
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.realtime import LeaderTradeFeed
from lt_pipeline_tests.engine.support import make_lane, polling
from lt_pipeline_tests.engine.test_engine_detection import world  # noqa: F401  (the fixture)


def wait_for(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_feed_detection_and_a_dropped_feed_recovered_by_backfill(world):  # noqa: F811
    lane = make_lane(world.engine, world.clock, world.emulator.url)
    ws_url = world.emulator.url.replace("http://", "ws://") + "/"
    feed = FeedSource(lambda wallets, on_trade: LeaderTradeFeed(ws_url, wallets, on_trade, world.clock, backoff_initial_s=0.2),
                      lane.tracked_traders, world.clock, silence=timedelta(days=1))
    source = FallbackSource(feed, polling(lane, cycle_seconds=0.5), lane.tracked_traders, world.clock, check_seconds=0.1)
    inbox = []
    source.start(inbox.append)
    try:
        assert wait_for(lambda: feed.connected and not source.on_fallback), "the feed did not connect"
        inbox.clear()

        # Trades by the feed: stored as handed over (no /trades read), and placed.
        world.clock.advance(timedelta(minutes=2))
        assert wait_for(lambda: any(s.via == "feed" for s in inbox)), "no trade came by the feed"
        time.sleep(0.5)  # the rest of this minute's trades
        batch, inbox[:] = list(inbox), []
        assert {s.via for s in batch} == {"feed"}
        report = lane.tick(batch)
        assert report.ingest.trades_new == len({t.source_trade_id for s in batch for t in s.trades}) > 0
        assert report.execution.accepted > 0

        # The connection drops and is refused for a while; the traders trade meanwhile.
        gap_start, backfills = world.clock.now(), source.stats.backfills
        answer = httpx.post(f"{world.emulator.url}/admin/ws/drop", json={"channels": ["rtds"], "refuse_seconds": 1.5}, timeout=5)
        assert answer.status_code == 200 and answer.json()["dropped"] >= 1
        assert wait_for(lambda: source.on_fallback or bool(feed.gaps)), "the drop was not noticed"
        world.clock.advance(timedelta(minutes=2))
        assert wait_for(lambda: source.stats.backfills > backfills and not source.on_fallback), \
            "no backfill after the feed came back"
        backfilled = [s for s in inbox if s.via == "backfill"]
        assert backfilled and all(s.since is not None and s.since <= gap_start + timedelta(seconds=1) for s in backfilled)
        missed = [t for trader in lane.tracked_traders()
                  for t in lane.data_api.trades_of(trader, since=gap_start + timedelta(seconds=1))[0]]
        assert missed, "the simulated traders traded during the gap"
        report = lane.tick(list(inbox))
    finally:
        source.stop()

    with world.engine.connect() as connection:
        stored = set(connection.execute(select(schema.source_trades.c.source_trade_id)).scalars())
        placed = connection.execute(select(func.count()).select_from(schema.lt_orders)
                                    .where(schema.lt_orders.c.acked_at.is_not(None))).scalar()
    assert {t.source_trade_id for t in missed} <= stored
    assert report.execution.accepted > 0
    assert world.emulator.venue.counters()["orders_placed"] == placed
