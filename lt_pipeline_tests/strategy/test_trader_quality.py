"""Trader quality figures from past trades, hand-computed, and their use by the filters."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lt_pipeline.strategy.trader_quality import trader_stats
from lt_pipeline_tests.strategy.factories import ALICE, BOB, CAROL, decide, trade, wallet

HISTORY = pd.DataFrame(
    [
        # trader, side, price, size, notional, won, voided
        (ALICE, "BUY", 0.40, 10, 4.0, True, False),  # +6
        (ALICE, "BUY", 0.50, 20, 10.0, False, False),  # -10
        (ALICE.upper().replace("0X", "0x"), "BUY", 0.25, 40, 10.0, True, False),  # +30, same trader
        (ALICE, "BUY", 0.60, 10, 6.0, None, False),  # still open: not resolved
        (ALICE, "BUY", 0.50, 10, 5.0, True, True),  # voided: not a win or a loss
        (BOB, "SELL", 0.50, 10, 5.0, True, False),  # a sell is not a resolved bet
        (BOB, "BUY", 0.40, 20, 8.0, None, False),
        (CAROL, "BUY", 0.50, 4, None, False, False),  # notional missing: price * size = 2
        (None, "BUY", 0.50, 10, 5.0, True, False),  # no trader: skipped
        (BOB, "BUY", None, 10, "junk", True, False),  # unreadable notional and price: skipped
    ],
    columns=["trader_address", "side", "price", "size", "notional_usd", "won", "voided"],
)


def test_resolved_count_win_rate_roi_and_median_per_trader():
    stats = trader_stats(HISTORY)
    assert list(stats.index) == sorted([ALICE, BOB, CAROL])
    alice = stats.loc[ALICE]
    assert alice["resolved_count"] == 3
    assert alice["win_rate"] == pytest.approx(2 / 3)
    assert alice["roi"] == pytest.approx(26 / 24)  # (6 - 10 + 30) / (4 + 10 + 10)
    assert alice["median_notional"] == 6.0  # over 4, 10, 10, 6, 5: open and voided trades count here
    carol = stats.loc[CAROL]
    assert (carol["resolved_count"], carol["win_rate"], carol["roi"], carol["median_notional"]) == (1, 0, -1, 2)


def test_a_trader_without_resolved_bets_has_unknown_quality_but_a_median():
    bob = trader_stats(HISTORY).loc[BOB]
    assert bob["resolved_count"] == 0
    assert math.isnan(bob["win_rate"]) and math.isnan(bob["roi"])
    assert bob["median_notional"] == 6.5


def test_a_missing_column_is_named():
    with pytest.raises(ValueError, match="history: missing column.s. won"):
        trader_stats(HISTORY.drop(columns=["won"]))


def test_the_stats_drive_the_quality_filters():
    alice = trader_stats(HISTORY).loc[ALICE].to_dict()
    assert decide(trade(), wallet(min_trader_win_rate=0.66), stats_row=alice).accepted
    assert decide(trade(), wallet(min_trader_win_rate=0.67), stats_row=alice).reason == "low_trader_win_rate"
    # conviction: 20 USD against a median of 6 USD
    assert decide(trade(), wallet(min_conviction=3.3), stats_row=alice).accepted
    assert decide(trade(), wallet(min_conviction=3.4), stats_row=alice).reason == "low_conviction"
