"""Order hashing, signature recovery, L1/L2 auth and the venue's price/size/precision rules,
checked against orders and headers built by the real py-clob-client-v2."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from eth_account import Account
from py_clob_client_v2.clob_types import ApiCreds, CreateOrderOptions, MarketOrderArgsV2, OrderArgsV2, RequestArgs
from py_clob_client_v2.headers.headers import create_level_1_headers, create_level_2_headers
from py_clob_client_v2.order_builder.builder import OrderBuilder
from py_clob_client_v2.order_utils.exchange_order_builder_v2 import ExchangeOrderBuilderV2
from py_clob_client_v2.order_utils.model.order_data_v1 import OrderDataV1, order_to_json_v1
from py_clob_client_v2.order_utils.exchange_order_builder_v1 import ExchangeOrderBuilderV1
from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2
from py_clob_client_v2.order_utils.model.side import Side as ClientSide
from py_clob_client_v2.signer import Signer
from starlette.datastructures import Headers

from lt_pipeline.emulator import auth, orders
from lt_pipeline.emulator.types import Market, Token, VenueError

KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NOW = 1_780_000_000


def market(tick: str = "0.01", neg_risk: bool = False, min_size: str = "5") -> Market:
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return Market(
        condition_id="0x" + "ab" * 32, question_id="0x" + "cd" * 32, question="Q?", slug="q", category="politics",
        event_id="1", event_slug="e", tokens=(Token(TOKEN, "Yes", 0), Token("1" + TOKEN[1:], "No", 1)),
        neg_risk=neg_risk, neg_risk_market_id="", tick_size=Decimal(tick), min_order_size=Decimal(min_size),
        created_at=t0, end_date=t0, fees_enabled=True, fee_rate=Decimal("0.04"), tags=("politics",),
    )


def signed(price: float, size: float, side: str = "BUY", tick: str = "0.01", neg_risk: bool = False, key: str = KEY):
    builder = OrderBuilder(Signer(key, 137))
    return builder.build_order(OrderArgsV2(token_id=TOKEN, price=price, size=size, side=side), CreateOrderOptions(tick, neg_risk), version=2)


def signed_market(amount: float, price: float, side: str = "BUY", tick: str = "0.01"):
    builder = OrderBuilder(Signer(KEY, 137))
    return builder.build_market_order(
        MarketOrderArgsV2(token_id=TOKEN, amount=amount, side=side, price=price), CreateOrderOptions(tick, False), version=2
    )


def request_for(order, order_type: str = "GTC", owner: str = "key-1") -> orders.OrderRequest:
    return orders.parse_order_request(json.loads(json.dumps(order_to_json_v2(order, owner, order_type))))


@pytest.mark.parametrize("neg_risk", [False, True])
def test_order_id_is_the_clients_eip712_hash_and_signature_recovers_the_signer(neg_risk):
    order = signed(0.55, 10, neg_risk=neg_risk)
    exchange = orders.exchange_for(neg_risk)
    library = ExchangeOrderBuilderV2(exchange, 137, Signer(KEY, 137))
    expected = library.build_order_hash(library.build_order_typed_data(order))

    digest = orders.order_digest(request_for(order).order, neg_risk)

    assert "0x" + digest.hex() == expected
    assert orders.recover_address(digest, bytes.fromhex(order.signature[2:])).hex() == Account.from_key(KEY).address[2:].lower()
    # the other exchange's domain gives another hash, so the signature no longer matches the signer
    other = orders.order_digest(request_for(order).order, not neg_risk)
    assert orders.recover_address(other, bytes.fromhex(order.signature[2:])) != bytes.fromhex(order.signer[2:])


def test_verified_order_carries_hash_price_size_and_amounts():
    order = signed(0.57, 3.333)
    incoming = orders.verify_order(
        request_for(order), api_key="key-1", key_address=Account.from_key(KEY).address, market=market(min_size="1"),
        now_unix=NOW,
    )
    assert incoming.order_id == "0x" + orders.order_digest(request_for(order).order, False).hex()
    assert (incoming.side, incoming.price, incoming.size) == ("BUY", Decimal("0.57"), Decimal("3.33"))
    assert (incoming.maker_amount, incoming.taker_amount) == (Decimal("1.8981"), Decimal("3.33"))
    assert incoming.order_type == "GTC" and incoming.owner == "key-1"


def _refusal(order_request, *, key_address=None, m=None, api_key="key-1") -> str:
    with pytest.raises(VenueError) as caught:
        orders.verify_order(
            order_request, api_key=api_key, key_address=key_address or Account.from_key(KEY).address,
            market=m or market(), now_unix=NOW,
        )
    assert caught.value.status == 400
    return caught.value.message


def test_owner_signer_and_signature_are_checked_with_the_venues_texts():
    order = signed(0.5, 10)
    assert _refusal(request_for(order), api_key="someone-else") == orders.OWNER_MISMATCH
    assert _refusal(request_for(order), key_address=Account.from_key(OTHER_KEY).address) == orders.SIGNER_MISMATCH
    body = order_to_json_v2(order, "key-1", "GTC")
    body["order"]["makerAmount"] = str(int(body["order"]["makerAmount"]) - 10000)  # tampered after signing
    assert _refusal(orders.parse_order_request(body)) == orders.INVALID_SIGNATURE
    # the right struct signed for the neg-risk exchange is not valid for a normal market
    assert _refusal(request_for(signed(0.5, 10, neg_risk=True))) == orders.INVALID_SIGNATURE


def test_v1_orders_are_refused_with_order_version_mismatch():
    signer = Signer(KEY, 137)
    v1 = ExchangeOrderBuilderV1(orders.EXCHANGE_V2, 137, signer).build_signed_order(
        OrderDataV1(maker=signer.address(), taker="0x" + "00" * 20, tokenId=TOKEN, makerAmount="5500000",
                    takerAmount="10000000", side=ClientSide.BUY, signer=signer.address())
    )
    with pytest.raises(VenueError) as caught:
        orders.parse_order_request(order_to_json_v1(v1, "key-1", "GTC"))
    assert (caught.value.status, caught.value.message) == (400, "order_version_mismatch")


@pytest.mark.parametrize(
    "body",
    [None, [], {"order": "x"}, {"order": {}}, {"order": {"salt": 1}, "owner": "k"}, {"order": {"side": "BUY"}, "orderType": "XYZ"}],
)
def test_malformed_bodies_are_an_invalid_order_payload(body):
    with pytest.raises(VenueError) as caught:
        orders.parse_order_request(body)
    assert (caught.value.status, caught.value.message) == (400, "Invalid order payload")


def test_off_tick_price_and_small_size_get_the_venues_texts():
    coarse = _refusal(request_for(signed(0.55, 10, tick="0.01")), m=market(tick="0.1"))
    assert coarse.startswith("order 0x") and coarse.endswith("is invalid. Price (0.55) breaks minimum tick size rule: 0.1")
    small = _refusal(request_for(signed(0.5, 2)))
    assert small.endswith("is invalid. Size (2) lower than the minimum: 5")


def test_amount_precision_rules_quote_the_decimals():
    # a hand-made BUY whose share amount has 3 decimals
    order = signed(0.5, 10)
    raw = order_to_json_v2(order, "key-1", "GTC")
    raw["order"]["makerAmount"], raw["order"]["takerAmount"] = "5000500", "10001000"
    req = orders.parse_order_request(raw)
    with pytest.raises(VenueError) as caught:
        orders.check_amounts(req.order, "0xabc", "GTC", market())
    assert caught.value.message == (
        "invalid amounts, the buy orders maker amount supports a max accuracy of 4 decimals, taker amount a max of 2 decimals"
    )
    # the client's market BUY at tick 0.001 produces 5-decimal share amounts, which the venue refuses
    market_buy = signed_market(9.98, 0.985, tick="0.001")
    with pytest.raises(VenueError) as caught:
        orders.check_amounts(request_for(market_buy, "FOK").order, "0xabc", "FOK", market(tick="0.001"))
    assert "market buy orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4" in caught.value.message


@pytest.mark.parametrize("tick", ["0.1", "0.01", "0.001", "0.0001"])
@pytest.mark.parametrize("side", ["BUY", "SELL"])
def test_every_limit_order_the_client_builds_passes_the_rules(tick, side):
    step = Decimal(tick)
    for price_steps in (1, 3, 7):
        price = float(step * price_steps)
        for size in (5, 7.77, 12.34, 100.01):
            order = signed(price, size, side=side, tick=tick)
            amounts = orders.check_amounts(request_for(order).order, "0x1", "GTC", market(tick=tick))
            assert amounts.price == Decimal(str(price)) and amounts.size == Decimal(str(size))


def test_market_orders_from_the_client_pass_with_their_price_on_the_tick():
    buy = orders.check_amounts(request_for(signed_market(25, 0.55), "FOK").order, "0x1", "FOK", market())
    assert (buy.price, buy.maker_amount, buy.taker_amount) == (Decimal("0.55"), Decimal("25"), Decimal("45.4545"))
    sell = orders.check_amounts(request_for(signed_market(12.5, 0.37, side="SELL"), "FAK").order, "0x1", "FAK", market())
    assert (sell.price, sell.size) == (Decimal("0.37"), Decimal("12.5"))


def test_gtd_expiration_needs_the_one_minute_margin():
    builder = OrderBuilder(Signer(KEY, 137))
    soon = builder.build_order(
        OrderArgsV2(token_id=TOKEN, price=0.5, size=10, side="BUY", expiration=NOW + 30), CreateOrderOptions("0.01", False)
    )
    assert _refusal(request_for(soon, "GTD")) == "invalid expiration"


# ---- L1 / L2 ----------------------------------------------------------------------------------------


def test_l1_headers_from_the_client_verify_and_tampering_fails():
    signer = Signer(KEY, 137)
    headers = create_level_1_headers(signer, nonce=3, timestamp=NOW)
    assert auth.verify_l1(Headers(headers), NOW) == (signer.address(), 3)
    for change in ({"POLY_NONCE": "4"}, {"POLY_ADDRESS": Account.from_key(OTHER_KEY).address}, {"POLY_SIGNATURE": "0x1234"}):
        with pytest.raises(VenueError) as caught:
            auth.verify_l1(Headers({**headers, **change}), NOW)
        assert (caught.value.status, caught.value.message) == (401, "Invalid L1 Request headers")
    with pytest.raises(VenueError):
        auth.verify_l1(Headers(headers), NOW + 301)  # stale


def test_clob_auth_digest_matches_encode_typed_data():
    from eth_account.messages import encode_typed_data
    from eth_utils import keccak

    address = Account.from_key(KEY).address
    typed = {
        "primaryType": "ClobAuth",
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}, {"name": "chainId", "type": "uint256"}],
            "ClobAuth": [{"name": "address", "type": "address"}, {"name": "timestamp", "type": "string"},
                         {"name": "nonce", "type": "uint256"}, {"name": "message", "type": "string"}],
        },
        "domain": {"name": "ClobAuthDomain", "version": "1", "chainId": 137},
        "message": {"address": address, "timestamp": str(NOW), "nonce": 7, "message": auth.CLOB_AUTH_MESSAGE},
    }
    signable = encode_typed_data(full_message=typed)
    assert auth.clob_auth_digest(address, str(NOW), 7) == keccak(b"\x19" + signable.version + signable.header + signable.body)


def test_keys_are_deterministic_per_address_and_nonce():
    address = Account.from_key(KEY).address
    store, again = auth.ApiKeyStore(seed=5), auth.ApiKeyStore(seed=5)
    key = store.create(address, 0)
    assert again.create(address, 0) == key
    assert store.derive(address, 0) == key and store.create(address, 1) != key
    with pytest.raises(VenueError, match="Could not create api key"):
        store.create(address, 0)
    with pytest.raises(VenueError, match="Could not derive api key!"):
        store.derive(address, 2)
    assert len(key.secret) == 44 and len(key.passphrase) == 64
    assert key.secret not in repr(key) and key.passphrase not in repr(key)


def test_l2_headers_from_the_client_verify_repeat_and_reject_tampering():
    store = auth.ApiKeyStore()
    signer = Signer(KEY, 137)
    key = store.create(signer.address(), 0)
    creds = ApiCreds(key.api_key, key.secret, key.passphrase)
    body = '{"orderID":"0xab\'c"}'
    headers = create_level_2_headers(signer, creds, RequestArgs("DELETE", "/order", serialized_body=body), timestamp=NOW)

    for _ in range(2):  # paged reads reuse one set of headers
        assert auth.verify_l2(store, Headers(headers), "DELETE", "/order", body.encode(), NOW) == key
    bad = [
        (headers, "DELETE", "/order", b'{"orderID":"0xabd"}', NOW),
        (headers, "DELETE", "/orders", body.encode(), NOW),
        ({**headers, "POLY_PASSPHRASE": "x" * 64}, "DELETE", "/order", body.encode(), NOW),
        ({**headers, "POLY_API_KEY": "00000000-0000-4000-8000-000000000000"}, "DELETE", "/order", body.encode(), NOW),
        ({**headers, "POLY_ADDRESS": Account.from_key(OTHER_KEY).address}, "DELETE", "/order", body.encode(), NOW),
        (headers, "DELETE", "/order", body.encode(), NOW + 400),
    ]
    for hdrs, method, path, raw, now in bad:
        with pytest.raises(VenueError) as caught:
            auth.verify_l2(store, Headers(hdrs), method, path, raw, now)
        assert (caught.value.status, caught.value.message) == (401, "Unauthorized/Invalid api key")


def test_market_order_limit_never_worse_than_the_signed_amounts():
    raw = order_to_json_v2(signed_market(5, 0.5), "key-1", "FOK")
    raw["order"]["makerAmount"], raw["order"]["takerAmount"] = "5550000", "9998200"  # pays 0.5551 a share
    assert orders.check_amounts(orders.parse_order_request(raw).order, "0x1", "FOK", market()).price == Decimal("0.55")
    sell = order_to_json_v2(signed_market(10, 0.5, side="SELL"), "key-1", "FAK")
    sell["order"]["makerAmount"], sell["order"]["takerAmount"] = "10000000", "5444900"  # gets 0.54449 a share
    assert orders.check_amounts(orders.parse_order_request(sell).order, "0x1", "FAK", market()).price == Decimal("0.55")
