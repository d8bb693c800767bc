"""Market resolution on the venue core: open orders are cancelled, new ones refused, the book is
gone, and holders are paid 1 per winning share or 0.5 per share of a voided market."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lt_pipeline.emulator.types import VenueError
from lt_pipeline_tests.emulator.core_support import ALICE, BOB, D, order, owner_of, quiet_venue, tokens


def test_resolve_cancels_open_orders_refuses_new_ones_and_pays_the_winners():
    venue, _ = quiet_venue(faucet="100")
    yes, no = tokens(venue)
    venue.fund(ALICE, D("30"), yes)
    venue.fund(BOB, D("20"), no)
    resting = venue.place(order(yes, "BUY", "0.10", "100", maker=ALICE))  # reserves 10
    condition_id = venue.markets()[0].condition_id

    market = venue.resolve(condition_id, "Yes")

    assert (market.closed, market.accepting_orders, market.winner_token_id, market.voided) == (True, False, yes, False)
    assert market.resolved_at is not None
    assert venue.get_order(resting.order_id).status == "CANCELED_MARKET_RESOLVED"
    assert venue.orders(owner_of(ALICE)) == []
    assert venue.balance(ALICE, "COLLATERAL") == D("130")  # 100 released + 30 winning shares
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("0")
    assert venue.balance(BOB, "COLLATERAL") == D("100")  # losing shares pay nothing
    with pytest.raises(VenueError) as refused:
        venue.place(order(yes, "BUY", "0.50", "10", maker=ALICE))
    assert (refused.value.status, refused.value.message) == (400, "the market is not yet ready to process new orders")
    with pytest.raises(VenueError) as no_book:
        venue.book(no)
    assert (no_book.value.status, no_book.value.message) == (404, "No orderbook exists for the requested token id")
    with pytest.raises(VenueError, match="already resolved"):
        venue.resolve(condition_id, "No")


def test_a_voided_market_pays_half_per_share_of_either_outcome():
    venue, _ = quiet_venue(faucet="0")
    yes, no = tokens(venue)
    venue.fund(ALICE, D("10"), yes)
    venue.fund(ALICE, D("4"), no)

    market = venue.resolve(venue.markets()[0].condition_id, None)

    assert market.voided and market.winner_token_id is None
    assert venue.balance(ALICE, "COLLATERAL") == D("7.0")


def test_resolve_refuses_an_outcome_the_market_does_not_have():
    venue, _ = quiet_venue()
    with pytest.raises(VenueError, match="winner_outcome: expected one of"):
        venue.resolve(venue.markets()[0].condition_id, "Maybe")
    assert not venue.markets()[0].closed


def test_a_market_resolves_by_itself_to_its_hidden_outcome_at_its_end_date():
    venue, clock = quiet_venue(outcome="No", end_in_minutes=30, faucet="0")
    yes, no = tokens(venue)
    venue.fund(ALICE, D("8"), no)
    clock.advance(timedelta(minutes=29, seconds=59))
    assert not venue.markets()[0].closed

    clock.advance(timedelta(seconds=1))
    venue.sync()

    market = venue.markets()[0]
    assert market.closed and market.winner_token_id == no
    assert venue.balance(ALICE, "COLLATERAL") == D("8")
