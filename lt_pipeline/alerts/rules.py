"""The alert rules, plain figures in, breaches out: a strategy's rejection rate (venue rejections over
orders sent) and its p95 signal-to-submit latency over the last day, against their thresholds. Too few
orders (`MIN_SAMPLE`) say nothing either way."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

MIN_SAMPLE = 5
REJECTION_RATE = "rejection_rate"
P95_LATENCY = "p95_latency"


@dataclass(frozen=True)
class Figures:
    """One strategy's orders over the window."""

    strategy_id: str
    sent: int  # orders that went to the venue (answered or not)
    rejected: int
    latencies_ms: tuple[int, ...]  # signal to submit

    @property
    def rejection_rate(self) -> float | None:
        return self.rejected / self.sent if self.sent >= MIN_SAMPLE else None

    @property
    def p95_latency_seconds(self) -> float | None:
        if len(self.latencies_ms) < MIN_SAMPLE:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] / 1000


@dataclass(frozen=True)
class Breach:
    strategy_id: str
    kind: str
    value: float
    threshold: float

    @property
    def key(self) -> str:
        return f"alert:{self.strategy_id}:{self.kind}"

    def sentence(self) -> str:
        if self.kind == REJECTION_RATE:
            return (f"{self.strategy_id}: the venue rejected {self.value:.0%} of its orders over the last day "
                    f"(threshold {self.threshold:.0%})")
        return (f"{self.strategy_id}: p95 signal-to-submit latency {self.value:.1f} s over the last day "
                f"(threshold {self.threshold:g} s)")


def breaches(figures: Iterable[Figures], *, max_rejection_rate: float, max_p95_latency_seconds: float) -> list[Breach]:
    found = []
    for strategy in figures:
        rate, p95 = strategy.rejection_rate, strategy.p95_latency_seconds
        if rate is not None and rate > max_rejection_rate:
            found.append(Breach(strategy.strategy_id, REJECTION_RATE, rate, max_rejection_rate))
        if p95 is not None and p95 > max_p95_latency_seconds:
            found.append(Breach(strategy.strategy_id, P95_LATENCY, p95, max_p95_latency_seconds))
    return found
