"""Assets of the live side: strategies following FT changes, live orders placed for new signals."""

import dagster as dg

from lt_pipeline.defs.forward_test.assets import ft_orders, ft_outcomes, ft_wallets, market_resolutions
from lt_pipeline.defs.metadata import materialized
from lt_pipeline.defs.resources import ClockResource, LedgerResource, LiveTradingResource, VenueResource
from lt_pipeline.execution.executor import BookSource, run_executor
from lt_pipeline.execution.fills import refresh_fills
from lt_pipeline.execution.outcomes import settle_lt_orders
from lt_pipeline.execution.reconcile import reconcile
from lt_pipeline.execution.ft_sync import follow_ft_changes


@dg.asset(group_name="live", deps=[ft_wallets], description="LT strategies that follow FT config changes (filters; never capital or limits).")
def lt_strategies(ledger: LedgerResource, clock: ClockResource) -> dg.MaterializeResult:
    synced = follow_ft_changes(ledger.engine, clock.now())
    return dg.MaterializeResult(
        metadata={"synced": len(synced), "synced_strategies": ", ".join(s.strategy_id for s in synced) or "none"}
    )


@dg.asset(
    group_name="live",
    deps=[ft_orders, lt_strategies],
    description="Real orders for every active strategy's new signals: decided, stored as signed intents, submitted.",
)
def lt_orders(
    context: dg.AssetExecutionContext,
    ledger: LedgerResource,
    venue: VenueResource,
    clock: ClockResource,
    live: LiveTradingResource,
) -> dg.MaterializeResult:
    pool = live.pool(ledger.engine)
    report = run_executor(ledger.engine, clock.clock, BookSource(venue.clob_reader().book), pool.trader)
    for strategy_id, why in report.failed.items():
        context.log.error(f"{strategy_id}: signals not executed this tick: {why}")
    return materialized(
        report,
        skipped=sum(report.skipped.values()),
        skip_reasons=", ".join(f"{k}: {v}" for k, v in sorted(report.skipped.items())) or "none",
        submit_seconds=round(report.submit_seconds, 3),
    )


@dg.asset(
    group_name="live",
    deps=[lt_orders],
    description="Fills of our orders with their settlement status, LT order execution derived from them, TTL cancels.",
)
def lt_fills(ledger: LedgerResource, clock: ClockResource, live: LiveTradingResource) -> dg.MaterializeResult:
    trader_for_user = live.pool(ledger.engine).trader
    report = refresh_fills(ledger.engine, trader_for_user, clock.clock)
    # After the refresh, so that new fills are not mistaken for missing ones.
    recon = reconcile(ledger.engine, trader_for_user, clock.clock)
    unrepaired = [d for d in recon.discrepancies if not d.repaired]
    return materialized(
        report,
        reconciled=recon.reconciled,
        never_arrived=recon.never_arrived,
        still_unknown=recon.still_unknown,
        size_mismatches=len(recon.mismatches),
        unrepaired_discrepancies=len(unrepaired),
        mismatch_detail="; ".join(
            f"{m.order_id[:12]}: ledger {m.ledger_filled} vs venue {m.venue_matched}" for m in recon.mismatches[:10]
        )
        or "none",
    )


@dg.asset(
    group_name="resolution",
    deps=[market_resolutions, ft_outcomes],
    description="Live positions settled on their real fills: WON, LOST or VOID with PnL, ft_pnl and the difference.",
)
def lt_outcomes(ledger: LedgerResource, clock: ClockResource) -> dg.MaterializeResult:
    return materialized(settle_lt_orders(ledger.engine, clock.clock))
