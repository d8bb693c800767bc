"""`lt emulator serve` and `lt bench emulator` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from lt_pipeline.tools import bench_emulator as bench
from lt_pipeline.tools import emulator_serve as serve


def test_serve_answers_on_loopback_with_faults_and_stops(tmp_path):
    scenario = tmp_path / "one.yaml"
    scenario.write_text("random_traders: 0\nmarkets:\n  - question: Will it rain?\n    end_in_minutes: 90\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "lt_pipeline.tools.emulator_serve", "--port", "0", "--seed", "3", "--scenario", str(scenario),
         "--faults", "throttled", "--faucet", "50", "--paused"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("emulator listening on http://127.0.0.1:")
        url = line.split("listening on ", 1)[1].split(" ", 1)[0]
        statuses = {httpx.get(f"{url}/ok").status_code for _ in range(30)}
        assert statuses == {200, 429}  # the throttled profile refuses about a third
        markets = httpx.get(f"{url}/gamma/markets").json()
        assert [m["question"] for m in markets] == ["Will it rain?"]
        assert httpx.get(f"{url}/admin/clock").json()["simulated"] is False  # real time by default
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_refuses_bad_arguments_with_one_line(capsys):
    assert serve.main(["--faults", "gremlins"]) == 2
    assert "faults: expected one of none, flaky" in capsys.readouterr().err
    assert serve.main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "loopback only" in capsys.readouterr().err
    assert serve.main(["--faucet", "lots", "--port", "0"]) == 2
    assert "--faucet" in capsys.readouterr().err


def test_bench_prints_figures_and_ends_with_one_json_line(capsys):
    assert bench.main(["--orders", "20", "--batches", "2", "--markets", "3", "--processes", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["orders_single"] == 20 and figures["orders_batched"] == 30 and figures["http_500s"] == 0
    assert figures["orders_per_s_single"] > 0 and figures["memory_mb"] > 0
    assert any("orders/s accepted with signature verification" in line for line in lines[:-1])
