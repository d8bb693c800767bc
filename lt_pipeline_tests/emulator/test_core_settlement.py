"""Trade settlement on the venue core: statuses advance with simulated time, and a FAILED trade
gives back what it moved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lt_pipeline.emulator.settlement import SettlementConfig
from lt_pipeline.emulator.types import VenueError
from lt_pipeline_tests.emulator.core_support import ALICE, BOB, D, order, quiet_venue, tokens


def _matched_trade(venue):
    yes, _ = tokens(venue)
    venue.set_book(yes, bids=[], asks=[])
    venue.fund(BOB, D("10"), yes)
    maker = venue.place(order(yes, "SELL", "0.40", "10", maker=BOB))
    taker = venue.place(order(yes, "BUY", "0.40", "10", maker=ALICE))
    return maker.order_id, taker.order_id, taker.trade_ids[0]


def test_a_trade_goes_matched_mined_confirmed_as_time_passes():
    venue, clock = quiet_venue(settlement=SettlementConfig(timedelta(seconds=5), timedelta(seconds=15)))
    _, _, trade_id = _matched_trade(venue)
    seen = [venue.get_trade(trade_id).status]
    for seconds in (4, 1, 9, 1):
        clock.advance(timedelta(seconds=seconds))
        seen.append(venue.get_trade(trade_id).status)
    assert seen == ["MATCHED", "MATCHED", "MINED", "MINED", "CONFIRMED"]
    assert [t.status for t in venue.trades(ALICE)] == ["CONFIRMED"]
    assert [t.status for t in venue.trades(BOB)] == ["CONFIRMED"]


def test_a_failed_trade_reverses_balances_and_matched_sizes():
    venue, clock = quiet_venue(settlement=SettlementConfig(failure_rate=1.0))
    yes, _ = tokens(venue)
    maker_id, taker_id, trade_id = _matched_trade(venue)
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("10")

    clock.advance(timedelta(seconds=5))
    assert venue.get_trade(trade_id).status == "RETRYING"
    clock.advance(timedelta(seconds=10))

    assert venue.get_trade(trade_id).status == "FAILED"
    assert venue.balance(ALICE, "COLLATERAL") == D("1000")
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("0")
    assert venue.balance(BOB, "COLLATERAL") == D("1000")
    assert venue.balance(BOB, "CONDITIONAL", yes) == D("10")
    assert venue.get_order(taker_id).size_matched == 0
    assert venue.get_order(maker_id).size_matched == 0
    assert venue.public_trades(user=ALICE) == []  # it never reached the chain
    assert venue.counters()["trades_failed"] == 1


def test_admin_can_make_a_pending_trade_fail_but_not_a_settled_one():
    venue, clock = quiet_venue()
    yes, _ = tokens(venue)
    _, _, trade_id = _matched_trade(venue)
    clock.advance(timedelta(seconds=6))
    assert venue.fail_trade(trade_id).status == "RETRYING"
    clock.advance(timedelta(seconds=10))
    assert venue.get_trade(trade_id).status == "FAILED"
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("0")
    with pytest.raises(VenueError, match="already FAILED"):
        venue.fail_trade(trade_id)


def test_failure_share_comes_from_the_settlement_config():
    venue, clock = quiet_venue(settlement=SettlementConfig(failure_rate=0.5))
    yes, _ = tokens(venue)
    venue.set_book(yes, bids=[], asks=[(D("0.50"), D("100000"))])
    for _ in range(40):
        venue.place(order(yes, "BUY", "0.50", "5", maker=ALICE))
    clock.advance(timedelta(minutes=1))
    statuses = [t.status for t in venue.trades(ALICE)]
    assert set(statuses) == {"CONFIRMED", "FAILED"}
    assert 8 <= statuses.count("FAILED") <= 32
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("5") * statuses.count("CONFIRMED")
