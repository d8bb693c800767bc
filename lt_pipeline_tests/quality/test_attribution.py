"""Paper-versus-live attribution (docs/tca.md, D6): the terms explain the PnL difference exactly,
and the displayed cents add up."""

import random
from decimal import Decimal as D

import pytest

from lt_pipeline.money import cents
from lt_pipeline.quality.attribution import AttributionTerms, LiveExecution, NotSent, SignalPair, attribute

# A: BUY 100 @ 0.40, resolved YES, live never sent it (exposure cap).
A = SignalPair("A", "BUY", D(100), D("0.40"), D(1), NotSent("exposure_cap"))
# B: BUY 50 @ 0.50, resolved NO; live sized 40, filled 30 @ 0.52 (mid 0.51 on arrival), fees 0.10.
B = SignalPair("B", "BUY", D(50), D("0.50"), D(0), LiveExecution(D(40), D(30), D("0.52"), D("0.51"), D("0.10")))
# C: SELL 20 @ 0.70, resolved NO; live sold all 20 @ 0.69 (mid 0.695).
C = SignalPair("C", "SELL", D(20), D("0.70"), D(0), LiveExecution(D(20), D(20), D("0.69"), D("0.695")))


def test_hand_computed_attribution():
    result = attribute([A, B, C])
    # paper: A 100*(1-0.40) = 60, B 50*(0-0.50) = -25, C -20*(0-0.70) = 14        -> 49
    # live:  A 0, B 30*(0-0.52) - 0.10 = -15.70, C -20*(0-0.69) = 13.80           -> -1.90
    assert (result.paper_pnl, result.live_pnl, result.difference) == (D(49), D("-1.90"), D("50.90"))
    assert result.terms == AttributionTerms(
        coverage=D(60),  # A at paper size
        sizing=D(-5),  # B: (50 - 40) * (0 - 0.50)
        delay=D("0.40"),  # B: 30 * (0.51 - 0.50) = 0.30; C: -20 * (0.695 - 0.70) = 0.10
        impact=D("0.40"),  # B: 30 * (0.52 - 0.51) = 0.30; C: -20 * (0.69 - 0.695) = 0.10
        opportunity=D(-5),  # B: (40 - 30) * (0 - 0.50)
        fees=D("0.10"),
        residual=D(0),
    )
    assert result.terms.total == result.difference
    assert result.by_signal["C"] == AttributionTerms(delay=D("0.10"), impact=D("0.10"))
    assert result.coverage_by_reason == {"exposure_cap": D(60)}


def test_ledger_totals_leave_what_the_records_do_not_explain_in_the_residual():
    # say live actually closed B early and made 0.20 less than its record shows
    result = attribute([A, B, C], paper_pnl_total=D(49), live_pnl_total=D("-2.10"))
    assert result.difference == D("51.10")
    assert result.terms.residual == D("0.20")
    assert result.terms.total == result.difference


def test_displayed_cents_add_up_and_the_residual_absorbs_the_rounding():
    # delay 1 * (0.503 - 0.50) and impact 1 * (0.506 - 0.503) are 0.3 cents each and show as 0;
    # paper 0.50 and live 0.494 show as 0.50 and 0.49, so the shown difference is 1 cent: residual 0.01
    pair = SignalPair("X", "BUY", D(1), D("0.50"), D(1), LiveExecution(D(1), D(1), D("0.506"), D("0.503")))
    shown = attribute([pair]).terms_in_cents()
    assert (shown.delay, shown.impact, shown.residual) == (D("0.00"), D("0.00"), D("0.01"))
    assert shown.total == cents(D("0.50")) - cents(D("0.494"))


def test_attribution_is_exact_over_many_random_books():
    rng = random.Random(6)

    def price():
        return D(rng.randint(1, 999)) / 1000

    for _ in range(150):
        pairs = []
        for index in range(rng.randint(0, 30)):
            paper_shares = D(rng.randint(0, 50_000)) / 100
            if rng.random() < 0.25:
                live = NotSent(rng.choice(["paused", "exposure_cap", "below_min_order_size"]))
            else:
                intended = min(paper_shares, D(rng.randint(0, 50_000)) / 100)
                filled = min(intended, D(rng.randint(0, 50_000)) / 100)
                live = LiveExecution(intended, filled, price() if filled else None,
                                     rng.choice([price(), None]), D(rng.randint(0, 10**6)) / 10**6)
            pairs.append(SignalPair(str(index), rng.choice(["BUY", "SELL"]), paper_shares, price(),
                                    rng.choice([D(0), D(1), D("0.5"), price()]), live))
        result = attribute(pairs)
        assert result.terms.total == result.difference  # exact, no tolerance
        assert result.terms.residual == 0
        assert sum(result.coverage_by_reason.values(), D(0)) == result.terms.coverage
        shown = result.terms_in_cents()
        assert shown.total == cents(result.paper_pnl) - cents(result.live_pnl)  # the table adds up
        assert all(getattr(shown, name) == getattr(shown, name).quantize(D("0.01")) for name in
                   ("coverage", "sizing", "delay", "impact", "opportunity", "fees", "residual"))
        assert abs(shown.residual - result.terms.residual) <= D("0.04")


def test_a_bad_record_is_reported_and_the_rest_still_attributed():
    bad = SignalPair("bad", "BUY", D(10), D("1.5"), D(1), NotSent("paused"))
    duplicate = SignalPair("A", "BUY", D(1), D("0.5"), D(1), NotSent("paused"))
    result = attribute([A, bad, duplicate, B, C])
    assert result.invalid == [
        ("bad", "signal_price: expected a price between 0 and 1, got 1.5"),
        ("A", "signal_id: expected each signal once, got it again"),
    ]
    assert result.difference == D("50.90") and result.terms.total == result.difference


def test_totals_come_in_pairs():
    with pytest.raises(ValueError, match="give both paper_pnl_total and live_pnl_total, or neither"):
        attribute([A], paper_pnl_total=D(1))
