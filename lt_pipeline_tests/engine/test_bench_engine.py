"""`lt bench execution --engine --small` does its work: the engine places every order of its
strategies and the JSON says so; and a run in which the engine placed nothing exits 1. Timing is a
figure to read, never asserted here."""

from __future__ import annotations

import json

from lt_pipeline.tools import bench_engine


def test_small_benchmark_places_every_engine_signal(capsys):
    assert bench_engine.main(["--small"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["engine"]["orders"] == figures["signals"] == figures["leader_fills"] * figures["strategies"] > 0
    assert figures["leader_fills"] >= 2 and figures["strategies"] == 4
    assert figures["engine_rss_rest_mb"] > 0 and figures["sensor"]["errors"] == 0
    assert figures["sensor"]["strategies"] == 1 and figures["sensor"]["runs"] > 0 and figures["sensor"]["orders"] > 0
    assert any(line.startswith("engine at rest:") for line in lines)
    assert any(line.startswith("engine:") and "orders acknowledged" in line for line in lines)


def test_a_benchmark_in_which_the_engine_placed_nothing_exits_1(capsys, monkeypatch):
    monkeypatch.setattr(bench_engine.Leaders, "buy", lambda self, index, token_id, usd: None)  # no leader ever fills
    assert bench_engine.main(["--small", "--sensor-strategies", "0", "--every", "0", "--rest-seconds", "0"]) == 1
    captured = capsys.readouterr()
    figures = json.loads(captured.out.strip().splitlines()[-1])
    assert figures["leader_fills"] == figures["engine"]["orders"] == 0
    assert "the engine placed no order" in captured.err
