"""The client feeds against the emulator over loopback: a tracked trader's trade arrives by feed
within a fraction of a second as the Data API's own record of it; our order's placement, fill and
settlement arrive on the user channel as the model's reports; a dropped feed reconnects and reports
the gap that a REST backfill then fills; a silent feed is caught by the watchdog; bad credentials
end the user channel with a clear error that does not carry the secret."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from py_clob_client_v2.clob_types import OrderArgsV2

from lt_pipeline.model.orders import FillStatus
from lt_pipeline.model.reports import Resting
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.realtime import FeedRefused, LeaderTradeFeed, UserChannelFeed
from lt_pipeline_tests.emulator.fixtures import make_trader_client

FAST = {"ping_interval_s": 0.2, "silence_timeout_s": 0.8, "backoff_initial_s": 0.05, "backoff_max_s": 0.2}


class Inbox:
    """What a feed handed over, with the wall time of each arrival."""

    def __init__(self) -> None:
        self.items: list = []
        self.arrived: list[float] = []
        self._changed = threading.Condition()

    def __call__(self, *item) -> None:
        with self._changed:
            self.items.append(item[0] if len(item) == 1 else item)
            self.arrived.append(time.perf_counter())
            self._changed.notify_all()

    def wait_for(self, test, timeout: float = 5.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: test(self.items), timeout)


def ws(emulator, path: str = "") -> str:
    return emulator.url.replace("http://", "ws://") + path


def traders(emulator) -> list[str]:
    return [t.address for t in emulator.venue.traders()]


def data_api(emulator) -> DataApiClient:
    return DataApiClient(f"{emulator.url}/data-api", clock=emulator.clock, rate_limited=False)


def test_a_tracked_traders_trade_arrives_at_once_as_the_data_apis_record(emulator):
    tracked = traders(emulator)[:5]
    inbox = Inbox()
    with LeaderTradeFeed(ws(emulator), tracked, inbox, emulator.clock, **FAST) as feed:
        assert feed.wait_connected(5)
        started = time.perf_counter()
        emulator.clock.advance(timedelta(minutes=30))
        assert inbox.wait_for(lambda items: len(items) >= 1)
        first_latency = inbox.arrived[0] - started
        time.sleep(0.3)  # the rest of the batch
    assert first_latency < 1.0, f"the first trade took {first_latency:.3f} s"  # real time, not a poll period
    assert {t.trader_address for t in inbox.items} <= {a.lower() for a in tracked}
    api = data_api(emulator)
    for trader in {t.trader_address for t in inbox.items}:
        polled, rejected = api.trades_of(trader)
        assert rejected == []
        by_feed = [t for t in inbox.items if t.trader_address == trader]
        assert set(by_feed) <= set(polled)  # the very same SourceTrade, field for field
    assert len({t.source_trade_id for t in inbox.items}) == len(inbox.items)  # each once


def test_the_user_channel_reports_placement_fill_and_settlement(emulator):
    emulator.admin("pause")
    market = next(m for m in emulator.venue.markets() if not m.closed and m.tick_size == Decimal("0.01"))
    token = market.tokens[0].token_id
    emulator.admin("book", token_id=token, bids=[["0.48", "100"]], asks=[["0.52", "30"], ["0.53", "100"]])
    client = make_trader_client(emulator, 1)
    orders, trades = Inbox(), Inbox()
    with UserChannelFeed(ws(emulator, "/ws/user"), client.creds, [market.condition_id], orders, trades,
                         emulator.clock, **FAST) as feed:
        assert feed.wait_connected(5)
        placed = client.create_and_post_order(OrderArgsV2(token_id=token, price=0.52, size=10, side="BUY"))
        assert trades.wait_for(lambda items: len(items) >= 1)
        emulator.clock.advance(timedelta(seconds=16))
        assert trades.wait_for(lambda items: len(items) >= 3)
    order_id = placed["orderID"].lower()
    assert [(o.order_id, event, o.status, o.resting, o.size_matched) for o, event in orders.items] == [
        (order_id, "PLACEMENT", "LIVE", Resting.OPEN, Decimal("0")),
        (order_id, "UPDATE", "MATCHED", Resting.DONE, Decimal("10")),
    ]
    assert [t.status for t in trades.items] == [FillStatus.MATCHED, FillStatus.MINED, FillStatus.CONFIRMED]
    fill = trades.items[0]
    assert (fill.trade_id, fill.taker_order_id, fill.side, fill.price, fill.size, fill.trader_side) == \
        (placed["tradeIDs"][0], order_id, "BUY", Decimal("0.52"), Decimal("10"), "TAKER")
    assert fill.transaction_hash == placed["transactionsHashes"][0]
    assert feed.gaps == [] and feed.failure is None


def test_a_dropped_feed_reconnects_and_reports_the_gap_to_backfill(emulator):
    tracked = traders(emulator)
    inbox, gaps = Inbox(), Inbox()
    with LeaderTradeFeed(ws(emulator), tracked, inbox, emulator.clock, on_gap=gaps, **FAST) as feed:
        assert feed.wait_connected(5)
        heard = feed.last_message_at
        dropped = emulator.admin("ws/drop", channels=["rtds"], refuse_seconds=0.5)
        assert dropped == {"dropped": 1}
        deadline = time.monotonic() + 2
        while feed.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not feed.connected and feed.open_gap is not None
        emulator.clock.advance(timedelta(minutes=30))  # trades nobody hears
        assert gaps.wait_for(lambda items: len(items) == 1)
        assert feed.connected and feed.open_gap is None
    [gap] = feed.gaps
    assert gaps.items == [gap]
    assert gap.disconnected_at >= heard and gap.resubscribed_at >= gap.disconnected_at + timedelta(minutes=30)
    assert "1012" in gap.reason
    assert inbox.items == []  # the venue does not replay
    missed = []
    api = data_api(emulator)
    for trader in tracked:
        polled, _ = api.trades_of(trader, since=gap.disconnected_at)
        missed += [t for t in polled if t.traded_at <= gap.resubscribed_at]
    assert missed, "the backfill finds what the feed missed"


def test_a_silent_feed_is_caught_by_the_watchdog(emulator):
    inbox, gaps = Inbox(), Inbox()
    with LeaderTradeFeed(ws(emulator), traders(emulator), inbox, emulator.clock, on_gap=gaps, **FAST) as feed:
        assert feed.wait_connected(5)
        emulator.admin("ws/silence", channels=["rtds"])
        emulator.clock.advance(timedelta(minutes=30))  # trades the silent feed never sends
        deadline = time.monotonic() + 3
        while feed.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not feed.connected
        assert "silent for" in feed.open_gap.reason
        emulator.admin("ws/resume")
        assert gaps.wait_for(lambda items: len(items) == 1)
        assert feed.connected
    assert inbox.items == []
    assert emulator.admin("ws/resume")["counts"]["silenced_messages"] > 0


def test_bad_credentials_end_the_user_channel_with_a_clear_error(emulator, caplog):
    client = make_trader_client(emulator, 4)
    creds = client.creds
    creds.api_passphrase = "not-the-passphrase"
    orders, trades = Inbox(), Inbox()
    caplog.set_level(logging.DEBUG, logger="lt_pipeline")
    with UserChannelFeed(ws(emulator, "/ws/user"), creds, [], orders, trades, emulator.clock, **FAST) as feed:
        with pytest.raises(FeedRefused) as refused:
            feed.wait_connected(5)
    assert str(refused.value) == (f"the user channel refused the API key {creds.api_key}: "
                                  "Unauthorized/Invalid api key")
    assert feed.failure == str(refused.value) and not feed.connected
    assert creds.api_secret not in caplog.text and "not-the-passphrase" not in caplog.text
    assert creds.api_secret not in repr(feed)


def test_an_order_resting_before_the_feed_started_reports_its_fill(emulator):
    emulator.admin("pause")
    market = next(m for m in emulator.venue.markets() if not m.closed and m.tick_size == Decimal("0.01"))
    token = market.tokens[0].token_id
    emulator.admin("book", token_id=token, bids=[["0.40", "100"]], asks=[["0.60", "100"]])
    maker, taker = make_trader_client(emulator, 5), make_trader_client(emulator, 6)
    resting = maker.create_and_post_order(OrderArgsV2(token_id=token, price=0.50, size=10, side="BUY"))
    orders, trades = Inbox(), Inbox()
    with UserChannelFeed(ws(emulator, "/ws/user"), maker.creds, [], orders, trades, emulator.clock, **FAST) as feed:
        assert feed.wait_connected(5)
        # a BUY of the other outcome at 0.50 meets our BUY at 0.50 (the venue mints the pair)
        taker.create_and_post_order(OrderArgsV2(token_id=market.tokens[1].token_id, price=0.50, size=10, side="BUY"))
        assert trades.wait_for(lambda items: len(items) >= 1)
        assert orders.wait_for(lambda items: len(items) >= 1)
    [(order, event)] = orders.items
    assert (order.order_id, event, order.status, order.size_matched) == (resting["orderID"].lower(), "UPDATE", "MATCHED", 10)
    [fill] = trades.items
    assert fill.trader_side == "MAKER" and fill.maker_orders[0].order_id == resting["orderID"].lower()
