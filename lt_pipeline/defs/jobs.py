"""The two jobs and their schedules: execution every 2 minutes (signals, paper and live orders, fills),
resolution every 10 minutes. Both run in-process (one process per run is ~3 s through the daemon, a
multiprocess executor ~9 s) and skip a tick while an earlier run of the same job is still in flight."""

import dagster as dg

from lt_pipeline.defs.forward_test.assets import (
    ft_orders,
    ft_outcomes,
    ft_wallets,
    market_resolutions,
    source_trades,
    tracked_traders,
)
from lt_pipeline.defs.live.assets import lt_fills, lt_orders, lt_outcomes, lt_strategies, strategy_alerts

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
RESOLUTION_ASSETS = [market_resolutions, ft_outcomes, lt_outcomes]

execution_job = dg.define_asset_job(
    "execution_job",
    selection=dg.AssetSelection.assets(*EXECUTION_ASSETS),
    executor_def=dg.in_process_executor,
    tags={"dagster/max_runtime": 600},
    description="Every 2 minutes (sooner when the sensor sees new signals): tracked traders' new trades, "
    "paper (FT) orders, and the live orders their twins place.",
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


def _skipping_schedule(job, cron: str, name: str) -> dg.ScheduleDefinition:
    @dg.schedule(name=name, job=job, cron_schedule=cron, default_status=dg.DefaultScheduleStatus.RUNNING)
    def _schedule(context: dg.ScheduleEvaluationContext):
        if run_in_flight(context.instance, job.name):
            return dg.SkipReason(f"a run of {job.name} is still in flight; skipping this tick")
        return dg.RunRequest()

    return _schedule


execution_schedule = _skipping_schedule(execution_job, "*/2 * * * *", "execution_every_2_minutes")
resolution_schedule = _skipping_schedule(resolution_job, "*/10 * * * *", "resolution_every_10_minutes")
