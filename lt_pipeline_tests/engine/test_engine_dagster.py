"""Dagster stays the system of record: the engine's ticks appear as runless asset events of the
execution job's own assets (materializations of source_trades, ft_orders and lt_orders with the
engine's figures; an observation of lt_fills for fast-path fills), batched, tagged, and none when the
engine did nothing. And `lt engine --once` runs one tick from the command line."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import pytest

from lt_pipeline.engine.dagster_events import DagsterReporter
from lt_pipeline.engine.fills import FillReport
from lt_pipeline.engine.lane import TickReport
from lt_pipeline.execution.executor import ExecutionReport
from lt_pipeline.forward_test.signals import SignalReport
from lt_pipeline.ingest.source_trades import IngestReport
from lt_pipeline.tools import engine as engine_cli
from lt_pipeline_tests.emulator.fixtures import emulator  # noqa: F401  (the fixture)
from lt_pipeline_tests.engine.test_engine_detection import world  # noqa: F401  (the fixture)

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def busy_tick() -> TickReport:
    return TickReport(
        NOW, sightings=2, traders=2, via={"poll": 2}, ingest=IngestReport(traders_polled=2, trades_new=3),
        signals=SignalReport(orders_created=6),
        execution=ExecutionReport(signals=6, claimed=6, submitted=5, accepted=5, skipped={"stale_signal": 1}),
        seconds=0.2, signal_to_ack_ms=[300, 400, 500, 600, 700],
    )


def test_engine_work_is_reported_as_runless_events_of_the_same_assets():
    with dg.instance_for_test() as instance:
        reporter = DagsterReporter(lambda: instance, flush_seconds=3600)
        reporter.add(TickReport(NOW, execution=ExecutionReport()))  # an idle sweep
        assert reporter.flush() == 0
        reporter.add(busy_tick())
        reporter.add(busy_tick())
        reporter.add_fills(FillReport(trades=4, fills_new=4, lt_orders_updated=3))
        assert reporter.flush() == 4

        orders = instance.get_latest_materialization_event(dg.AssetKey("lt_orders")).asset_materialization
        assert orders.metadata["accepted"].value == 10 and orders.metadata["signal_to_ack_p50_ms"].value == 500
        assert orders.tags["lt/writer"] == "engine"
        trades = instance.get_latest_materialization_event(dg.AssetKey("source_trades")).asset_materialization
        assert trades.metadata["trades_new"].value == 6
        assert instance.get_latest_materialization_event(dg.AssetKey("ft_orders")) is not None
        records = instance.fetch_observations(dg.AssetKey("lt_fills"), limit=5).records
        assert [r.asset_observation.metadata["fills_new"].value for r in records] == [4]
        assert reporter.flush() == 0  # reported once


def test_a_dagster_that_cannot_be_reached_keeps_the_figures_for_the_next_try():
    with dg.instance_for_test() as instance:
        opened = []

        def open_instance():
            opened.append(1)
            if len(opened) == 1:
                raise OSError("instance storage unavailable")
            return instance

        reporter = DagsterReporter(open_instance, flush_seconds=3600)
        reporter.add(busy_tick())
        assert reporter.flush() == 0 and reporter.failures == 1
        assert reporter.flush() == 3
        orders = instance.get_latest_materialization_event(dg.AssetKey("lt_orders")).asset_materialization
        assert orders.metadata["accepted"].value == 5


def test_lt_engine_once_runs_one_tick_from_the_command_line(world, monkeypatch, tmp_path, capsys):  # noqa: F811
    monkeypatch.setenv("LT_STATE_DIR", str(tmp_path / "state"))
    url = str(world.engine.url)
    assert engine_cli.main(["--once", "--venue", world.emulator.url, "--ledger-url", url, "--no-dagster",
                            "--log-level", "WARNING"]) == 0
    out = capsys.readouterr().out
    assert "lt engine: detection: polling" in out and "lt engine: one tick:" in out


@pytest.mark.parametrize("level, shown", [("INFO", False), ("DEBUG", True)])
def test_the_engines_log_has_no_line_per_http_request_unless_debugging(level, shown, emulator, caplog):  # noqa: F811
    import logging

    import httpx

    from lt_pipeline.tools.engine import CHATTY_LOGGERS, configure_logging

    try:
        configure_logging(level)
        with caplog.at_level(logging.DEBUG if level == "DEBUG" else logging.INFO):
            httpx.get(f"{emulator.url}/time", timeout=10).raise_for_status()
        assert ("HTTP Request: GET" in caplog.text) is shown
    finally:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
