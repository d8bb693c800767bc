"""`lt user ...`, `lt strategy ...` and `lt halt | unhalt` as a user types them: add a user, create, list,
launch, edit, pause, resume, show, halt and unhalt; bad input is one line naming what was wrong, a
non-zero exit code (1 for an unknown id, 2 for bad usage or a refused change), and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from lt_pipeline.execution.controls import is_halted
from lt_pipeline.execution.strategies import get_strategy
from lt_pipeline.ledger.schema import lt_strategies, lt_strategy_versions, system_controls, users
from lt_pipeline.tools.cli import main

from .lifecycle_support import add_ft_wallets, ft_wallet


@pytest.fixture
def cli(ledger_engine, ledger_url, tmp_path, monkeypatch, capsys):
    add_ft_wallets(ledger_engine, ft_wallet("FT_ALPHA", name="Alpha sharp"))
    monkeypatch.setenv("LT_LEDGER_URL", ledger_url)
    monkeypatch.setenv("LT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LT_DEFAULT_USER", "alice")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    run.engine = ledger_engine
    return run


def ledger_rows(engine) -> list:
    """Everything these commands may write."""
    with engine.connect() as connection:
        return [connection.execute(select(table)).all() for table in (users, lt_strategies, lt_strategy_versions, system_controls)]


def test_a_strategy_from_creation_to_pause_and_back(cli):
    code, out, _ = cli("user", "add", "alice", "--name", "Alice")
    assert code == 0 and out.startswith("added user alice (Alice)") and "LT_PRIVATE_KEY_ALICE" in out
    code, out, _ = cli("strategy", "create", "--ft-wallet", "FT_ALPHA", "--capital", "250",
                       "--max-order", "20", "--max-daily-loss", "30", "--order-type", "fak", "--no-sync")
    assert code == 0 and "created LT_FT_ALPHA (Alpha sharp (Live)) for user alice" in out
    assert "lt strategy launch LT_FT_ALPHA" in out
    strategy = get_strategy(cli.engine, "LT_FT_ALPHA")
    assert str(strategy.settings.starting_capital) == "250" and strategy.settings.order_type == "FAK"
    assert strategy.settings.sync_ft_changes is False

    code, out, _ = cli("strategy", "list")
    assert code == 0 and "LT_FT_ALPHA" in out and "not launched" in out and "order $1-$20" in out
    [listed] = json.loads(cli("strategy", "list", "--json")[1])["strategies"]
    assert listed["status"] == "not launched" and listed["settings"]["max_daily_loss_usd"] == "30"

    assert cli("strategy", "launch", "LT_FT_ALPHA")[0] == 0
    code, out, _ = cli("strategy", "edit", "LT_FT_ALPHA", "--max-order", "40", "--tolerance", "2", "--no-daily-loss")
    assert code == 0 and "LT_FT_ALPHA: max_order_size_usd 20 -> 40" in out
    assert "max_daily_loss_usd 30 -> none" in out
    assert get_strategy(cli.engine, "LT_FT_ALPHA").settings.max_daily_loss_usd is None

    code, out, _ = cli("strategy", "pause", "LT_FT_ALPHA", "--reason", "earnings call")
    assert code == 0 and out.strip() == "paused LT_FT_ALPHA: earnings call"
    assert json.loads(cli("strategy", "list", "--json")[1])["strategies"][0]["status"] == "paused"
    assert cli("strategy", "resume", "LT_FT_ALPHA")[0] == 0
    assert get_strategy(cli.engine, "LT_FT_ALPHA").status == "live"

    code, out, _ = cli("strategy", "show", "LT_FT_ALPHA")
    assert code == 0 and "max_order_size_usd = 40" in out and "sync_ft_changes = false" in out
    assert "places a signal now: yes" in out
    history = out.split("history:")[1].strip().splitlines()
    assert len(history) == 5 and "created from FT wallet FT_ALPHA (config v1)" in history[0]
    assert "launched_at none ->" in history[1] and "max_order_size_usd 20 -> 40" in history[2]
    assert "pause_reason none -> earnings call" in history[3]
    shown = json.loads(cli("strategy", "show", "LT_FT_ALPHA", "--json")[1])
    assert shown["places_now"] is True and len(shown["history"]) == 5

    [user] = json.loads(cli("user", "list", "--json")[1])
    assert user["user_id"] == "alice" and "LT_PRIVATE_KEY_ALICE" in user["key_variables"]


def test_create_with_launch_launches_at_once(cli):
    cli("user", "add", "alice")
    code, out, _ = cli("strategy", "create", "--ft-wallet", "FT_ALPHA", "--launch")
    assert code == 0 and "launched LT_FT_ALPHA" in out
    assert get_strategy(cli.engine, "LT_FT_ALPHA").launched_at is not None


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["strategy", "create", "--ft-wallet", "FT_ALPHA", "--capital", "-5"], 2,
         "starting_capital (--capital): expected a positive amount, got -5"),
        (["strategy", "create", "--ft-wallet", "FT_ALPHA", "--tolerance", "150"], 2,
         "slippage_tolerance_pct (--tolerance): expected a percentage between 0 and 100, got 150"),
        (["strategy", "create", "--ft-wallet", "FT_ALPHA", "--order-type", "LIMIT"], 2,
         "Invalid value for '--order-type': expected one of GTC, FOK, FAK, got 'LIMIT'"),
        (["strategy", "create", "--ft-wallet", "FT_ALPHA", "--ttl", "1.5"], 2,
         "order_ttl_seconds (--ttl): expected a whole number of seconds"),
        (["strategy", "create", "--ft-wallet", "FT_NOPE"], 1, "no FT wallet 'FT_NOPE' (see `lt wallets`)"),
        (["strategy", "create", "--ft-wallet", "FT_ALPHA", "--user", "zed"], 1, "no user 'zed' (add it with `lt user add"),
        (["strategy", "create", "--ft-wallet", "FT_ALPHA"], 2, "ft_wallet_id: user 'alice' already has LT_FT_ALPHA"),
        (["strategy", "edit", "LT_FT_ALPHA", "--max-order", "0.5"], 2,
         "max_order_size_usd (--max-order): must be at least min_order_size_usd"),
        (["strategy", "edit", "LT_FT_ALPHA"], 2, "expected at least one setting to change, such as --max-order 60"),
        (["strategy", "edit", "LT_FT_ALPHA", "--max-daily-loss", "30", "--no-daily-loss"], 2,
         "--no-daily-loss and --max-daily-loss conflict"),
        (["strategy", "edit", "LT_NOPE", "--max-order", "30"], 1, "no LT strategy 'LT_NOPE' (see `lt strategy list`)"),
        (["strategy", "launch", "LT_NOPE"], 1, "no LT strategy 'LT_NOPE' (see `lt strategy list`)"),
        (["strategy", "launch", "LT_FT_ALPHA"], 2, "launched_at: LT_FT_ALPHA was launched at"),
        (["strategy", "resume", "LT_FT_ALPHA"], 2, "LT_FT_ALPHA: not paused (status live)"),
        (["strategy", "show", "LT_NOPE"], 1, "no LT strategy 'LT_NOPE'"),
        (["strategy", "pause", "LT_FT_ALPHA", "--frobnicate"], 2, "strategy pause: No such option '--frobnicate'"),
        (["strategy", "list", "--user", "zed"], 1, "no user 'zed' (see `lt user list`)"),
        (["halt"], 2, "Missing option '--reason'"),
        (["user", "add", "bad id"], 2, "user_id: expected 1-64 letters"),
        (["user", "add", "bob", "--funder", "0x12"], 2, "funder_address: expected a 0x-prefixed 40-hex address"),
    ],
)
def test_bad_input_is_one_line_a_nonzero_exit_and_changes_nothing(cli, argv, code, message):
    cli("user", "add", "alice")
    cli("strategy", "create", "--ft-wallet", "FT_ALPHA", "--launch")
    before = ledger_rows(cli.engine)
    got, out, err = cli(*argv)
    assert (got, out) == (code, "")
    assert err.count("\n") == 1 and err.startswith("lt: ") and message in err, err
    assert ledger_rows(cli.engine) == before


def test_a_halted_strategy_is_not_edited_and_halt_shows_everywhere(cli):
    cli("user", "add", "alice")
    cli("strategy", "create", "--ft-wallet", "FT_ALPHA")
    code, out, _ = cli("halt", "--reason", "venue incident")
    assert code == 0 and out.strip() == "global halt ON: venue incident; 0 resting order(s) cancelled"
    assert is_halted(cli.engine) == (True, "venue incident")
    assert cli("strategy", "list")[1].startswith("GLOBAL HALT ON")
    assert "places a signal now: no (not_launched" in cli("strategy", "show", "LT_FT_ALPHA")[1]
    cli("strategy", "launch", "LT_FT_ALPHA")
    assert "places a signal now: no (halted: global halt: venue incident)" in cli("strategy", "show", "LT_FT_ALPHA")[1]

    before = ledger_rows(cli.engine)
    code, out, err = cli("strategy", "edit", "LT_FT_ALPHA", "--max-order", "30")
    assert code == 2 and err.strip() == ("lt: LT_FT_ALPHA: the global halt is on (venue incident); settings are not "
                                         "edited while halted, turn it off with `lt unhalt` first")
    assert ledger_rows(cli.engine) == before

    assert cli("unhalt")[0] == 0
    assert "places a signal now: yes" in cli("strategy", "show", "LT_FT_ALPHA")[1]
    assert is_halted(cli.engine) == (False, None)
    assert cli("strategy", "edit", "LT_FT_ALPHA", "--max-order", "30")[0] == 0


def test_the_older_spellings_still_work(cli):
    code, out, _ = cli("strategy", "user", "alice", "--name", "Alice")  # was `lt strategy user`
    assert code == 0 and "user alice (Alice)" in out
    assert cli("strategy", "halt", "--reason", "drill")[0] == 0  # was `lt strategy halt`
    assert is_halted(cli.engine) == (True, "drill")
    assert cli("strategy", "unhalt")[0] == 0 and is_halted(cli.engine) == (False, None)


def test_the_lt_command_routes_strategy_subcommands(sqlite_url, tmp_path):
    env = {**os.environ, "LT_LEDGER_URL": sqlite_url, "LT_STATE_DIR": str(tmp_path)}
    lt = [sys.executable, "-m", "lt_pipeline.tools.cli"]
    assert subprocess.run([*lt, "db", "upgrade"], env=env, capture_output=True, text=True).returncode == 0
    listed = subprocess.run([*lt, "strategy", "list"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0 and "no LT strategies yet" in listed.stdout
    bad = subprocess.run([*lt, "strategy", "launch", "LT_NOPE"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip() == "lt: no LT strategy 'LT_NOPE' (see `lt strategy list`)"
