"""The `lt` read commands and `lt backfill` on the tiny hand-worked ledger: what a user reads in the
tables, --json that agrees with the read models, one line and exit code 1 for an unknown id, 2 for bad
usage, and a backfill that writes the analytics under the writer's lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from lt_pipeline import operator as op
from lt_pipeline.analytics import store
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.tools.cli import main
from lt_pipeline_tests import ledger_template
from lt_pipeline_tests.analytics import tiny_ledger
from lt_pipeline_tests.foundation.test_layers import offenders

NOW = datetime(2026, 3, 12, tzinfo=timezone.utc)


@pytest.fixture
def tiny(sqlite_url, tmp_path, monkeypatch):
    engine = make_engine(sqlite_url)
    ledger_template.upgrade(engine)
    tiny_ledger.build(engine)
    env = {"LT_LEDGER_URL": sqlite_url, "LT_STATE_DIR": str(tmp_path), "LT_DUCKDB_PATH": str(tmp_path / "analytics.duckdb")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield engine
    engine.dispose()


@pytest.fixture
def lt(tiny, capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_dashboard_shows_the_card_and_its_json_agrees_with_the_read_model(tiny, lt):
    code, out, _ = lt("dashboard", "LT_A")
    assert code == 0
    for text in ("P&L", "+$57.84", "FT P&L", "+$90.83", "Difference", "-$32.99", "Win rate", "100.0% (3 of 3)",
                 "1.06¢/share", "Fill rate", "67.3% of shares", "1,200 ms (p95 3,000 ms)", "Rejection rate", "14.3%",
                 "Open positions", "1 ($11.00)", "4 filled of 7 placed", "$546.84 of $500.00"):
        assert text in out, text
    code, out, _ = lt("dashboard", "LT_A", "--json")
    shown, card = json.loads(out), op.strategy_card(tiny, None, "LT_A", NOW).as_json()
    assert code == 0 and {k: v for k, v in shown.items() if k not in ("as_of", "analytics_computed_at")} == {
        k: v for k, v in card.items() if k not in ("as_of", "analytics_computed_at")}
    code, out, _ = lt("dashboard", "--json")
    assert code == 0 and [c["strategy_id"] for c in json.loads(out)] == ["LT_A", "LT_B"]
    code, out, _ = lt("dashboard")
    assert code == 0 and "LT_A" in out and "+$57.84" in out and "not launched" in out


def test_order_show_orders_list_why_and_wallets(lt):
    code, out, _ = lt("order", "show", "lt-S4")
    assert code == 0 and "Signal (FT)  SELL at $0.6, $12 (20 shares)" in out and "Execution (Live)  FILLED" in out
    assert "Outcome  LOST: live P&L +$11.50 vs FT +$12.00" in out
    detail = json.loads(lt("order", "show", "lt-S4", "--json")[1])
    assert detail["execution"]["executed_price"] == "0.58" and detail["ft_twin"]["pnl"] == "12"

    rows = json.loads(lt("orders", "list", "--status", "filled", "--json")[1])
    assert [r["lt_order_id"] for r in rows] == ["lt-S10", "lt-S6", "lt-S4"]
    rows = json.loads(lt("orders", "list", "--strategy", "LT_A", "--since", "2026-03-11", "--json")[1])
    assert [r["lt_order_id"] for r in rows] == ["lt-S10", "lt-S9"]
    code, out, _ = lt("orders", "list", "--market", "M3")
    assert code == 0 and "lt-S3" in out and "REJECTED" in out

    decisions = json.loads(lt("why", "st-S2", "--json")[1])
    assert [(d["strategy_id"], d["decision"], d["reason"]) for d in decisions][:2] == [
        (None, "paper order", "BUY 50 shares at 0.3"), ("LT_A", "skipped", "exposure_cap")]
    code, out, _ = lt("why", "st-S2")
    assert code == 0 and "exposure_cap" in out and "no signal" in out

    wallets = json.loads(lt("wallets", "--json")[1])
    assert [(w["wallet_id"], w["paper_pnl_usd"], w["live_twins"]) for w in wallets] == [
        ("FT_A", "102.83", ["LT_A"]), ("FT_B", "6", ["LT_B"])]
    code, out, _ = lt("wallets", "FT_A")
    assert code == 0 and "+$102.83" in out and "lt strategy create --ft-wallet" in out


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["dashboard", "LT_NOPE"], 1, "lt: no LT strategy 'LT_NOPE' (see `lt strategy list`)"),
    (["order", "show", "nope"], 1, "lt: no LT order 'nope' (see `lt orders list`)"),
    (["orders", "list", "--strategy", "LT_NOPE"], 1, "lt: no LT strategy 'LT_NOPE' (see `lt strategy list`)"),
    (["why", "st-nope"], 1, "lt: no source trade 'st-nope'"),
    (["wallets", "FT_NOPE"], 1, "lt: no FT wallet 'FT_NOPE' (see `lt wallets`)"),
    (["report", "LT_NOPE"], 1, "lt: no LT strategy 'LT_NOPE' (see `lt strategy list`)"),
    (["orders", "list", "--since", "2026-03-11", "--until", "2026-03-10"], 2,
     "lt: orders list: Invalid value for '--until': expected a time after --since 2026-03-11 00:00, got 2026-03-10 00:00"),
    (["orders", "list", "--limit", "0"], 2, "lt: orders list: Invalid value for '--limit': 0 is not in the range 1<=x<=10000"),
    (["orders", "list", "--status", "DONE"], 2, "expected one of SKIPPED, INTENT_STORED"),
    (["order", "show"], 2, "lt: order show: Missing argument 'ID'"),
    (["dashboard", "LT_A", "--frobnicate"], 2, "lt: dashboard: No such option '--frobnicate'"),
    (["backfill", "--start", "2026-03-11", "--end", "2026-03-10"], 2,
     "lt: backfill: Invalid value for '--end': expected a day on or after --start 2026-03-11, got 2026-03-10"),
    (["backfill", "--start", "2026-03-11", "--chunk-days", "0"], 2, "Invalid value for '--chunk-days'"),
    (["backfill", "--start", "yesterday"], 2, "Invalid value for '--start': 'yesterday' does not match"),
])
def test_bad_input_is_one_line_with_a_documented_exit_code(lt, argv, code, message):
    got, out, err = lt(*argv)
    assert (got, out) == (code, "")
    assert err.count("\n") == 1 and err.startswith("lt: ") and message in err, err


def lt_process(*argv: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lt_pipeline.tools.cli", *argv], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_backfill_writes_the_analytics_and_waits_for_the_writer_lock(tiny, tmp_path):
    path = tmp_path / "analytics.duckdb"
    env = {name: os.environ[name] for name in ("LT_LEDGER_URL", "LT_STATE_DIR", "LT_DUCKDB_PATH")}
    with store.file_lock(path, exclusive=True):  # a Dagster materialisation holding the writer's lock
        waiting = lt_process("backfill", "--start", "2026-03-10", "--end", "2026-03-11", "--chunk-days", "1", env=env)
        time.sleep(3)
        assert waiting.poll() is None, waiting.communicate()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "backfilled 2 day(s) 2026-03-10..2026-03-11" in out and "11 signal(s)" in out  # 8 signals, then 3 more
    card = op.strategy_card(tiny, path, "LT_A", NOW)
    with store.reader(path) as duck:
        signals, live_pnl = duck.execute(
            "SELECT sum(signals), sum(live_pnl) FROM strategy_quality_daily WHERE strategy_id = 'LT_A'").fetchone()
    assert signals == card.counts["signals"] and live_pnl == card.pnl_usd and card.analytics_computed_at is not None

    as_json = lt_process("backfill", "--start", "2026-03-11", "--end", "2026-03-11", "--json", env=env)
    out, err = as_json.communicate(timeout=120)
    assert as_json.returncode == 0, err
    chunk = json.loads(out)
    assert as_json.returncode == 0 and chunk["signals"] == 3 and chunk["live_pnl"].startswith("23.331")


def test_the_read_models_are_plain_python():
    assert offenders("operator", "dagster", "lt_pipeline.defs", "lt_pipeline.tools") == []


def test_a_read_command_with_no_state_yet_says_where_it_looked_and_creates_nothing(tmp_path, monkeypatch, capsys):
    state = tmp_path / "elsewhere"
    monkeypatch.delenv("LT_LEDGER_URL", raising=False)
    monkeypatch.setenv("LT_STATE_DIR", str(state))
    assert main(["strategy", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"lt: no ledger at {state / 'ledger.db'}")
    assert "make run" in err and not state.exists()
