"""Every sizing rule and clamp with hand-computed figures, and the exact Decimal order amounts."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from lt_pipeline.strategy.evaluate import accepted_order, evaluate
from lt_pipeline.strategy.sizing import exact_shares, shares_for
from lt_pipeline_tests.strategy.factories import ALICE, ALICE_STATS, CAROL, decide, stats_frame, trade, trades_frame, wallet


def size(trade_row: dict, sizing: dict, bankroll: Decimal | None = None, stats_row=ALICE_STATS) -> Decimal | str:
    decision = decide(trade_row, wallet(sizing=sizing), stats_row=stats_row, bankroll=bankroll)
    return decision.size_usd if decision.accepted else decision.reason


def test_fixed_usd_bets_the_set_amount():
    assert size(trade(), {"method": "fixed_usd", "bet_size_usd": 10}) == Decimal("10.00")


def test_bankroll_pct_is_a_percent_of_the_current_bankroll():
    sizing = {"method": "bankroll_pct", "bankroll_pct": 2.5}
    assert size(trade(), sizing, bankroll=Decimal("1234.56")) == Decimal("30.86")  # 30.864
    assert size(trade(), sizing) == Decimal("25.00")  # no bankroll given: starting balance 1000


def test_kelly_stakes_the_fraction_of_the_edge_over_the_price():
    # 1000 * 0.25 * (0.6 - 0.5) / (1 - 0.5) = 50
    assert size(trade(), {"method": "kelly", "kelly_fraction": 0.25}) == Decimal("50.00")
    # 1000 * 0.5 * (0.6 - 0.53) / 0.47 = 74.468...
    assert size(trade(price=0.53), {"method": "kelly", "kelly_fraction": 0.5}) == Decimal("74.47")


@pytest.mark.parametrize("price", [0.6, 0.65, 0.99])
def test_kelly_bets_nothing_without_an_edge(price):
    assert size(trade(price=price), {"method": "kelly", "kelly_fraction": 0.5}) == "no_edge"


def test_kelly_bets_nothing_on_an_unknown_trader():
    unknown = trade(trader_address=CAROL)
    assert size(unknown, {"method": "kelly", "kelly_fraction": 0.5}, stats_row=None) == "no_edge"


def test_conviction_scales_the_bet_up_to_the_cap():
    sizing = {"method": "conviction", "bet_size_usd": 5, "conviction_cap": 3}
    assert size(trade(), sizing) == Decimal("10.00")  # conviction 20 / 10 = 2
    assert size(trade(notional_usd=50.0), sizing) == Decimal("15.00")  # conviction 5, capped at 3
    assert size(trade(notional_usd=5.0), sizing) == Decimal("2.50")  # conviction 0.5
    assert size(trade(trader_address=CAROL), sizing, stats_row=None) == "no_conviction"


def test_max_bet_clamps_and_min_bet_refuses():
    assert size(trade(), {"method": "fixed_usd", "bet_size_usd": 10, "max_bet_usd": 7.5}) == Decimal("7.50")
    assert size(trade(), {"method": "kelly", "kelly_fraction": 0.25, "max_bet_usd": 40}) == Decimal("40.00")
    assert size(trade(), {"method": "fixed_usd", "bet_size_usd": 10, "min_bet_usd": 12}) == "below_minimum_bet"
    # 1000 * 0.1 * (0.6 - 0.59) / 0.41 = 2.44, under a 5 USD minimum
    sizing = {"method": "kelly", "kelly_fraction": 0.1, "min_bet_usd": 5}
    assert size(trade(price=0.59), sizing) == "below_minimum_bet"
    assert size(trade(price=0.59), dict(sizing, min_bet_usd=2.44)) == Decimal("2.44")


def test_a_bet_never_exceeds_the_bankroll():
    assert size(trade(), {"method": "fixed_usd", "bet_size_usd": 50}, bankroll=Decimal("30")) == Decimal("30.00")
    assert size(trade(), {"method": "fixed_usd", "bet_size_usd": 50}, bankroll=Decimal("0")) == "below_minimum_bet"
    sizing = {"method": "fixed_usd", "bet_size_usd": 50, "min_bet_usd": 0}
    assert size(trade(), sizing, bankroll=Decimal("-5")) == "below_minimum_bet"


def test_a_bet_rounding_to_zero_cents_is_not_placed_even_with_no_minimum():
    sizing = {"method": "bankroll_pct", "bankroll_pct": 0.1, "min_bet_usd": 0}
    assert size(trade(), sizing, bankroll=Decimal("4")) == "below_minimum_bet"  # 0.004 USD


def test_accepted_rows_become_exact_decimal_orders():
    trades = trades_frame([trade(source_trade_id="t-1", price=0.3, notional_usd=12.0),
                           trade(source_trade_id="t-2", price=0.7, notional_usd=28.0)])
    result = evaluate(trades, [wallet(sizing={"method": "fixed_usd", "bet_size_usd": 10})],
                      stats_frame({ALICE: ALICE_STATS}), {})
    orders = [accepted_order(row) for row in result.accepted.itertuples(index=False)]
    assert [(o.source_trade_id, o.signal_price, o.size_usd, o.shares) for o in orders] == [
        ("t-1", Decimal("0.3"), Decimal("10.00"), Decimal("33.33")),
        ("t-2", Decimal("0.7"), Decimal("10.00"), Decimal("14.28")),  # 14.2857 rounded down
    ]
    assert orders[0].conviction == Decimal("1.2") and orders[0].trader_win_rate == Decimal("0.6")
    assert accepted_order(result.accepted.iloc[1]) == orders[1]
    assert list(result.accepted["shares"]) == [33.33, 14.28]


def test_float_shares_match_the_exact_decimal_shares():
    rng = np.random.default_rng(3)
    prices = np.round(rng.uniform(0.001, 1.0, 5000), 3)
    sizes = np.round(rng.uniform(0.01, 500, 5000), 2)
    floats = shares_for(sizes, prices)
    for size_usd, price, share_count in zip(sizes, prices, floats):
        exact = exact_shares(Decimal(repr(float(size_usd))), Decimal(repr(float(price))))
        assert Decimal(repr(float(share_count))) == exact, (size_usd, price)


def test_bankrolls_are_per_wallet():
    wallets = [wallet("FT_A", sizing={"method": "bankroll_pct", "bankroll_pct": 10}),
               wallet("FT_B", sizing={"method": "bankroll_pct", "bankroll_pct": 10})]
    result = evaluate(trades_frame([trade()]), wallets, stats_frame({ALICE: ALICE_STATS}), {"FT_A": Decimal("50")})
    by_wallet = dict(zip(result.accepted["wallet_id"].astype(str), result.accepted["size_usd"]))
    assert by_wallet == {"FT_A": 5.0, "FT_B": 100.0}
    assert isinstance(result.accepted, pd.DataFrame)
