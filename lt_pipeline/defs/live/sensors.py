"""Signal-driven execution: a sensor that sees a tracked trader's new trade on the Data API starts
the execution job within seconds instead of waiting for the 2-minute schedule."""

import dagster as dg

from lt_pipeline.defs import jobs
from lt_pipeline.defs.resources import ClockResource, LedgerResource, VenueResource
from lt_pipeline.ingest.source_trades import active_traders
from lt_pipeline.venues.polymarket.models import VenueError

RECENT = 200


@dg.sensor(
    job=jobs.execution_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the execution job when a tracked trader trades (run key = the newest trade seen).",
)
def new_signals_sensor(
    context: dg.SensorEvaluationContext, ledger: LedgerResource, venue: VenueResource, clock: ClockResource
):
    tracked = set(active_traders(ledger.engine))
    if not tracked:
        return dg.SkipReason("no tracked traders yet")
    try:
        trades, _ = venue.data_api(clock.clock).recent_trades(limit=RECENT)
    except VenueError as error:
        return dg.SkipReason(f"Data API unavailable: {error.message}")
    ours = [t for t in trades if t.trader_address in tracked]
    if not ours:
        return dg.SkipReason("no recent trades of tracked traders")
    newest = max(ours, key=lambda t: (t.traded_at, t.source_trade_id))
    marker = f"{newest.traded_at.isoformat()}|{newest.source_trade_id}"
    if context.cursor is not None and marker <= context.cursor:
        return dg.SkipReason("no new trades of tracked traders")
    if jobs.run_in_flight(context.instance, jobs.execution_job.name):
        # Leave the cursor where it was: the next evaluation asks again once the run is done.
        return dg.SkipReason("an execution run is in flight; it or the next one will pick these up")
    context.update_cursor(marker)
    return dg.RunRequest(run_key=f"signals-{marker}", tags={"lt/trigger": "new_signals"})
