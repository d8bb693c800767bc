"""Matching on the venue core: price-time priority, maker-price fills, order types, post-only,
duplicates, and the shared book of a market's two tokens."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lt_pipeline.emulator.types import VenueError
from lt_pipeline_tests.emulator.core_support import ALICE, BOB, D, order, owner_of, quiet_venue, tokens

CAROL = "0xCa40100000000000000000000000000000000003"


@pytest.fixture
def venue():
    venue, _ = quiet_venue()
    yes, _no = tokens(venue)
    venue.set_book(yes, bids=[], asks=[])  # no simulated liquidity: only the test's orders
    return venue


def test_earlier_order_at_a_price_fills_first_and_better_price_beats_time(venue):
    yes, _ = tokens(venue)
    venue.fund(ALICE, D("1000"), yes)
    venue.fund(BOB, D("1000"), yes)
    first = venue.place(order(yes, "SELL", "0.55", "10", maker=ALICE))
    second = venue.place(order(yes, "SELL", "0.55", "10", maker=BOB))
    better = venue.place(order(yes, "SELL", "0.54", "10", maker=BOB))
    venue.open_account(CAROL)  # a third party takes: nobody matches their own orders

    result = venue.place(order(yes, "BUY", "0.55", "15", maker=CAROL))

    trades = [venue.get_trade(t) for t in result.trade_ids]
    fills = [(f.order_id, f.matched_amount, f.price) for t in trades for f in t.maker_orders]
    assert fills == [(better.order_id, D("10"), D("0.54")), (first.order_id, D("5"), D("0.55"))]
    assert venue.get_order(second.order_id).size_matched == 0
    assert venue.book(yes).asks == ((D("0.55"), D("15")),)


def test_taker_fills_at_the_makers_price_and_keeps_the_improvement(venue):
    yes, _ = tokens(venue)
    venue.fund(BOB, D("100"), yes)
    venue.place(order(yes, "SELL", "0.40", "10", maker=BOB))
    before = venue.balance(ALICE, "COLLATERAL")

    result = venue.place(order(yes, "BUY", "0.60", "10", maker=ALICE, order_type="FOK"))

    assert result.status == "matched"
    assert (result.making_amount, result.taking_amount) == (D("4.00"), D("10"))
    fee = D("10") * D("0.04") * D("0.40") * D("0.60")  # the taker's fee (politics, 0.04) at the fill price
    assert venue.balance(ALICE, "COLLATERAL") == before - D("4.00") - fee
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("10")
    trade = venue.get_trade(result.trade_ids[0])
    assert (trade.side, trade.price, trade.size, trade.status) == ("BUY", D("0.40"), D("10"), "MATCHED")
    assert trade.transaction_hash.startswith("0x") and len(trade.transaction_hash) == 66
    assert result.transaction_hashes == (trade.transaction_hash,)


def test_gtc_remainder_rests_on_the_book_and_is_an_open_order(venue):
    yes, _ = tokens(venue)
    venue.fund(BOB, D("100"), yes)
    venue.place(order(yes, "SELL", "0.50", "4", maker=BOB))

    result = venue.place(order(yes, "BUY", "0.50", "10", maker=ALICE))

    assert result.status == "matched" and result.taking_amount == D("4")
    assert venue.book(yes).bids == ((D("0.50"), D("6")),)
    [open_order] = venue.orders(owner_of(ALICE))
    assert (open_order.id, open_order.status, open_order.size_matched) == (result.order_id, "LIVE", D("4"))


def test_a_resting_order_is_live_with_nothing_matched(venue):
    yes, _ = tokens(venue)
    result = venue.place(order(yes, "BUY", "0.30", "10", maker=ALICE))
    assert (result.status, result.making_amount, result.trade_ids) == ("live", None, ())
    assert venue.get_order(result.order_id).status == "LIVE"


def test_fok_that_cannot_fill_in_full_is_refused_and_changes_nothing(venue):
    yes, _ = tokens(venue)
    venue.fund(BOB, D("100"), yes)
    venue.place(order(yes, "SELL", "0.50", "5", maker=BOB))
    book_before = venue.book(yes)
    balance_before = venue.balance(ALICE, "COLLATERAL")
    fok = order(yes, "BUY", "0.50", "6", maker=ALICE, order_type="FOK")

    with pytest.raises(VenueError) as refused:
        venue.place(fok)

    assert refused.value.status == 400
    assert refused.value.message == "order couldn't be fully filled. FOK orders are fully filled or killed."
    assert refused.value.order_id == fok.order_id
    assert venue.book(yes).asks == book_before.asks
    assert venue.balance(ALICE, "COLLATERAL") == balance_before
    assert venue.get_order(fok.order_id) is None
    assert venue.trades(ALICE) == []
    # the refused id was not remembered: the same id placed at a fillable size is not a duplicate
    assert venue.place(replace(fok, size=D("5"), maker_amount=D("2.5"), taker_amount=D("5"))).status == "matched"


def test_fak_fills_what_it_can_and_cancels_the_rest(venue):
    yes, _ = tokens(venue)
    venue.fund(BOB, D("100"), yes)
    venue.place(order(yes, "SELL", "0.50", "5", maker=BOB))

    result = venue.place(order(yes, "BUY", "0.52", "8", maker=ALICE, order_type="FAK"))

    assert result.taking_amount == D("5")
    assert venue.book(yes).bids == ()  # the unfilled 3 did not rest
    assert venue.get_order(result.order_id).status == "MATCHED"
    assert venue.balance(ALICE, "COLLATERAL") == D("1000") - D("2.50") - D("0.05")  # + taker fee; nothing reserved


def test_fak_with_nothing_to_match_is_refused(venue):
    yes, _ = tokens(venue)
    with pytest.raises(VenueError, match="no orders found to match with FAK order"):
        venue.place(order(yes, "BUY", "0.52", "8", maker=ALICE, order_type="FAK"))


def test_post_only_order_that_would_cross_is_refused_and_one_that_rests_is_accepted(venue):
    yes, _ = tokens(venue)
    venue.fund(BOB, D("100"), yes)
    venue.place(order(yes, "SELL", "0.50", "5", maker=BOB))

    with pytest.raises(VenueError, match="^invalid post-only order: order crosses book$"):
        venue.place(order(yes, "BUY", "0.50", "5", maker=ALICE, post_only=True))
    assert venue.book(yes).asks == ((D("0.50"), D("5")),)

    resting = venue.place(order(yes, "BUY", "0.49", "5", maker=ALICE, post_only=True))
    assert resting.status == "live"


def test_duplicate_order_id_is_refused_in_the_venues_words(venue):
    yes, _ = tokens(venue)
    first = order(yes, "BUY", "0.30", "10", maker=ALICE)
    venue.place(first)
    with pytest.raises(VenueError) as refused:
        venue.place(first)
    assert refused.value.message == f"order {first.order_id} is invalid. Duplicated."


def test_the_second_token_sees_the_first_tokens_book_mirrored(venue):
    yes, no = tokens(venue)
    venue.set_book(yes, bids=[(D("0.40"), D("100")), (D("0.45"), D("50"))], asks=[(D("0.55"), D("70"))])

    yes_book, no_book = venue.book(yes), venue.book(no)

    assert yes_book.bids == ((D("0.40"), D("100")), (D("0.45"), D("50")))  # ascending, best last
    assert yes_book.asks == ((D("0.55"), D("70")),)
    assert no_book.bids == ((D("0.45"), D("70")),)
    assert no_book.asks == ((D("0.60"), D("100")), (D("0.55"), D("50")))  # descending, best last


def test_buying_no_matches_a_resting_yes_bid_and_each_side_pays_its_own_price(venue):
    yes, no = tokens(venue)
    bid = venue.place(order(yes, "BUY", "0.45", "10", maker=BOB))

    result = venue.place(order(no, "BUY", "0.60", "10", maker=ALICE))

    trade = venue.get_trade(result.trade_ids[0])
    assert (trade.asset_id, trade.side, trade.price) == (no, "BUY", D("0.55"))
    [maker] = trade.maker_orders
    assert (maker.order_id, maker.asset_id, maker.side, maker.price) == (bid.order_id, yes, "BUY", D("0.45"))
    assert venue.balance(ALICE, "CONDITIONAL", no) == D("10")
    assert venue.balance(BOB, "CONDITIONAL", yes) == D("10")
    assert venue.balance(ALICE, "COLLATERAL") == D("994.50") - D("0.099")  # the taker's fee: 10 x 0.04 x 0.55 x 0.45
    assert venue.balance(BOB, "COLLATERAL") == D("995.50")  # the maker pays none
    assert venue.last_trade(no) == (D("0.55"), "BUY")
    assert venue.last_trade(yes) == (D("0.45"), "SELL")


def test_simulated_liquidity_fills_a_user_and_shows_as_the_market_maker(venue):
    yes, _ = tokens(venue)
    venue.set_book(yes, bids=[], asks=[(D("0.52"), D("100"))])

    result = venue.place(order(yes, "BUY", "0.52", "20", maker=ALICE))

    trade = venue.get_trade(result.trade_ids[0])
    assert trade.maker_orders[0].owner == "" and trade.maker_orders[0].side == "SELL"
    assert venue.book(yes).asks == ((D("0.52"), D("80")),)
    assert venue.balance(ALICE, "CONDITIONAL", yes) == D("20")
