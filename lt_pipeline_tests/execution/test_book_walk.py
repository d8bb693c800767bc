"""Book walking: the average and worst price an order would get, level by level."""

from decimal import Decimal as D

import pytest

from lt_pipeline.execution.book_walk import best_first, estimate_fill, slippage_pct, within_tolerance

ASKS = [(D("0.50"), D("100")), (D("0.52"), D("50")), (D("0.55"), D("200"))]  # best first for a BUY
BIDS = [(D("0.48"), D("10")), (D("0.47"), D("20"))]  # best first for a SELL


def test_buying_dollars_walks_the_asks():
    # $60: 100 x 0.50 = $50, then $10 at 0.52 = 19.2307... shares
    estimate = estimate_fill(ASKS, "BUY", usd=D(60))
    assert estimate.usd == D(60)
    assert estimate.shares == D(100) + D(10) / D("0.52")
    assert estimate.avg_price == D(60) / estimate.shares
    assert estimate.worst_price == D("0.52")
    assert estimate.levels_used == 2
    assert estimate.fully_fillable


def test_buying_shares_walks_the_asks():
    # 120 shares: 100 x 0.50 + 20 x 0.52 = 60.40, average 0.50333...
    estimate = estimate_fill(ASKS, "BUY", shares=D(120))
    assert (estimate.shares, estimate.usd, estimate.worst_price) == (D(120), D("60.40"), D("0.52"))
    assert estimate.avg_price == D("60.40") / D(120)


def test_selling_walks_the_bids_and_reports_what_cannot_fill():
    # 50 shares against 30 of bids: 10 x 0.48 + 20 x 0.47 = 14.20
    estimate = estimate_fill(BIDS, "SELL", shares=D(50))
    assert (estimate.shares, estimate.usd, estimate.worst_price) == (D(30), D("14.20"), D("0.47"))
    assert not estimate.fully_fillable


def test_a_limit_price_stops_the_walk_as_the_venue_would():
    estimate = estimate_fill(ASKS, "BUY", usd=D(100), limit_price=D("0.52"))
    assert estimate.usd == D(50) + D(26)  # 0.55 is beyond the limit
    assert estimate.worst_price == D("0.52") and not estimate.fully_fillable


def test_an_empty_book_fills_nothing():
    estimate = estimate_fill([], "BUY", usd=D(10))
    assert (estimate.avg_price, estimate.worst_price, estimate.shares, estimate.levels_used) == (None, None, D(0), 0)
    assert not estimate.fully_fillable


def test_a_book_in_wire_order_is_refused_with_a_pointer_to_best_first():
    wire_asks = list(reversed(ASKS))  # the venue sends asks best LAST
    with pytest.raises(ValueError, match=r"levels: expected best level first for a BUY .* use best_first\(\)"):
        estimate_fill(wire_asks, "BUY", usd=D(60))
    assert best_first(wire_asks, "BUY") == ASKS
    assert best_first(list(reversed(BIDS)), "SELL") == BIDS


def test_exactly_one_target():
    with pytest.raises(ValueError, match="exactly one of usd or shares"):
        estimate_fill(ASKS, "BUY", usd=D(1), shares=D(1))


def test_slippage_is_the_seed_fraction():
    assert slippage_pct(D("0.515"), D("0.50")) == D("0.03")  # (0.515 - 0.50) / 0.50


def test_tolerance_is_a_percent_and_mirrors_for_sells():
    # BUY at signal 0.50 with 3 %: up to 0.515 is fine
    assert within_tolerance(D("0.515"), D("0.50"), D(3), side="BUY")
    assert not within_tolerance(D("0.5151"), D("0.50"), D(3), side="BUY")
    # SELL: down to 0.485 is fine
    assert within_tolerance(D("0.485"), D("0.50"), D(3), side="SELL")
    assert not within_tolerance(D("0.4849"), D("0.50"), D(3), side="SELL")
