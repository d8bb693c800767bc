"""The seed's execution-quality record (docs/tca.md §8) on SQLite and PostgreSQL against the emulator over
HTTP: what the executor writes when it decides and places a signal (the book, expected price, order
dollars, 24 h volume, volatility, placement time and latency), what the venue sync writes as fills
arrive (slippages, dollars filled, fill rate, partial fill count, first fill, latencies, the score and
its components), and the markouts the resolution job writes once their horizon has passed. Every
figure is worked out by hand beside its assertion."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert

from lt_pipeline.execution.executor import BookSource, run_executor
from lt_pipeline.execution.quality_record import (
    ConditionsSource,
    MarketConditions,
    MarkoutLeg,
    gamma_volumes,
    markout,
    record_markouts,
    submit_values,
    volatility,
)
from lt_pipeline.execution.venue_sync import sync_venue
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline.venues.polymarket.models import PricePoint, VenueUnavailable
from lt_pipeline_tests.emulator.fixtures import EMULATOR_START
from lt_pipeline_tests.live.builders import emulator, world  # noqa: F401 (fixtures)
from lt_pipeline_tests.live.builders import counterparty, cross, limit_plan, make_trader, pin_book, place

D = Decimal


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return EMULATOR_START.replace(hour=hh, minute=mm, second=ss)


def quality(world, lt_id: str):
    [row] = world.rows(schema.lt_execution_quality, lt_order_id=lt_id)
    return row


def components(row) -> dict:
    return json.loads(row.score_components_json)


def sync(world):
    report = sync_venue(world.engine, world.trader_for_user, world.clock)
    assert not report.failed_users, report.failed_users
    return report


def add_signal(world, *, side: str, price: str, size_usd: str, traded_at: datetime, order_time: datetime) -> str:
    """A tracked trader's trade and the FT order the strategy's wallet made of it: one signal."""
    source_trade_id, price = uuid.uuid4().hex, D(price)
    with world.engine.begin() as connection:
        connection.execute(insert(schema.source_trades).values(
            source_trade_id=source_trade_id, trader_address="0x" + "c" * 40, condition_id=world.market.condition_id,
            token_id=world.token_id, side=side, price=price, size=D(size_usd) / price, notional_usd=D(size_usd),
            traded_at=traded_at, ingested_at=order_time,
        ))
        connection.execute(insert(schema.ft_orders).values(
            order_id=str(uuid.uuid4()), wallet_id=world.wallet_id, source_trade_id=source_trade_id,
            trader_address="0x" + "c" * 40, condition_id=world.market.condition_id, token_id=world.token_id, side=side,
            entry_price=price, size=D(size_usd), shares=(D(size_usd) / price).quantize(D("0.01")),
            sizing_method="fixed_usd", config_version=1, source_traded_at=traded_at, order_time=order_time,
        ))
    return source_trade_id


def book_source(world, *, after_read=None, conditions: ConditionsSource | None = None) -> BookSource:
    """The executor's books and market conditions from the emulator, as the lt_orders asset reads them;
    `after_read` runs once the book is read (the book moving before the order arrives)."""
    reader = ClobReader(world.emulator.url)

    def fetch(token_id: str):
        book = reader.book(token_id)
        if after_read is not None:
            after_read()
        return book

    if conditions is None:
        conditions = ConditionsSource(reader.price_history,
                                      gamma_volumes(GammaClient(f"{world.emulator.url}/gamma", max_retries=0)))
    return BookSource(fetch, conditions=conditions)


def trade_history(world, seller, buyer) -> None:
    """The token's last day: trades at 12:10 (0.40), 13:10 (0.60) and 14:10 (0.50); then 15:10."""
    world.clock.set(at(12, 10))
    cross(world, seller, "SELL", "0.40", "10")
    world.clock.set(at(13, 10))
    cross(world, buyer, "BUY", "0.60", "10")
    world.clock.set(at(14, 10))
    world.emulator.admin("book", token_id=world.token_id, bids=[["0.50", "100"]], asks=[["0.60", "100"]])
    cross(world, seller, "SELL", "0.50", "10")
    pin_book(world)  # bids 0.40 x 100; asks 0.60 x 100, 0.62 x 100
    world.clock.set(at(15, 10))


def test_placement_fills_score_and_markouts_of_one_order(world):
    seller, buyer = counterparty(world), make_trader(world.emulator, 3)
    trade_history(world, seller, buyer)
    # The leader bought at 0.58 at 15:09:50; the paper order (our signal) is stamped 15:09:55.
    add_signal(world, side="BUY", price="0.58", size_usd="9", traded_at=at(15, 9, 50), order_time=at(15, 9, 55))

    # The executor reads bid 0.40 / ask 0.60, then the asks move to 0.65 before the order arrives: the
    # GTC BUY of 15 shares at 0.60 (0.58 x 1.05 = 0.609, down to the tick; $9 / 0.60) rests unfilled.
    def asks_move():
        world.emulator.admin("book", token_id=world.token_id, bids=[["0.40", "100"]], asks=[["0.65", "100"], ["0.70", "100"]])

    report = run_executor(world.engine, world.clock, book_source(world, after_read=asks_move), world.trader_for_user)
    assert (report.accepted, report.skipped) == (1, {})
    [order] = world.rows(schema.lt_orders, strategy_id=world.strategy_id)
    assert (order.status, order.limit_price, order.intended_shares) == ("LIVE", D("0.6"), D("15"))
    q = quality(world, order.lt_order_id)
    assert q.id == order.lt_order_id
    # -- at decision: the book walk for $9 takes 15 shares at 0.60: expected price 0.60
    assert (q.expected_price, q.estimated_fill_price) == (D("0.6"), D("0.6"))
    assert (q.best_bid_at_signal, q.best_ask_at_signal, q.mid_price_at_signal) == (D("0.4"), D("0.6"), D("0.5"))
    assert (q.best_bid, q.best_ask, q.mid_price, q.spread) == (D("0.4"), D("0.6"), D("0.5"), D("0.2"))
    assert q.market_spread_pct == D("0.4")  # (0.60 - 0.40) / 0.50
    assert q.order_size_usd == D("9")  # 15 shares x 0.60
    assert q.signal_timestamp == at(15, 9, 55)
    # Gamma's volume24hr at decision: the venue's own figure, which counts our three trades ($15)
    venue_volume = world.emulator.venue.market(world.market.condition_id).volume_24h
    assert q.market_volume_24h == q.volume_24h == venue_volume and venue_volume >= D("15")
    # hourly last-trade prices of the day: 13:00 0.40, 14:00 0.60, 15:00 0.50 -> changes +0.20, -0.10,
    # mean 0.05, squared deviations 0.0225 + 0.0225, / (2 - 1), square root: sqrt(0.045)
    assert q.volatility_pct == D("0.2121320344")
    # -- at the answer: posted at 15:10:00, 5 s after the signal; nothing filled yet
    assert (q.order_placed_timestamp, q.latency_order_ms, q.execution_latency_ms) == (at(15, 10), 5000, 5000)
    assert (q.fill_rate, q.filled_size_usd, q.partial_fill_count) == (D("0"), D("0"), 0)
    assert (q.executed_price, q.first_fill_timestamp, q.latency_fill_ms) == (None, None, None)
    # score: nothing filled scores 0 on fill, slippage and latency; no rejection: 100 x 0.1 x 1
    assert q.execution_quality_score == D("10")
    assert components(q) == {
        "inputs": {"fill_rate": "0", "abs_slippage_cents": None, "signal_to_fill_ms": None, "rejected": False},
        "components": {"fill": "0", "slippage": "0", "latency": "0", "rejection": "1"},
        "weights": {"fill": "0.3", "slippage": "0.4", "latency": "0.2", "rejection": "0.1"},
        "caps": {"slippage_cents": "3", "latency_ms": "10000"},
        "score": "10",
    }

    # -- a first fill: 5 shares sold into our bid at 0.60, 2 s after posting
    world.clock.set(at(15, 10, 2))
    cross(world, seller, "SELL", "0.60", "5")
    sync(world)
    q = quality(world, order.lt_order_id)
    assert world.lt_order(order.lt_order_id).status == "PARTIALLY_FILLED"
    assert (q.executed_price, q.filled_size_usd, q.partial_fill_count) == (D("0.6"), D("3"), 1)  # 5 x 0.60
    assert q.fill_rate == D("0.3333333333")  # 5 / 15
    assert q.slippage_vs_signal_pct == q.slippage_pct == D("0.0344827586")  # (0.60 - 0.58) / 0.58
    assert q.slippage_cents == D("2")  # +1 x (0.60 - 0.58) x 100
    assert q.slippage_vs_mid_pct == D("0.2")  # (0.60 - 0.50) / 0.50
    assert q.slippage_vs_mid_cents == D("10")  # +1 x (0.60 - 0.50) x 100
    assert (q.first_fill_timestamp, q.latency_fill_ms, q.fill_latency_ms) == (at(15, 10, 2), 2000, 2000)
    assert (q.signal_timestamp, q.order_placed_timestamp, q.latency_order_ms, q.order_size_usd) == (
        at(15, 9, 55), at(15, 10), 5000, D("9"))
    # score: FR 0.3333333333; slippage 1 - 2/3; signal to last fill 7 000 ms: 1 - 7000/10000 = 0.3; no rejection
    fill, slip, latency = D("0.3333333333"), 1 - D(2) / 3, D("0.3")
    exact = 100 * (D("0.3") * fill + D("0.4") * slip + D("0.2") * latency + D("0.1"))
    assert q.execution_quality_score == D("39.33") == exact.quantize(D("0.01"))
    assert components(q)["inputs"] == {"fill_rate": "0.3333333333", "abs_slippage_cents": "2", "signal_to_fill_ms": 7000,
                                       "rejected": False}
    assert components(q)["components"] == {"fill": "0.3333333333", "slippage": "0.3333333333", "latency": "0.3",
                                           "rejection": "1"}
    assert components(q)["score"] == format(exact.quantize(D("1e-10")), "f")

    # -- a second fill, 4 more shares at 15:10:05: two fills count
    world.clock.set(at(15, 10, 5))
    cross(world, seller, "SELL", "0.60", "4")
    sync(world)
    q = quality(world, order.lt_order_id)
    assert (q.partial_fill_count, q.filled_size_usd, q.fill_rate) == (2, D("5.4"), D("0.6"))  # 9 x 0.60; 9 / 15
    assert (q.first_fill_timestamp, q.latency_fill_ms) == (at(15, 10, 2), 2000)  # the first fill's
    # signal to last fill 10 000 ms: the latency component reaches 0; 100 x (0.3 x 0.6 + 0.4 x 1/3 + 0 + 0.1)
    assert q.execution_quality_score == D("41.33")
    assert components(q)["inputs"]["signal_to_fill_ms"] == 10000 and components(q)["components"]["latency"] == "0"

    # -- cancelled with 6 shares unfilled: its figures stand
    world.clock.set(at(15, 10, 10))
    world.trader.cancel([order.order_id])
    sync(world)
    assert world.lt_order(order.lt_order_id).status == "CANCELLED"
    assert (quality(world, order.lt_order_id).partial_fill_count, quality(world, order.lt_order_id).execution_quality_score) == (2, D("41.33"))

    # -- the price after: 0.65 at 15:10:30, 0.70 at 15:13:00, 0.40 at 15:30:00
    world.clock.set(at(15, 10, 30))
    cross(world, buyer, "BUY", "0.65", "10")
    history = ClobReader(world.emulator.url).price_history
    # At 15:12 only the 1-minute horizons have passed (our last fill 15:10:05 + 1 min; the leader's 15:09:50 + 1 min).
    world.clock.set(at(15, 12))
    report = record_markouts(world.engine, history, world.clock)
    q = quality(world, order.lt_order_id)
    # ours: both fills at 0.60 meet the 15:11 point (last trade 0.65): (5 x 0.05 + 4 x 0.05) / 9 x 100
    assert (q.markout_1m_cents, q.markout_5m_cents, q.markout_30m_cents) == (D("5"), None, None)
    # the leader's BUY at 0.58 (15:09:50) meets the 15:10 point, whose last trade is 14:10's 0.50
    assert (q.leader_markout_1m_cents, q.leader_markout_5m_cents, q.leader_markout_30m_cents) == (D("-8"), None, None)
    assert (report.orders, report.markouts, report.tokens_read, report.failed) == (1, 2, 1, {})

    world.clock.set(at(15, 13))
    world.emulator.admin("book", token_id=world.token_id, bids=[["0.40", "100"]], asks=[["0.70", "100"]])
    cross(world, buyer, "BUY", "0.70", "10")
    world.clock.set(at(15, 30))
    cross(world, seller, "SELL", "0.40", "10")
    world.clock.set(at(15, 45))
    report = record_markouts(world.engine, history, world.clock)
    q = quality(world, order.lt_order_id)
    # 5 min: the 15:15 point is 0.70 -> +10; 30 min: the 15:40 point is 0.40 -> -20
    assert (q.markout_1m_cents, q.markout_5m_cents, q.markout_30m_cents) == (D("5"), D("10"), D("-20"))
    # leader: 15:14 point 0.70 -> +12; 15:39 point 0.40 -> -18
    assert (q.leader_markout_1m_cents, q.leader_markout_5m_cents, q.leader_markout_30m_cents) == (D("-8"), D("12"), D("-18"))
    assert report.markouts == 4
    again = record_markouts(world.engine, history, world.clock)  # nothing left to compute, nothing read
    assert (again.markouts, again.tokens_read) == (0, 0)


def test_a_taker_fill_on_entry_then_its_trade_failing(world):
    # A GTC BUY of 10 at 0.60 against the 0.60 ask, signal 0.58, placed at 12:00:00: filled on entry.
    lt_id = place(world, limit_plan("BUY", "0.60", "10"), signal_price="0.58")
    sync(world)
    q = quality(world, lt_id)
    assert (q.executed_price, q.filled_size_usd, q.fill_rate, q.partial_fill_count) == (D("0.6"), D("6"), D("1"), 1)
    assert q.order_size_usd == D("6")  # 10 shares x 0.60
    assert (q.signal_timestamp, q.order_placed_timestamp, q.first_fill_timestamp) == (at(12), at(12), at(12))
    assert (q.latency_order_ms, q.latency_fill_ms) == (0, 0)
    assert (q.slippage_vs_signal_pct, q.slippage_cents) == (D("0.0344827586"), D("2"))
    # this order was placed without a book snapshot: no mid, so no slippage versus mid
    assert (q.mid_price_at_signal, q.slippage_vs_mid_pct, q.slippage_vs_mid_cents) == (None, None, None)
    # FR 1; slippage 1 - 2/3; signal to fill 0 ms: 1; no rejection: 100 x (0.3 + 0.4/3 + 0.2 + 0.1) = 73.33
    assert q.execution_quality_score == D("73.33")
    assert components(q)["components"] == {"fill": "1", "slippage": "0.3333333333", "latency": "1", "rejection": "1"}

    [fill] = world.rows(schema.fills, lt_order_id=lt_id)
    world.emulator.admin("fail-trade", trade_id=fill.trade_id)
    for seconds in (5, 10):
        world.clock.advance(timedelta(seconds=seconds))
        sync(world)
    q = quality(world, lt_id)
    assert world.lt_order(lt_id).status == "CANCELLED"
    # the failed fill no longer counts: nothing filled, no fill time; scored as an unfilled order
    assert (q.partial_fill_count, q.fill_rate, q.filled_size_usd, q.executed_price) == (0, D("0"), D("0"), None)
    assert (q.first_fill_timestamp, q.latency_fill_ms, q.slippage_vs_signal_pct) == (None, None, None)
    assert q.execution_quality_score == D("10")


def test_a_venue_that_cannot_say_volume_or_volatility_never_stops_a_signal(world):
    def unavailable(*args, **kwargs):
        raise VenueUnavailable("prices-history: HTTP 503: down")

    def slow(*args, **kwargs):
        time.sleep(2)
        return []

    for history, volumes in ((unavailable, lambda ids: 1 / 0), (slow, None)):
        world.clock.advance(timedelta(minutes=1))
        now = world.clock.now()
        add_signal(world, side="BUY", price="0.60", size_usd="6", traded_at=now, order_time=now)
        conditions = ConditionsSource(history, volumes, wait_seconds=0.3)
        started = time.monotonic()
        report = run_executor(world.engine, world.clock, book_source(world, conditions=conditions), world.trader_for_user)
        assert report.accepted == 1 and time.monotonic() - started < 2
    rows = world.rows(schema.lt_execution_quality, strategy_id=world.strategy_id)
    assert len(rows) == 2
    assert all((r.volatility_pct, r.market_volume_24h, r.volume_24h) == (None, None, None) for r in rows)
    assert all(r.best_ask_at_signal == D("0.6") and r.order_size_usd is not None for r in rows)


def test_a_rejected_order_scores_its_rejection():
    values = submit_values(at(12), at(12, 0, 1), accepted=False, rejected=True)
    assert (values["order_placed_timestamp"], values["latency_order_ms"]) == (at(12, 0, 1), 1000)
    # nothing filled, and RR = 1: every component 0
    assert values["execution_quality_score"] == D("0")
    assert json.loads(values["score_components_json"])["components"] == {"fill": "0", "slippage": "0", "latency": "0",
                                                                         "rejection": "0"}
    unknown = submit_values(at(12), at(12, 0, 1), accepted=False, rejected=False)
    assert set(unknown) == {"order_placed_timestamp", "latency_order_ms"}  # an unknown outcome: nothing to score yet


def test_volatility_is_the_sample_deviation_of_price_changes():
    def points(*prices):
        return [PricePoint(at(12 + i), D(p)) for i, p in enumerate(prices)]

    assert volatility(points("0.4", "0.6", "0.5")) == D("0.2121320344")  # changes 0.2, -0.1: sqrt(0.045)
    assert volatility(points("0.5", "0.5", "0.5", "0.5")) == D("0")
    # changes 0.1, 0.1, -0.2: mean 0, squares 0.01 + 0.01 + 0.04 = 0.06, / 2 = 0.03, sqrt = 0.1732050808
    assert volatility(points("0.3", "0.4", "0.5", "0.3")) == D("0.1732050808")
    assert volatility(points("0.3", "0.4")) is None and volatility([]) is None  # fewer than two changes
    assert MarketConditions() == MarketConditions(None, None)


def test_a_markout_needs_a_price_seen_after_the_trade():
    history = [PricePoint(at(12), D("0.5")), PricePoint(at(12, 2), D("0.55"))]
    sell = MarkoutLeg(D("10"), "SELL", D("0.52"), at(12, 0, 30))
    # 1 min after 12:00:30 the last point is 12:00, before the trade itself: unknown
    assert markout([sell], timedelta(minutes=1), history) is None
    # 2 min: the 12:02 point, 0.55; a SELL at 0.52 that the price then rose from: -1 x (0.55 - 0.52) x 100
    assert markout([sell], timedelta(minutes=2), history) == D("-3")
    # share-weighted over legs: (10 x -3 + 30 x +5) / 40, the BUY at 0.50 at 12:00 meeting 0.55 at 12:02
    buy = MarkoutLeg(D("30"), "BUY", D("0.5"), at(12))
    assert markout([sell, buy], timedelta(minutes=2), history) == D("3")


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_markouts_wait_for_an_order_that_may_still_fill(world):
    lt_id = place(world, limit_plan("BUY", "0.50", "20"), signal_price="0.50")  # rests between 0.40 and 0.60
    seller = counterparty(world)
    world.clock.advance(timedelta(seconds=5))
    cross(world, seller, "SELL", "0.50", "8")
    sync(world)
    world.clock.advance(timedelta(hours=1))
    history = ClobReader(world.emulator.url).price_history
    record_markouts(world.engine, history, world.clock)
    q = quality(world, lt_id)
    assert world.lt_order(lt_id).status == "PARTIALLY_FILLED"
    assert (q.markout_1m_cents, q.markout_30m_cents) == (None, None)  # resting: more fills may come
    # the leader's (the source trade the builder made: BUY 0.50 at 12:00) do not wait: the last trade is still 0.50
    assert (q.leader_markout_1m_cents, q.leader_markout_30m_cents) == (D("0"), D("0"))
