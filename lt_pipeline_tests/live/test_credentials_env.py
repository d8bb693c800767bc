"""Where a user's credentials come from: the environment variables named by the settings, the public
demo key in embedded mode only, errors that name the variable and never the value, and a pool that
builds each user's trader once."""

from __future__ import annotations

import threading

import pytest
from eth_account import Account

from lt_pipeline.execution import credentials
from lt_pipeline.execution.credentials import (
    CredentialsError,
    MissingCredentials,
    TraderPool,
    demo_private_key,
    trader_for,
)
from lt_pipeline.settings import load_settings
from lt_pipeline_tests.emulator.fixtures import test_private_key

# No venue listens here: traders built with all three API variables never call it.
NOWHERE = "http://127.0.0.1:9"
KEY = test_private_key(41)
API = {"LT_API_KEY_ALICE": "k-alice", "LT_API_SECRET_ALICE": "c2VjcmV0LXNlY3JldA==", "LT_API_PASSPHRASE_ALICE": "pass-alice"}


def settings(deployment: str, tmp_path):
    env = {"LT_DEPLOYMENT": deployment, "LT_STATE_DIR": str(tmp_path), "LT_CLOB_HOST": NOWHERE}
    return load_settings(env)


def test_production_without_a_key_names_the_variable(tmp_path):
    with pytest.raises(MissingCredentials, match=r"^LT_PRIVATE_KEY_ALICE: not set; production needs user alice's private key"):
        trader_for("alice", settings("production", tmp_path), {**API})


def test_production_refuses_the_public_demo_key_without_echoing_it(tmp_path):
    env = {**API, "LT_PRIVATE_KEY_ALICE": demo_private_key("alice")}
    with pytest.raises(CredentialsError, match="LT_PRIVATE_KEY_ALICE: holds the public embedded demo key") as refused:
        trader_for("alice", settings("production", tmp_path), env)
    assert demo_private_key("alice")[2:] not in str(refused.value)


@pytest.mark.parametrize("bad", ["0x1234", "zz" * 32, KEY + "00"])
def test_a_malformed_key_is_refused_by_variable_name_only(tmp_path, bad):
    with pytest.raises(CredentialsError, match=r"^LT_PRIVATE_KEY_ALICE: expected a private key of 64 hex digits") as refused:
        trader_for("alice", settings("production", tmp_path), {**API, "LT_PRIVATE_KEY_ALICE": bad})
    assert bad not in str(refused.value)


def test_api_variables_are_all_or_nothing(tmp_path):
    env = {"LT_PRIVATE_KEY_ALICE": KEY, "LT_API_KEY_ALICE": "k-alice", "LT_API_SECRET_ALICE": "s"}
    with pytest.raises(MissingCredentials, match=r"^LT_API_PASSPHRASE_ALICE: not set; set all three API variables or none"):
        trader_for("alice", settings("production", tmp_path), env)


def test_production_trader_uses_the_given_key_creds_and_funder(tmp_path):
    address = Account.from_key(KEY).address
    trader = trader_for("alice", settings("production", tmp_path), {**API, "LT_PRIVATE_KEY_ALICE": KEY[2:]})
    assert trader.address == address and trader.funder == address and trader.api_key == "k-alice"
    assert trader.client.host == NOWHERE and trader.client.use_server_time is False

    proxy = "0x" + "cd" * 20
    env = {**API, "LT_PRIVATE_KEY_ALICE": KEY, "LT_FUNDER_ALICE": proxy}
    with pytest.raises(CredentialsError, match=r"^LT_FUNDER_ALICE: the funder 0x[cC][dD].* is not the key's address"):
        trader_for("alice", settings("production", tmp_path), env)
    assert trader_for("alice", settings("production", tmp_path), env, signature_type=1).funder.lower() == proxy
    with pytest.raises(CredentialsError, match=r"^LT_FUNDER_ALICE: expected a 0x-prefixed 40-hex funder address"):
        trader_for("alice", settings("production", tmp_path), {**env, "LT_FUNDER_ALICE": "alice.eth"})


def test_embedded_falls_back_to_a_deterministic_demo_key_per_user(tmp_path):
    embedded = settings("embedded", tmp_path)
    bob_api = {name.replace("ALICE", "BOB"): value for name, value in API.items()}
    alice = trader_for("alice", embedded, API)
    again = trader_for("alice", embedded, API)
    bob = trader_for("bob", embedded, bob_api)
    assert alice.address == again.address == Account.from_key(demo_private_key("alice")).address
    assert bob.address != alice.address
    assert alice.client.use_server_time is True  # the emulator's clock signs the auth headers
    explicit = trader_for("alice", embedded, {**API, "LT_PRIVATE_KEY_ALICE": KEY})
    assert explicit.address == Account.from_key(KEY).address  # a set variable wins, embedded or not


def test_the_pool_builds_each_users_trader_once_across_threads(tmp_path, monkeypatch):
    built: list[str] = []
    real = credentials.trader_for

    def counting(user_id, *args, **kwargs):
        built.append(user_id)
        return real(user_id, *args, **kwargs)

    monkeypatch.setattr(credentials, "trader_for", counting)
    env = {**API, **{name.replace("ALICE", "BOB"): value for name, value in API.items()}}
    pool = TraderPool(settings("embedded", tmp_path), env)
    seen: list = []
    barrier = threading.Barrier(8)

    def ask(user):
        barrier.wait()
        seen.append((user, pool[user]))

    threads = [threading.Thread(target=ask, args=("alice" if i % 2 else "bob",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(built) == ["alice", "bob"]
    assert len({id(trader) for user, trader in seen if user == "alice"}) == 1
    assert "alice" in pool and "carol" not in pool and sorted(pool) == ["alice", "bob"]
    assert repr(pool) == "TraderPool(users=['alice', 'bob'])"
