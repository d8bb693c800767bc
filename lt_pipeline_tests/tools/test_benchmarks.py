"""Every `lt bench` benchmark at a small size, as a user runs it: exit code 0 and, from the last JSON
line, counts of work done equal to the size asked for (counts, never times). And a benchmark that
cannot do its work exits non-zero, naming what is missing. (`lt bench execution --sensor-path` runs
the whole stack in real time for minutes, so it is not run here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def lt_bench(*args: str, tmp_path) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LT_")}
    env.update(LT_STATE_DIR=str(tmp_path), NO_PROXY="127.0.0.1,localhost")
    done = subprocess.run(
        [sys.executable, "-m", "lt_pipeline.tools.cli", "bench", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )
    lines = done.stdout.strip().splitlines()
    try:
        figures = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        figures = {}
    return done, figures


def test_bench_emulator_places_every_order_it_posts(tmp_path):
    done, figures = lt_bench(
        "emulator", "--orders", "20", "--batches", "2", "--markets", "3", "--processes", "1", tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert (figures["requested_single"], figures["orders_single"]) == (20, 20)
    assert (figures["requested_batched"], figures["orders_batched"]) == (30, 30)
    assert figures["venue_orders_placed"] == 50
    assert figures["http_500s"] == 0


def test_bench_strategy_decides_every_wallet_trade_pair(tmp_path):
    done, figures = lt_bench("strategy", "--wallets", "40", "--trades", "300", "--repeats", "1", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (figures["wallets"], figures["trades"]) == (40, 300)
    assert figures["requested_pairs"] == figures["pairs_decided"] == 40 * 300
    assert figures["accepted"] + figures["rejected"] == 40 * 300
    assert figures["accepted"] > 0


def test_bench_execution_acknowledges_every_order(tmp_path):
    done, figures = lt_bench("execution", "--strategies", "3", "--per-strategy", "2", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert figures["requested"] == figures["signals"] == 6
    assert figures["acknowledged"] == figures["accepted"] == figures["venue_orders_placed"] == 6
    assert (figures["rejected"], figures["unknown"], figures["skipped"]) == (0, 0, 0)


def test_bench_execution_without_collateral_fails_naming_what_is_missing(tmp_path):
    # The bench's venue wallet holds nothing, so the venue cannot take a single order.
    done, figures = lt_bench("execution", "--strategies", "2", "--per-strategy", "2", "--faucet", "0", tmp_path=tmp_path)
    assert done.returncode == 1
    assert figures["requested"] == 4 and figures["acknowledged"] == 0
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("bench execution: 0 of 4 orders acknowledged"), done.stderr
    assert "expected all 4" in message


@pytest.mark.parametrize(
    "args, missing",
    [
        (("strategy", "--wallets", "0", "--trades", "300", "--repeats", "1"), "bench strategy: no wallet x trade pairs"),
        (("execution", "--strategies", "0"), "--strategies and --per-strategy must be at least 1"),
        (("emulator", "--orders", "0"), "must be at least 1"),
    ],
)
def test_a_bench_asked_for_no_work_exits_non_zero(tmp_path, args, missing):
    done, _ = lt_bench(*args, tmp_path=tmp_path)
    assert done.returncode != 0
    assert missing in done.stderr


def test_bench_detection_polls_every_tracked_trader_within_the_quota_and_sees_their_trades(tmp_path):
    done, figures = lt_bench("detection", "--traders", "40", "--seconds", "8", "--cycle", "2", "--speed", "60",
                             tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert figures["traders"] == 40 and figures["batch_per_cycle"] == 18 and figures["cycles_per_rotation"] == 3
    assert figures["polls"] == figures["cycles"] * 18 and figures["throttled_429"] == 0
    assert figures["detections"] > 0
