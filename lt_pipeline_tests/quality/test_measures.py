"""TCA measures (docs/tca.md, D1-D5), each checked on a hand-computed example."""

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from lt_pipeline.quality.measures import (
    ExecutionRecord,
    arrival_slippage,
    effective_spread,
    execution_kpis,
    fee_rate_from_bps,
    fill_rate,
    implementation_shortfall,
    latency_ms,
    latency_summary,
    live_pnl,
    markout,
    paper_pnl,
    price_impact,
    realised_spread,
    slippage_cents,
    slippage_pct,
    taker_fee,
    vwap,
)


def test_slippage_versus_signal():
    # bought at 0.52 on a 0.50 signal: (0.52 - 0.50) / 0.50 = 0.04; 2 cents a share of cost
    assert slippage_pct(D("0.52"), D("0.50")) == D("0.04")
    assert slippage_cents("BUY", D("0.52"), D("0.50")) == D(2)
    # sold at 0.48 on a 0.50 signal: the seed's figure is -0.04, the signed cost is +2 cents
    assert slippage_pct(D("0.48"), D("0.50")) == D("-0.04")
    assert slippage_cents("SELL", D("0.48"), D("0.50")) == D(2)
    with pytest.raises(ValueError, match="signal_price: expected a price above 0"):
        slippage_pct(D("0.1"), D(0))


def test_fill_rate_and_vwap():
    assert fill_rate(D(30), D(40)) == D("0.75")
    # 10 @ 0.50 + 30 @ 0.54 = 5 + 16.2 = 21.2 over 40 shares = 0.53
    assert vwap([(D("0.50"), D(10)), (D("0.54"), D(30))]) == D("0.53")
    assert vwap([]) is None
    with pytest.raises(ValueError, match="intended_shares: expected more than 0 shares"):
        fill_rate(D(1), D(0))


def test_taker_fee():
    # 100 shares at 0.40 with a 200 bps rate: 100 * 0.02 * 0.40 * 0.60 = 0.48
    assert taker_fee(D(100), D("0.40"), fee_rate_from_bps(200)) == D("0.48")
    assert taker_fee(D(100), D("0.40"), D(0)) == 0


def test_implementation_shortfall_hand_example():
    # BUY: Q = 100 intended, q = 80 filled at P_x = 0.53; P_d = 0.50, M_0 = 0.51, P_T = 1, F = 0.40
    is_ = implementation_shortfall(side="BUY", intended_shares=D(100), filled_shares=D(80), signal_price=D("0.50"),
                                   executed_price=D("0.53"), arrival_mid=D("0.51"), terminal_price=D(1),
                                   fees=D("0.40"))
    assert is_.paper_pnl == D(50)  # 100 * (1 - 0.50)
    assert is_.live_pnl == D("37.20")  # 80 * (1 - 0.53) - 0.40 = 37.60 - 0.40
    assert is_.delay == D("0.80")  # 80 * (0.51 - 0.50)
    assert is_.impact == D("1.60")  # 80 * (0.53 - 0.51)
    assert is_.opportunity == D(10)  # 20 * (1 - 0.50)
    assert is_.fees == D("0.40")
    assert is_.total == D("12.80") == is_.delay + is_.impact + is_.opportunity + is_.fees
    assert is_.pct == D("0.256")  # 12.80 / (100 * 0.50)


def test_shortfall_of_a_sell_that_lost_on_resolution():
    # SELL 50 at signal 0.70, all filled at 0.68 (mid 0.69), market resolves 0 (the sale was right)
    is_ = implementation_shortfall(side="SELL", intended_shares=D(50), filled_shares=D(50), signal_price=D("0.70"),
                                   executed_price=D("0.68"), arrival_mid=D("0.69"), terminal_price=D(0))
    assert is_.paper_pnl == D(35)  # -1 * 50 * (0 - 0.70)
    assert is_.live_pnl == D(34)  # -1 * 50 * (0 - 0.68)
    assert (is_.delay, is_.impact, is_.opportunity) == (D("0.50"), D("0.50"), D(0))  # -50*(0.69-0.70), -50*(0.68-0.69)
    assert is_.total == D(1)


def test_an_unfilled_order_is_all_opportunity_and_no_mid_books_drift_as_impact():
    unfilled = implementation_shortfall(side="BUY", intended_shares=D(10), filled_shares=D(0), signal_price=D("0.3"),
                                        executed_price=None, arrival_mid=None, terminal_price=D(1))
    assert (unfilled.delay, unfilled.impact, unfilled.opportunity, unfilled.total) == (0, 0, D(7), D(7))
    no_mid = implementation_shortfall(side="BUY", intended_shares=D(10), filled_shares=D(10), signal_price=D("0.3"),
                                      executed_price=D("0.32"), arrival_mid=None, terminal_price=D(1))
    assert (no_mid.delay, no_mid.impact) == (0, D("0.20"))
    with pytest.raises(ValueError, match="executed_price: expected the fill price of 10 filled shares, got None"):
        implementation_shortfall(side="BUY", intended_shares=D(10), filled_shares=D(10), signal_price=D("0.3"),
                                 executed_price=None, arrival_mid=None, terminal_price=D(1))


def test_decomposition_sums_exactly_to_the_shortfall_over_many_random_cases():
    rng = random.Random(1988)  # Perold
    for _ in range(2000):
        Q = D(rng.randint(0, 10**6)) / 100
        q = min(Q, D(rng.randint(0, 10**6)) / 100)
        p_x = vwap([(D(rng.randint(1, 999)) / 1000, D(rng.randint(1, 5000)) / 100) for _ in range(rng.randint(1, 4))])
        is_ = implementation_shortfall(
            side=rng.choice(["BUY", "SELL"]), intended_shares=Q, filled_shares=q,
            signal_price=D(rng.randint(1, 999)) / 1000, executed_price=p_x,
            arrival_mid=D(rng.randint(1, 1999)) / 2000, terminal_price=rng.choice([D(0), D(1), D("0.5"), D("0.4137")]),
            fees=D(rng.randint(0, 10**6)) / 10**6,
        )
        assert is_.delay + is_.impact + is_.opportunity + is_.fees == is_.total == is_.paper_pnl - is_.live_pnl


def test_pnl_helpers():
    assert paper_pnl("BUY", D(10), D("0.4"), D("0.5")) == D(1)  # voided: pays 0.5
    assert live_pnl("SELL", D(10), D("0.6"), D(1), D("0.1")) == D("-4.1")  # -10 * (1 - 0.6) - 0.1
    assert live_pnl("BUY", D(0), None, D(1), D(0)) == 0


@pytest.mark.parametrize(
    ("side", "payout", "expected"),
    [
        ("BUY", D(0), D(-10)),  # lost: exactly the $10 put in, not 33.33 x 0.3 = 9.999
        ("BUY", D(1), D("23.33")),  # won: 33.33 shares pay 1 each
        ("BUY", D("0.5"), D("6.665")),  # void: 0.5 x 33.33 - 10
        ("SELL", D(0), D(10)),  # the sold token lost: the seller keeps the $10 received
        ("SELL", D(1), D("-23.33")),  # it won: the seller pays 33.33
        ("SELL", D("0.5"), D("-6.665")),
    ],
)
def test_paper_pnl_of_a_book_order_counts_what_it_invested(side, payout, expected):
    shares = D("33.33")  # $10 / 0.3 rounded down to the cent of a share
    assert paper_pnl(side, shares, D("0.3"), payout, invested_usd=D(10)) == expected
    assert paper_pnl(side, shares, D("0.3"), payout) == expected + (1 if side == "BUY" else -1) * D("0.001")  # TCA: Q x P_d


def test_paper_pnl_default_is_tca_and_invested_is_checked():
    assert paper_pnl("SELL", D(50), D("0.70"), D(0)) == D(35) == paper_pnl("SELL", D(50), D("0.70"), D(0), invested_usd=D(35))
    with pytest.raises(ValueError, match="invested_usd"):
        paper_pnl("BUY", D(10), D("0.4"), D(1), invested_usd=D(-1))
    with pytest.raises(TypeError):
        paper_pnl("BUY", D(10), D("0.4"), D(1), D(4))  # invested_usd is keyword-only


def test_spreads_and_markouts():
    # BUY at 0.52, mid 0.50 on arrival and 0.51 a minute later
    assert arrival_slippage("BUY", D("0.52"), D("0.50")) == D("0.02")
    assert effective_spread("BUY", D("0.52"), D("0.50")) == D("0.04")
    assert realised_spread("BUY", D("0.52"), D("0.51")) == D("0.02")
    assert price_impact("BUY", D("0.50"), D("0.51")) == D("0.02")
    # effective spread = realised spread + price impact
    assert effective_spread("SELL", D("0.47"), D("0.50")) == (
        realised_spread("SELL", D("0.47"), D("0.45")) + price_impact("SELL", D("0.50"), D("0.45"))
    )
    assert markout("BUY", D("0.49"), D("0.52")) == D("-0.03")  # adverse selection
    assert markout("SELL", D("0.49"), D("0.52")) == D("0.03")


def test_kpis_over_a_mix_of_outcomes():
    records = [
        ExecutionRecord("sent", D(100), D(100)),  # full fill
        ExecutionRecord("sent", D(100), D(40)),  # partial
        ExecutionRecord("sent", D(50), D(0), rejected=True),  # venue rejection
        ExecutionRecord("sent", D(50), D(50), ambiguous=True),  # timed out, later found filled
        ExecutionRecord("denied"),  # exposure cap
        ExecutionRecord("skipped"),  # paused
    ]
    kpis = execution_kpis(records)
    assert (kpis.signals, kpis.sent, kpis.denied, kpis.skipped, kpis.rejected, kpis.ambiguous) == (6, 4, 1, 1, 1, 1)
    assert kpis.quantity_fill_rate == D(190) / D(300)
    assert kpis.order_fill_rate == D("0.75")  # 3 of 4 got something
    assert kpis.full_fill_ratio == D("0.5")  # 2 of 4 in full
    assert kpis.rejection_rate == D("0.25")
    assert kpis.unknown_outcome_rate == D("0.25")
    assert kpis.local_denial_rate == D(1) / D(6)
    assert kpis.skip_rate == D(2) / D(6)  # every signal not sent
    assert execution_kpis([]).quantity_fill_rate is None


def test_a_signal_never_sent_cannot_be_rejected():
    with pytest.raises(ValueError, match="a denied signal was never sent"):
        ExecutionRecord("denied", rejected=True)


def test_latency_percentiles_are_nearest_rank():
    summary = latency_summary(list(range(1, 101)) + [None])  # 1..100 ms, one span that never ended
    assert (summary.count, summary.p50, summary.p90, summary.p99, summary.max) == (100, 50, 90, 99, 100)
    small = latency_summary([timedelta(milliseconds=250), timedelta(seconds=2), 40])
    assert (small.p50, small.p90, small.max) == (D(250), D(2000), D(2000))
    assert latency_summary([None]) is None


def test_latency_between_two_timestamps():
    t0 = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)
    assert latency_ms(t0, t0 + timedelta(seconds=1, microseconds=500_900)) == 1500
    with pytest.raises(ValueError, match="must be timezone-aware"):
        latency_ms(datetime(2026, 11, 24), t0)
