"""`lt strategy ...` as a user types it: add a user, create, list, launch, edit, pause, resume, show,
halt and unhalt; bad input is one line naming the field, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lt_pipeline.tools.strategy_cli import main
from lt_pipeline.execution.controls import is_halted
from lt_pipeline.execution.strategies import get_strategy

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


def test_a_strategy_from_creation_to_pause_and_back(cli):
    assert cli("user", "alice", "--name", "Alice")[0] == 0
    code, out, _ = cli("create", "--ft-wallet", "FT_ALPHA", "--capital", "250", "--max-order", "20",
                       "--max-daily-loss", "30", "--order-type", "fak", "--no-sync")
    assert code == 0 and "created LT_FT_ALPHA (Alpha sharp (Live)) for user alice" in out
    assert "lt strategy launch LT_FT_ALPHA" in out
    strategy = get_strategy(cli.engine, "LT_FT_ALPHA")
    assert str(strategy.settings.starting_capital) == "250" and strategy.settings.order_type == "FAK"
    assert strategy.settings.sync_ft_changes is False

    code, out, _ = cli("list")
    header, row = out.splitlines()
    assert header.split()[:4] == ["id", "user", "FT", "wallet"]
    assert row.split()[:6] == ["LT_FT_ALPHA", "alice", "FT_ALPHA", "not", "launched", "-"]
    assert "order $1-$20" in row and "daily loss $30" in row and "FAK" in row

    assert cli("launch", "LT_FT_ALPHA")[0] == 0
    code, _, err = cli("launch", "LT_FT_ALPHA")
    assert code == 2 and "launched_at: LT_FT_ALPHA was launched at" in err
    code, out, _ = cli("edit", "LT_FT_ALPHA", "--max-order", "40", "--tolerance", "2", "--max-daily-loss", "none")
    assert code == 0 and "LT_FT_ALPHA: max_order_size_usd 20 -> 40" in out
    assert "max_daily_loss_usd 30 -> none" in out
    assert get_strategy(cli.engine, "LT_FT_ALPHA").settings.max_daily_loss_usd is None

    code, out, _ = cli("pause", "LT_FT_ALPHA", "--reason", "earnings call")
    assert code == 0 and out.strip() == "paused LT_FT_ALPHA: earnings call"
    assert "paused" in cli("list")[1].splitlines()[1]
    assert cli("resume", "LT_FT_ALPHA")[0] == 0
    assert get_strategy(cli.engine, "LT_FT_ALPHA").status == "live"

    code, out, _ = cli("show", "LT_FT_ALPHA")
    assert code == 0 and "max_order_size_usd = 40" in out and "sync_ft_changes = false" in out
    assert "places a signal now: yes" in out
    history = out.split("history:")[1].strip().splitlines()
    assert len(history) == 5 and "created from FT wallet FT_ALPHA (config v1)" in history[0]
    assert "launched_at none ->" in history[1] and "max_order_size_usd 20 -> 40" in history[2]
    assert "pause_reason none -> earnings call" in history[3]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "--ft-wallet", "FT_ALPHA", "--capital", "-5"], "starting_capital (--capital): expected a positive amount, got -5"),
        (["create", "--ft-wallet", "FT_ALPHA", "--tolerance", "150"], "slippage_tolerance_pct (--tolerance): expected a percentage"),
        (["create", "--ft-wallet", "FT_ALPHA", "--order-type", "LIMIT"], "order_type (--order-type): expected one of GTC, FOK, FAK"),
        (["create", "--ft-wallet", "FT_ALPHA", "--ttl", "1.5"], "order_ttl_seconds (--ttl): expected a whole number of seconds"),
        (["create", "--ft-wallet", "FT_NOPE"], "ft_wallet_id: no FT wallet 'FT_NOPE'"),
        (["create", "--ft-wallet", "FT_ALPHA", "--user", "zed"], "user_id: no user 'zed'"),
        (["edit", "LT_FT_ALPHA", "--max-order", "0.5"], "max_order_size_usd (--max-order): must be at least min_order_size_usd"),
        (["edit", "LT_FT_ALPHA"], "edit: expected at least one setting to change"),
        (["launch", "LT_NOPE"], "strategy_id: no LT strategy 'LT_NOPE'"),
        (["pause", "LT_FT_ALPHA", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["halt"], "the following arguments are required: --reason"),
        (["user", "bad id"], "user_id: expected 1-64 letters"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_with_exit_code_2(cli, argv, message):
    cli("user", "alice")
    if argv[0] in ("edit", "pause"):
        cli("create", "--ft-wallet", "FT_ALPHA")
    code, out, err = cli(*argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("lt strategy: ") and message in err, err


def test_halt_and_unhalt_show_in_the_list(cli):
    cli("user", "alice")
    cli("create", "--ft-wallet", "FT_ALPHA")
    code, out, _ = cli("halt", "--reason", "venue incident")
    assert code == 0 and out.strip() == "global halt ON: venue incident; 0 resting order(s) cancelled"
    assert is_halted(cli.engine) == (True, "venue incident")
    assert cli("list")[1].splitlines()[0] == "GLOBAL HALT ON: venue incident"
    assert "places a signal now: no (not_launched" in cli("show", "LT_FT_ALPHA")[1]
    cli("launch", "LT_FT_ALPHA")
    assert "places a signal now: no (halted: global halt: venue incident)" in cli("show", "LT_FT_ALPHA")[1]
    assert cli("unhalt")[0] == 0
    assert "places a signal now: yes" in cli("show", "LT_FT_ALPHA")[1]
    assert is_halted(cli.engine) == (False, None)
    assert not cli("list")[1].startswith("GLOBAL")


def test_the_lt_command_routes_strategy_subcommands(sqlite_url, tmp_path):
    env = {**os.environ, "LT_LEDGER_URL": sqlite_url, "LT_STATE_DIR": str(tmp_path)}
    lt = [sys.executable, "-m", "lt_pipeline.tools.cli"]
    assert subprocess.run([*lt, "db", "upgrade"], env=env, capture_output=True, text=True).returncode == 0
    listed = subprocess.run([*lt, "strategy", "list"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0 and "no LT strategies yet" in listed.stdout
    bad = subprocess.run([*lt, "strategy", "launch", "LT_NOPE"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip() == "lt strategy: strategy_id: no LT strategy 'LT_NOPE'"
