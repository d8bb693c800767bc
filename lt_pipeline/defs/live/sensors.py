"""Signal-driven execution: a sensor that polls tracked traders on the Data API, a rotating batch per
evaluation within the venue's quotas, and starts the execution job within seconds when one of them
traded since the ledger last read them, instead of waiting for the 2-minute schedule. With the execution
sharded (LT_EXECUTION_SHARDS > 1), a second sensor starts one run per shard once a signals run succeeded."""

import json

import dagster as dg

from lt_pipeline.defs import jobs
from lt_pipeline.defs.resources import ClockResource, LedgerResource, VenueResource
from lt_pipeline.defs.scale_out import (
    SHARDS_TAG,
    SIGNALS_STAGE,
    STAGE_TAG,
    load_scale_out,
    shard_requests,
    tick_request,
)
from lt_pipeline.forward_test.resolution import ended_markets_to_watch
from lt_pipeline.ingest.detection import PollPlan, detect, seen_until
from lt_pipeline.ingest.source_trades import active_traders

INTERVAL_SECONDS = 5
MARKET_END_INTERVAL_SECONDS = 30


@dg.sensor(
    job=jobs.execution_job,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Polls a rotating batch of tracked traders within the Data API's quota and starts the "
    "execution job when one traded (run key = the trader and their newest trade).",
)
def new_signals_sensor(
    context: dg.SensorEvaluationContext, ledger: LedgerResource, venue: VenueResource, clock: ClockResource
):
    traders = sorted(active_traders(ledger.engine))
    if not traders:
        return dg.SkipReason("no tracked traders yet")
    state = json.loads(context.cursor) if context.cursor and context.cursor.startswith("{") else {}
    plan = PollPlan.within_quota(len(traders), INTERVAL_SECONDS)
    found = detect(venue.data_api(clock.clock), traders, seen_until(ledger.engine), state.get("offset", 0), plan.batch)
    requested = state.get("requested", {})
    new = {t: at.isoformat() for t, at in found.traded.items() if requested.get(t, "") < at.isoformat()}
    cursor = {"offset": found.next_offset, "requested": {**requested, **new}}
    if not new:
        context.update_cursor(json.dumps(cursor))
        why = f"; {len(found.failed)} not polled ({next(iter(found.failed.values()))})" if found.failed else ""
        return dg.SkipReason(f"polled {len(found.polled)} of {len(traders)} tracked traders: no new trades{why}")
    if jobs.run_in_flight(context.instance, jobs.execution_job.name):
        # Leave the cursor where it was: the next evaluation asks again once the run is done.
        return dg.SkipReason("an execution run is in flight; it or the next one will pick these up")
    context.update_cursor(json.dumps(cursor))
    marker = max(new.items(), key=lambda item: item[1])
    return tick_request(load_scale_out(), run_key=f"signals-{marker[1]}|{marker[0]}", tags={"lt/trigger": "new_signals"})


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[jobs.execution_job],
    request_job=jobs.execution_job,
    name="execution_shards_sensor",
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sharded execution (LT_EXECUTION_SHARDS > 1): once a signals run succeeded, one run per shard "
    "places the orders of that shard's strategies (tag lt/shard INDEX/COUNT); idle with one shard.",
)
def execution_shards_sensor(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    if run.tags.get(STAGE_TAG) != SIGNALS_STAGE:
        return dg.SkipReason(f"run {run.run_id} is not a signals run")
    # The count the signals run was started with, so a change of setting never splits one tick two ways.
    count = int(run.tags.get(SHARDS_TAG, "1"))
    return shard_requests(count, run_key_prefix=run.run_id, tags={"lt/signals_run": run.run_id})


@dg.sensor(
    job=jobs.resolution_job,
    minimum_interval_seconds=MARKET_END_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the resolution job soon after a market with open FT or LT positions passes its end date, "
    "instead of waiting for the 10-minute schedule (run key = the newest end date and how many such markets wait).",
)
def markets_ended_sensor(context: dg.SensorEvaluationContext, ledger: LedgerResource, clock: ClockResource):
    ended = ended_markets_to_watch(ledger.engine, clock.now())
    if not ended:
        return dg.SkipReason("no market with open positions has ended unresolved")
    if jobs.run_in_flight(context.instance, jobs.resolution_job.name):
        return dg.SkipReason("a resolution run is in flight")
    newest = ended[0][1]
    # One run per new ending; markets the venue has not resolved yet wait for the schedule or the next ending.
    return dg.RunRequest(run_key=f"ended-{newest.isoformat()}|{len(ended)}", tags={"lt/trigger": "market_ended"})
