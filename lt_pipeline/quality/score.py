"""The execution-quality score EQS of docs/tca.md (D7) (our proposal, not an industry standard),
always published with its components:

EQS = 100 * [w1*FR + w2*(1 - min(1, |slip|/S_cap)) + w3*(1 - min(1, L_p90/L_cap)) + w4*(1 - RR)]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from lt_pipeline.money import ONE, ZERO, to_decimal, to_price, to_size
from lt_pipeline.quality.measures import ExecutionRecord, execution_kpis, latency_summary



@dataclass(frozen=True)
class ScoreWeights:
    """w = (fill, slippage, latency, rejection); non-negative and summing to 1."""

    fill: Decimal = Decimal("0.3")
    slippage: Decimal = Decimal("0.4")
    latency: Decimal = Decimal("0.2")
    rejection: Decimal = Decimal("0.1")

    def __post_init__(self) -> None:
        weights = [to_size(getattr(self, name), f"weights.{name}") for name in ("fill", "slippage", "latency", "rejection")]
        if sum(weights) != ONE:
            raise ValueError(f"weights: expected weights summing to 1, got {sum(weights)}")


@dataclass(frozen=True)
class ExecutionScore:
    """EQS (0-100) beside every input and component; a component is in [0, 1], 1 being best."""

    score: Decimal
    fill_rate: Decimal  # FR, quantity fill rate
    median_slippage_cents: Decimal | None  # |slip_sig|; None: no fill to measure
    latency_p90_ms: Decimal | None  # p90 signal-to-fill; None: no fill to measure
    rejection_rate: Decimal  # RR
    fill_component: Decimal
    slippage_component: Decimal
    latency_component: Decimal
    rejection_component: Decimal
    weights: ScoreWeights = field(default_factory=ScoreWeights)


def execution_quality_score(
    *,
    fill_rate: Decimal,
    median_slippage_cents: Decimal | None,
    latency_p90_ms: Decimal | None,
    rejection_rate: Decimal,
    slippage_cap_cents: Decimal = Decimal(3),
    latency_cap_ms: Decimal = Decimal(10_000),
    weights: ScoreWeights = ScoreWeights(),
) -> ExecutionScore:
    """EQS from its four inputs. A slippage or latency that could not be measured (nothing filled)
    scores 0 on that component: an execution that never fills earns no credit for being quick."""
    fill = min(to_size(fill_rate, "fill_rate"), ONE)  # market BUYs filled better than the signal exceed 1
    rejection = to_price(rejection_rate, "rejection_rate")
    slip_cap = _positive(slippage_cap_cents, "slippage_cap_cents")
    latency_cap = _positive(latency_cap_ms, "latency_cap_ms")
    slippage_component = (
        ZERO if median_slippage_cents is None
        else ONE - min(ONE, abs(to_decimal(median_slippage_cents, "median_slippage_cents")) / slip_cap)
    )
    latency_component = (
        ZERO if latency_p90_ms is None
        else ONE - min(ONE, to_size(latency_p90_ms, "latency_p90_ms") / latency_cap)
    )
    rejection_component = ONE - rejection
    score = 100 * (
        weights.fill * fill
        + weights.slippage * slippage_component
        + weights.latency * latency_component
        + weights.rejection * rejection_component
    )
    return ExecutionScore(
        score=score,
        fill_rate=fill,
        median_slippage_cents=median_slippage_cents,
        latency_p90_ms=latency_p90_ms,
        rejection_rate=rejection,
        fill_component=fill,
        slippage_component=slippage_component,
        latency_component=latency_component,
        rejection_component=rejection_component,
        weights=weights,
    )


def median(values: list[Decimal]) -> Decimal | None:
    """The middle value, or the mean of the two middle values; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def score_records(records: Iterable[ExecutionRecord], **options) -> ExecutionScore | None:
    """EQS over the sent orders among `records`; None when nothing was sent. `options` go to
    `execution_quality_score` (caps, weights)."""
    sent = [record for record in records if record.disposition == "sent"]
    kpis = execution_kpis(sent)
    if not kpis.sent:
        return None
    latency = latency_summary(record.signal_to_fill_ms for record in sent)
    return execution_quality_score(
        fill_rate=kpis.quantity_fill_rate or ZERO,
        median_slippage_cents=median([abs(r.slippage_cents) for r in sent if r.slippage_cents is not None]),
        latency_p90_ms=None if latency is None else latency.p90,
        rejection_rate=kpis.rejection_rate,
        **options,
    )


def scores_by(keyed_records: Iterable[tuple[Hashable, ExecutionRecord]], **options) -> dict[Hashable, ExecutionScore]:
    """EQS per group from (group, record) pairs, the group being a leader, a market category or a
    `price_bucket`; groups with nothing sent are left out."""
    groups: dict[Hashable, list[ExecutionRecord]] = {}
    for group, record in keyed_records:
        groups.setdefault(group, []).append(record)
    scored = {name: score_records(group, **options) for name, group in groups.items()}
    return {name: score for name, score in scored.items() if score is not None}


def price_bucket(price: Decimal) -> str:
    """The decile a price falls in, "0.0-0.1" ... "0.9-1.0", for scoring per price bucket."""
    p = to_price(price, "price")
    low = min(int(p * 10), 9)
    return f"0.{low}-{'1.0' if low == 9 else f'0.{low + 1}'}"


def _positive(value: Decimal, name: str) -> Decimal:
    amount = to_decimal(value, name)
    if amount <= ZERO:
        raise ValueError(f"{name}: expected a cap above 0, got {value}")
    return amount
