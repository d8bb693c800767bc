"""Assets of the live side: strategies following FT changes, live orders placed for new signals."""

import dagster as dg

from lt_pipeline.defs.forward_test.assets import ft_orders, ft_outcomes, ft_wallets, market_resolutions
from lt_pipeline.defs.metadata import materialized
from lt_pipeline.alerts.ledger import evaluate_alerts
from lt_pipeline.defs.resources import AlertResource, ClockResource, LedgerResource, LiveTradingResource, VenueResource
from lt_pipeline.defs.scale_out import shard_of_run
from lt_pipeline.execution.executor import BookSource, run_executor
from lt_pipeline.execution.ft_sync import follow_ft_changes
from lt_pipeline.execution.outcomes import settle_lt_orders
from lt_pipeline.execution.quality_record import ConditionsSource, gamma_volumes, record_markouts
from lt_pipeline.execution.venue_identity import check_venue
from lt_pipeline.execution.venue_sync import sync_venue


@dg.asset(group_name="live", deps=[ft_wallets], description="LT strategies that follow FT config changes (filters; never capital or limits).")
def lt_strategies(ledger: LedgerResource, clock: ClockResource) -> dg.MaterializeResult:
    synced = follow_ft_changes(ledger.engine, clock.now())
    return dg.MaterializeResult(
        metadata={"synced": len(synced), "synced_strategies": ", ".join(s.strategy_id for s in synced) or "none"}
    )


@dg.asset(
    group_name="live",
    deps=[ft_orders, lt_strategies],
    description="Real orders for every active strategy's new signals: decided, stored as signed intents, submitted. "
    "A shard run (tag lt/shard INDEX/COUNT) executes only its shard's strategies.",
)
def lt_orders(
    context: dg.AssetExecutionContext,
    ledger: LedgerResource,
    venue: VenueResource,
    clock: ClockResource,
    live: LiveTradingResource,
) -> dg.MaterializeResult:
    lost = check_venue(ledger.engine, venue.emulator_admin_url, clock.now())
    if lost:
        context.log.error(lost)
        return dg.MaterializeResult(metadata={"venue_lost": lost})
    pool = live.pool(ledger.engine)
    reader = venue.clob_reader()
    conditions = ConditionsSource(reader.price_history, gamma_volumes(venue.gamma(clock.clock, max_retries=1)))
    shard = shard_of_run(context.run.tags)
    report = run_executor(ledger.engine, clock.clock, BookSource(reader.book, conditions=conditions), pool.trader, shard=shard)
    for strategy_id, why in report.failed.items():
        context.log.error(f"{strategy_id}: signals not executed this tick: {why}")
    return materialized(
        report,
        shard=shard.label,
        skipped=sum(report.skipped.values()),
        skip_reasons=", ".join(f"{k}: {v}" for k, v in sorted(report.skipped.items())) or "none",
        submit_seconds=round(report.submit_seconds, 3),
    )


@dg.asset(
    group_name="live",
    deps=[lt_orders],
    description="One venue sync per user: fills with their settlement status, in-flight and stray orders "
    "reconciled by hash, LT order states derived through the journal, TTL and closed-market cancels.",
)
def lt_fills(
    context: dg.AssetExecutionContext, ledger: LedgerResource, venue: VenueResource, clock: ClockResource, live: LiveTradingResource
) -> dg.MaterializeResult:
    lost = check_venue(ledger.engine, venue.emulator_admin_url, clock.now())
    if lost:
        context.log.error(lost)
        return dg.MaterializeResult(metadata={"venue_lost": lost})
    report = sync_venue(ledger.engine, live.pool(ledger.engine).trader, clock.clock)
    for user_id, why in report.failed_users.items():
        context.log.warning(f"venue sync of user {user_id} failed: {why}")
    return materialized(
        report,
        size_mismatches=len(report.mismatches),
        unrepaired_discrepancies=len(report.unrepaired),
        discrepancies=len(report.discrepancies),
        mismatch_detail="; ".join(
            f"{m.order_id[:12]}: orders row {m.venue_matched} vs fills {m.ledger_filled}" for m in report.mismatches[:10]
        )
        or "none",
    )


@dg.asset(
    group_name="resolution",
    deps=[market_resolutions, ft_outcomes],
    description="Live positions settled on their real fills: WON, LOST or VOID with PnL, ft_pnl and the difference; "
    "markouts of our fills and the leaders' trades once their horizon has passed.",
)
def lt_outcomes(ledger: LedgerResource, venue: VenueResource, clock: ClockResource) -> dg.MaterializeResult:
    record_markouts(ledger.engine, venue.clob_reader().price_history, clock.clock)
    return materialized(settle_lt_orders(ledger.engine, clock.clock))


@dg.asset(
    group_name="live",
    deps=[lt_fills],
    description="Execution-quality alerts: a strategy whose venue rejection rate or p95 signal-to-submit latency "
    "over the last day crosses its threshold, recorded and notified once per breach, cleared on recovery.",
)
def strategy_alerts(ledger: LedgerResource, clock: ClockResource, alerting: AlertResource) -> dg.MaterializeResult:
    report = evaluate_alerts(
        ledger.engine, clock.now(), max_rejection_rate=alerting.max_rejection_rate,
        max_p95_latency_seconds=alerting.max_p95_latency_seconds, notify=alerting.notifier(),
    )
    return dg.MaterializeResult(metadata={
        "open_alerts": len(report.open), "opened": len(report.opened), "cleared": len(report.cleared),
        "alerts": "; ".join(report.open) or "none",
    })
