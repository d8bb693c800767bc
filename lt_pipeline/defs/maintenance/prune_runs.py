"""Run storage grows without bound at a 2-minute cadence; this daily job deletes finished runs (and
their event logs) older than the retention window."""

from datetime import timedelta

import dagster as dg

from lt_pipeline.defs.resources import ClockResource

RETENTION_DAYS = 14
BATCH = 500


class PruneConfig(dg.Config):
    retention_days: int = RETENTION_DAYS


@dg.op
def prune_old_runs(context: dg.OpExecutionContext, config: PruneConfig, clock: ClockResource) -> dg.Output:
    cutoff = clock.now() - timedelta(days=config.retention_days)
    finished = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
    deleted = 0
    while True:
        records = context.instance.get_run_records(
            filters=dg.RunsFilter(statuses=finished, created_before=cutoff), limit=BATCH
        )
        records = [r for r in records if r.dagster_run.run_id != context.run_id]
        if not records:
            break
        for record in records:
            context.instance.delete_run(record.dagster_run.run_id)
            deleted += 1
    context.log.info(f"deleted {deleted} runs created before {cutoff.isoformat()}")
    return dg.Output(deleted, metadata={"deleted_runs": deleted, "cutoff": cutoff.isoformat()})


@dg.job(tags={"dagster/max_runtime": 1800})
def prune_runs_job():
    prune_old_runs()


prune_runs_schedule = dg.ScheduleDefinition(
    job=prune_runs_job, cron_schedule="17 3 * * *", default_status=dg.DefaultScheduleStatus.RUNNING
)
