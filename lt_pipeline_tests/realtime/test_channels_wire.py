"""The emulator's real-time channels on the wire, driven by a plain websocket client: RTDS `activity`
messages in the venue's envelope carrying the Data API's own row of each trade, PING/PONG,
filters and unsubscribing; the user channel's order and trade events in the recorded shapes, for
the authenticated key's orders only; bad credentials closing the channel with 1008."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from py_clob_client_v2.clob_types import OrderArgsV2, OrderPayload
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from lt_pipeline_tests.emulator.fixtures import make_trader_client
from lt_pipeline_tests.venues.conftest import PAYLOADS

SUBSCRIBE_ALL = json.dumps({"action": "subscribe", "subscriptions": [{"topic": "activity", "type": "*"}]})


def ws_url(emulator, path: str = "/") -> str:
    return emulator.url.replace("http://", "ws://") + path


def sample(name: str):
    return json.loads((PAYLOADS / name).read_text())


async def drain(ws, quiet: float = 0.3, first: float | None = None) -> list:
    """Every message until the socket has been quiet for `quiet` seconds (for the first message, `first`
    seconds when given: where messages are expected, a loaded machine may take longer to send the first)."""
    messages = []
    try:
        while True:
            messages.append(await asyncio.wait_for(ws.recv(), quiet if messages or first is None else first))
    except TimeoutError:
        return messages


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 40))


def test_rtds_activity_is_the_data_api_row_in_the_venues_envelope(emulator):
    async def scenario():
        async with connect(ws_url(emulator), ping_interval=None) as ws:
            await ws.send(SUBSCRIBE_ALL)
            await ws.send("PING")
            assert await ws.recv() == "PONG"
            emulator.clock.advance(timedelta(minutes=10))
            return [json.loads(m) for m in await drain(ws)]

    messages = run(scenario())
    assert messages, "simulated traders trade within ten minutes"
    envelope = sample("rtds_crypto_prices_update.json")
    reference = sample("rtds_activity_trade.json")
    for message in messages:
        assert list(message) == list(envelope)  # topic, type, timestamp, payload
        assert message["topic"] == "activity" and isinstance(message["timestamp"], int)
        assert set(reference["payload"]) <= set(message["payload"])
        for key, value in reference["payload"].items():
            assert type(message["payload"][key]) in ((int, float) if isinstance(value, (int, float)) else (type(value),)), key
    # one message per type for each trade, the two types carrying the same row
    by_type = {kind: [m["payload"] for m in messages if m["type"] == kind] for kind in ("trades", "orders_matched")}
    assert by_type["trades"] == by_type["orders_matched"] and len(by_type["trades"]) * 2 == len(messages)
    # ... which is the Data API's row of the same trade, field for field
    row = by_type["trades"][0]
    answer = httpx.get(f"{emulator.url}/data-api/trades", params={"user": row["proxyWallet"], "limit": 500}).json()
    assert row in answer
    assert all(abs(m["timestamp"] - m["payload"]["timestamp"] * 1000) < 601_000 for m in messages)


def test_rtds_filters_and_unsubscribe(emulator):
    async def scenario():
        async with connect(ws_url(emulator), ping_interval=None) as everything, \
                connect(ws_url(emulator), ping_interval=None) as filtered:
            await everything.send(json.dumps({"action": "subscribe",
                                              "subscriptions": [{"topic": "activity", "type": "trades"}]}))
            await everything.send("PING")
            assert await everything.recv() == "PONG"
            emulator.clock.advance(timedelta(minutes=20))
            first = [json.loads(m)["payload"] for m in await drain(everything, first=10)]
            lasting = {m.slug for m in emulator.venue.markets() if m.end_date > emulator.clock.now() + timedelta(days=1)}
            slug = Counter(p["slug"] for p in first if p["slug"] in lasting).most_common(1)[0][0]
            await filtered.send(json.dumps({"action": "subscribe", "subscriptions": [
                {"topic": "activity", "type": "trades", "filters": json.dumps({"market_slug": slug})}]}))
            await filtered.send(json.dumps({"action": "subscribe", "subscriptions": [{"topic": "comments", "type": "*"}]}))
            await everything.send(json.dumps({"action": "unsubscribe",
                                              "subscriptions": [{"topic": "activity", "type": "trades"}]}))
            await filtered.send("PING")
            assert await filtered.recv() == "PONG"
            emulator.clock.advance(timedelta(hours=3))
            kept = [json.loads(m) for m in await drain(filtered, first=10)]
            after_unsubscribe = await drain(everything)
            await filtered.send("not json")
            complaint = json.loads(await filtered.recv())
            return kept, after_unsubscribe, slug, complaint

    kept, after_unsubscribe, slug, complaint = run(scenario())
    assert after_unsubscribe == []
    assert kept and all(m["payload"]["slug"] == slug and m["type"] == "trades" for m in kept)
    assert complaint["error"].startswith("invalid message")


def open_market(emulator):
    return next(m for m in emulator.venue.markets() if not m.closed and m.tick_size == Decimal("0.01"))


def test_user_channel_reports_our_orders_and_trades_in_the_recorded_shapes(emulator):
    emulator.admin("pause")  # only our orders trade
    market, other_market = [m for m in emulator.venue.markets() if not m.closed and m.tick_size == Decimal("0.01")][:2]
    token = market.tokens[0].token_id
    emulator.admin("book", token_id=token, bids=[["0.48", "100"]], asks=[["0.52", "30"], ["0.53", "100"]])
    client = make_trader_client(emulator, 1)
    stranger = make_trader_client(emulator, 2)
    creds = client.creds
    auth = {"apiKey": creds.api_key, "secret": creds.api_secret, "passphrase": creds.api_passphrase}

    async def scenario():
        async with connect(ws_url(emulator, "/ws/user"), ping_interval=None) as ws:
            await ws.send(json.dumps({"auth": auth, "type": "user", "markets": [market.condition_id]}))
            await ws.send("PING")
            assert await ws.recv() == "PONG"
            loop = asyncio.get_running_loop()
            resting = await loop.run_in_executor(None, lambda: client.create_and_post_order(
                OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY")))
            taken = await loop.run_in_executor(None, lambda: client.create_and_post_order(
                OrderArgsV2(token_id=token, price=0.52, size=10, side="BUY")))
            await loop.run_in_executor(None, lambda: stranger.create_and_post_order(
                OrderArgsV2(token_id=token, price=0.46, size=10, side="BUY")))
            await loop.run_in_executor(None, lambda: client.create_and_post_order(  # another market: filtered out
                OrderArgsV2(token_id=other_market.tokens[0].token_id, price=0.05, size=10, side="BUY")))
            placed = [json.loads(m) for m in await drain(ws)]
            emulator.clock.advance(timedelta(seconds=16))
            settled = [json.loads(m) for m in await drain(ws)]
            await loop.run_in_executor(None, lambda: client.cancel_order(OrderPayload(orderID=resting["orderID"])))
            cancelled = [json.loads(m) for m in await drain(ws)]
            return resting, taken, placed, settled, cancelled

    resting, taken, placed, settled, cancelled = run(scenario())
    summary = [(m["event_type"], m["type"], m["status"], m.get("id")) for m in placed]
    trade_id = taken["tradeIDs"][0]
    assert summary == [
        ("order", "PLACEMENT", "LIVE", resting["orderID"]),
        ("order", "PLACEMENT", "LIVE", taken["orderID"]),
        ("order", "UPDATE", "MATCHED", taken["orderID"]),
        ("trade", "TRADE", "MATCHED", trade_id),
    ]
    assert [(m["type"], m["status"]) for m in settled] == [("TRADE", "MINED"), ("TRADE", "CONFIRMED")]
    assert [(m["type"], m["status"], m["id"]) for m in cancelled] == [("CANCELLATION", "CANCELED", resting["orderID"])]

    # the recorded shapes: the same keys, numbers as strings, times as unix-second strings and a ms timestamp
    order_keys = set(sample("ws_user_order_placement_live.json"))
    trade_keys = set(sample("ws_user_trade_taker_live.json"))
    for message in placed + cancelled:
        if message["event_type"] == "order":
            assert set(message) == order_keys
            assert all(isinstance(message[k], str) for k in order_keys - {"associate_trades"})
            assert message["owner"] == message["order_owner"] == creds.api_key
            assert len(message["timestamp"]) == 13 and len(message["created_at"]) == 10
    matched = placed[-1]
    assert set(matched) == trade_keys
    assert matched["trader_side"] == "TAKER" and matched["trade_owner"] == creds.api_key
    assert (matched["side"], matched["price"], matched["size"]) == ("BUY", "0.52", "10")
    assert set(matched["maker_orders"][0]) >= set(sample("ws_user_trade_maker_live.json")["maker_orders"][0])
    assert placed[2]["associate_trades"] == [trade_id] and placed[0]["associate_trades"] is None
    rest = client.get_trades()
    assert [(t["id"], t["price"], t["size"], t["transaction_hash"]) for t in rest] == \
        [(trade_id, matched["price"], matched["size"], matched["transaction_hash"])]


def test_user_channel_closes_on_bad_credentials(emulator):
    client = make_trader_client(emulator, 3)
    creds = client.creds

    async def attempt(auth):
        async with connect(ws_url(emulator, "/ws/user"), ping_interval=None) as ws:
            await ws.send(json.dumps({"auth": auth, "type": "user", "markets": []}))
            await ws.send("PING")
            return await ws.recv()

    with pytest.raises(ConnectionClosedError) as refused:
        run(attempt({"apiKey": creds.api_key, "secret": creds.api_secret, "passphrase": "wrong"}))
    assert (refused.value.rcvd.code, refused.value.rcvd.reason) == (1008, "Unauthorized/Invalid api key")
    assert run(attempt({"apiKey": creds.api_key, "secret": creds.api_secret, "passphrase": creds.api_passphrase})) == "PONG"
