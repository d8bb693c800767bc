"""Invariant 7: a user's private key, API secret and passphrase never reach the ledger, a log record,
the CLI's output or the repr/str of our objects, through a whole pause-and-halt session."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from lt_pipeline.tools.strategy_cli import main
from lt_pipeline.execution.controls import halt
from lt_pipeline.execution.credentials import TraderPool, trader_for_strategy
from lt_pipeline.execution.strategies import check_daily_loss, create_strategy, ensure_user, get_strategy, launch, pause
from lt_pipeline.ledger.schema import metadata
from lt_pipeline_tests.emulator.fixtures import emulator, test_private_key  # noqa: F401  (fixture)

from .lifecycle_support import T0, add_ft_wallets, add_lt_order, add_signal, emulator_settings, ft_wallet, place_resting


def ledger_text(engine) -> str:
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row)) for table in metadata.sorted_tables for row in connection.execute(select(table))
        )


def log_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in records
    )


def test_no_secret_leaves_the_signer(ledger_engine, ledger_url, emulator, tmp_path, caplog, capsys, monkeypatch):  # noqa: F811
    caplog.set_level(logging.DEBUG)  # every logger: ours, the client library's, httpx/httpcore
    key = test_private_key(77)
    env = {"LT_PRIVATE_KEY_ALICE": key}
    settings = emulator_settings(emulator, tmp_path)
    pool = TraderPool(settings, env, engine=ledger_engine)

    add_ft_wallets(ledger_engine, ft_wallet("FT_ALPHA"))
    ensure_user(ledger_engine, "alice", "Alice", now=T0)
    strategy_id = create_strategy(ledger_engine, "alice", "FT_ALPHA", {"max_daily_loss_usd": "5"}, T0)
    strategy = launch(ledger_engine, strategy_id, T0)
    trader = trader_for_strategy(ledger_engine, strategy_id, pool)
    creds = trader.client.creds  # derived from the key over L1 auth: the venue's secret and passphrase
    secrets = {
        "private key": key[2:].lower(),
        "API secret": creds.api_secret,
        "API passphrase": creds.api_passphrase,
    }

    first = place_resting(emulator, trader)
    add_lt_order(ledger_engine, strategy_id, "alice", add_signal(ledger_engine, "FT_ALPHA", 1), status="LIVE", order_id=first)
    paused = pause(ledger_engine, strategy_id, "checking", T0 + timedelta(minutes=1), cancel_resting=True, trader=trader)
    assert [c.order_id for c in paused.cancels.cancelled] == [first]
    second = place_resting(emulator, trader)
    add_lt_order(ledger_engine, strategy_id, "alice", add_signal(ledger_engine, "FT_ALPHA", 2), status="LIVE", order_id=second)
    report = halt(ledger_engine, "drill", T0 + timedelta(minutes=2), traders=pool)
    assert [c.order_id for c in report.cancels.cancelled] == [second]
    check_daily_loss(ledger_engine, strategy_id, T0 + timedelta(minutes=3), trader=trader)

    # The CLI path reads the same variables from the process environment.
    for name, value in {**env, "LT_LEDGER_URL": ledger_url, "LT_STATE_DIR": str(tmp_path), "LT_CLOB_HOST": emulator.url}.items():
        monkeypatch.setenv(name, value)
    third = place_resting(emulator, trader)
    add_lt_order(ledger_engine, strategy_id, "alice", add_signal(ledger_engine, "FT_ALPHA", 3), status="LIVE", order_id=third)
    assert main(["pause", strategy_id, "--cancel-resting"]) == 0
    assert main(["halt", "--reason", "second drill"]) == 0
    assert trader.order(third) is None and emulator.venue.get_order(third).status == "CANCELED"
    output = capsys.readouterr()

    objects = [trader, pool, strategy, get_strategy(ledger_engine, strategy_id), paused, report, settings]
    places = {
        "ledger": ledger_text(ledger_engine).lower(),
        "logs": log_text(caplog.records).lower(),
        "CLI output": (output.out + output.err).lower(),
        "repr/str": "\n".join(repr(o) + str(o) for o in objects).lower(),
    }
    assert caplog.records, "the session logged nothing, so the log check would prove nothing"
    for what, secret in secrets.items():
        for where, text in places.items():
            assert secret.lower() not in text, f"the {what} appears in the {where}"
