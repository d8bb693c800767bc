"""The analytics assets in Dagster: a range backfill (one run, range tags) gives each day the figures of
that day materialised alone; every materialisation carries numbers and the markdown preview; the asset
checks pass on good tables and fail when the attribution stops adding up or a rate leaves [0, 1]; the
schedules ask for today, or for the last 30 days as one range, and skip while a run is in flight."""

from datetime import datetime, timezone

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from lt_pipeline.analytics import checks, store
from lt_pipeline.analytics.figures import TABLES
from lt_pipeline.defs.analytics.assets import analytics_daily
from lt_pipeline.defs.jobs import analytics_catchup_schedule, analytics_schedule
from lt_pipeline.defs.resources import ClockResource, LedgerResource
from lt_pipeline_tests.analytics import tiny_ledger
from lt_pipeline_tests.analytics.tiny_ledger import DAY1, DAY2

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def resources(url: str, path) -> dict:
    return {"ledger": LedgerResource(url=url), "duckdb": DuckDBResource(database=str(path)), "clock": ClockResource()}


def table_rows(path, table, day):
    with store.reader(path) as duck:
        stamp = "" if table == store.FACTS else " EXCLUDE (computed_at)"  # the facts carry no stamp
        cursor = duck.execute(f"SELECT *{stamp} FROM {table} WHERE day = ? ORDER BY ALL", [day])
        return cursor.fetchall()


@pytest.fixture
def ledger(ledger_engine):
    tiny_ledger.build(ledger_engine)
    return ledger_engine.url.render_as_string(hide_password=False)


def test_a_range_backfill_gives_each_day_what_that_day_alone_gives(ledger, tmp_path):
    alone, ranged = tmp_path / "alone.duckdb", tmp_path / "ranged.duckdb"
    with dg.instance_for_test() as instance:
        for day in (DAY1, DAY2):
            done = dg.materialize([analytics_daily], partition_key=day.isoformat(), resources=resources(ledger, alone),
                                  instance=instance)
            assert done.success
        backfill = dg.materialize([analytics_daily], resources=resources(ledger, ranged), instance=instance,
                                  tags={RANGE_START: DAY1.isoformat(), RANGE_END: DAY2.isoformat()})
    assert backfill.success
    materialised = {(e.asset_key.to_user_string(), e.partition) for e in backfill.get_asset_materialization_events()}
    assert materialised == {(table, day.isoformat()) for table in (*TABLES, store.FACTS) for day in (DAY1, DAY2)}
    for table in (*TABLES, store.FACTS):
        for day in (DAY1, DAY2):
            assert table_rows(ranged, table, day) == table_rows(alone, table, day) != [], (table, day)
    evaluations = backfill.get_asset_check_evaluations()
    assert len(evaluations) == sum(len(names) for names in checks.checks_by_table().values())
    assert all(e.passed for e in evaluations)


def test_materialisations_carry_numbers_and_the_markdown_table(ledger, tmp_path):
    with dg.instance_for_test() as instance:
        done = dg.materialize([analytics_daily], partition_key=DAY1.isoformat(),
                              resources=resources(ledger, tmp_path / "a.duckdb"), instance=instance)
    by_table = {e.asset_key.to_user_string(): e.materialization.metadata for e in done.get_asset_materialization_events()}
    quality = by_table["strategy_quality_daily"]
    assert quality["signals"].value == 8 and quality["placed"].value == 5 and quality["rows"].value == 1
    assert quality["paper_pnl"].value == pytest.approx(68.5) and quality["live_pnl"].value == pytest.approx(34.50792)
    assert isinstance(quality["preview"], dg.MarkdownMetadataValue)
    assert "| 2026-03-10 | LT_A | 8 | 5 | 3 |" in quality["preview"].value
    comparison = by_table["ft_vs_lt_daily"]
    assert comparison["paper_minus_live"].value == pytest.approx(33.99208) and comparison["sizing"].value == 30
    for metadata in by_table.values():
        assert any(isinstance(v, (dg.IntMetadataValue, dg.FloatMetadataValue)) for v in metadata.values())


def test_the_checks_fail_when_the_attribution_or_a_rate_is_wrong(ledger, tmp_path, monkeypatch):
    written = store.replace_days

    def corrupting(duck, start, end, computed_at):
        counts = written(duck, start, end, computed_at)
        duck.execute(f"UPDATE {store.STORE}.ft_vs_lt_daily SET fees = fees + 0.01")
        duck.execute(f"UPDATE {store.STORE}.strategy_quality_daily SET skip_rate = 1.5")
        return counts

    monkeypatch.setattr(store, "replace_days", corrupting)
    with dg.instance_for_test() as instance:
        done = dg.materialize([analytics_daily], partition_key=DAY1.isoformat(), raise_on_error=False,
                              resources=resources(ledger, tmp_path / "a.duckdb"), instance=instance)
    failed = {(e.asset_key.to_user_string(), e.check_name) for e in done.get_asset_check_evaluations() if not e.passed}
    assert failed == {("ft_vs_lt_daily", checks.ATTRIBUTION), ("strategy_quality_daily", checks.RATES),
                      ("ft_vs_lt_by_trader_daily", checks.CUT_TOTALS), ("ft_vs_lt_by_category_daily", checks.CUT_TOTALS),
                      ("ft_vs_lt_by_price_bucket_daily", checks.CUT_TOTALS)}
    severities = {e.severity for e in done.get_asset_check_evaluations() if not e.passed}
    assert severities == {dg.AssetCheckSeverity.ERROR}


def test_the_schedules_ask_for_today_or_the_last_30_days_and_skip_while_a_run_is_in_flight(tmp_path, monkeypatch):
    monkeypatch.setenv("LT_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("LT_LEDGER_URL", raising=False)
    from lt_pipeline.definitions import defs

    repository = defs().get_repository_def()
    at = datetime(2026, 3, 11, 0, 23, tzinfo=timezone.utc)
    with dg.instance_for_test() as instance:
        def tick(schedule):
            return schedule.evaluate_tick(dg.build_schedule_context(
                instance=instance, scheduled_execution_time=at, repository_def=repository))

        assert [r.partition_key for r in tick(analytics_schedule).run_requests] == ["2026-03-11"]
        [request] = tick(analytics_catchup_schedule).run_requests
        assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-02-09", "2026-03-10")
        instance.add_run(dg.DagsterRun(job_name="analytics_job", run_id="in-flight", status=dg.DagsterRunStatus.STARTED))
        for schedule in (analytics_schedule, analytics_catchup_schedule):
            skipped = tick(schedule)
            assert not skipped.run_requests and "still in flight" in skipped.skip_message
