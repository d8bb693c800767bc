"""Whether a strategy may place a signal: launched, the signal at or after `launched_at` (the seed's
`order_time >= launched_at`), not in a pause, no global halt, daily loss limit not reached.

One rule in one place: the executor asks it before deciding a signal, `lt strategy show` asks it to say
whether a strategy places now, and the asset checks ask it of every order already placed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lt_pipeline.model.trading import SkipReason


@dataclass(frozen=True)
class StrategyGate:
    """What the rule needs to know of a strategy (one `lt_strategies` row)."""

    strategy_id: str
    is_active: bool
    launched_at: datetime | None
    is_paused: bool
    pause_reason: str | None
    paused_at: datetime | None
    resumed_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> StrategyGate:
        return cls(row["strategy_id"], bool(row["is_active"]), row["launched_at"], bool(row["is_paused"]),
                   row["pause_reason"], row["paused_at"], row["resumed_at"])


@dataclass(frozen=True)
class Halt:
    """The global halt: on since `since` (None when off)."""

    since: datetime | None = None
    reason: str = ""

    @property
    def on(self) -> bool:
        return self.since is not None


@dataclass(frozen=True)
class Block:
    """Why a signal may not be placed: a stable reason for the ledger and a sentence for people."""

    reason: SkipReason
    why: str


def placement_block(
    strategy: StrategyGate,
    signal_at: datetime,
    decided_at: datetime,
    *,
    halt: Halt = Halt(),
    daily_loss_breached: str | None = None,
) -> Block | None:
    """None when the strategy may place a signal stamped `signal_at`, decided at `decided_at`; else why
    not. `daily_loss_breached` is the sentence saying the day's loss limit is reached, when it is."""
    if not strategy.is_active or strategy.launched_at is None:
        return Block(SkipReason.NOT_LAUNCHED, f"strategy {strategy.strategy_id} is not launched")
    if signal_at < strategy.launched_at:
        return Block(SkipReason.BEFORE_LAUNCH,
                     f"signal at {signal_at:%Y-%m-%d %H:%M:%S} UTC is before the launch at {strategy.launched_at:%Y-%m-%d %H:%M:%S} UTC")
    if halt.on and decided_at >= halt.since:
        return Block(SkipReason.HALTED, f"global halt: {halt.reason or 'on'}")
    paused = strategy.paused_at
    paused_now = strategy.is_paused and (paused is None or decided_at >= paused)
    if paused_now or (paused is not None and decided_at >= paused and _resumed_after(strategy, decided_at)):
        reason = strategy.pause_reason or "paused"
        code = SkipReason.DAILY_LOSS_LIMIT if reason.startswith("daily loss") else SkipReason.PAUSED
        return Block(code, f"strategy paused: {reason}")
    if paused is not None and strategy.resumed_at is not None and paused <= signal_at <= strategy.resumed_at:
        # Signals of a pause that ended before any run saw them are never placed late.
        return Block(SkipReason.PAUSED, f"arrived while the strategy was paused ({paused:%Y-%m-%d %H:%M:%S} to "
                                        f"{strategy.resumed_at:%H:%M:%S} UTC)")
    if daily_loss_breached:
        return Block(SkipReason.DAILY_LOSS_LIMIT, daily_loss_breached)
    return None


def _resumed_after(strategy: StrategyGate, at: datetime) -> bool:
    return strategy.resumed_at is not None and strategy.resumed_at > at and strategy.resumed_at >= strategy.paused_at
