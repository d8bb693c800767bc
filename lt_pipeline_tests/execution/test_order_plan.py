"""Order planning: prices on the tick grid within tolerance, sizes the venue accepts, and amounts equal
to what py-clob-client-v2's own order builder signs."""

import random
from decimal import Decimal as D

import pytest
from py_clob_client_v2.clob_types import CreateOrderOptions, MarketOrderArgs, OrderArgs
from py_clob_client_v2.order_builder import ROUNDING_CONFIG, OrderBuilder
from py_clob_client_v2.signer import Signer

from lt_pipeline.model.trading import SkipReason
from lt_pipeline.execution.book_walk import estimate_fill
from lt_pipeline.execution.order_plan import TICK_RULES, OrderDenial, OrderPlan, plan_order, tick_rules

THROWAWAY_KEY = "0x" + "01" * 32  # a test key that never holds funds


def plan(**overrides):
    args = dict(side="BUY", order_type="GTC", signal_price=D("0.50"), size_usd=D(20), tick_size=D("0.01"),
                min_order_size=D(5), tolerance_pct=D(3), estimate=None)
    args.update(overrides)
    return plan_order(**args)


def test_gtc_buy_limit_is_rounded_down_so_it_never_pays_more_than_the_tolerance():
    # 0.50 * 1.03 = 0.515 -> 0.51 on the 0.01 grid; $20 / 0.51 = 39.2156.. -> 39.21 shares
    result = plan()
    assert isinstance(result, OrderPlan)
    assert (result.price, result.size, result.amount) == (D("0.51"), D("39.21"), None)
    assert result.maker_amount == D("19.9971")  # 39.21 x 0.51 USD given
    assert result.taker_amount == D("39.21")  # shares wanted
    assert result.intended_shares == D("39.21")
    assert result.client_kwargs() == {"price": D("0.51"), "size": D("39.21"), "side": "BUY"}
    assert result.tick_size == "0.01"


def test_gtc_sell_floor_is_rounded_up_and_sells_the_signal_sized_shares():
    # 0.50 * 0.97 = 0.485 -> 0.49; $20 at the signal price 0.50 is 40 shares
    result = plan(side="SELL")
    assert (result.price, result.size) == (D("0.49"), D(40))
    assert (result.maker_amount, result.taker_amount) == (D(40), D("19.60"))


def test_price_is_capped_inside_the_grid():
    assert plan(signal_price=D("0.99")).price == D("0.99")  # 1.0197 -> capped at 1 - tick
    assert plan(side="SELL", signal_price=D("0.01"), size_usd=D(1)).price == D("0.01")  # 0.0097 -> capped at tick


@pytest.mark.parametrize(
    "overrides",
    [
        # BUY at 0.0004 with 3 %: nothing on the 0.001 grid is both >= tick and <= 0.000412
        dict(signal_price=D("0.0004"), tick_size=D("0.001")),
        # SELL at 0.9995 with 0 %: the floor rounds up to 1.000, above 1 - tick
        dict(side="SELL", signal_price=D("0.9995"), tick_size=D("0.001"), tolerance_pct=D(0)),
    ],
)
def test_no_price_within_tolerance_is_a_local_denial(overrides):
    result = plan(**overrides)
    assert isinstance(result, OrderDenial) and result.reason == SkipReason.PRICE_OUT_OF_RANGE


def test_below_the_market_minimum_is_refused_locally():
    # $2 / 0.51 = 3.92 shares < 5
    result = plan(size_usd=D(2))
    assert result == OrderDenial(
        SkipReason.BELOW_VENUE_MIN_SIZE, "$2 makes 3.92 shares at 0.51, below the market's minimum of 5 shares"
    )
    assert result.reason.value == "below_venue_min_size"
    assert plan(side="SELL", size_usd=D(0), min_order_size=D(0)).detail == "$0 makes 0 shares at 0.49, nothing to place"


def test_market_buy_spends_dollars_as_the_client_wants():
    # the venue API's worked example: market BUY $25 @ 0.55 -> maker 25, taker 45.4545
    result = plan(order_type="FOK", signal_price=D("0.55"), size_usd=D("25.009"), tolerance_pct=D(0))
    assert (result.price, result.amount, result.size) == (D("0.55"), D("25.00"), None)
    assert (result.maker_amount, result.taker_amount) == (D("25.00"), D("45.4545"))
    assert result.intended_shares == D("45.454545")  # what $25 buys at the signal price
    assert result.client_kwargs() == {"amount": D("25.00"), "side": "BUY", "price": D("0.55"), "order_type": "FOK"}


def test_market_buy_at_a_fine_tick_keeps_the_taker_amount_within_four_decimals():
    # the venue API: market BUY $9.98 @ 0.985 at tick 0.001 makes taker 10.13197 (5 dp), which the venue
    # rejects. Amounts that divide by 0.985 come in steps of $1.97; 9.85 / 0.985 = 10 exactly.
    result = plan(order_type="FAK", signal_price=D("0.985"), size_usd=D("9.98"), tick_size=D("0.001"),
                  tolerance_pct=D(0))
    assert (result.price, result.maker_amount, result.taker_amount) == (D("0.985"), D("9.85"), D(10))


def test_market_buy_steps_the_price_down_only_when_no_amount_divides_within_the_budget():
    # at 0.997 the step is $9.97, more than the $5 budget; at 0.996 it is $2.49: $4.98 buys 5 shares
    result = plan(order_type="FOK", signal_price=D("0.997"), size_usd=D(5), tick_size=D("0.001"), tolerance_pct=D(0))
    assert (result.price, result.maker_amount, result.taker_amount) == (D("0.996"), D("4.98"), D(5))


def test_market_sell_at_a_fine_tick_sells_a_size_whose_proceeds_have_four_decimals():
    # $20 / 0.503 = 39.76 shares; x 0.503 needs 5 dp unless the shares are a multiple of 0.1 -> 39.7
    result = plan(side="SELL", order_type="FOK", signal_price=D("0.503"), tick_size=D("0.001"), tolerance_pct=D(0))
    assert (result.amount, result.maker_amount, result.taker_amount) == (D("39.7"), D("39.7"), D("19.9691"))


def test_estimate_over_tolerance_is_denied_before_sending():
    asks = [(D("0.50"), D(10)), (D("0.60"), D(100))]
    estimate = estimate_fill(asks, "BUY", usd=D(20))  # $5 at 0.50, $15 at 0.60 -> average 0.5714
    result = plan(estimate=estimate)
    assert result.reason == SkipReason.SLIPPAGE_OVER_TOLERANCE
    assert "estimated average price 0.571429 is beyond 3% of the signal price 0.50" in result.detail


def test_an_empty_book_is_no_liquidity():
    assert plan(estimate=estimate_fill([], "BUY", usd=D(20))).reason == SkipReason.NO_LIQUIDITY


def test_fok_needs_the_whole_size_at_or_better_than_its_worst_price_but_fak_does_not():
    asks = [(D("0.50"), D(20))]  # only $10 of depth
    estimate = estimate_fill(asks, "BUY", usd=D(20))
    assert plan(order_type="FOK", estimate=estimate).reason == SkipReason.INSUFFICIENT_DEPTH
    assert isinstance(plan(order_type="FAK", estimate=estimate), OrderPlan)
    deep_but_beyond = estimate_fill([(D("0.50"), D(10)), (D("0.52"), D(100))], "BUY", usd=D(20))
    # the average (0.5148) is within 3 %, but 0.52 is beyond the 0.51 worst price: a FOK would be killed
    assert plan(order_type="FOK", estimate=deep_but_beyond).reason == SkipReason.INSUFFICIENT_DEPTH


def test_bad_inputs_name_the_field():
    with pytest.raises(ValueError, match="tick_size: expected one of 0.1, 0.01, 0.005, 0.0025, 0.001, 0.0001, got 0.02"):
        plan(tick_size="0.02")
    with pytest.raises(ValueError, match="signal_price: expected a price strictly between 0 and 1, got 1"):
        plan(signal_price=D(1))
    with pytest.raises(ValueError, match="order_type: expected one of GTC, FOK, FAK, got 'GTD'"):
        plan(order_type="GTD")


def test_tick_rules_match_the_client():
    assert {rules.label: (rules.price_dp, 2, rules.amount_dp) for rules in TICK_RULES.values()} == {
        label: (config.price, config.size, config.amount) for label, config in ROUNDING_CONFIG.items()
    }
    assert tick_rules("0.010").label == "0.01"


def _places(value: D) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def test_amounts_equal_what_the_real_order_builder_signs_and_meet_the_venue_precision_rules():
    builder = OrderBuilder(Signer(private_key=THROWAWAY_KEY, chain_id=137))
    rng = random.Random(20261124)
    checked = 0
    for _ in range(400):
        rules = rng.choice(list(TICK_RULES.values()))
        signal = rules.tick * rng.randint(1, int(1 / rules.tick) - 1)
        side, order_type = rng.choice(["BUY", "SELL"]), rng.choice(["GTC", "FOK", "FAK"])
        result = plan_order(side=side, order_type=order_type, signal_price=signal,
                            size_usd=D(rng.randint(100, 20_000)) / 100, tick_size=rules.tick, min_order_size=D(0),
                            tolerance_pct=D(rng.choice([0, 1, 3, 10])))
        if isinstance(result, OrderDenial):
            continue
        options = CreateOrderOptions(tick_size=result.tick_size, neg_risk=False)
        if result.is_market_order:
            signed = builder.build_market_order(MarketOrderArgs(token_id="1", **result.client_kwargs()), options)
        else:
            signed = builder.build_order(OrderArgs(token_id="1", **result.client_kwargs()), options)
        maker, taker = D(signed.makerAmount) / 10**6, D(signed.takerAmount) / 10**6
        assert (maker, taker) == (result.maker_amount, result.taker_amount), result
        checked += 1

        # the venue API's precision rules, the real server enforces
        if result.is_market_order:
            assert _places(maker) <= 2 and _places(taker) <= 4, result  # market BUY and SELL
        elif side == "BUY":
            assert _places(maker) <= 2 + rules.price_dp and _places(taker) <= 2, result  # 4 dp at tick 0.01
            assert maker / taker == result.price  # implied price on the grid
        else:
            assert _places(maker) <= 2 and _places(taker) <= 2 + rules.price_dp, result
            assert taker / maker == result.price
        if side == "BUY":
            assert result.price <= signal * (1 + D("0.10"))  # never more than the tolerance
    assert checked > 350
