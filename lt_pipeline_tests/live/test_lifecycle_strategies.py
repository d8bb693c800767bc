"""LT strategy lifecycle on SQLite and PostgreSQL: users, create, launch, pause/resume, limit edits,
the daily loss stop, and the version history each change leaves behind."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lt_pipeline.execution.settings import SettingsError
from lt_pipeline.execution.strategies import (
    StrategyError,
    check_daily_loss,
    create_strategy,
    edit_limits,
    ensure_user,
    get_strategy,
    get_user,
    launch,
    list_strategies,
    pause,
    realised_pnl_today,
    resume,
    strategy_versions,
)
from lt_pipeline.ledger.schema import ft_wallets

from .lifecycle_support import T0, add_ft_wallets, add_lt_order, add_signal, ft_wallet


@pytest.fixture
def ledger(ledger_engine):
    add_ft_wallets(ledger_engine, ft_wallet("FT_ALPHA", name="Alpha sharp"), ft_wallet("FT_BETA"))
    ensure_user(ledger_engine, "alice", "Alice", now=T0)
    ensure_user(ledger_engine, "bob", "Bob", now=T0)
    return ledger_engine


def test_users_are_created_once_and_keep_their_funder(ledger_engine):
    funder = "0x" + "Ab" * 20
    user = ensure_user(ledger_engine, "carol", "Carol", funder, 1, now=T0)
    assert (user.display_name, user.funder_address, user.signature_type) == ("Carol", funder.lower(), 1)
    again = ensure_user(ledger_engine, "carol", "Carol C.", now=T0 + timedelta(days=1))
    assert again.display_name == "Carol C."
    assert (again.funder_address, again.signature_type, again.created_at) == (funder.lower(), 1, T0)
    with pytest.raises(StrategyError, match=r"funder_address: expected a 0x-prefixed 40-hex address, got '0x12'"):
        ensure_user(ledger_engine, "dave", "Dave", "0x12", now=T0)
    with pytest.raises(StrategyError, match=r"user_id: expected 1-64 letters"):
        ensure_user(ledger_engine, "no spaces", "X", now=T0)
    assert get_user(ledger_engine, "dave") is None


def test_create_makes_the_live_twin_with_a_copy_of_the_ft_config(ledger):
    strategy_id = create_strategy(ledger, "alice", "FT_ALPHA", {"starting_capital": "250", "max_order_size_usd": "20"}, T0)
    assert strategy_id == "LT_FT_ALPHA"
    strategy = get_strategy(ledger, strategy_id)
    assert strategy.display_name == "Alpha sharp (Live)"
    assert strategy.settings.starting_capital == Decimal("250") and strategy.settings.max_order_size_usd == Decimal("20")
    assert strategy.status == "not launched" and not strategy.may_place(T0 + timedelta(hours=1))
    with ledger.connect() as connection:
        wallet = connection.execute(select(ft_wallets).where(ft_wallets.c.wallet_id == "FT_ALPHA")).one()
    assert strategy.ft_config_hash == wallet.config_hash
    (version,) = strategy_versions(ledger, strategy_id)
    assert version.source == "create" and version.settings_version == 1
    assert version.snapshot["settings"]["starting_capital"] == "250"
    assert version.changes["created"] == {
        "user_id": "alice", "ft_wallet_id": "FT_ALPHA", "ft_config_version": 1, "ft_config_hash": wallet.config_hash,
    }


def test_a_second_user_gets_a_suffixed_twin_and_nobody_gets_two(ledger):
    assert create_strategy(ledger, "alice", "FT_ALPHA", {}, T0) == "LT_FT_ALPHA"
    assert create_strategy(ledger, "bob", "FT_ALPHA", {}, T0) == "LT_FT_ALPHA_BOB"
    assert get_strategy(ledger, "LT_FT_ALPHA_BOB").display_name == "Alpha sharp (Live, bob)"
    with pytest.raises(StrategyError, match=r"user 'bob' already has LT_FT_ALPHA_BOB for FT wallet 'FT_ALPHA'"):
        create_strategy(ledger, "bob", "FT_ALPHA", {}, T0)
    assert [s.strategy_id for s in list_strategies(ledger)] == ["LT_FT_ALPHA", "LT_FT_ALPHA_BOB"]
    assert [s.strategy_id for s in list_strategies(ledger, user_id="bob")] == ["LT_FT_ALPHA_BOB"]


@pytest.mark.parametrize(
    ("user", "wallet", "settings", "message"),
    [
        ("zed", "FT_ALPHA", {}, r"user_id: no user 'zed'"),
        ("alice", "FT_NOPE", {}, r"ft_wallet_id: no FT wallet 'FT_NOPE'"),
        ("alice", "FT_ALPHA", {"starting_capital": "-5"}, r"starting_capital: expected a positive amount, got -5"),
        ("alice", "FT_ALPHA", {"max_order_size_usd": "0.5", "min_order_size_usd": "2"}, r"max_order_size_usd: must be at least"),
    ],
)
def test_create_refuses_with_the_field_named(ledger, user, wallet, settings, message):
    with pytest.raises((StrategyError, SettingsError), match=message):
        create_strategy(ledger, user, wallet, settings, T0)
    assert list_strategies(ledger) == []


def test_launch_once_then_signals_from_launch_on_are_placeable(ledger):
    strategy_id = create_strategy(ledger, "alice", "FT_ALPHA", {}, T0)
    launched_at = T0 + timedelta(hours=1)
    strategy = launch(ledger, strategy_id, launched_at)
    assert strategy.status == "live" and strategy.launched_at == launched_at
    assert strategy.may_place(launched_at) and not strategy.may_place(launched_at - timedelta(seconds=1))
    with pytest.raises(StrategyError, match=r"launched_at: LT_FT_ALPHA was launched at 2026-06-01T13:00:00\+00:00"):
        launch(ledger, strategy_id, launched_at + timedelta(days=1))
    assert get_strategy(ledger, strategy_id).launched_at == launched_at
    assert strategy_versions(ledger, strategy_id)[-1].changes == {"launched_at": [None, launched_at.isoformat()]}


def test_pause_and_resume_are_recorded_and_a_paused_strategy_places_nothing(ledger):
    strategy_id = create_strategy(ledger, "alice", "FT_ALPHA", {}, T0)
    launch(ledger, strategy_id, T0)
    paused = pause(ledger, strategy_id, "news event", T0 + timedelta(minutes=5)).strategy
    assert paused.status == "paused" and paused.pause_reason == "news event"
    assert not paused.may_place(T0 + timedelta(minutes=6))
    again = pause(ledger, strategy_id, "another reason", T0 + timedelta(minutes=6)).strategy
    assert again.pause_reason == "news event"  # a second pause changes nothing
    resumed = resume(ledger, strategy_id, T0 + timedelta(minutes=10))
    assert resumed.status == "live" and resumed.pause_reason is None
    assert (resumed.paused_at, resumed.resumed_at) == (T0 + timedelta(minutes=5), T0 + timedelta(minutes=10))
    assert not resumed.may_place(T0 + timedelta(minutes=7))  # made while paused: never placed late
    assert resumed.may_place(T0 + timedelta(minutes=11)) and resumed.may_place(T0 + timedelta(minutes=4))
    history = strategy_versions(ledger, strategy_id)
    assert [v.source for v in history] == ["create", "edit", "edit", "edit"]
    assert history[2].changes == {"is_paused": [False, True], "pause_reason": [None, "news event"]}
    assert history[3].changes == {"is_paused": [True, False], "pause_reason": ["news event", None]}
    assert history[2].snapshot["is_paused"] is True and history[3].snapshot["is_paused"] is False
    with pytest.raises(StrategyError, match="reason: expected a few words"):
        pause(ledger, strategy_id, "  ", T0)
    with pytest.raises(StrategyError, match="trader: cancel_resting needs"):
        pause(ledger, strategy_id, "stop", T0, cancel_resting=True, trader=None)


def test_edit_limits_validates_the_whole_result_and_records_the_diff(ledger):
    strategy_id = create_strategy(ledger, "alice", "FT_ALPHA", {}, T0)
    result = edit_limits(ledger, strategy_id, {"max_order_size_usd": "60", "order_type": "fak"}, T0 + timedelta(hours=1))
    assert result.strategy.settings.max_order_size_usd == Decimal("60") and result.strategy.settings.order_type == "FAK"
    assert set(result.changes) == {"max_order_size_usd", "order_type"}
    assert strategy_versions(ledger, strategy_id)[-1].changes == {
        "max_order_size_usd": ["50", "60"], "order_type": ["GTC", "FAK"],
    }
    for changes, message in [
        ({"starting_capital": "-1"}, r"starting_capital: expected a positive amount"),
        ({"slippage_tolerance_pct": "150"}, r"slippage_tolerance_pct: expected a percentage between 0 and 100, got 150"),
        ({"order_type": "LIMIT"}, r"order_type: expected one of GTC, FOK, FAK, got 'LIMIT'"),
        ({"max_order_size_usd": "0.5"}, r"max_order_size_usd: must be at least min_order_size_usd \(1\)"),
        ({"leverage": "3"}, r"leverage: not a known setting"),
    ]:
        with pytest.raises(SettingsError, match=message):
            edit_limits(ledger, strategy_id, changes, T0 + timedelta(hours=2))
    unchanged = edit_limits(ledger, strategy_id, {"max_order_size_usd": "60.00"}, T0 + timedelta(hours=3))
    assert unchanged.changes == {}
    assert len(strategy_versions(ledger, strategy_id)) == 2  # refused and empty edits leave no version
    assert get_strategy(ledger, strategy_id).settings.max_order_size_usd == Decimal("60")


def test_daily_loss_pauses_with_the_amounts_and_blocks_resume_until_the_next_utc_day(ledger):
    strategy_id = create_strategy(ledger, "alice", "FT_ALPHA", {"max_daily_loss_usd": "20"}, T0)
    launch(ledger, strategy_id, T0)
    now = T0 + timedelta(hours=6)
    yesterday = T0 - timedelta(days=1)
    add_lt_order(ledger, strategy_id, "alice", add_signal(ledger, "FT_ALPHA", 1), status="FILLED",
                 pnl=Decimal("-50"), resolved_at=yesterday)  # yesterday's loss does not count today
    add_lt_order(ledger, strategy_id, "alice", add_signal(ledger, "FT_ALPHA", 2), status="FILLED",
                 pnl=Decimal("-12.5"), resolved_at=T0 + timedelta(hours=1))
    add_lt_order(ledger, strategy_id, "alice", add_signal(ledger, "FT_ALPHA", 3), status="FILLED")  # still open
    assert realised_pnl_today(ledger, strategy_id, now) == Decimal("-12.5")
    assert check_daily_loss(ledger, strategy_id, now) is False
    assert get_strategy(ledger, strategy_id).status == "live"

    add_lt_order(ledger, strategy_id, "alice", add_signal(ledger, "FT_ALPHA", 4), status="FILLED",
                 pnl=Decimal("-7.5"), resolved_at=T0 + timedelta(hours=2))
    assert check_daily_loss(ledger, strategy_id, now) is True
    strategy = get_strategy(ledger, strategy_id)
    assert strategy.status == "paused"
    assert strategy.pause_reason == "daily loss limit reached: lost $20.00 of $20.00"
    with pytest.raises(StrategyError, match=r"max_daily_loss_usd: LT_FT_ALPHA cannot resume today, daily loss limit reached"):
        resume(ledger, strategy_id, now + timedelta(minutes=1))
    assert resume(ledger, strategy_id, T0 + timedelta(days=1)).status == "live"


def test_a_strategy_without_a_daily_limit_is_never_stopped_for_losses(ledger):
    strategy_id = create_strategy(ledger, "alice", "FT_ALPHA", {}, T0)
    launch(ledger, strategy_id, T0)
    add_lt_order(ledger, strategy_id, "alice", add_signal(ledger, "FT_ALPHA", 1), status="FILLED",
                 pnl=Decimal("-900"), resolved_at=T0)
    assert check_daily_loss(ledger, strategy_id, T0 + timedelta(hours=1)) is False
    assert get_strategy(ledger, strategy_id).status == "live"


def test_version_rows_are_valid_json_with_exact_decimals(ledger):
    strategy_id = create_strategy(ledger, "alice", "FT_ALPHA", {"starting_capital": "1000", "slippage_tolerance_pct": "2.5"}, T0)
    edit_limits(ledger, strategy_id, {"starting_capital": "1500.25"}, T0)
    settings = [v.snapshot["settings"] for v in strategy_versions(ledger, strategy_id)]
    assert [s["starting_capital"] for s in settings] == ["1000", "1500.25"]
    assert settings[0]["slippage_tolerance_pct"] == "2.5"
    assert json.loads(json.dumps(settings))  # round-trips as plain JSON


def test_concurrent_edits_all_land_with_one_version_each(ledger):
    strategy_id = create_strategy(ledger, "alice", "FT_ALPHA", {}, T0)
    edits = [
        {"max_order_size_usd": "40"}, {"max_position_size_usd": "90"},
        {"order_ttl_seconds": "120"}, {"slippage_tolerance_pct": "4"},
    ]
    barrier = threading.Barrier(len(edits))
    errors: list[BaseException] = []

    def edit(changes):
        barrier.wait()
        try:
            edit_limits(ledger, strategy_id, changes, T0 + timedelta(minutes=1))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=edit, args=(changes,)) for changes in edits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    settings = get_strategy(ledger, strategy_id).settings
    assert (settings.max_order_size_usd, settings.max_position_size_usd) == (Decimal("40"), Decimal("90"))
    assert (settings.order_ttl_seconds, settings.slippage_tolerance_pct) == (120, Decimal("4"))
    history = strategy_versions(ledger, strategy_id)
    assert [v.settings_version for v in history] == [1, 2, 3, 4, 5]
    assert sorted(next(iter(v.changes)) for v in history[1:]) == sorted(next(iter(e)) for e in edits)
