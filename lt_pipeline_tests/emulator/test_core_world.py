"""The simulated world as a copy-trader sees it: traders who mostly buy, sell only what they hold,
bet around a typical size with the odd high-conviction bet at ordinary prices; markets with
realistic liquidity and volume (volume_24h a rolling day); short markets that resolve within
half an hour, and new listings replacing resolved ones."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import timedelta

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.emulator.scenario import Scenario
from lt_pipeline.emulator.venue import Venue
from lt_pipeline_tests.emulator.core_support import ALICE, START, D, order, quiet_venue, tokens


def traded_for(hours: float, seed: int = 21) -> tuple[Venue, list]:
    """The default venue after `hours` of simulated trading, and the traders' rows, oldest first."""
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=seed)
    clock.advance(timedelta(hours=hours))
    return venue, venue.public_trades()[::-1]


def test_traders_mostly_buy_and_sell_only_what_they_bought():
    _, rows = traded_for(4)
    buys = sum(row.side == "BUY" for row in rows)
    assert len(rows) > 300 and 0.8 <= buys / len(rows) <= 0.95
    bought: dict[tuple[str, str], D] = defaultdict(D)
    for row in rows:
        key = (row.proxy_wallet, row.asset)
        if row.side == "BUY":
            bought[key] += row.size
        else:
            assert bought[key] >= row.size, "a simulated trader sold shares it never bought"
            bought[key] -= row.size


def test_bets_sit_around_each_traders_typical_size_with_a_few_high_conviction_ones():
    venue, rows = traded_for(6)
    typical = {t.address: t.typical_size_usd for t in venue.traders()}
    assert all(D("20") <= size <= D("500") for size in typical.values())
    bets: dict[tuple[str, str], D] = defaultdict(D)  # one bet = one transaction, whatever levels it crossed
    for row in rows:
        if row.side == "BUY":
            bets[(row.proxy_wallet, row.transaction_hash)] += row.size * row.price
    per_bet: dict[str, list[D]] = defaultdict(list)
    for (address, _), usd in bets.items():
        per_bet[address].append(usd)
    big_bets = 0
    for address, usd in per_bet.items():
        median = statistics.median(usd)
        assert D("0.5") * typical[address] <= median <= D("1.5") * typical[address]
        big_bets += sum(bet >= D("2.5") * median for bet in usd)
    assert big_bets >= 20


def test_traders_buy_at_prices_across_the_band_not_at_the_extremes():
    _, rows = traded_for(4)
    prices = [row.price for row in rows if row.side == "BUY"]
    inside = [p for p in prices if D("0.10") <= p <= D("0.90")]
    assert len(inside) / len(prices) > 0.85
    for low, high in ((D("0.10"), D("0.35")), (D("0.35"), D("0.65")), (D("0.65"), D("0.90"))):
        assert sum(low <= p < high for p in prices) / len(prices) > 0.1


def test_markets_report_realistic_liquidity_and_volume():
    venue = Venue(SimulatedClock(START), seed=4)
    markets = venue.markets()
    for m in markets:
        assert D("2000") <= m.liquidity <= D("210000"), m.liquidity
        assert D("5000") <= m.volume <= D("2000000"), m.volume
        assert D("0") < m.volume_24h <= m.volume
    assert max(m.liquidity for m in markets) > 20 * min(m.liquidity for m in markets)
    assert max(m.volume for m in markets) > 20 * min(m.volume for m in markets)


def test_volume_24h_is_a_rolling_day_of_trading():
    def venue_after(trade: bool, hours: float):
        venue, clock = quiet_venue(end_in_minutes=72 * 60)
        yes, _ = tokens(venue)
        if trade:
            best_ask = venue.book(yes).asks[-1][0]
            venue.place(order(yes, "BUY", str(best_ask), "40", maker=ALICE, order_type="FAK"))
        clock.advance(timedelta(hours=hours))
        return venue.markets()[0]

    notional = venue_after(True, 0).volume - venue_after(False, 0).volume
    assert notional > 0
    for hours, in_window in ((1, notional), (23, notional), (25, D("0"))):
        traded, quiet = venue_after(True, hours), venue_after(False, hours)
        assert traded.volume - quiet.volume == notional  # the total keeps it
        assert traded.volume_24h - quiet.volume_24h == in_window  # the last day forgets it
    later, earlier = venue_after(False, 2), venue_after(False, 1)
    assert later.volume > earlier.volume  # the rest of the crowd keeps trading


def test_some_markets_end_within_half_an_hour_and_are_replaced_when_they_resolve():
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=9)
    opening = venue.markets()
    soon = [m for m in opening if m.end_date <= START + timedelta(minutes=30)]
    assert len(soon) >= 4
    assert any(m.end_date > START + timedelta(days=1) for m in opening)
    assert any(timedelta(hours=1) < m.end_date - START < timedelta(days=1) for m in opening)

    clock.advance(timedelta(minutes=31))
    venue.sync()
    now_listed = venue.markets()
    resolved = [m for m in now_listed if m.closed]
    new = now_listed[len(opening):]
    assert len(resolved) >= len(soon) and len(new) == len(resolved)
    assert sum(not m.closed for m in now_listed) == len(opening)  # as many open markets as at the start
    for m in new:
        assert START < m.created_at <= clock.now() and (m.closed or m.end_date > clock.now())
        assert venue.market(m.condition_id) is not None
    assert len({m.slug for m in now_listed}) == len(now_listed)

    again = Venue(SimulatedClock(START), seed=9)
    again.clock.advance(timedelta(minutes=31))
    again.sync()
    assert [m.condition_id for m in again.markets()] == [m.condition_id for m in now_listed]


def test_a_hand_written_market_is_not_replaced_when_it_resolves():
    venue, _ = quiet_venue()
    venue.resolve(venue.markets()[0].condition_id, "Yes")
    assert len(venue.markets()) == 1


def test_a_scenario_market_can_set_its_reported_figures():
    scenario = Scenario.from_dict({"markets": [{"question": "Q?", "end_in_minutes": 600, "depth": 100, "liquidity": 12000,
                                                "volume": 80000}]})
    [market] = Venue(SimulatedClock(START), scenario=scenario, paused=True).markets()
    assert D("12000") < market.liquidity < D("14000")  # the crowd's depth plus the market maker's quotes
    assert market.volume == D("80000.00")
