"""Order rules of the real venue, driven through the real py-clob-client-v2 over loopback: a finished
order reads back as `null`, nobody trades with themselves, a marketable order must be worth $1, and a
GTD order leaves the book a minute before its stated expiration."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from py_clob_client_v2.clob_types import MarketOrderArgsV2, OpenOrderParams, OrderArgsV2, OrderPayload, OrderType
from py_clob_client_v2.exceptions import PolyApiException

from .fixtures import make_trader_client, trader_address
from .test_fidelity_fees import D, api_error, buy, collateral, market_of, sell, world  # noqa: F401 (world: a fixture)


def raw_order_answer(emulator, client, order_id: str) -> httpx.Response:
    path = f"/data/order/{order_id}"
    return httpx.get(f"{emulator.url}{path}", headers=client._l2_headers("GET", path))


# ---- finished orders ------------------------------------------------------------------------------


def test_an_open_order_reads_back_and_a_finished_one_answers_null(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    client = make_trader_client(world, 31)

    resting = client.create_and_post_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"))
    order = client.get_order(resting["orderID"])
    assert (order["id"], order["status"], order["size_matched"]) == (resting["orderID"], "LIVE", "0")

    client.cancel_order(OrderPayload(orderID=resting["orderID"]))  # cancelled by its owner
    answer = raw_order_answer(world, client, resting["orderID"])
    assert (answer.status_code, answer.content) == (200, b"null")
    assert client.get_order(resting["orderID"]) is None

    filled = buy(client, token, 0.52, 10)  # a FOK filled in full
    assert filled["status"] == "matched" and client.get_order(filled["orderID"]) is None
    assert client.get_trades(), "the fills are read from /data/trades instead"


def test_a_partly_filled_order_stays_readable_until_it_is_filled(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    maker, taker = make_trader_client(world, 32), make_trader_client(world, 33)
    world.admin("fund", address=trader_address(33), amount="20", token_id=token)
    resting = maker.create_and_post_order(OrderArgsV2(token_id=token, price=0.50, size=20, side="BUY"))

    sell(taker, token, 0.50, 5)
    partly = maker.get_order(resting["orderID"])
    assert (partly["status"], partly["size_matched"]) == ("LIVE", "5")
    assert [o["id"] for o in maker.get_open_orders()] == [resting["orderID"]]

    sell(taker, token, 0.50, 15)
    assert maker.get_order(resting["orderID"]) is None  # fully matched
    assert maker.get_open_orders() == []


def test_orders_cancelled_by_resolution_or_expiry_answer_null(world):
    market = market_of(world, "sports")
    token = market.tokens[0].token_id
    client = make_trader_client(world, 34)
    now = int(world.clock.now().timestamp())
    gtd = client.post_order(client.create_order(OrderArgsV2(token_id=token, price=0.40, size=10, side="BUY",
                                                            expiration=now + 3600)), OrderType.GTD)
    gtc = client.create_and_post_order(OrderArgsV2(token_id=token, price=0.41, size=10, side="BUY"))
    world.admin("advance", seconds=3600 - 60)
    assert client.get_order(gtd["orderID"]) is None and client.get_order(gtc["orderID"])["status"] == "LIVE"

    world.admin("resolve", condition_id=market.condition_id, winner=market.tokens[0].outcome)
    assert client.get_order(gtc["orderID"]) is None
    assert client.get_open_orders(OpenOrderParams(market=market.condition_id)) == []
    assert world.venue.get_order(gtc["orderID"]).status == "CANCELED_MARKET_RESOLVED"  # the venue still knows


# ---- self-trade prevention ------------------------------------------------------------------------


def test_a_taker_never_matches_its_own_resting_order_which_stays_on_the_book(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    me, other = make_trader_client(world, 35), make_trader_client(world, 36)
    world.admin("fund", address=trader_address(35), amount="50", token_id=token)
    own_ask = me.create_and_post_order(OrderArgsV2(token_id=token, price=0.50, size=10, side="SELL"))
    assert own_ask["status"] == "live"  # the best ask now: mine at 0.50, then the book's 0.52 x 30

    taken = buy(me, token, 0.53, 15, OrderType.FAK)

    [trade] = me.get_trades()
    assert trade["id"] in taken["tradeIDs"] and (trade["price"], trade["size"]) == ("0.52", "15")
    assert [m["maker_address"] for m in trade["maker_orders"]] != [trader_address(35)]
    still = me.get_order(own_ask["orderID"])
    assert (still["status"], still["size_matched"]) == ("LIVE", "0")
    assert {"price": "0.5", "size": "10"} in me.get_order_book(token)["asks"]

    with pytest.raises(PolyApiException) as only_mine:
        buy(me, token, 0.50, 10, OrderType.FAK)
    assert api_error(only_mine)[1].startswith("no orders found to match with FAK order")
    with pytest.raises(PolyApiException) as not_enough_without_mine:
        buy(me, token, 0.52, 20)  # 15 left at 0.52 from others; my 10 at 0.50 do not count
    assert api_error(not_enough_without_mine)[1] == "order couldn't be fully filled. FOK orders are fully filled or killed."

    theirs = buy(other, token, 0.50, 10, OrderType.FAK)  # anybody else matches it
    assert theirs["status"] == "matched" and me.get_order(own_ask["orderID"]) is None
    [their_trade] = other.get_trades()
    assert their_trade["maker_orders"][0]["maker_address"] == trader_address(35)


# ---- the $1 minimum of a marketable order ---------------------------------------------------------


def test_a_marketable_order_under_one_dollar_is_refused_in_the_venues_words(world):
    market = market_of(world, "sports")
    token = market.tokens[0].token_id
    world.admin("book", token_id=token, bids=[["0.05", "100"]], asks=[["0.10", "100"]])
    client = make_trader_client(world, 37)
    world.admin("fund", address=trader_address(37), amount="50", token_id=token)

    with pytest.raises(PolyApiException) as market_buy:
        client.create_and_post_market_order(MarketOrderArgsV2(token_id=token, amount=0.5, side="BUY"))
    assert api_error(market_buy) == (400, "invalid amount for a marketable BUY order ($0.5), min size: $1")
    with pytest.raises(PolyApiException) as crossing_gtc:
        client.create_and_post_order(OrderArgsV2(token_id=token, price=0.10, size=5, side="BUY"))
    assert api_error(crossing_gtc) == (400, "invalid amount for a marketable BUY order ($0.5), min size: $1")
    with pytest.raises(PolyApiException) as small_sell:
        sell(client, token, 0.05, 5, OrderType.FAK)
    assert api_error(small_sell) == (400, "invalid amount for a marketable SELL order ($0.25), min size: $1")
    assert client.get_trades() == []

    resting = client.create_and_post_order(OrderArgsV2(token_id=token, price=0.08, size=5, side="BUY"))
    assert resting["status"] == "live"  # $0.40 that does not cross: a limit order only needs its 5 shares

    dollar = client.create_and_post_market_order(MarketOrderArgsV2(token_id=token, amount=1, side="BUY"))
    assert dollar["status"] == "matched" and dollar["takingAmount"] == "10"  # 10 shares of a $1 market BUY


def test_a_market_order_under_the_share_minimum_but_worth_a_dollar_fills(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    client = make_trader_client(world, 38)
    placed = client.create_and_post_market_order(MarketOrderArgsV2(token_id=token, amount=2, side="BUY"))
    assert placed["status"] == "matched" and D(placed["takingAmount"]) < market.min_order_size


# ---- GTD and the one-minute margin ----------------------------------------------------------------


def test_gtd_needs_more_than_a_minute_and_leaves_the_book_a_minute_early(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    client = make_trader_client(world, 39)
    now = int(world.clock.now().timestamp())

    with pytest.raises(PolyApiException) as too_soon:
        client.post_order(client.create_order(OrderArgsV2(token_id=token, price=0.40, size=10, side="BUY",
                                                          expiration=now + 60)), OrderType.GTD)
    assert api_error(too_soon) == (400, "invalid expiration")

    placed = client.post_order(client.create_order(OrderArgsV2(token_id=token, price=0.40, size=10, side="BUY",
                                                               expiration=now + 180)), OrderType.GTD)
    assert placed["status"] == "live" and collateral(client) == D("996")
    world.admin("advance", seconds=119)
    assert client.get_order(placed["orderID"])["expiration"] == str(now + 180)
    world.admin("advance", seconds=1)  # expiration - 60 s
    assert client.get_order(placed["orderID"]) is None and client.get_open_orders() == []
    assert collateral(client) == D("1000")
    assert world.venue.get_order(placed["orderID"]).status == "CANCELED"
    assert world.clock.now() == world.venue.get_order(placed["orderID"]).created_at + timedelta(seconds=120)


def test_the_engine_steps_over_own_orders_inside_a_price_level_and_keeps_their_place():
    from .core_support import ALICE, BOB, order, quiet_venue, tokens

    venue, _ = quiet_venue()
    yes, _ = tokens(venue)
    venue.set_book(yes, bids=[], asks=[])
    venue.fund(ALICE, D("20"), yes)
    venue.fund(BOB, D("20"), yes)
    mine = venue.place(order(yes, "SELL", "0.50", "10", maker=ALICE))  # first in the level's queue
    bobs = venue.place(order(yes, "SELL", "0.50", "10", maker=BOB))

    taken = venue.place(order(yes, "BUY", "0.50", "4", maker=ALICE, order_type="FAK"))

    [trade] = [venue.get_trade(t) for t in taken.trade_ids]
    assert [(f.order_id, f.matched_amount) for f in trade.maker_orders] == [(bobs.order_id, D("4"))]
    assert venue.get_order(mine.order_id).size_matched == 0 and venue.book(yes).asks == ((D("0.50"), D("16")),)
    # a third party still meets the own order first: it kept its place in the queue
    venue.open_account("0x" + "c4" * 20)
    other = venue.place(order(yes, "BUY", "0.50", "12", maker="0x" + "c4" * 20, order_type="FOK"))
    fills = [(f.order_id, f.matched_amount) for t in other.trade_ids for f in venue.get_trade(t).maker_orders]
    assert fills == [(mine.order_id, D("10")), (bobs.order_id, D("2"))]
