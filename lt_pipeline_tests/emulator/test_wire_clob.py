"""The real py-clob-client-v2 against the emulator over loopback: keys, books, orders of every type,
status, trades, cancels, resolution and refusals, in the venue's own words and shapes."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
from py_clob_client_v2.clob_types import (
    ApiCreds,
    AssetType,
    BalanceAllowanceParams,
    MarketOrderArgsV2,
    OpenOrderParams,
    OrderArgsV2,
    OrderMarketCancelParams,
    OrderPayload,
    OrderType,
    PartialCreateOrderOptions,
    PostOrdersV2Args as PostOrdersArgs,
    TradeParams,
)
from py_clob_client_v2.client import ClobClient
from py_clob_client_v2.exceptions import PolyApiException

from lt_pipeline.emulator import auth
from lt_pipeline.emulator.types import Market

from .fixtures import make_trader_client, test_private_key, trader_address

from lt_pipeline_tests.venues.conftest import PAYLOADS


def open_market(emulator, *, neg_risk: bool | None = None, tick: str = "0.01") -> Market:
    for m in emulator.venue.markets():
        if not m.closed and m.tick_size == Decimal(tick) and (neg_risk is None or m.neg_risk == neg_risk):
            return m
    raise AssertionError("the default scenario lists no such market")


def pin_book(emulator, token_id: str) -> None:
    """Known liquidity: bids 0.48 x 100, 0.49 x 50; asks 0.52 x 30, 0.53 x 100."""
    emulator.admin("book", token_id=token_id, bids=[["0.48", "100"], ["0.49", "50"]], asks=[["0.52", "30"], ["0.53", "100"]])


def api_error(excinfo) -> tuple[int, str]:
    exc = excinfo.value
    message = exc.error_msg["error"] if isinstance(exc.error_msg, dict) else exc.error_msg
    return exc.status_code, message


def collateral(client) -> Decimal:
    answer = client.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.COLLATERAL))
    return Decimal(answer["balance"]) / Decimal(10**6)


@pytest.fixture
def setup(emulator):
    market = open_market(emulator, neg_risk=False)
    token = market.tokens[0].token_id
    pin_book(emulator, token)
    return emulator, make_trader_client(emulator, 1), market, token


def test_api_keys_are_created_once_then_derived_and_fund_the_wallet(emulator):
    client = make_trader_client(emulator, 7)
    again = ClobClient(emulator.url, chain_id=137, key=test_private_key(7), use_server_time=True)
    with pytest.raises(PolyApiException) as refused:
        again.create_api_key()
    assert api_error(refused) == (400, "Could not create api key")
    assert again.create_or_derive_api_key() == client.creds
    other = ClobClient(emulator.url, chain_id=137, key=test_private_key(8), use_server_time=True)
    with pytest.raises(PolyApiException) as missing:
        other.derive_api_key()
    assert api_error(missing) == (400, "Could not derive api key!")
    assert collateral(client) == Decimal("1000")  # the faucet, credited once
    assert client.get_api_keys() == {"apiKeys": [client.creds.api_key]}


def test_health_time_version_and_market_metadata(setup):
    emulator, client, market, token = setup
    assert client.get_ok() == "OK" and client.get_version() == 2
    assert client.get_server_time() == int(emulator.clock.now().timestamp())
    assert client.get_tick_size(token) == "0.01" and client.get_neg_risk(token) is False
    assert client.get_fee_rate_bps(token) == market.fee_rate_bps
    assert client.get_market(market.condition_id)["tokens"][0]["token_id"] == token
    info = client.get_clob_market_info(market.condition_id)
    assert [t["t"] for t in info["t"]] == [t.token_id for t in market.tokens] and info["mts"] == 0.01
    assert httpx.get(f"{emulator.url}/markets-by-token/{token}").json() == {"condition_id": market.condition_id}
    with pytest.raises(PolyApiException) as missing:
        client.get_market("0x" + "00" * 32)
    assert api_error(missing) == (404, "market not found")


def test_books_and_prices_put_the_best_level_last(setup):
    emulator, client, market, token = setup
    book = client.get_order_book(token)
    assert set(book) == {"market", "asset_id", "timestamp", "hash", "bids", "asks", "min_order_size", "tick_size",
                         "neg_risk", "last_trade_price"}
    assert book["bids"] == [{"price": "0.48", "size": "100"}, {"price": "0.49", "size": "50"}]
    assert book["asks"] == [{"price": "0.53", "size": "100"}, {"price": "0.52", "size": "30"}]
    assert client.get_order_book_hash(dict(book)) == book["hash"]
    # the complementary token sees the same book mirrored
    other = client.get_order_book(market.tokens[1].token_id)
    assert other["bids"][-1] == {"price": "0.48", "size": "30"} and other["asks"][-1] == {"price": "0.51", "size": "50"}
    assert client.get_price(token, "BUY") == {"price": "0.49"} and client.get_price(token, "SELL") == {"price": "0.52"}
    assert client.get_midpoint(token) == {"mid": "0.505"} and client.get_spread(token) == {"spread": "0.03"}
    from py_clob_client_v2.clob_types import BookParams

    assert len(client.get_order_books([BookParams(token), BookParams(market.tokens[1].token_id)])) == 2
    assert client.get_midpoints([BookParams(token)]) == {token: "0.505"}
    assert client.get_prices([BookParams(token, "BUY")]) == {token: {"BUY": "0.49"}}
    with pytest.raises(PolyApiException) as bad:
        client.get_order_book("not-a-token")
    assert api_error(bad) == (400, "Invalid token id")
    with pytest.raises(PolyApiException) as unknown:
        client.get_order_book("123456789")
    assert api_error(unknown) == (404, "No orderbook exists for the requested token id")


def test_gtc_rests_then_cancels(setup):
    emulator, client, market, token = setup
    placed = client.create_and_post_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"))
    assert placed["success"] is True and placed["status"] == "live" and placed["orderID"].startswith("0x")
    assert placed["makingAmount"] == "" and placed["tradeIDs"] == [] and placed["transactionsHashes"] == []
    assert collateral(client) == Decimal("995.5")  # 10 x 0.45 reserved

    order = client.get_order(placed["orderID"])
    assert (order["status"], order["original_size"], order["size_matched"], order["price"]) == ("LIVE", "10", "0", "0.45")
    assert order["owner"] == client.creds.api_key and order["maker_address"] == trader_address(1)
    assert [o["id"] for o in client.get_open_orders(OpenOrderParams(market=market.condition_id))] == [placed["orderID"]]
    assert {"price": "0.45", "size": "10"} in client.get_order_book(token)["bids"]

    answer = client.cancel_order(OrderPayload(orderID=placed["orderID"]))
    assert answer == {"canceled": [placed["orderID"]], "not_canceled": {}}
    again = client.cancel_order(OrderPayload(orderID=placed["orderID"]))
    assert again["canceled"] == [] and placed["orderID"] in again["not_canceled"]
    assert client.get_open_orders() == [] and collateral(client) == Decimal("1000")
    assert client.get_order(placed["orderID"]) is None  # a finished order: the venue answers null


def test_fok_that_cannot_fill_is_refused_without_a_trace(setup):
    emulator, client, market, token = setup
    order = client.create_order(OrderArgsV2(token_id=token, price=0.52, size=100, side="BUY"))
    with pytest.raises(PolyApiException) as refused:
        client.post_order(order, OrderType.FOK)
    assert api_error(refused) == (400, "order couldn't be fully filled. FOK orders are fully filled or killed.")
    assert collateral(client) == Decimal("1000") and client.get_trades() == []
    assert client.get_order_book(token)["asks"][-1] == {"price": "0.52", "size": "30"}


def test_fak_partly_fills_and_reports_trades_with_hashes(setup):
    emulator, client, market, token = setup
    order = client.create_order(OrderArgsV2(token_id=token, price=0.52, size=50, side="BUY"))
    placed = client.post_order(order, OrderType.FAK)  # would poll 30 s if transactionsHashes were missing
    assert placed["status"] == "matched" and placed["success"] is True
    assert (placed["makingAmount"], placed["takingAmount"]) == ("15.6", "30")
    assert len(placed["tradeIDs"]) == 1 and placed["transactionsHashes"][0].startswith("0x")

    trades = client.get_trades(TradeParams(market=market.condition_id))
    assert [t["id"] for t in trades] == placed["tradeIDs"]
    trade = trades[0]
    assert (trade["side"], trade["size"], trade["price"], trade["trader_side"]) == ("BUY", "30", "0.52", "TAKER")
    assert trade["status"] == "MATCHED" and trade["taker_order_id"] == placed["orderID"]
    assert trade["maker_address"] == trader_address(1) and trade["transaction_hash"] == placed["transactionsHashes"][0]
    assert market.category == "crypto" and trade["fee_rate_bps"] == "720"
    fee = Decimal("0.53913")  # the taker fee: 30 x 0.072 x 0.52 x 0.48 = 0.539136, floored to 5 dp
    assert collateral(client) == Decimal("984.4") - fee
    assert client.get_order(placed["orderID"]) is None  # production answers null for done orders; use trades
    shares = client.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.CONDITIONAL, token_id=token))
    assert shares["balance"] == "30000000"

    emulator.admin("advance", seconds=60)
    assert client.get_trades(TradeParams(id=placed["tradeIDs"][0]))[0]["status"] == "CONFIRMED"


def test_market_order_from_the_client_fills_at_the_makers_prices(setup):
    emulator, client, market, token = setup
    placed = client.create_and_post_market_order(MarketOrderArgsV2(token_id=token, amount=20, side="BUY"))
    assert placed["status"] == "matched" and len(placed["tradeIDs"]) == 2  # 0.52 then 0.53
    sold = client.create_and_post_market_order(MarketOrderArgsV2(token_id=token, amount=10, side="SELL"), order_type=OrderType.FAK)
    assert sold["status"] == "matched" and sold["makingAmount"] == "10" and sold["takingAmount"] == "4.9"


def test_gtc_that_crosses_fills_and_rests_the_rest_and_maker_sees_its_fill(setup):
    emulator, client, market, token = setup
    maker = make_trader_client(emulator, 2)
    resting = maker.create_and_post_order(OrderArgsV2(token_id=token, price=0.50, size=20, side="BUY"))
    assert resting["status"] == "live"
    seller = make_trader_client(emulator, 3)
    emulator.admin("fund", address=trader_address(3), amount="40", token_id=token)
    sold = seller.create_and_post_order(OrderArgsV2(token_id=token, price=0.50, size=25, side="SELL"))
    assert sold["status"] == "matched" and sold["takingAmount"] == "10"
    maker_trades = maker.get_trades()
    assert len(maker_trades) == 1 and maker_trades[0]["trader_side"] == "MAKER"
    mine = maker_trades[0]["maker_orders"][0]
    assert (mine["order_id"], mine["matched_amount"], mine["price"]) == (resting["orderID"], "20", "0.5")
    assert maker.get_order(resting["orderID"]) is None  # filled: the venue keeps no open order to show
    assert seller.get_open_orders()[0]["size_matched"] == "20"


def test_batch_orders_answer_each_order_inside_a_200(setup):
    emulator, client, market, token = setup
    good = client.create_order(OrderArgsV2(token_id=token, price=0.40, size=10, side="BUY"))
    small = client.create_order(OrderArgsV2(token_id=token, price=0.40, size=2, side="BUY"))
    answers = client.post_orders([PostOrdersArgs(good, OrderType.GTC), PostOrdersArgs(small, OrderType.GTC),
                                  PostOrdersArgs(good, OrderType.GTC)])
    assert [a["success"] for a in answers] == [True, False, False]
    assert answers[1]["errorMsg"].endswith("is invalid. Size (2) lower than the minimum: 5")
    assert answers[2]["errorMsg"] == f"order {good_id(answers)} is invalid. Duplicated."
    too_many = [PostOrdersArgs(good, OrderType.GTC)] * 16
    with pytest.raises(PolyApiException) as refused:
        client.post_orders(too_many)
    assert api_error(refused) == (400, "Too many orders in payload: 16, max allowed: 15")


def good_id(answers) -> str:
    return answers[0]["orderID"]


def test_cancel_all_and_by_market(setup):
    emulator, client, market, token = setup
    ids = [client.create_and_post_order(OrderArgsV2(token_id=token, price=p, size=10, side="BUY"))["orderID"]
           for p in (0.30, 0.31, 0.32)]
    by_market = client.cancel_market_orders(OrderMarketCancelParams(market=market.condition_id, asset_id=token))
    assert sorted(by_market["canceled"]) == sorted(ids)
    more = [client.create_and_post_order(OrderArgsV2(token_id=token, price=p, size=10, side="BUY"))["orderID"]
            for p in (0.33, 0.34)]
    assert sorted(client.cancel_orders(more[:1])["canceled"]) == more[:1]
    assert client.cancel_all()["canceled"] == more[1:]


def test_resolved_market_has_no_book_and_refuses_orders(setup):
    emulator, client, market, token = setup
    resting = client.create_and_post_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"))
    order = client.create_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"))
    emulator.admin("resolve", condition_id=market.condition_id, winner=market.tokens[0].outcome)
    with pytest.raises(PolyApiException) as no_book:
        client.get_order_book(token)
    assert api_error(no_book) == (404, "No orderbook exists for the requested token id")
    with pytest.raises(PolyApiException) as refused:
        client.post_order(order)
    assert api_error(refused) == (400, "the market is not yet ready to process new orders")
    clob_market = client.get_market(market.condition_id)
    assert clob_market["closed"] is True and clob_market["accepting_orders"] is False
    assert [(t["winner"], t["price"]) for t in clob_market["tokens"]] == [(True, 1), (False, 0)]
    assert client.get_order(resting["orderID"]) is None  # cancelled by the resolution: done, so null


def test_wrong_key_wrong_signature_and_stale_timestamp_are_refused(setup):
    emulator, client, market, token = setup
    impostor = ClobClient(emulator.url, chain_id=137, key=test_private_key(1), use_server_time=True,
                          creds=ApiCreds("00000000-0000-4000-8000-000000000000", client.creds.api_secret,
                                         client.creds.api_passphrase))
    with pytest.raises(PolyApiException) as unknown_key:
        impostor.get_open_orders()
    assert api_error(unknown_key) == (401, "Unauthorized/Invalid api key")

    wrong_secret = ClobClient(emulator.url, chain_id=137, key=test_private_key(1), use_server_time=True,
                              creds=ApiCreds(client.creds.api_key, auth.ApiKeyStore(99).create("0x" + "00" * 20, 0).secret,
                                             client.creds.api_passphrase))
    with pytest.raises(PolyApiException) as bad_hmac:
        wrong_secret.get_trades()
    assert api_error(bad_hmac) == (401, "Unauthorized/Invalid api key")

    on_wall_clock = ClobClient(emulator.url, chain_id=137, key=test_private_key(1), creds=client.creds)
    with pytest.raises(PolyApiException) as stale:  # the emulator's clock is months behind the wall clock
        on_wall_clock.get_open_orders()
    assert api_error(stale) == (401, "Unauthorized/Invalid api key")

    order = client.create_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"))
    order.signature = order.signature[:-4] + ("00" if order.signature[-4:-2] != "00" else "11") + order.signature[-2:]
    with pytest.raises(PolyApiException) as forged:
        client.post_order(order)
    assert api_error(forged) == (400, "invalid signature")
    someone = make_trader_client(emulator, 4)
    theirs = someone.create_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"))
    with pytest.raises(PolyApiException) as not_mine:
        client.post_order(theirs)
    assert api_error(not_mine) == (400, "the order signer address has to be the address of the API KEY")
    assert client.get_open_orders() == [] and collateral(client) == Decimal("1000")


def test_v1_order_is_refused_with_order_version_mismatch(setup):
    emulator, client, market, token = setup
    v1 = client.create_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"), PartialCreateOrderOptions(version=1))
    with pytest.raises(PolyApiException) as refused:
        client.post_order(v1)
    assert api_error(refused) == (400, "order_version_mismatch")


def test_malformed_bodies_get_the_venues_status_never_a_500(setup):
    emulator, client, market, token = setup
    from lt_pipeline.emulator.auth import l2_headers

    key = emulator.ctx.keys.get(client.creds.api_key)
    now = int(emulator.clock.now().timestamp())
    for body in ("{not json", "[]", '{"order": 5}', '{"order": {"side": "BUY"}, "owner": "x"}', "null"):
        response = httpx.post(f"{emulator.url}/order", content=body, headers=l2_headers(key, now, "POST", "/order", body))
        assert (response.status_code, response.json()) == (400, {"error": "Invalid order payload"})
    for path, body in (("/order", '{"orderID": 7}'), ("/orders", '{"a": 1}')):
        response = httpx.request("DELETE", f"{emulator.url}{path}", content=body, headers=l2_headers(key, now, "DELETE", path, body))
        assert response.status_code == 400
    assert httpx.get(f"{emulator.url}/data/trades?next_cursor=%%%", headers=l2_headers(key, now, "GET", "/data/trades")).status_code == 400
    assert httpx.get(f"{emulator.url}/nowhere").status_code == 404
    assert emulator.ctx.counters()["statuses"].get("500", 0) == 0


def test_paging_follows_cursors_to_the_end(setup):
    emulator, client, market, token = setup
    emulator.ctx.options.data_page_size = 2
    emulator.ctx.options.markets_page_size = 7
    ids = {client.create_and_post_order(OrderArgsV2(token_id=token, price=0.30 + i / 100, size=5, side="BUY"))["orderID"]
           for i in range(5)}
    assert {o["id"] for o in client.get_open_orders()} == ids  # three pages, one set of headers
    first = client.get_open_orders(only_first_page=True)
    assert len(first) == 2
    markets = []
    cursor = "MA=="
    while cursor != "LTE=":
        page = client.get_markets(cursor)
        markets += page["data"]
        cursor = page["next_cursor"]
    assert len(markets) == len(emulator.venue.markets())


# ---- shapes against the real payload samples --------------------------------------------------------


def _sample(name: str):
    data = json.loads((PAYLOADS / name).read_text())
    return data[0] if isinstance(data, list) else data


def _same_types(ours: dict, sample: dict, keys) -> None:
    for key in keys:
        if sample[key] is None or ours[key] is None:
            continue
        number = (int, float)
        if isinstance(sample[key], number) and not isinstance(sample[key], bool):
            assert isinstance(ours[key], number) and not isinstance(ours[key], bool), key
        else:
            assert type(ours[key]) is type(sample[key]), f"{key}: {type(ours[key]).__name__} vs {type(sample[key]).__name__}"


def test_answers_carry_the_keys_and_types_of_the_real_payloads(setup):
    emulator, client, market, token = setup
    book = client.get_order_book(token)
    sample_book = _sample("clob_book_response.json")
    assert set(sample_book) <= set(book)
    _same_types(book, sample_book, sample_book)

    clob_market = client.get_market(market.condition_id)
    sample_market = _sample("clob_market_closed_binary_accepting_false.json")
    assert set(clob_market) == set(sample_market)
    _same_types(clob_market, sample_market, sample_market)
    assert set(clob_market["tokens"][0]) == set(sample_market["tokens"][0])

    resting = client.create_and_post_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"))
    sample_ok = _sample("http_order_response_ok.json")
    assert set(sample_ok) <= set(resting)
    open_order = client.get_order(resting["orderID"])
    sample_order = _sample("http_open_order.json")
    assert set(open_order) == set(sample_order)
    _same_types(open_order, sample_order, sample_order)

    client.post_order(client.create_order(OrderArgsV2(token_id=token, price=0.52, size=10, side="BUY")), OrderType.FAK)
    trade = client.get_trades()[0]
    sample_trade = _sample("http_trade_report.json")
    assert set(trade) == set(sample_trade)
    _same_types(trade, sample_trade, sample_trade)
    assert set(trade["maker_orders"][0]) == set(sample_trade["maker_orders"][0])

    page = httpx.get(f"{emulator.url}/data/orders", headers=client._l2_headers("GET", "/data/orders")).json()
    assert set(_sample("http_open_orders_page.json")) <= set(page)
    cancel = client.cancel_all()
    assert set(cancel) == set(_sample("http_cancel_response_ok.json"))
    balance = client.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.COLLATERAL))
    assert isinstance(balance["balance"], str) and balance["balance"].isdigit() and balance["allowances"]


def test_proxy_wallet_orders_trade_from_the_funder(setup):
    emulator, _, market, token = setup
    funder = "0x" + "5a" * 20
    from eth_utils import to_checksum_address

    proxy = make_trader_client(emulator, 9, signature_type=2, funder=to_checksum_address(funder))
    placed = proxy.create_and_post_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY"))
    order = proxy.get_order(placed["orderID"])
    assert order["maker_address"].lower() == funder and order["status"] == "LIVE"
    assert collateral(proxy) == Decimal("995.5")  # the funder's balance, less what the order reserves
