"""The one placement rule: launched, the signal at or after launched_at, no pause, no halt, daily loss
limit not reached; the executor, `lt strategy show` and the asset check all ask it."""

from datetime import datetime, timedelta, timezone

from lt_pipeline.execution.placement_rule import Halt, StrategyGate, placement_block
from lt_pipeline.model.trading import SkipReason

T0 = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def gate(**changes) -> StrategyGate:
    values = dict(strategy_id="LT_A", is_active=True, launched_at=T0, is_paused=False, pause_reason=None,
                  paused_at=None, resumed_at=None)
    values.update(changes)
    return StrategyGate(**values)


def reason(strategy, signal_at, decided_at=None, **kw):
    block = placement_block(strategy, signal_at, decided_at or signal_at, **kw)
    return None if block is None else block.reason


def test_a_signal_stamped_exactly_at_launch_counts_and_an_earlier_one_never():
    assert reason(gate(), T0) is None
    assert reason(gate(), T0 - timedelta(microseconds=1)) == SkipReason.BEFORE_LAUNCH
    assert reason(gate(launched_at=None), T0) == SkipReason.NOT_LAUNCHED
    assert reason(gate(is_active=False), T0) == SkipReason.NOT_LAUNCHED


def test_a_pause_blocks_what_is_decided_during_it_and_what_arrived_during_it():
    paused = gate(is_paused=True, pause_reason="operator", paused_at=T0 + timedelta(minutes=5))
    assert reason(paused, T0 + timedelta(minutes=1), T0 + timedelta(minutes=6)) == SkipReason.PAUSED
    assert reason(paused, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)) is None  # decided before the pause
    resumed = gate(paused_at=T0 + timedelta(minutes=5), resumed_at=T0 + timedelta(minutes=10))
    assert reason(resumed, T0 + timedelta(minutes=7), T0 + timedelta(minutes=12)) == SkipReason.PAUSED  # never late
    assert reason(resumed, T0 + timedelta(minutes=11), T0 + timedelta(minutes=12)) is None
    assert reason(resumed, T0 + timedelta(minutes=4), T0 + timedelta(minutes=8)) == SkipReason.PAUSED  # decided while paused
    lost = gate(is_paused=True, pause_reason="daily loss limit reached: lost $60 of $50 today", paused_at=T0)
    assert reason(lost, T0 + timedelta(minutes=1)) == SkipReason.DAILY_LOSS_LIMIT


def test_the_halt_blocks_from_when_it_was_turned_on_and_the_daily_loss_limit_from_the_executor():
    halt = Halt(since=T0 + timedelta(minutes=3), reason="drill")
    assert reason(gate(), T0 + timedelta(minutes=1), T0 + timedelta(minutes=4), halt=halt) == SkipReason.HALTED
    assert reason(gate(), T0 + timedelta(minutes=1), T0 + timedelta(minutes=2), halt=halt) is None
    block = placement_block(gate(), T0, T0, daily_loss_breached="daily loss limit reached")
    assert block.reason == SkipReason.DAILY_LOSS_LIMIT and block.why == "daily loss limit reached"
