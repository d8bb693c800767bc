"""The execution-quality score (docs/tca.md, D7), published with its components."""

from decimal import Decimal as D

import pytest

from lt_pipeline.quality.measures import ExecutionRecord
from lt_pipeline.quality.score import (
    ScoreWeights,
    execution_quality_score,
    median,
    price_bucket,
    score_records,
    scores_by,
)


def test_hand_computed_score():
    score = execution_quality_score(fill_rate=D("0.9"), median_slippage_cents=D("-1.5"), latency_p90_ms=D(2500),
                                    rejection_rate=D("0.05"))
    # 100 * (0.3*0.9 + 0.4*(1 - 1.5/3) + 0.2*(1 - 2500/10000) + 0.1*(1 - 0.05))
    # = 100 * (0.27 + 0.2 + 0.15 + 0.095) = 71.5
    assert score.score == D("71.5")
    assert (score.fill_component, score.slippage_component, score.latency_component, score.rejection_component) == (
        D("0.9"), D("0.5"), D("0.75"), D("0.95")
    )


def test_components_are_capped_and_unmeasured_ones_score_zero():
    score = execution_quality_score(fill_rate=D("1.02"), median_slippage_cents=D(9), latency_p90_ms=None,
                                    rejection_rate=D(0))
    # fill rate over 1 (a market BUY filled better than the signal) counts as 1; slippage 9c > 3c cap -> 0
    assert (score.fill_component, score.slippage_component, score.latency_component) == (D(1), D(0), D(0))
    assert score.score == D(40)  # 100 * (0.3 + 0 + 0 + 0.1)


def test_custom_caps_and_weights():
    weights = ScoreWeights(D("0.25"), D("0.25"), D("0.25"), D("0.25"))
    score = execution_quality_score(fill_rate=D(1), median_slippage_cents=D(1), latency_p90_ms=D(1000),
                                    rejection_rate=D(0), slippage_cap_cents=D(2), latency_cap_ms=D(2000),
                                    weights=weights)
    assert score.score == D(75)  # 100 * 0.25 * (1 + 0.5 + 0.5 + 1)
    with pytest.raises(ValueError, match="weights: expected weights summing to 1, got 1.1"):
        ScoreWeights(D("0.4"), D("0.4"), D("0.2"), D("0.1"))


def test_score_from_execution_records():
    records = [
        ExecutionRecord("sent", D(100), D(100), slippage_cents=D(1), signal_to_fill_ms=D(1000)),
        ExecutionRecord("sent", D(100), D(50), slippage_cents=D(-2), signal_to_fill_ms=D(3000)),
        ExecutionRecord("sent", D(100), D(0), rejected=True),
        ExecutionRecord("sent", D(100), D(100), slippage_cents=D(4), signal_to_fill_ms=D(12000)),
        ExecutionRecord("denied"),  # never sent: not part of execution quality
    ]
    score = score_records(records)
    assert score.fill_rate == D("0.625")  # 250 / 400
    assert score.median_slippage_cents == D(2)  # median of |1|, |-2|, |4|
    assert score.latency_p90_ms == D(12000)  # nearest rank: the 3rd of 3
    assert score.rejection_rate == D("0.25")
    # 100 * (0.3*0.625 + 0.4*(1 - 2/3) + 0.2*0 + 0.1*0.75) = 39.5833...
    assert score.score.quantize(D("0.0001")) == D("39.5833")
    assert score_records([ExecutionRecord("skipped")]) is None


def test_scores_per_group():
    records = [
        ("leader-a", ExecutionRecord("sent", D(10), D(10), slippage_cents=D(0), signal_to_fill_ms=D(0))),
        ("leader-b", ExecutionRecord("sent", D(10), D(0), rejected=True)),
        ("leader-c", ExecutionRecord("denied")),
    ]
    scores = scores_by(records)
    assert scores["leader-a"].score == D(100)
    assert scores["leader-b"].score == D(0)
    assert "leader-c" not in scores  # nothing sent, nothing to score


def test_median_and_price_buckets():
    assert median([D(3), D(1), D(2)]) == D(2)
    assert median([D(4), D(1), D(2), D(3)]) == D("2.5")
    assert median([]) is None
    assert [price_bucket(D(p)) for p in ("0", "0.05", "0.1", "0.55", "0.99", "1")] == [
        "0.0-0.1", "0.0-0.1", "0.1-0.2", "0.5-0.6", "0.9-1.0", "0.9-1.0"
    ]
