"""A venue with a past: resolved markets the simulated traders already traded in, their trades on
the tape with past timestamps, win rates that follow skill, and today's books left untouched."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.emulator.scenario import Scenario, ScenarioError
from lt_pipeline.emulator.types import VenueError
from lt_pipeline.emulator.venue import Venue
from lt_pipeline_tests.emulator.core_support import ALICE, START, D, order


def venue_with_past(seed: int = 5, scenario: Scenario | None = None) -> tuple[Venue, SimulatedClock]:
    clock = SimulatedClock(START)
    return Venue(clock, seed=seed, scenario=scenario or Scenario.default(history=True)), clock


def resolved_buys(venue: Venue) -> dict[str, list[bool]]:
    """Per trader name: won or lost, for every BUY row in a market that resolved to a winner."""
    markets = {m.condition_id: m for m in venue.markets()}
    won: dict[str, list[bool]] = defaultdict(list)
    for row in venue.public_trades():
        market = markets[row.condition_id]
        if row.side == "BUY" and market.closed and not market.voided:
            won[row.name].append(row.asset == market.winner_token_id)
    return won


def test_the_past_lists_resolved_markets_and_the_traders_trades_in_them():
    venue, _ = venue_with_past()
    markets = venue.markets()
    past = [m for m in markets if m.closed]
    assert len(past) == 60 and len(markets) == 100
    for m in past:
        assert m.end_date < START and m.resolved_at is not None and m.end_date <= m.resolved_at < START
        assert not m.accepting_orders and (m.voided or m.winner_token_id in {t.token_id for t in m.tokens})
        assert venue.market(m.condition_id).winner_token_id == m.winner_token_id
    assert len({m.slug for m in markets}) == len(markets)  # past and open markets never share a slug

    rows = venue.public_trades()
    traders = {t.address: t for t in venue.traders()}
    assert rows and all(row.is_taker and row.proxy_wallet in traders for row in rows)
    assert all(START - timedelta(days=30) <= row.timestamp < START for row in rows)
    assert {row.condition_id for row in rows} <= {m.condition_id for m in past}
    per_trader = defaultdict(int)
    for row in rows:
        per_trader[row.proxy_wallet] += 1
    assert set(per_trader) == set(traders) and min(per_trader.values()) >= 30
    busiest = max(traders.values(), key=lambda t: t.trades_per_hour)
    quietest = min(traders.values(), key=lambda t: t.trades_per_hour)
    assert per_trader[busiest.address] > per_trader[quietest.address]


def test_the_data_api_view_of_the_past_filters_by_time_and_shows_the_market_maker_on_request():
    venue, _ = venue_with_past()
    rows = venue.public_trades()
    last_week = venue.public_trades(start=START - timedelta(days=7), end=START)
    assert 0 < len(last_week) < len(rows)
    assert last_week == [row for row in rows if row.timestamp >= START - timedelta(days=7)]
    assert [row.timestamp for row in rows] == sorted((row.timestamp for row in rows), reverse=True)
    both_sides = venue.public_trades(taker_only=False)
    makers = [row for row in both_sides if not row.is_taker]
    assert len(makers) == len(rows) and len({row.proxy_wallet for row in makers}) == 1
    one = rows[0].proxy_wallet
    assert venue.public_trades(user=one) == [row for row in rows if row.proxy_wallet == one]


def test_a_skilled_traders_past_win_rate_is_clearly_above_an_unskilled_ones():
    scenario = Scenario.from_dict({
        "random_markets": 10,
        "history_markets": 60,
        "traders": [{"name": "sharp", "skill": 0.9, "trades_per_hour": 30, "typical_size_usd": 100},
                    {"name": "coinflip", "skill": 0.5, "trades_per_hour": 30, "typical_size_usd": 100},
                    {"name": "wrong", "skill": 0.3, "trades_per_hour": 30, "typical_size_usd": 100}],
    })
    venue, _ = venue_with_past(seed=8, scenario=scenario)
    won = resolved_buys(venue)
    rate = {name: sum(results) / len(results) for name, results in won.items()}
    assert all(len(results) >= 80 for results in won.values())
    assert rate["sharp"] > 0.75 and rate["wrong"] < 0.45
    assert rate["sharp"] > rate["coinflip"] > rate["wrong"]


def test_past_trades_are_mostly_buys_and_a_sale_exits_an_earlier_buy():
    venue, _ = venue_with_past()
    rows = venue.public_trades()[::-1]  # in the order they happened
    buys = sum(row.side == "BUY" for row in rows)
    assert 0.8 <= buys / len(rows) <= 0.95
    for i, row in enumerate(rows):
        if row.side == "SELL":
            assert any(e.side == "BUY" and e.asset == row.asset and e.proxy_wallet == row.proxy_wallet for e in rows[:i])
    prices = [row.price for row in rows if row.side == "BUY"]
    assert all(D("0.05") <= price <= D("0.99") for price in prices)  # the band it looks for, plus slippage
    assert sum(D("0.10") <= price <= D("0.90") for price in prices) / len(prices) > 0.85


def test_the_past_is_the_same_for_a_seed_and_leaves_todays_markets_and_books_alone():
    first, _ = venue_with_past(seed=12)
    again, _ = venue_with_past(seed=12)
    other, _ = venue_with_past(seed=13)
    assert first.public_trades(taker_only=False) == again.public_trades(taker_only=False)
    assert first.markets() == again.markets()
    assert first.public_trades() != other.public_trades()

    without, _ = venue_with_past(seed=12, scenario=Scenario.default())
    opening = [m for m in first.markets() if not m.closed]
    assert opening == without.markets()
    for m in opening[:10]:
        token = m.tokens[0].token_id
        assert first.book(token) == without.book(token)
    assert [t.address for t in first.traders()] == [t.address for t in without.traders()]


def test_a_past_market_has_no_book_and_takes_no_orders_but_can_be_read():
    venue, _ = venue_with_past()
    venue.open_account(ALICE)
    market = next(m for m in venue.markets() if m.closed and not m.voided)
    token = market.tokens[0].token_id
    with pytest.raises(VenueError) as no_book:
        venue.book(token)
    assert no_book.value.status == 404
    with pytest.raises(VenueError, match="not yet ready"):
        venue.place(order(token, "BUY", "0.50", "10", maker=ALICE))
    assert venue.market_for_token(token).condition_id == market.condition_id
    assert venue.last_trade(token) is not None
    assert market.liquidity == 0 and market.volume >= D("5000")


def test_history_settings_in_a_scenario_file_are_checked_by_name():
    scenario = Scenario.from_dict({"history_markets": 12, "history_days": 7})
    assert (scenario.history_markets, scenario.history_days) == (12, 7.0)
    assert Scenario.from_dict({}).history_markets == 0  # no past unless asked for
    with pytest.raises(ScenarioError, match="history_days: expected a number of days"):
        Scenario.from_dict({"history_days": 0})
    with pytest.raises(ScenarioError, match="history_markets: expected a whole number"):
        Scenario.from_dict({"history_markets": -1})
    venue, _ = venue_with_past(scenario=scenario)
    rows = venue.public_trades()
    assert rows and all(START - timedelta(days=7) <= row.timestamp < START for row in rows)
    assert sum(m.closed for m in venue.markets()) == 12
