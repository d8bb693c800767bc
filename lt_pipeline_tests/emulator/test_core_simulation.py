"""The simulated market: seeded determinism whatever the sync rhythm, simulated traders trading
over time with their skill, books refilling, pausing, and scenario files."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.emulator.scenario import Scenario, ScenarioError
from lt_pipeline.emulator.simulator import REFRESH_SECONDS
from lt_pipeline.emulator.venue import Venue
from lt_pipeline_tests.emulator.core_support import ALICE, START, D, order, quiet_venue, tokens


def _history(sync_every: timedelta | None, *, read_books: bool = False):
    """Two simulated hours of the default scenario with one user order exactly half an hour in
    (every rhythm used divides 30 minutes, so the user acts at the same instant)."""
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=11)
    venue.open_account(ALICE)
    target = [m for m in venue.markets() if m.end_date > START + timedelta(hours=3)][-1]
    step = sync_every or timedelta(minutes=30)
    placed = None
    while clock.now() < START + timedelta(hours=2):
        clock.advance(step)
        if sync_every is not None:
            venue.sync()
        if read_books:
            for market in venue.markets()[:10]:
                if not market.closed:
                    venue.book(market.tokens[1].token_id)
        if placed is None and clock.now() >= START + timedelta(minutes=30):
            # a bid on the second token rests among the first token's asks, which buyers take
            best_bid = venue.book(target.tokens[1].token_id).bids[-1][0]
            placed = venue.place(order(target.tokens[1].token_id, "BUY", str(best_bid), "50", maker=ALICE,
                                       order_id="0x" + "12" * 32))
    venue.sync()
    return venue, venue.public_trades(taker_only=False)


def test_same_seed_and_clock_give_the_same_history_however_often_sync_is_called():
    often, trades_often = _history(timedelta(seconds=9))
    rarely, trades_rarely = _history(None)
    reading, trades_reading = _history(timedelta(seconds=45), read_books=True)

    assert len(trades_often) > 100
    assert trades_often == trades_rarely == trades_reading
    assert often.trades(ALICE)  # simulated traders also filled the user's resting order
    assert often.trades(ALICE) == rarely.trades(ALICE) == reading.trades(ALICE)
    assert [m.closed for m in often.markets()] == [m.closed for m in rarely.markets()]


def test_a_different_seed_gives_a_different_venue():
    clock = SimulatedClock(START)
    assert [m.condition_id for m in Venue(clock, seed=1).markets()] != [m.condition_id for m in Venue(clock, seed=2).markets()]


def test_default_scenario_lists_varied_markets_that_look_real():
    clock = SimulatedClock(START)
    markets = Venue(clock, seed=5).markets()
    assert len(markets) == 40
    assert len({m.category for m in markets}) >= 4
    assert any(m.neg_risk for m in markets) and not all(m.neg_risk for m in markets)
    assert {m.tick_size for m in markets} == {D("0.01"), D("0.001")}
    horizons = [m.end_date - START for m in markets]
    assert min(horizons) < timedelta(hours=1) and max(horizons) > timedelta(days=1)
    for m in markets:
        assert re.fullmatch(r"0x[0-9a-f]{64}", m.condition_id)
        assert all(re.fullmatch(r"\d{77}", t.token_id) for t in m.tokens)
        assert m.min_order_size == D("5")
        assert (m.neg_risk_market_id != "") == m.neg_risk


def test_simulated_traders_trade_over_time_on_the_public_tape():
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=3)
    profiles = {t.address: t for t in venue.traders()}
    assert 10 <= len(profiles) <= 20
    assert venue.public_trades() == []

    clock.advance(timedelta(hours=1))
    rows = venue.public_trades()

    assert len(rows) > 20
    assert all(row.is_taker and row.proxy_wallet in profiles for row in rows)
    assert all(re.fullmatch(r"0x[0-9a-fA-F]{40}", address) for address in profiles)
    assert {row.name for row in rows} <= {p.name for p in profiles.values()}
    assert [row.timestamp for row in rows] == sorted((row.timestamp for row in rows), reverse=True)
    one = rows[0].proxy_wallet
    assert venue.public_trades(user=one) == [row for row in rows if row.proxy_wallet == one]
    with_makers = venue.public_trades(taker_only=False)
    assert len(with_makers) > len(rows) and any(not row.is_taker for row in with_makers)


def test_a_skilled_trader_trades_toward_the_outcome_and_an_unskilled_one_against_it():
    scenario = Scenario.from_dict({
        "markets": [{"question": f"Market {i}?", "end_in_minutes": 600, "outcome": "Yes" if i % 2 else "No"}
                    for i in range(6)],
        "traders": [{"name": "sharp", "skill": 1, "trades_per_hour": 60},
                    {"name": "wrong", "skill": 0, "trades_per_hour": 60}],
    })
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=4, scenario=scenario)
    winners = {m.condition_id: m.tokens[1 if i % 2 == 0 else 0].token_id for i, m in enumerate(venue.markets())}
    clock.advance(timedelta(hours=2))

    def toward(row):
        return (row.asset == winners[row.condition_id]) == (row.side == "BUY")

    by_name = {}
    for row in venue.public_trades():
        by_name.setdefault(row.name, []).append(row)
    sharp, wrong = by_name["sharp"], by_name["wrong"]
    assert len(sharp) > 30 and all(toward(row) for row in sharp if row.side == "BUY")
    assert len(wrong) > 30 and not any(toward(row) for row in wrong if row.side == "BUY")
    for rows in (sharp, wrong):  # a sale only ever exits a position bought before
        for i, row in enumerate(rows):
            if row.side == "SELL":
                assert any(earlier.side == "BUY" and earlier.asset == row.asset for earlier in rows[i + 1:])


def test_consumed_simulated_liquidity_refills_over_time():
    venue, clock = quiet_venue(paused=False)
    yes, _ = tokens(venue)
    full = venue.book(yes).asks
    best_price, best_size = full[-1]

    venue.place(order(yes, "BUY", str(best_price), str(best_size), maker=ALICE))
    assert venue.book(yes).asks == full[:-1]

    clock.advance(timedelta(seconds=REFRESH_SECONDS))
    refilled = venue.book(yes).asks
    assert len(refilled) == len(full)


def test_pause_stops_simulated_trading_and_resume_restarts_it():
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=3, paused=True)
    lasting = [m for m in venue.markets() if m.end_date > START + timedelta(hours=2)][:5]
    before = {m.tokens[0].token_id: venue.book(m.tokens[0].token_id) for m in lasting}
    clock.advance(timedelta(hours=1))
    assert venue.public_trades() == []
    assert all(venue.book(token).bids == view.bids for token, view in before.items())

    venue.resume()
    clock.advance(timedelta(hours=1))
    assert venue.public_trades()


def test_scenario_file_in_yaml_describes_markets_traders_and_settlement(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "settlement: {mined_after_seconds: 2, confirmed_after_seconds: 4, failure_rate: 0}\n"
        "markets:\n"
        "  - question: Lakers vs. Celtics\n"
        "    category: sports\n"
        "    outcomes: [Lakers, Celtics]\n"
        "    outcome: Celtics\n"
        "    end_in_minutes: 120\n"
        "    start_price: 0.62\n"
        "    tick: 0.001\n"
        "    neg_risk: true\n"
        "traders:\n"
        "  - {name: courtside, skill: 0.8, typical_size_usd: 75, trades_per_hour: 10}\n"
    )
    scenario = Scenario.from_file(path)
    clock = SimulatedClock(START)
    venue = Venue(clock, scenario=scenario)

    [market] = venue.markets()
    assert (market.question, market.category, market.tick_size, market.neg_risk) == (
        "Lakers vs. Celtics", "sports", D("0.001"), True)
    assert [t.outcome for t in market.tokens] == ["Lakers", "Celtics"]
    assert market.end_date == START + timedelta(minutes=120)
    [trader] = venue.traders()
    assert (trader.name, trader.skill, trader.typical_size_usd) == ("courtside", 0.8, D("75"))
    bids = venue.book(market.tokens[0].token_id).bids
    assert D("0.55") < bids[-1][0] < D("0.65")
    clock.advance(timedelta(minutes=121))
    venue.sync()
    assert venue.markets()[0].winner_token_id == market.tokens[1].token_id


def test_scenario_mistakes_are_reported_by_field(tmp_path):
    with pytest.raises(ScenarioError, match=r"markets\[0\]\.tick: expected one of"):
        Scenario.from_dict({"markets": [{"question": "Q?", "end_in_minutes": 5, "tick": 0.05}]})
    with pytest.raises(ScenarioError, match=r"markets\[1\]\.end_in_minutes"):
        Scenario.from_dict({"markets": [{"question": "Q?", "end_in_minutes": 5}, {"question": "R?"}]})
    with pytest.raises(ScenarioError, match=r"traders\[0\]\.skill: expected a number between 0 and 1"):
        Scenario.from_dict({"traders": [{"name": "x", "skill": 2}]})
    with pytest.raises(ScenarioError, match=r"markets\[0\]\.outcome"):
        Scenario.from_dict({"markets": [{"question": "Q?", "end_in_minutes": 5, "outcome": "Maybe"}]})
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ScenarioError, match="broken.json: not valid JSON"):
        Scenario.from_file(broken)
