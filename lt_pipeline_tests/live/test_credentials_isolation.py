"""One user's credentials never act for another: at the venue (the emulator refuses cross-user cancels
and orders) and in our code path (a strategy's trader is its own user's)."""

from __future__ import annotations

import logging

import pytest

from lt_pipeline.emulator.orders import OWNER_MISMATCH, SIGNER_MISMATCH
from lt_pipeline.execution.credentials import TraderPool, trader_for_strategy
from lt_pipeline.execution.strategies import create_strategy, ensure_user
from lt_pipeline.venues.polymarket.trading import Outcome, SignedIntent
from lt_pipeline_tests.emulator.fixtures import emulator  # noqa: F401  (fixture)

from .lifecycle_support import T0, add_ft_wallets, emulator_settings, ft_wallet, open_market, place_resting, resting_plan


@pytest.fixture
def pool(emulator, tmp_path):  # noqa: F811
    return TraderPool(emulator_settings(emulator, tmp_path), environ={})


def test_user_b_cannot_cancel_user_as_order(emulator, pool):  # noqa: F811
    alice, bob = pool.trader("alice"), pool.trader("bob")
    order_id = place_resting(emulator, alice)
    cancelled, not_cancelled = bob.cancel([order_id])
    assert cancelled == [] and order_id in not_cancelled
    assert alice.order(order_id).status == "LIVE"


def test_an_order_signed_by_a_is_refused_when_posted_with_bs_api_key(emulator, pool):  # noqa: F811
    alice, bob = pool.trader("alice"), pool.trader("bob")
    market = open_market(emulator)
    intent = alice.sign(market.tokens[0].token_id, resting_plan(), neg_risk=market.neg_risk)

    (as_is,) = bob.submit([intent])  # A's payload names A's API key as owner
    assert as_is.outcome == Outcome.REJECTED and as_is.reason == OWNER_MISMATCH
    relabelled = SignedIntent(intent.order_id, {**intent.payload, "owner": bob.api_key})
    (forged,) = bob.submit([relabelled])  # owner rewritten: the signer is still A
    assert forged.outcome == Outcome.REJECTED and forged.reason == SIGNER_MISMATCH
    assert alice.order(intent.order_id) is None  # nothing reached the book


def test_a_strategy_gets_its_own_users_trader(ledger_engine, emulator, pool):  # noqa: F811
    add_ft_wallets(ledger_engine, ft_wallet("FT_ALPHA"))
    for user in ("alice", "bob"):
        ensure_user(ledger_engine, user, user.title(), now=T0)
    alices = create_strategy(ledger_engine, "alice", "FT_ALPHA", {}, T0)
    bobs = create_strategy(ledger_engine, "bob", "FT_ALPHA", {}, T0)
    # Bob's trader is built first, so a pool that handed out "the" trader would give Bob's to Alice.
    assert trader_for_strategy(ledger_engine, bobs, pool) is pool.trader("bob")
    assert trader_for_strategy(ledger_engine, alices, pool) is pool.trader("alice")
    assert pool.trader("alice").address != pool.trader("bob").address


def test_a_restarted_trader_finds_its_key_without_an_error(emulator, pool, tmp_path, caplog):  # noqa: F811
    first = pool.trader("alice")  # the signer's first run: the venue has no key for it, so it is created
    caplog.clear()
    again = TraderPool(emulator_settings(emulator, tmp_path), environ={}).trader("alice")  # the next start
    assert again.api_key == first.api_key
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
