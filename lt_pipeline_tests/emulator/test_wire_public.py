"""Data API and Gamma routes on the same port as the CLOB, and the admin routes that drive tests."""

from __future__ import annotations

import json

import httpx
import pytest
from py_clob_client_v2.clob_types import OrderArgsV2, OrderType

from .fixtures import make_trader_client, trader_address
from .test_wire_clob import PAYLOADS, open_market, pin_book


@pytest.fixture
def filled(emulator):
    """Trader 1 took 30 shares at 0.52 on a pinned book; returns (emulator, market, token)."""
    market = open_market(emulator, neg_risk=False)
    token = market.tokens[0].token_id
    pin_book(emulator, token)
    client = make_trader_client(emulator, 1)
    client.post_order(client.create_order(OrderArgsV2(token_id=token, price=0.52, size=30, side="BUY")), OrderType.FOK)
    return emulator, market, token


def test_data_api_trades_show_the_users_fill_with_numbers(filled):
    emulator, market, token = filled
    rows = httpx.get(f"{emulator.url}/data-api/trades", params={"user": trader_address(1)}).json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["side"], row["size"], row["price"], row["asset"]) == ("BUY", 30, 0.52, token)
    assert row["proxyWallet"] == trader_address(1) and row["conditionId"] == market.condition_id
    assert row["transactionHash"].startswith("0x") and row["outcomeIndex"] == 0
    sample = json.loads((PAYLOADS / "legacy_http_trades.json").read_text())[0]
    assert set(row) == set(sample)
    assert all(type(row[k]) is type(sample[k]) or isinstance(sample[k], float) for k in sample)
    # the market maker was the maker of that fill: visible only with takerOnly=false
    market_rows = httpx.get(f"{emulator.url}/data-api/trades", params={"market": market.condition_id, "takerOnly": "false"}).json()
    assert len(market_rows) == 2 and {r["side"] for r in market_rows} == {"BUY", "SELL"}
    assert httpx.get(f"{emulator.url}/data-api/trades", params={"market": market.condition_id, "side": "SELL"}).json() == []
    activity = httpx.get(f"{emulator.url}/data-api/activity", params={"user": trader_address(1)}).json()
    assert activity[0]["type"] == "TRADE" and activity[0]["usdcSize"] == 15.6


def test_data_api_refuses_bad_parameters_by_name(emulator):
    for params, word in (({"limit": "-1"}, "limit"), ({"offset": "10001"}, "offset"), ({"user": "bob"}, "user"),
                         ({"side": "HOLD"}, "side"), ({"takerOnly": "maybe"}, "takerOnly"), ({"market": "x"}, "market")):
        response = httpx.get(f"{emulator.url}/data-api/trades", params=params)
        assert response.status_code == 400 and word in response.json()["error"], params
    assert httpx.get(f"{emulator.url}/data-api/activity").status_code == 400  # user is required


def test_simulated_traders_trade_as_the_clock_moves(emulator):
    traders = emulator.admin("traders")
    assert traders and {"address", "name", "pseudonym", "skill"} <= set(traders[0])
    emulator.admin("advance", seconds=3600)
    rows = httpx.get(f"{emulator.url}/data-api/trades", params={"limit": 5}).json()
    assert 0 < len(rows) <= 5 and rows[0]["timestamp"] >= rows[-1]["timestamp"]
    wallets = {t["address"] for t in traders}
    assert {r["proxyWallet"] for r in rows} <= wallets


def test_gamma_markets_filter_and_encode_their_string_fields(filled):
    emulator, market, token = filled
    other = next(m for m in emulator.venue.markets() if m.condition_id != market.condition_id)
    rows = httpx.get(
        f"{emulator.url}/gamma/markets?condition_ids={market.condition_id}&condition_ids={other.condition_id}&closed=false"
    ).json()
    assert {r["conditionId"] for r in rows} == {market.condition_id, other.condition_id}
    row = next(r for r in rows if r["conditionId"] == market.condition_id)
    assert json.loads(row["clobTokenIds"]) == [t.token_id for t in market.tokens]
    assert json.loads(row["outcomes"]) == [t.outcome for t in market.tokens]
    assert [float(p) for p in json.loads(row["outcomePrices"])] == pytest.approx([0.51, 0.49])  # 0.52 asks taken: mid of 0.49 and 0.53
    assert row["closed"] is False and row["umaResolutionStatus"] == "" and row["lastTradePrice"] == 0.52
    sample = json.loads((PAYLOADS / "gamma_market.json").read_text())
    fee_free = json.loads((PAYLOADS / "gamma_event.json").read_text())[0]["markets"][0]  # feeType null there
    shared = set(sample) & set(row)
    assert {"outcomes", "outcomePrices", "clobTokenIds", "volume", "volumeNum", "orderMinSize", "negRisk"} <= shared
    for key in shared - {"events"}:
        if row[key] is None:
            assert key in fee_free and fee_free[key] is None, key
        else:
            assert type(row[key]) is type(sample[key]) or isinstance(sample[key], (int, float)), key
    assert httpx.get(f"{emulator.url}/gamma/markets", params={"clob_token_ids": token}).json()[0]["id"] == row["id"]
    assert httpx.get(f"{emulator.url}/gamma/markets/{row['id']}").json()["slug"] == market.slug
    assert httpx.get(f"{emulator.url}/gamma/markets", params={"closed": "true"}).json() == []


def test_gamma_shows_resolution_and_events_embed_markets(filled):
    emulator, market, token = filled
    emulator.admin("resolve", condition_id=market.condition_id, winner=market.tokens[1].outcome)
    row = httpx.get(f"{emulator.url}/gamma/markets", params={"condition_ids": market.condition_id, "closed": "true"}).json()[0]
    assert row["closed"] is True and row["umaResolutionStatus"] == "resolved" and row["acceptingOrders"] is False
    assert json.loads(row["outcomePrices"]) == ["0", "1"]
    events = httpx.get(f"{emulator.url}/gamma/events", params={"limit": 100}).json()
    assert sum(len(e["markets"]) for e in events) == len(emulator.venue.markets())
    event = next(e for e in events if any(m["conditionId"] == market.condition_id for m in e["markets"]))
    assert httpx.get(f"{emulator.url}/gamma/events/{event['id']}").json()["slug"] == event["slug"]


def test_void_resolution_pays_half(emulator):
    market = open_market(emulator)
    answer = emulator.admin("resolve", condition_id=market.condition_id, winner=None)
    assert answer["closed"] is True and answer["winner_token_id"] is None
    clob = httpx.get(f"{emulator.url}/markets/{market.condition_id}").json()
    assert [t["price"] for t in clob["tokens"]] == [0.5, 0.5] and clob["is_50_50_outcome"] is True


def test_admin_clock_pause_fund_counters(emulator):
    before = emulator.admin("clock")["unix"]
    assert emulator.admin("advance", seconds=90)["unix"] == before + 90
    assert httpx.get(f"{emulator.url}/time").json() == before + 90
    assert emulator.admin("pause") == {"paused": True} and emulator.admin("resume") == {"paused": False}
    funded = emulator.admin("fund", address=trader_address(5), amount="12.5")
    assert funded["balance"] == "12.5"
    counters = emulator.admin("counters")
    assert {"venue", "faults", "requests", "statuses"} <= set(counters)
    assert counters["requests"]["POST /admin/advance"] == 1
    for path, body in (("advance", {"seconds": -1}), ("fund", {"address": "0x1", "amount": "x"}),
                       ("resolve", {"condition_id": "0x" + "0" * 64}), ("book", {"token_id": "1", "bids": "x"})):
        response = httpx.post(f"{emulator.url}/admin/{path}", json=body)
        assert response.status_code in (400, 404) and response.json()["error"], path


def test_failed_trade_path(filled):
    emulator, market, token = filled
    client = make_trader_client(emulator, 1)
    trade_id = client.get_trades()[0]["id"]
    assert emulator.admin("fail-trade", trade_id=trade_id)["trade_id"] == trade_id
    emulator.admin("advance", seconds=60)
    assert client.get_trades()[0]["status"] == "FAILED"
