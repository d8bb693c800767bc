"""Balances at the venue core: the faucet, reservations by open orders, cancels that release them,
and who may cancel what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lt_pipeline.emulator.types import VenueError
from lt_pipeline_tests.emulator.core_support import ALICE, BOB, D, order, owner_of, quiet_venue, tokens


@pytest.fixture
def venue():
    venue, _ = quiet_venue(faucet="100")
    yes, _ = tokens(venue)
    venue.set_book(yes, bids=[], asks=[])
    return venue


def test_opening_an_account_pays_the_faucet_once():
    venue, _ = quiet_venue(faucet="100")
    venue.open_account(ALICE)
    assert venue.balance(ALICE, "COLLATERAL") == D("100")
    assert venue.balance("0x" + "cd" * 20, "COLLATERAL") == D("0")


def test_a_resting_buy_reserves_collateral_so_a_second_one_is_refused(venue):
    yes, _ = tokens(venue)
    venue.place(order(yes, "BUY", "0.50", "150", maker=ALICE))  # reserves 75 of 100
    assert venue.balance(ALICE, "COLLATERAL") == D("25")

    second = order(yes, "BUY", "0.50", "60", maker=ALICE)  # needs 30
    with pytest.raises(VenueError) as refused:
        venue.place(second)
    assert (refused.value.status, refused.value.message) == (400, "not enough balance / allowance")
    assert venue.get_order(second.order_id) is None
    venue.place(order(yes, "BUY", "0.50", "50", maker=ALICE))  # 25 is still available
    assert venue.balance(ALICE, "COLLATERAL") == D("0")


def test_selling_needs_the_tokens_and_a_resting_sell_reserves_them(venue):
    yes, _ = tokens(venue)
    with pytest.raises(VenueError, match="not enough balance / allowance"):
        venue.place(order(yes, "SELL", "0.60", "10", maker=ALICE))
    venue.fund(ALICE, D("10"), yes)
    venue.place(order(yes, "SELL", "0.60", "10", maker=ALICE))
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("0")
    with pytest.raises(VenueError, match="not enough balance / allowance"):
        venue.place(order(yes, "SELL", "0.70", "5", maker=ALICE))


def test_cancel_takes_the_order_off_the_book_and_releases_its_reservation(venue):
    yes, _ = tokens(venue)
    placed = venue.place(order(yes, "BUY", "0.50", "150", maker=ALICE))

    canceled, not_canceled = venue.cancel(owner_of(ALICE), [placed.order_id])

    assert (canceled, not_canceled) == ([placed.order_id], {})
    assert venue.balance(ALICE, "COLLATERAL") == D("100")
    assert venue.book(yes).bids == ()
    assert venue.get_order(placed.order_id).status == "CANCELED"
    assert venue.orders(owner_of(ALICE)) == []
    again = venue.cancel(owner_of(ALICE), [placed.order_id])
    assert again == ([], {placed.order_id: "order can't be found - already canceled or matched"})


def test_cancel_of_a_partly_filled_order_releases_only_the_unfilled_part(venue):
    yes, _ = tokens(venue)
    placed = venue.place(order(yes, "BUY", "0.50", "100", maker=ALICE))
    venue.fund(BOB, D("40"), yes)
    venue.place(order(yes, "SELL", "0.50", "40", maker=BOB))
    assert venue.balance(ALICE, "COLLATERAL") == D("50")  # 20 spent, 30 still reserved

    venue.cancel(owner_of(ALICE), [placed.order_id])

    assert venue.balance(ALICE, "COLLATERAL") == D("80")  # the maker pays no fee
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("40")
    assert venue.balance(BOB, "COLLATERAL") == D("120") - D("0.4")  # the taker's fee: 40 x 0.04 x 0.5 x 0.5


def test_nobody_can_cancel_someone_elses_order(venue):
    yes, _ = tokens(venue)
    placed = venue.place(order(yes, "BUY", "0.50", "10", maker=ALICE))

    canceled, not_canceled = venue.cancel(owner_of(BOB), [placed.order_id, "0x" + "ee" * 32])

    assert canceled == []
    assert set(not_canceled) == {placed.order_id, "0x" + "ee" * 32}
    assert venue.get_order(placed.order_id).status == "LIVE"
    assert venue.cancel_all(owner_of(BOB)) == ([], {})
    assert venue.get_order(placed.order_id).status == "LIVE"


def test_cancel_all_and_cancel_market_only_touch_the_owners_matching_orders(venue):
    yes, no = tokens(venue)
    market = venue.markets()[0].condition_id
    on_yes = venue.place(order(yes, "BUY", "0.30", "10", maker=ALICE))
    on_no = venue.place(order(no, "BUY", "0.30", "10", maker=ALICE))
    bobs = venue.place(order(yes, "BUY", "0.30", "10", maker=BOB))

    assert venue.cancel_market(owner_of(ALICE), market, no) == ([on_no.order_id], {})
    assert venue.cancel_market(owner_of(ALICE), "", "") == ([on_yes.order_id], {})
    assert venue.get_order(bobs.order_id).status == "LIVE"
    assert venue.cancel_all(owner_of(BOB)) == ([bobs.order_id], {})
    assert venue.balance(ALICE, "COLLATERAL") == venue.balance(BOB, "COLLATERAL") == D("100")


def test_gtd_order_expires_a_minute_before_its_expiration_and_releases_its_reservation():
    venue, clock = quiet_venue(faucet="100")
    yes, _ = tokens(venue)
    expires = int(clock.now().timestamp()) + 120
    placed = venue.place(order(yes, "BUY", "0.10", "100", maker=ALICE, order_type="GTD", expiration=expires))
    assert venue.balance(ALICE, "COLLATERAL") == D("90")

    clock.advance(timedelta(seconds=59))
    assert venue.get_order(placed.order_id).status == "LIVE"
    clock.advance(timedelta(seconds=1))  # expiration - 60 s: the venue's safety margin
    assert venue.get_order(placed.order_id).status == "CANCELED"
    assert venue.balance(ALICE, "COLLATERAL") == D("100")
    with pytest.raises(VenueError, match="^invalid expiration$"):
        venue.place(order(yes, "BUY", "0.10", "10", maker=ALICE, order_type="GTD",
                          expiration=int(clock.now().timestamp()) + 30))
