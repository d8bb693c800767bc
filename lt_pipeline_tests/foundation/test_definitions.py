"""The Dagster code location loads, with the names that history hangs on pinned."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from lt_pipeline.defs.resources import LedgerResource

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def definitions(tmp_path, monkeypatch):
    monkeypatch.setenv("LT_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("LT_LEDGER_URL", raising=False)
    from lt_pipeline.definitions import defs

    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    return loaded


def test_definitions_load_with_the_shared_resources(definitions):
    assert {"ledger", "venue", "duckdb", "clock"} <= set(definitions.resources)
    assert definitions.resolve_job_def("prune_runs_job") is not None
    schedule = definitions.resolve_schedule_def("prune_runs_job_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_ledger_resource_refuses_a_database_behind_the_latest_migration(sqlite_url):
    resource = LedgerResource(url=sqlite_url)
    with pytest.raises(dg.DagsterResourceFunctionError) as error:
        with dg.build_resources({"ledger": resource}):
            pass
    assert "run `lt db upgrade`" in str(error.value.__cause__)


def test_dg_check_defs_passes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LT_", "DAGSTER_"))}
    env["LT_STATE_DIR"] = str(tmp_path)
    home = subprocess.run(
        [sys.executable, "-m", "lt_pipeline.tools.cli", "dagster-home"], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    env["DAGSTER_HOME"] = home
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_asset_job_schedule_sensor_and_check_names_are_pinned(definitions):
    keys = {key.to_user_string() for key in definitions.resolve_all_asset_keys()}
    assert keys == {
        "tracked_traders", "ft_wallets", "source_trades", "ft_orders", "lt_strategies", "lt_orders", "lt_fills",
        "market_resolutions", "ft_outcomes", "lt_outcomes", "strategy_alerts", "ft_vs_lt_pictures",
        "strategy_quality_daily", "ft_vs_lt_daily", "ft_vs_lt_by_trader_daily", "ft_vs_lt_by_category_daily",
        "ft_vs_lt_by_price_bucket_daily", "skip_reasons_daily", "signal_facts",
    }
    execution = definitions.resolve_job_def("execution_job")
    assert {k.to_user_string() for k in execution.asset_layer.executable_asset_keys} >= {
        "source_trades", "ft_orders", "lt_orders", "lt_fills", "strategy_alerts"
    }
    resolution = definitions.resolve_job_def("resolution_job")
    assert {k.to_user_string() for k in resolution.asset_layer.executable_asset_keys} == {
        "market_resolutions", "ft_outcomes", "lt_outcomes", "ft_vs_lt_pictures"
    }
    every_2 = definitions.resolve_schedule_def("execution_every_2_minutes")
    every_10 = definitions.resolve_schedule_def("resolution_every_10_minutes")
    assert (every_2.cron_schedule, every_10.cron_schedule) == ("*/2 * * * *", "*/10 * * * *")
    assert every_2.default_status == every_10.default_status == dg.DefaultScheduleStatus.RUNNING
    ended = definitions.resolve_sensor_def("markets_ended_sensor")
    assert ended.default_status == dg.DefaultSensorStatus.RUNNING and ended.job_name == "resolution_job"
    sensor = definitions.resolve_sensor_def("new_signals_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING and sensor.minimum_interval_seconds == 5
    checks = {key.name for check in definitions.asset_checks for key in check.check_keys}
    assert {"no_duplicate_live_orders", "exposure_within_caps", "nothing_placed_while_paused", "ledger_matches_venue",
            "no_open_alerts"} <= checks
    money = {"no_duplicate_live_orders", "exposure_within_caps", "nothing_placed_while_paused", "ledger_matches_venue"}
    assert all(spec.blocking for check in definitions.asset_checks for spec in check.check_specs if spec.name in money)
    analytics = definitions.resolve_job_def("analytics_job")
    assert {k.to_user_string() for k in analytics.asset_layer.executable_asset_keys} == {
        "strategy_quality_daily", "ft_vs_lt_daily", "ft_vs_lt_by_trader_daily", "ft_vs_lt_by_category_daily",
        "ft_vs_lt_by_price_bucket_daily", "skip_reasons_daily", "signal_facts",
    }
    today = definitions.resolve_schedule_def("analytics_every_10_minutes")
    nightly = definitions.resolve_schedule_def("analytics_catchup_nightly")
    assert (today.cron_schedule, nightly.cron_schedule) == ("3-59/10 * * * *", "20 0 * * *")
    assert today.default_status == nightly.default_status == dg.DefaultScheduleStatus.RUNNING
    analytics_checks = {(key.asset_key.to_user_string(), key.name) for key in definitions.resolve_asset_graph().asset_check_keys
                        if key.asset_key.to_user_string() in {k.to_user_string() for k in analytics.asset_layer.executable_asset_keys}}
    assert {name for _, name in analytics_checks} == {
        "attribution_sums_to_difference", "cut_adds_up_to_strategy_totals", "rates_within_unit_interval",
        "coverage_adds_up_to_strategy_coverage",
    }
    assert ("ft_vs_lt_daily", "attribution_sums_to_difference") in analytics_checks
    assert ("strategy_quality_daily", "rates_within_unit_interval") in analytics_checks


def test_the_schedules_skip_while_a_run_of_their_job_is_in_flight(definitions):
    schedule = definitions.resolve_schedule_def("execution_every_2_minutes")
    with dg.instance_for_test() as instance:
        first = schedule.evaluate_tick(dg.build_schedule_context(instance=instance))
        assert first.run_requests and not first.skip_message
        instance.add_run(
            dg.DagsterRun(job_name="execution_job", run_id="in-flight-run", status=dg.DagsterRunStatus.STARTED)
        )
        second = schedule.evaluate_tick(dg.build_schedule_context(instance=instance))
        assert not second.run_requests
        assert "still in flight" in second.skip_message
