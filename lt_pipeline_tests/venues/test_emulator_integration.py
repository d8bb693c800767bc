"""The three read clients against the local emulator over loopback: simulated traders' trades,
Gamma and CLOB markets, books, resolutions, and riding out throttling and dropped connections."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest

from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.discovery import discover_traders
from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline.venues.polymarket.models import ResolutionStatus
from lt_pipeline_tests.emulator.fixtures import EmulatorHandle


@pytest.fixture
def traded(emulator: EmulatorHandle) -> EmulatorHandle:
    """An emulator whose simulated traders have traded for two hours."""
    emulator.clock.advance(timedelta(hours=2))
    emulator.venue.sync()
    return emulator


def data_api(emulator: EmulatorHandle, **kwargs) -> DataApiClient:
    return DataApiClient(f"{emulator.url}/data-api", clock=emulator.clock, **kwargs)


def test_discovered_traders_trades_match_the_venues_tape(traded):
    api = data_api(traded)
    recent, rejected = api.recent_trades(5000)
    assert recent and rejected == []
    top = discover_traders(api, top=3, by="activity")
    assert len(top) == 3
    assert top[0] == Counter(t.trader_address for t in recent).most_common(1)[0][0]

    trades, rejected = api.trades_of(top[0])
    tape = traded.venue.public_trades(user=top[0], taker_only=False)
    assert rejected == [] and len(trades) == len(tape) > 0
    assert all(t.trader_address == top[0] for t in trades)
    assert {t.transaction_hash for t in trades} == {p.transaction_hash.lower() for p in tape}
    market_ids = {m.condition_id for m in traded.venue.markets()}
    assert all(t.condition_id in market_ids for t in trades)


def test_polling_since_the_last_trade_returns_only_the_new_ones(traded):
    api = data_api(traded)
    trader = discover_traders(api, top=1)[0]
    first, _ = api.trades_of(trader)
    last_seen = max(t.traded_at for t in first)
    traded.clock.advance(timedelta(hours=1))
    traded.venue.sync()
    later, _ = api.trades_of(trader, since=last_seen)
    everything, _ = api.trades_of(trader)
    old_ids = {t.source_trade_id for t in first}
    new = [t for t in everything if t.source_trade_id not in old_ids]
    assert new, "the simulated trader should have traded again within the hour"
    assert all(t.traded_at >= last_seen.replace(microsecond=0) for t in later)
    assert {t.source_trade_id for t in new} <= {t.source_trade_id for t in later}
    # the same fills polled twice keep their ids
    assert old_ids <= {t.source_trade_id for t in everything}


def test_gamma_and_clob_agree_on_every_market(traded):
    markets = traded.venue.markets()
    gamma = GammaClient(f"{traded.url}/gamma", clock=traded.clock).markets([m.condition_id for m in markets])
    assert [g.condition_id for g in gamma] == [m.condition_id for m in markets]
    clob = ClobReader(traded.url)
    for venue_market, from_gamma in list(zip(markets, gamma))[:5]:
        from_clob = clob.market(venue_market.condition_id)
        assert [t.token_id for t in from_gamma.tokens] == [t.token_id for t in from_clob.tokens]
        assert [t.token_id for t in from_gamma.tokens] == [t.token_id for t in venue_market.tokens]
        assert from_gamma.tick_size == from_clob.tick_size == venue_market.tick_size
        assert from_gamma.neg_risk == from_clob.neg_risk == venue_market.neg_risk
        assert from_gamma.category == venue_market.category
        assert from_gamma.liquidity is not None and from_clob.liquidity is None


def test_book_midpoint_and_tick_from_the_clob(emulator):
    market = next(m for m in emulator.venue.markets() if not m.closed)
    token = market.tokens[0].token_id
    emulator.admin("book", token_id=token, bids=[["0.48", "100"], ["0.49", "50"]], asks=[["0.52", "30"], ["0.53", "100"]])
    clob = ClobReader(emulator.url)
    book = clob.book(token)
    assert [level.price for level in book.bids] == [Decimal("0.49"), Decimal("0.48")]
    assert [level.price for level in book.asks] == [Decimal("0.52"), Decimal("0.53")]
    assert book.asks[0].size == Decimal("30") and book.condition_id == market.condition_id
    assert book.mid == Decimal("0.505") and clob.midpoint(token) == book.mid
    assert clob.tick_size(token) == market.tick_size == book.tick_size


def test_resolutions_read_the_same_from_gamma_and_the_clob(emulator):
    won, voided = [m for m in emulator.venue.markets() if not m.closed][:2]
    emulator.admin("resolve", condition_id=won.condition_id, winner=won.tokens[1].outcome)
    emulator.admin("resolve", condition_id=voided.condition_id, winner=None)
    clob = ClobReader(emulator.url)
    from_gamma = {m.condition_id: m for m in GammaClient(f"{emulator.url}/gamma").markets([won.condition_id, voided.condition_id])}

    for market in (clob.market(won.condition_id), from_gamma[won.condition_id]):
        assert market.closed and market.resolution.status is ResolutionStatus.WON
        assert market.resolution.winning_token_id == won.tokens[1].token_id
        assert market.resolution.payout(won.tokens[0].token_id) == 0
    for market in (clob.market(voided.condition_id), from_gamma[voided.condition_id]):
        assert market.resolution.status is ResolutionStatus.VOID
        assert set(market.resolution.payouts.values()) == {Decimal("0.5")}
    assert clob.book(won.tokens[0].token_id) is None  # a resolved market has no book


class RecordingSleep(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_throttling_and_dropped_connections_are_ridden_out(traded):
    trader = discover_traders(data_api(traded), top=1)[0]
    calm, _ = data_api(traded, page_size=50).trades_of(trader)
    traded.admin("faults", settings={"throttle_rate": 0.3, "drop_rate": 0.1, "retry_after_seconds": 2}, seed=7)
    sleep = RecordingSleep()
    stormy, rejected = data_api(traded, page_size=50, sleep=sleep, max_retries=20).trades_of(trader)
    assert rejected == []
    assert [t.source_trade_id for t in stormy] == [t.source_trade_id for t in calm]
    assert 2.0 in sleep  # the venue's Retry-After was honoured
    assert any(delay != 2.0 for delay in sleep)  # dropped connections backed off exponentially
