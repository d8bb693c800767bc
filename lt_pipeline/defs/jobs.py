"""The jobs and their schedules: execution every 2 minutes (signals, paper and live orders, fills),
resolution every 10 minutes, and the analytics (live versus paper, daily partitions) on the resolution
cadence. All run in-process by default (one process per run is ~3 s through the daemon, a multiprocess
executor ~9 s) and skip a tick while an earlier run of the same job is still in flight. The execution job
can be sharded across runs and its steps sent to dagster-celery workers (defs/scale_out.py)."""

from datetime import date, datetime, timedelta, timezone

import dagster as dg

from lt_pipeline.defs.analytics.assets import analytics_daily
from lt_pipeline.defs.analytics.partitions import ANALYTICS_START
from lt_pipeline.defs.forward_test.assets import (
    ft_orders,
    ft_outcomes,
    ft_wallets,
    market_resolutions,
    source_trades,
    tracked_traders,
)
from lt_pipeline.defs.reporting.assets import ft_vs_lt_pictures
from lt_pipeline.defs.live.assets import lt_fills, lt_orders, lt_outcomes, lt_strategies, strategy_alerts
from lt_pipeline.defs.scale_out import execution_executor, load_scale_out, tick_request

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]

FT_EXECUTION_ASSETS = [tracked_traders, ft_wallets, source_trades, ft_orders]
LIVE_EXECUTION_ASSETS = [lt_strategies, lt_orders, lt_fills, strategy_alerts]
EXECUTION_ASSETS = FT_EXECUTION_ASSETS + LIVE_EXECUTION_ASSETS
RESOLUTION_ASSETS = [market_resolutions, ft_outcomes, lt_outcomes, ft_vs_lt_pictures]

execution_job = dg.define_asset_job(
    "execution_job",
    selection=dg.AssetSelection.assets(*EXECUTION_ASSETS),
    executor_def=execution_executor,  # in-process unless LT_EXECUTOR=celery
    tags={"dagster/max_runtime": 600},
    description="Every 2 minutes (sooner when the sensor sees new signals): tracked traders' new trades, "
    "paper (FT) orders, and the live orders their twins place. Sharded (LT_EXECUTION_SHARDS > 1): a signals "
    "run, then one run per shard of the live strategies (tag lt/shard).",
)

resolution_job = dg.define_asset_job(
    "resolution_job",
    selection=dg.AssetSelection.assets(*RESOLUTION_ASSETS),
    executor_def=dg.in_process_executor,
    tags={"dagster/max_runtime": 900},
    description="Every 10 minutes: market resolutions and the outcomes they settle.",
)


def run_in_flight(instance: dg.DagsterInstance, job_name: str) -> bool:
    runs = instance.get_run_records(filters=dg.RunsFilter(job_name=job_name, statuses=IN_FLIGHT), limit=1)
    return bool(runs)


def _skipping_schedule(job, cron: str, name: str, *, shardable: bool = False) -> dg.ScheduleDefinition:
    @dg.schedule(name=name, job=job, cron_schedule=cron, default_status=dg.DefaultScheduleStatus.RUNNING)
    def _schedule(context: dg.ScheduleEvaluationContext):
        if run_in_flight(context.instance, job.name):
            return dg.SkipReason(f"a run of {job.name} is still in flight; skipping this tick")
        # Sharded, this is the signals stage; execution_shards_sensor starts the shard runs after it.
        return tick_request(load_scale_out()) if shardable else dg.RunRequest()

    return _schedule


execution_schedule = _skipping_schedule(execution_job, "*/2 * * * *", "execution_every_2_minutes", shardable=True)
resolution_schedule = _skipping_schedule(resolution_job, "*/10 * * * *", "resolution_every_10_minutes")


# --- analytics: today's partition on the resolution cadence, recent days again each night -----------

ANALYTICS_CATCHUP_DAYS = 30

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.assets(analytics_daily),  # daily partitions, from the asset
    executor_def=dg.in_process_executor,
    tags={"dagster/max_runtime": 1800},
    description="Live versus paper per UTC signal day, into the analytics DuckDB file: today's partition three "
    "minutes after each resolution tick, and the last 30 days in one run each night (signals settle late).",
)


def _scheduled_day(context: dg.ScheduleEvaluationContext) -> date:
    at = context.scheduled_execution_time or datetime.now(timezone.utc)
    return at.astimezone(timezone.utc).date()


@dg.schedule(
    name="analytics_every_10_minutes",
    job=analytics_job,
    cron_schedule="3-59/10 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def analytics_schedule(context: dg.ScheduleEvaluationContext):
    """Today's partition, three minutes after each resolution tick settled what it could."""
    if run_in_flight(context.instance, analytics_job.name):
        return dg.SkipReason(f"a run of {analytics_job.name} is still in flight; skipping this tick")
    return dg.RunRequest(partition_key=_scheduled_day(context).isoformat())


@dg.schedule(
    name="analytics_catchup_nightly",
    job=analytics_job,
    cron_schedule="20 0 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def analytics_catchup_schedule(context: dg.ScheduleEvaluationContext):
    """The last 30 complete days as one range run: yesterday's last minutes, and signals of earlier days
    whose markets resolved since."""
    if run_in_flight(context.instance, analytics_job.name):
        return dg.SkipReason(f"a run of {analytics_job.name} is still in flight; skipping this tick")
    end = _scheduled_day(context) - timedelta(days=1)
    start = max(end - timedelta(days=ANALYTICS_CATCHUP_DAYS - 1), date.fromisoformat(ANALYTICS_START))
    return dg.RunRequest(
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        }
    )
