"""Trade settlement on the simulated chain: MATCHED -> MINED -> CONFIRMED, or for a configured share
MATCHED -> RETRYING -> FAILED, after which the venue reverses the trade's balance movements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from lt_pipeline.emulator.types import TradeStatus

TERMINAL_STATUSES: frozenset[str] = frozenset({"CONFIRMED", "FAILED"})


@dataclass(frozen=True)
class SettlementConfig:
    """How long a matched trade takes to be mined and confirmed, and which share of trades fails."""

    mined_after: timedelta = timedelta(seconds=5)
    confirmed_after: timedelta = timedelta(seconds=15)
    failure_rate: float = 0.0

    def __post_init__(self) -> None:
        if self.mined_after < timedelta(0):
            raise ValueError(f"mined_after: expected a duration of at least 0, got {self.mined_after}")
        if self.confirmed_after < self.mined_after:
            raise ValueError(
                f"confirmed_after: expected at least mined_after ({self.mined_after}), got {self.confirmed_after}"
            )
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure_rate: expected a share between 0 and 1, got {self.failure_rate}")


def next_status(status: TradeStatus, failing: bool) -> TradeStatus:
    """The status a trade moves to at its next settlement step (terminal statuses stay put)."""
    if status == "MATCHED":
        return "RETRYING" if failing else "MINED"
    if status == "MINED":
        return "CONFIRMED"
    if status == "RETRYING":
        return "FAILED"
    return status
