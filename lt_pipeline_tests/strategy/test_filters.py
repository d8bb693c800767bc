"""Every filter with hand-computed cases, each checked through both evaluate() and explain()."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lt_pipeline.strategy.filters import FILTER_REASONS
from lt_pipeline_tests.strategy.factories import ALICE, ALICE_STATS, BOB, CAROL, T0, decide, trade, wallet


def reason(trade_row: dict, **filters: object) -> str | None:
    return decide(trade_row, wallet(**filters)).reason


def test_a_plain_buy_passes_a_wallet_without_filters():
    decision = decide(trade(), wallet())
    assert decision.accepted and decision.reason is None


def test_inactive_wallet_copies_nothing():
    assert decide(trade(), wallet(is_active=False)).reason == "wallet_inactive"


def test_sells_are_not_copied_by_default_but_are_with_side_any():
    assert reason(trade(side="SELL")) == "sell_side"
    assert reason(trade(side="sell"), side="ANY") is None


def test_only_listed_traders_are_followed_whatever_the_address_case():
    assert reason(trade(trader_address=BOB), traders=[ALICE]) == "trader_not_followed"
    assert reason(trade(trader_address=ALICE.upper().replace("0X", "0x")), traders=[ALICE]) is None
    assert reason(trade(trader_address=BOB), traders="all") is None


def test_category_allow_list_is_case_insensitive_and_empty_means_all():
    assert reason(trade(category="Politics"), categories=["Sports"]) == "category_excluded"
    assert reason(trade(category="SPORTS"), categories=["sports", "Crypto"]) is None
    assert reason(trade(category=None), categories=["Sports"]) == "category_excluded"
    assert reason(trade(category="Politics"), categories=[]) is None


@pytest.mark.parametrize(
    ("price", "expected"),
    [(0.19, "price_below_band"), (0.2, None), (0.8, None), (0.81, "price_above_band")],
)
def test_price_band_is_inclusive(price, expected):
    assert reason(trade(price=price, notional_usd=price * 40), price_min=0.2, price_max=0.8) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(59, "too_close_to_end"), (60, None), (1440, None), (1441, "too_far_from_end")],
)
def test_time_to_market_end_is_inclusive(minutes, expected):
    row = trade(end_date=T0 + timedelta(minutes=minutes))
    assert reason(row, min_minutes_to_end=60, max_minutes_to_end=1440) == expected


def test_a_market_without_end_date_fails_only_wallets_that_bound_time():
    assert reason(trade(end_date=None), min_minutes_to_end=5) == "no_end_date"
    assert reason(trade(end_date=None), max_minutes_to_end=500) == "no_end_date"
    assert reason(trade(end_date=None)) is None


def test_a_trade_after_the_market_end_is_too_close_to_it():
    assert reason(trade(end_date=T0 - timedelta(minutes=1)), min_minutes_to_end=0) == "too_close_to_end"


def test_market_liquidity_and_volume_minimums():
    assert reason(trade(liquidity=4999.99), min_market_liquidity=5000) == "low_liquidity"
    assert reason(trade(liquidity=5000.0), min_market_liquidity=5000) is None
    assert reason(trade(liquidity=None), min_market_liquidity=1) == "low_liquidity"
    assert reason(trade(liquidity=None)) is None
    assert reason(trade(volume=999.0), min_market_volume=1000) == "low_volume"
    assert reason(trade(volume=1000.0), min_market_volume=1000) is None


def test_trader_quality_minimums_are_inclusive():
    # ALICE: 40 resolved, win rate 0.6, ROI 0.1
    assert reason(trade(), min_trader_resolved_count=41) == "few_resolved_trades"
    assert reason(trade(), min_trader_resolved_count=40) is None
    assert reason(trade(), min_trader_win_rate=0.61) == "low_trader_win_rate"
    assert reason(trade(), min_trader_win_rate=0.6) is None
    assert reason(trade(), min_trader_roi=0.11) == "low_trader_roi"
    assert reason(trade(), min_trader_roi=0.1) is None
    assert reason(trade(), min_trader_roi=-0.5) is None


def test_conviction_is_notional_over_the_traders_median():
    # 20 USD against a median of 10 USD: conviction 2
    assert reason(trade(), min_conviction=2.01) == "low_conviction"
    assert reason(trade(), min_conviction=2) is None
    assert reason(trade(notional_usd=None), min_conviction=2) is None  # falls back to price * size = 20


def test_unknown_trader_fails_every_quality_minimum_that_is_set_and_passes_otherwise():
    unknown = trade(trader_address=CAROL)
    cases = {
        "few_resolved_trades": {"min_trader_resolved_count": 1},
        "low_trader_win_rate": {"min_trader_win_rate": 0},
        "low_trader_roi": {"min_trader_roi": -1},
        "low_conviction": {"min_conviction": 0},
    }
    for expected, filters in cases.items():
        decision = decide(unknown, wallet(**filters), stats_row=None)
        assert decision.reason == expected
        assert "unknown" in decision.detail or expected == "few_resolved_trades"
    assert decide(unknown, wallet(min_trader_resolved_count=0), stats_row=None).accepted


def test_the_first_failing_filter_in_the_documented_order_is_the_reason():
    everything_wrong = trade(side="SELL", trader_address=BOB, category="Politics", price=0.95, liquidity=1.0)
    strict = dict(traders=[ALICE], categories=["Sports"], price_max=0.9, min_market_liquidity=100)
    assert reason(everything_wrong, **strict) == "sell_side"
    assert reason(everything_wrong, side="ANY", **strict) == "trader_not_followed"
    assert reason(dict(everything_wrong, trader_address=ALICE), side="ANY", **strict) == "category_excluded"
    assert FILTER_REASONS.index("sell_side") < FILTER_REASONS.index("trader_not_followed")


@pytest.mark.parametrize(
    "bad",
    [
        {"price": None},
        {"price": float("nan")},
        {"price": 1.5},
        {"price": 0.0},
        {"price": -0.1},
        {"price": "junk"},
        {"side": "HOLD"},
        {"traded_at": None},
        {"notional_usd": -5.0},
        {"trader_address": None},
    ],
)
def test_a_malformed_trade_is_rejected_as_invalid_not_raised(bad):
    assert decide(trade(**bad), wallet(), stats_row=None).reason == "invalid_trade"


def test_explanations_name_the_values_compared():
    decision = decide(trade(price=0.9, notional_usd=36.0), wallet(price_max=0.8))
    assert decision.detail == "price 0.9 is above price_max 0.8"
    decision = decide(trade(), wallet(min_trader_win_rate=0.65), stats_row=ALICE_STATS)
    assert decision.detail == "the trader's win rate 0.6 is below the wallet's minimum 0.65"
