"""Pause with cancel and the global halt against the emulator: resting orders are cancelled at the
venue through their own user's trader, recorded CANCELLED with a logged decision, and one user's
missing trader does not keep the others' orders on the book."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from lt_pipeline.execution.controls import halt, is_halted, resume_trading
from lt_pipeline.execution.credentials import TraderPool, trader_for_strategy
from lt_pipeline.execution.strategies import StrategyError, create_strategy, ensure_user, get_strategy, launch, pause
from lt_pipeline.ledger.schema import signal_decisions
from lt_pipeline_tests.emulator.fixtures import emulator  # noqa: F401  (fixture)

from .lifecycle_support import T0, add_ft_wallets, add_lt_order, add_signal, emulator_settings, ft_wallet, lt_order_status, place_resting


@pytest.fixture
def live(ledger_engine, emulator, tmp_path):  # noqa: F811
    add_ft_wallets(ledger_engine, ft_wallet("FT_ALPHA"), ft_wallet("FT_BETA"))
    for user in ("alice", "bob"):
        ensure_user(ledger_engine, user, user.title(), now=T0)
    for user, wallet in (("alice", "FT_ALPHA"), ("alice", "FT_BETA"), ("bob", "FT_ALPHA")):
        launch(ledger_engine, create_strategy(ledger_engine, user, wallet, {}, T0), T0)
    pool = TraderPool(emulator_settings(emulator, tmp_path), environ={}, engine=ledger_engine)
    return ledger_engine, emulator, pool


def resting_lt_order(live, strategy_id: str, user: str, n: int, *, status: str = "LIVE"):
    engine, emulator, pool = live
    order_id = place_resting(emulator, pool.trader(user))
    wallet = get_strategy(engine, strategy_id).ft_wallet_id
    return add_lt_order(engine, strategy_id, user, add_signal(engine, wallet, n), status=status, order_id=order_id), order_id


def decisions(engine) -> list:
    with engine.connect() as connection:
        return list(connection.execute(select(signal_decisions).order_by(signal_decisions.c.decision_id)))


def test_pause_with_cancel_takes_only_that_strategys_orders_off_the_book(live):
    engine, emulator, pool = live
    mine, mine_hash = resting_lt_order(live, "LT_FT_ALPHA", "alice", 1)
    partial, partial_hash = resting_lt_order(live, "LT_FT_ALPHA", "alice", 2, status="PARTIALLY_FILLED")
    unclear, unclear_hash = resting_lt_order(live, "LT_FT_ALPHA", "alice", 3, status="UNKNOWN")
    other, other_hash = resting_lt_order(live, "LT_FT_BETA", "alice", 4)
    trader = trader_for_strategy(engine, "LT_FT_ALPHA", pool)

    result = pause(engine, "LT_FT_ALPHA", "market looks wrong", T0 + timedelta(hours=1), cancel_resting=True, trader=trader)

    assert result.strategy.status == "paused" and result.cancels.complete
    assert {c.order_id for c in result.cancels.cancelled} == {mine_hash, partial_hash, unclear_hash}
    for order_id in (mine_hash, partial_hash, unclear_hash):
        assert trader.order(order_id) is None and emulator.venue.get_order(order_id).status == "CANCELED"
    assert trader.order(other_hash).status == "LIVE"  # another strategy of the same user keeps its order
    assert (lt_order_status(engine, mine), lt_order_status(engine, partial)) == ("CANCELLED", "CANCELLED")
    assert lt_order_status(engine, unclear) == "UNKNOWN"  # reconciliation settles it with its fills
    assert lt_order_status(engine, other) == "LIVE"
    logged = {row.lt_order_id: row for row in decisions(engine)}
    assert set(logged) == {mine, partial, unclear}
    assert logged[mine].decision == "CANCELLED"
    assert logged[mine].reason == "cancelled at the venue: strategy paused: market looks wrong"
    assert json.loads(logged[mine].detail_json) == {"order_id": mine_hash, "trigger": "pause", "previous_status": "LIVE"}
    assert logged[unclear].decision == "CANCEL_REQUESTED" and "venue sync records its final state" in logged[unclear].reason


def test_pause_reports_orders_the_venue_no_longer_holds(live):
    engine, emulator, pool = live
    lt_order, order_id = resting_lt_order(live, "LT_FT_ALPHA", "alice", 1)
    trader = pool.trader("alice")
    assert trader.cancel([order_id])[0] == [order_id]  # cancelled behind the ledger's back
    result = pause(engine, "LT_FT_ALPHA", "stop", T0, cancel_resting=True, trader=trader)
    assert result.cancels.cancelled == [] and order_id in result.cancels.not_cancelled
    assert lt_order_status(engine, lt_order) == "LIVE"  # left for the fills refresh to read the venue's word
    assert "not cancelled by the venue" in result.cancels.summary()


def test_global_halt_cancels_every_users_orders_and_resume_keeps_paused_strategies_paused(live):
    engine, emulator, pool = live
    alice_order, alice_hash = resting_lt_order(live, "LT_FT_ALPHA", "alice", 1)
    bob_order, bob_hash = resting_lt_order(live, "LT_FT_ALPHA_BOB", "bob", 2)
    pause(engine, "LT_FT_BETA", "manual", T0)
    assert is_halted(engine) == (False, None)

    report = halt(engine, "exchange incident", T0 + timedelta(hours=1), traders=pool)

    assert is_halted(engine) == (True, "exchange incident")
    assert report.cancels.complete and {c.order_id for c in report.cancels.cancelled} == {alice_hash, bob_hash}
    assert pool.trader("alice").order(alice_hash) is None and emulator.venue.get_order(alice_hash).status == "CANCELED"
    assert emulator.venue.get_order(bob_hash).status == "CANCELED"
    assert lt_order_status(engine, alice_order) == lt_order_status(engine, bob_order) == "CANCELLED"
    assert {row.reason for row in decisions(engine)} == {"cancelled at the venue: global halt: exchange incident"}

    resume_trading(engine, T0 + timedelta(hours=2))
    assert is_halted(engine) == (False, None)
    assert get_strategy(engine, "LT_FT_BETA").status == "paused"
    assert get_strategy(engine, "LT_FT_ALPHA").status == "live"


def test_halt_without_one_users_trader_still_cancels_the_others(live):
    engine, emulator, pool = live
    alice_order, alice_hash = resting_lt_order(live, "LT_FT_ALPHA", "alice", 1)
    bob_order, bob_hash = resting_lt_order(live, "LT_FT_ALPHA_BOB", "bob", 2)
    report = halt(engine, "drill", T0, traders={"alice": pool.trader("alice")})
    assert is_halted(engine)[0]
    assert [c.order_id for c in report.cancels.cancelled] == [alice_hash]
    assert not report.cancels.complete and report.cancels.failures == ["user bob: no trader given to cancel 1 order(s)"]
    assert lt_order_status(engine, bob_order) == "LIVE"
    assert pool.trader("bob").order(bob_hash).status == "LIVE"


def test_a_trader_of_another_funder_is_refused_before_anything_changes(live):
    engine, emulator, pool = live
    bob = pool.trader("bob")
    ensure_user(engine, "alice", "Alice", pool.trader("alice").funder, 0, now=T0)
    with pytest.raises(StrategyError, match=r"trader: trades for 0x[0-9a-fA-F]{40}, not for user alice's funder"):
        pause(engine, "LT_FT_ALPHA", "stop", T0, cancel_resting=True, trader=bob)
    assert get_strategy(engine, "LT_FT_ALPHA").status == "live"
