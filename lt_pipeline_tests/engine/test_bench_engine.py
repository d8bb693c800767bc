"""`lt bench execution --engine --small` does its work: the engine places every order of its
strategies and the JSON says so. Timing is a figure to read, never asserted here."""

from __future__ import annotations

import json

from lt_pipeline.tools import bench_engine


def test_small_benchmark_places_every_engine_signal(capsys):
    assert bench_engine.main(["--small", "--rest-seconds", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["engine"]["orders"] == figures["signals"] == figures["leader_fills"] * figures["strategies"] > 0
    assert figures["engine_rss_rest_mb"] > 0 and figures["sensor"]["errors"] == 0
    assert any(line.startswith("engine at rest:") for line in lines)
