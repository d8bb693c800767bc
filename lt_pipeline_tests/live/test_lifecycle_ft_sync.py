"""Following FT config edits: syncing strategies take the new filters and sizing, others keep their
copy, and capital and limits never move by sync."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from lt_pipeline.execution.ft_sync import ft_config_of, follow_ft_changes
from lt_pipeline.execution.strategies import create_strategy, ensure_user, get_strategy, strategy_versions

from .lifecycle_support import T0, add_ft_wallets, ft_wallet


@pytest.fixture
def ledger(ledger_engine):
    add_ft_wallets(ledger_engine, ft_wallet("FT_ALPHA"))
    for user in ("alice", "bob"):
        ensure_user(ledger_engine, user, user.title(), now=T0)
    create_strategy(ledger_engine, "alice", "FT_ALPHA", {"starting_capital": "300", "max_order_size_usd": "25"}, T0)
    create_strategy(ledger_engine, "bob", "FT_ALPHA", {"sync_ft_changes": False}, T0)
    return ledger_engine


def test_an_ft_edit_reaches_syncing_strategies_only(ledger):
    following, frozen = "LT_FT_ALPHA", "LT_FT_ALPHA_BOB"
    before = {sid: get_strategy(ledger, sid) for sid in (following, frozen)}
    assert follow_ft_changes(ledger, T0 + timedelta(minutes=1)) == []  # nothing changed yet

    later = T0 + timedelta(hours=1)
    add_ft_wallets(ledger, ft_wallet("FT_ALPHA", price_max="0.8", bet="15"), now=later)
    (synced,) = follow_ft_changes(ledger, later)
    assert synced.strategy_id == following and synced.ft_config_version == 2
    assert synced.changes == {"filters.price_max": ["0.9", "0.8"], "sizing.bet_size_usd": ["10", "15"]}

    after = get_strategy(ledger, following)
    assert after.ft_config_hash == synced.new_hash != before[following].ft_config_hash
    assert after.settings == before[following].settings  # capital and limits never change by sync
    assert after.settings.starting_capital == Decimal("300") and after.settings.max_order_size_usd == Decimal("25")
    config = ft_config_of(ledger, following)
    assert config.filters.price_max == Decimal("0.8") and config.sizing.bet_size_usd == Decimal("15")
    last = strategy_versions(ledger, following)[-1]
    assert last.source == "ft_sync"
    assert last.changes["ft_config"] == synced.changes and last.changes["ft_config_version"] == 2
    assert last.snapshot["ft_config_hash"] == synced.new_hash

    # Sync off: the copy and the history stay as they were.
    assert get_strategy(ledger, frozen) == before[frozen]
    assert ft_config_of(ledger, frozen).filters.price_max == Decimal("0.9")
    assert [v.source for v in strategy_versions(ledger, frozen)] == ["create"]

    assert follow_ft_changes(ledger, later + timedelta(minutes=2)) == []  # once per FT change


def test_display_only_ft_edits_are_not_config_changes(ledger):
    add_ft_wallets(ledger, ft_wallet("FT_ALPHA", name="Renamed"), now=T0 + timedelta(hours=1))
    assert follow_ft_changes(ledger, T0 + timedelta(hours=1)) == []
    assert len(strategy_versions(ledger, "LT_FT_ALPHA")) == 1
