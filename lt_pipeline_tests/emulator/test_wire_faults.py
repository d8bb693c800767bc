"""Injected faults as a client meets them: refused posts leave no order, lost replies leave one,
throttling, halts, cancel-only, dropped connections and slow replies; all counted, all seeded."""

from __future__ import annotations


import httpx
import pytest
from py_clob_client_v2.clob_types import OrderArgsV2, OrderPayload
from py_clob_client_v2.exceptions import PolyApiException

from lt_pipeline.emulator.faults import PROFILES, FaultInjector, load_profile

from .fixtures import make_trader_client
from .test_wire_clob import api_error, open_market, pin_book


@pytest.fixture
def trading(emulator):
    market = open_market(emulator, neg_risk=False)
    token = market.tokens[0].token_id
    pin_book(emulator, token)
    return emulator, make_trader_client(emulator, 1), token


def order(client, token, price=0.45):
    return client.create_order(OrderArgsV2(token_id=token, price=price, size=10, side="BUY"))


def test_order_error_refuses_without_placing(trading):
    emulator, client, token = trading
    emulator.admin("faults", settings={"order_error_rate": 1.0})
    signed = order(client, token)
    with pytest.raises(PolyApiException) as refused:
        client.post_order(signed)
    assert api_error(refused) == (500, "could not insert order")
    emulator.admin("faults/clear")
    assert client.get_open_orders() == []
    assert client.post_order(signed)["status"] == "live"  # the same signed order is still new to the venue
    assert emulator.admin("counters")["faults"]["order_error"] == 1


@pytest.mark.parametrize("how", ["error", "drop"])
def test_lost_reply_places_the_order_then_loses_the_answer(trading, how):
    emulator, client, token = trading
    emulator.admin("faults", settings={"lost_reply_rate": 1.0}, seed=0 if how == "drop" else 1)
    signed = order(client, token)
    with pytest.raises(PolyApiException) as lost:
        client.post_order(signed)
    emulator.admin("faults/clear")
    if lost.value.status_code is None:
        assert lost.value.error_msg == "Request exception!"  # the connection was cut
    else:
        assert api_error(lost) == (500, "Internal server error")
    counters = emulator.admin("counters")["faults"]
    assert sum(v for k, v in counters.items() if k.startswith("lost_reply")) == 1
    placed = client.get_open_orders()
    assert len(placed) == 1  # reconciling by the order hash finds it
    with pytest.raises(PolyApiException) as duplicate:
        client.post_order(signed)
    assert api_error(duplicate)[1].endswith("is invalid. Duplicated.")


def test_both_kinds_of_lost_reply_occur_under_one_seed():
    injector = FaultInjector({"lost_reply_rate": 1.0}, seed=3)
    kinds = {injector.decide("order_post").lose_reply for _ in range(20)}
    assert kinds == {"drop", "error"}


def test_throttling_answers_429_with_retry_after(trading):
    emulator, client, token = trading
    emulator.admin("faults", settings={"throttle_rate": 1.0, "retry_after_seconds": 3})
    response = httpx.get(f"{emulator.url}/book", params={"token_id": token})
    assert response.status_code == 429 and response.json() == {"error": "Too Many Requests"}
    assert response.headers["retry-after"] == "3"
    assert httpx.get(f"{emulator.url}/admin/counters").status_code == 200  # admin is never faulted


def test_halted_refuses_orders_and_cancels_cancel_only_refuses_only_orders(trading):
    emulator, client, token = trading
    live = client.post_order(order(client, token))
    emulator.admin("faults", settings={"halted": True})
    with pytest.raises(PolyApiException) as halted:
        client.post_order(order(client, token, 0.44))
    assert api_error(halted) == (503, "Trading is currently disabled. Check polymarket.com for updates")
    with pytest.raises(PolyApiException) as halted_cancel:
        client.cancel_order(OrderPayload(orderID=live["orderID"]))
    assert halted_cancel.value.status_code == 503
    emulator.admin("faults", settings={"cancel_only": True})
    with pytest.raises(PolyApiException) as cancel_only:
        client.post_order(order(client, token, 0.43))
    assert api_error(cancel_only) == (
        503, "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."
    )
    assert client.cancel_order(OrderPayload(orderID=live["orderID"]))["canceled"] == [live["orderID"]]
    assert len(client.get_open_orders()) == 0
    assert client.get_order_book(token)["bids"][-1]["price"] == "0.49"  # reads still work


def test_dropped_connection_is_a_transport_error(trading):
    emulator, client, token = trading
    emulator.admin("faults", settings={"drop_rate": 1.0})
    with pytest.raises(PolyApiException) as dropped:
        client.get_order_book(token)
    assert dropped.value.status_code is None and dropped.value.error_msg == "Request exception!"
    emulator.admin("faults", profile="none")
    assert emulator.admin("counters")["faults"]["dropped_connection"] == 1


def test_same_seed_same_faults():
    def draws(seed):
        injector = FaultInjector("chaos", seed=seed)
        return [injector.decide(kind) for kind in ["order_post", "public", "private", "cancel"] * 50]

    assert draws(7) == draws(7) and draws(7) != draws(8)
    flaky = FaultInjector("flaky", seed=1)
    for _ in range(500):
        flaky.decide("order_post")
    counts = flaky.counters()
    assert counts["profile"] == "flaky" and 10 < counts["order_error"] < 50


def test_profiles_load_from_names_files_and_refuse_nonsense(tmp_path):
    assert load_profile("throttled") is PROFILES["throttled"]
    yaml_file = tmp_path / "mine.yaml"
    yaml_file.write_text("base: slow\nslow_seconds: 0.01\ndrop_rate: 0.1\n")
    profile = load_profile(str(yaml_file))
    assert (profile.name, profile.slow_rate, profile.slow_seconds, profile.drop_rate) == ("mine", 0.5, 0.01, 0.1)
    json_file = tmp_path / "halt.json"
    json_file.write_text('{"halted": true}')
    assert load_profile(str(json_file)).halted is True
    with pytest.raises(ValueError, match="drop_rate must be a share between 0 and 1"):
        load_profile({"drop_rate": 2})
    with pytest.raises(ValueError, match="unknown settings"):
        load_profile({"explode": 1})
    with pytest.raises(ValueError, match="expected one of none, flaky"):
        load_profile("no-such-profile")


def test_slow_replies_are_delayed_and_counted(trading):
    emulator, client, token = trading
    emulator.admin("faults", settings={"slow_rate": 1.0, "slow_seconds": 0.01})
    assert client.get_midpoint(token) == {"mid": "0.505"}
    assert emulator.admin("counters")["faults"]["slow_reply"] >= 1


def test_admin_refuses_bad_fault_settings(emulator):
    response = httpx.post(f"{emulator.url}/admin/faults", json={"settings": {"throttle_rate": "lots"}})
    assert response.status_code == 400 and "throttle_rate" in response.json()["error"]
