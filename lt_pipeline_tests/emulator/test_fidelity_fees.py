"""Fees as the real venue charges them, driven through the real py-clob-client-v2 over loopback:
takers pay C x rate x (p(1-p))^exponent in pUSD on top of a BUY or out of a SELL, makers pay nothing,
the rate follows the market's category, and the venue shows it where Polymarket does (/fee-rate,
CLOB market `taker_base_fee`/`maker_base_fee`/`tags`, /clob-markets `fd`, trades' `fee_rate_bps`)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from py_clob_client_v2.clob_types import (
    AssetType,
    BalanceAllowanceParams,
    OrderArgsV2,
    OrderType,
)
from py_clob_client_v2.exceptions import PolyApiException

from lt_pipeline.emulator.fees import taker_fee
from lt_pipeline.emulator.scenario import MarketSpec, Scenario
from lt_pipeline.emulator.types import Market

from .fixtures import EmulatorHandle, make_trader_client, start_emulator, trader_address

D = Decimal
DAY_MINUTES = 24 * 60

# One market per fee case; no simulated traders and the simulation paused, so only the tests trade.
FEE_SCENARIO = Scenario(
    markets=(
        MarketSpec(question="Will Bitcoin be above $120,000 on June 30?", end_in_minutes=7 * DAY_MINUTES,
                   category="crypto", outcome="No", depth=100),
        MarketSpec(question="Falcons vs. Wolves", end_in_minutes=DAY_MINUTES, category="sports",
                   outcomes=("Falcons", "Wolves"), outcome="Falcons", depth=100),
        MarketSpec(question="Will the ceasefire hold through June?", end_in_minutes=7 * DAY_MINUTES,
                   category="geopolitics", tags=("Politics", "World"), outcome="Yes", depth=100),
    ),
    random_markets=0,
    random_traders=0,
)


def start_fee_world(**venue_kwargs) -> EmulatorHandle:
    handle = start_emulator(scenario=FEE_SCENARIO, paused=True, **venue_kwargs)
    for market in handle.venue.markets():
        pin_book(handle, market.tokens[0].token_id)
    return handle


@pytest.fixture
def world() -> Iterator[EmulatorHandle]:
    handle = start_fee_world()
    try:
        yield handle
    finally:
        handle.stop(wait=False)


def pin_book(emulator: EmulatorHandle, token_id: str) -> None:
    """Known simulated liquidity: bids 0.48 x 100, 0.49 x 50; asks 0.52 x 30, 0.53 x 100."""
    emulator.admin("book", token_id=token_id, bids=[["0.48", "100"], ["0.49", "50"]], asks=[["0.52", "30"], ["0.53", "100"]])


def market_of(emulator: EmulatorHandle, category: str) -> Market:
    return next(m for m in emulator.venue.markets() if m.category == category)


def collateral(client) -> Decimal:
    answer = client.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.COLLATERAL))
    return Decimal(answer["balance"]) / Decimal(10**6)


def shares(client, token: str) -> Decimal:
    answer = client.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.CONDITIONAL, token_id=token))
    return Decimal(answer["balance"]) / Decimal(10**6)


def api_error(excinfo) -> tuple[int, str]:
    exc = excinfo.value
    message = exc.error_msg["error"] if isinstance(exc.error_msg, dict) else exc.error_msg
    return exc.status_code, message


def buy(client, token: str, price: float, size: float, order_type=OrderType.FOK) -> dict:
    return client.post_order(client.create_order(OrderArgsV2(token_id=token, price=price, size=size, side="BUY")), order_type)


def sell(client, token: str, price: float, size: float, order_type=OrderType.FOK) -> dict:
    return client.post_order(client.create_order(OrderArgsV2(token_id=token, price=price, size=size, side="SELL")), order_type)


# ---- the fee schedule on the wire -----------------------------------------------------------------


def test_market_attributes_carry_the_schedule_by_category(world):
    crypto, sports, geo = (market_of(world, c) for c in ("crypto", "sports", "geopolitics"))
    assert (crypto.fees_enabled, crypto.fee_rate, crypto.fee_exponent, crypto.tags) == (True, D("0.072"), D("1"), ("crypto",))
    assert (sports.fees_enabled, sports.fee_rate, sports.fee_exponent, sports.tags) == (True, D("0.03"), D("1"), ("sports",))
    assert (geo.fees_enabled, geo.fee_rate) == (False, D("0"))
    assert geo.tags == ("geopolitics", "Politics", "World") and geo.category == geo.tags[0]
    assert (crypto.fee_rate_bps, sports.fee_rate_bps, geo.fee_rate_bps) == (720, 300, 0)


def test_fee_rate_clob_market_and_clob_market_info_show_the_taker_rate(world):
    client = make_trader_client(world, 21)
    expected = {"crypto": (720, 0.072), "sports": (300, 0.03), "geopolitics": (0, 0)}
    for category, (bps, rate) in expected.items():
        market = market_of(world, category)
        token = market.tokens[0].token_id
        assert httpx.get(f"{world.url}/fee-rate", params={"token_id": token}).json() == {"base_fee": bps}
        assert client.get_fee_rate_bps(token) == bps
        clob_market = client.get_market(market.condition_id)
        assert (clob_market["maker_base_fee"], clob_market["taker_base_fee"]) == (0, bps)
        assert clob_market["tags"] == list(market.tags) and clob_market["tags"][0] == category
        info = client.get_clob_market_info(market.condition_id)
        assert info["fd"] == {"r": rate, "e": 1, "to": True}
        assert (info["mbf"], info["tbf"]) == (0, bps)
        assert client.get_fee_exponent(token) == 1
    listed = {m["condition_id"]: m for m in client.get_markets()["data"]}
    assert listed[market_of(world, "crypto").condition_id]["taker_base_fee"] == 720


# ---- takers pay, makers do not --------------------------------------------------------------------


def test_taker_buy_pays_its_amount_plus_the_fee(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    client = make_trader_client(world, 22)

    placed = buy(client, token, 0.52, 10)

    assert placed["status"] == "matched" and (placed["makingAmount"], placed["takingAmount"]) == ("5.2", "10")
    fee = D("0.17971")  # 10 x 0.072 x 0.52 x 0.48 = 0.179712, floored to 5 dp
    assert taker_fee(D("10"), D("0.52"), D("0.072")) == fee
    assert collateral(client) == D("1000") - D("5.2") - fee == D("994.62029")
    assert shares(client, token) == D("10")
    [trade] = client.get_trades()
    assert (trade["trader_side"], trade["side"], trade["price"], trade["size"]) == ("TAKER", "BUY", "0.52", "10")
    assert trade["fee_rate_bps"] == "720" and [m["fee_rate_bps"] for m in trade["maker_orders"]] == ["0"]


def test_taker_sell_receives_its_proceeds_less_the_fee(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    client = make_trader_client(world, 23)
    world.admin("fund", address=trader_address(23), amount="10", token_id=token)

    placed = sell(client, token, 0.49, 10)

    assert placed["status"] == "matched" and (placed["makingAmount"], placed["takingAmount"]) == ("10", "4.9")
    fee = D("0.17992")  # 10 x 0.072 x 0.49 x 0.51 = 0.179928, floored to 5 dp
    assert collateral(client) == D("1000") + D("4.9") - fee == D("1004.72008")
    assert shares(client, token) == D("0")
    [trade] = client.get_trades()
    assert (trade["side"], trade["fee_rate_bps"], trade["maker_orders"][0]["fee_rate_bps"]) == ("SELL", "720", "0")


def test_a_maker_fill_pays_no_fee_and_its_leg_shows_a_zero_rate(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    maker, taker = make_trader_client(world, 24), make_trader_client(world, 25)
    resting = maker.create_and_post_order(OrderArgsV2(token_id=token, price=0.50, size=20, side="BUY"))
    assert resting["status"] == "live" and collateral(maker) == D("990")  # no fee held for a resting order
    world.admin("fund", address=trader_address(25), amount="20", token_id=token)

    taken = taker.create_and_post_order(OrderArgsV2(token_id=token, price=0.50, size=20, side="SELL"))

    assert taken["status"] == "matched" and taken["takingAmount"] == "10"
    assert collateral(maker) == D("990") and shares(maker, token) == D("20")  # paid 10, no fee
    assert collateral(taker) == D("1000") + D("10") - D("0.36")  # 20 x 0.072 x 0.5 x 0.5
    [seen_by_maker] = maker.get_trades()
    assert seen_by_maker["trader_side"] == "MAKER" and seen_by_maker["fee_rate_bps"] == "720"  # the taker's rate
    [mine] = seen_by_maker["maker_orders"]
    assert (mine["order_id"], mine["fee_rate_bps"], mine["matched_amount"]) == (resting["orderID"], "0", "20")


def test_a_fee_free_category_charges_nothing(world):
    market = market_of(world, "geopolitics")
    token = market.tokens[0].token_id
    client = make_trader_client(world, 26)

    buy(client, token, 0.52, 10)

    assert collateral(client) == D("994.8")
    [trade] = client.get_trades()
    assert trade["fee_rate_bps"] == "0" and trade["maker_orders"][0]["fee_rate_bps"] == "0"


def test_another_exponent_set_by_admin_bends_the_curve(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    answer = world.admin("fee-schedule", condition_id=market.condition_id, exponent=2)
    assert answer == {"condition_id": market.condition_id, "category": "crypto", "enabled": True, "rate": "0.072",
                      "exponent": "2", "taker_base_fee": 720}
    client = make_trader_client(world, 27)
    assert client.get_clob_market_info(market.condition_id)["fd"] == {"r": 0.072, "e": 2, "to": True}
    assert client.get_fee_exponent(token) == 2

    buy(client, token, 0.52, 10)

    fee = D("0.04485")  # 10 x 0.072 x (0.52 x 0.48)^2 = 0.0448561152, floored to 5 dp
    assert collateral(client) == D("1000") - D("5.2") - fee


def test_admin_sets_rates_and_turns_fees_off_and_on(world):
    market = market_of(world, "sports")
    token = market.tokens[0].token_id
    world.admin("fee-schedule", condition_id=market.condition_id, rate="0.05")
    assert httpx.get(f"{world.url}/fee-rate", params={"token_id": token}).json() == {"base_fee": 500}
    off = world.admin("fee-schedule", condition_id=market.condition_id, enabled=False)
    assert (off["enabled"], off["rate"], off["taker_base_fee"]) == (False, "0.05", 0)
    client = make_trader_client(world, 28)
    buy(client, token, 0.52, 10)
    assert collateral(client) == D("994.8") and client.get_trades()[0]["fee_rate_bps"] == "0"

    world.admin("fee-schedule", condition_id=market.condition_id, enabled=True)
    buy(client, token, 0.52, 10)
    assert collateral(client) == D("994.8") - D("5.2") - D("0.1248")  # 10 x 0.05 x 0.52 x 0.48
    for bad, text in (({"rate": "1.5"}, "rate: expected a fee rate"), ({"rate": "0.00005"}, "whole basis points"),
                      ({"exponent": 0}, "exponent: expected a whole-number exponent"),
                      ({"exponent": "1.5"}, "whole-number exponent"), ({"enabled": "yes"}, "enabled:")):
        response = httpx.post(f"{world.url}/admin/fee-schedule", json={"condition_id": market.condition_id, **bad})
        assert response.status_code == 400 and text in response.json()["error"]
    missing = httpx.post(f"{world.url}/admin/fee-schedule", json={"condition_id": "0x" + "00" * 32, "rate": "0.01"})
    assert missing.status_code == 404


# ---- the balance a BUY needs ----------------------------------------------------------------------


def test_a_buy_needs_collateral_for_its_amount_plus_its_taker_fee():
    handle = start_fee_world(faucet=D("5.37"))
    try:
        crypto, geo = market_of(handle, "crypto"), market_of(handle, "geopolitics")
        client = make_trader_client(handle, 29)
        with pytest.raises(PolyApiException) as refused:
            buy(client, crypto.tokens[0].token_id, 0.52, 10)  # 5.2 + 0.17971 > 5.37
        assert api_error(refused) == (400, "not enough balance / allowance")
        assert collateral(client) == D("5.37") and client.get_trades() == []

        resting = client.create_and_post_order(OrderArgsV2(token_id=crypto.tokens[0].token_id, price=0.50, size=10,
                                                           side="BUY"))
        assert resting["status"] == "live"  # a resting order can never be a taker: it needs no fee
        client.cancel_all()

        handle.admin("fund", address=trader_address(29), amount="0.00971")
        assert buy(client, crypto.tokens[0].token_id, 0.52, 10)["status"] == "matched"  # exactly enough
        assert collateral(client) == D("0")

        handle.admin("fund", address=trader_address(29), amount="5.2")
        assert buy(client, geo.tokens[0].token_id, 0.52, 10)["status"] == "matched"  # fee-free: the amount is enough
        assert collateral(client) == D("0")
    finally:
        handle.stop(wait=False)


def test_a_failed_trade_gives_the_taker_its_fee_back(world):
    market = market_of(world, "crypto")
    token = market.tokens[0].token_id
    client = make_trader_client(world, 30)
    placed = buy(client, token, 0.52, 10)
    world.admin("fail-trade", trade_id=placed["tradeIDs"][0])
    world.admin("advance", seconds=60)
    assert client.get_trades()[0]["status"] == "FAILED"
    assert collateral(client) == D("1000") and shares(client, token) == D("0")


def test_a_scenario_sets_tags_and_a_markets_own_fee_schedule():
    from lt_pipeline.clock import SimulatedClock
    from lt_pipeline.emulator.scenario import ScenarioError
    from lt_pipeline.emulator.venue import Venue

    from .fixtures import EMULATOR_START

    scenario = Scenario.from_dict({"markets": [
        {"question": "BTC Up or Down in 15 minutes?", "end_in_minutes": 15, "category": "crypto",
         "tags": ["Crypto", "Up or Down"], "fee_rate": "0.25", "fee_exponent": 2},
        {"question": "Will it rain in London?", "end_in_minutes": 90, "category": "weather", "fees_enabled": False},
        {"question": "Will anything happen?", "end_in_minutes": 90, "category": "other"},
    ], "random_traders": 0})
    short, rain, other = Venue(SimulatedClock(EMULATOR_START), scenario=scenario, paused=True).markets()
    assert (short.fees_enabled, short.fee_rate, short.fee_exponent) == (True, D("0.25"), D("2"))
    assert short.tags == ("crypto", "Crypto", "Up or Down")
    assert (rain.fees_enabled, rain.fee_rate, rain.fee_rate_bps) == (False, D("0.05"), 0)
    assert (other.fees_enabled, other.fee_rate) == (True, D("0.05"))  # an unlisted category: 0.05
    for bad in ({"fee_rate": "2"}, {"fee_exponent": "0.5"}, {"fees_enabled": "no"}, {"tags": "Crypto"}):
        with pytest.raises(ScenarioError):
            Scenario.from_dict({"markets": [{"question": "Q?", "end_in_minutes": 5, **bad}]})


def test_a_market_buy_of_the_whole_balance_needs_the_clients_fee_aware_sizing():
    """A $100 market BUY from a $100 wallet leaves nothing for the fee and is refused; py-clob-client-v2
    shrinks it to fit amount + fee when given `user_usdc_balance` (from the `fd` the venue publishes),
    and the venue accepts that and charges exactly amount + fee."""
    from py_clob_client_v2.clob_types import MarketOrderArgsV2

    handle = start_fee_world(faucet=D("100"))
    try:
        market = market_of(handle, "crypto")
        token = market.tokens[0].token_id
        handle.admin("book", token_id=token, bids=[["0.48", "100"]], asks=[["0.52", "1000"]])
        client = make_trader_client(handle, 40)
        with pytest.raises(PolyApiException) as refused:
            client.create_and_post_market_order(MarketOrderArgsV2(token_id=token, amount=100, side="BUY"))
        assert api_error(refused) == (400, "not enough balance / allowance")

        placed = client.create_and_post_market_order(
            MarketOrderArgsV2(token_id=token, amount=100, side="BUY", user_usdc_balance=100))
        assert placed["status"] == "matched"
        spent, got = D(placed["makingAmount"]), D(placed["takingAmount"])
        fee = taker_fee(got, D("0.52"), D("0.072"))
        # the client sizes the fee on the unshrunk $100 (3.456), so a little is left over
        assert collateral(client) == D("100") - spent - fee and D("0") <= collateral(client) < D("0.2")
    finally:
        handle.stop(wait=False)
