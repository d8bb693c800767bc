"""Assets of the live side: strategies following FT changes, live orders placed for new signals."""

import dagster as dg

from lt_pipeline.defs.forward_test.assets import ft_orders, ft_wallets
from lt_pipeline.defs.resources import ClockResource, LedgerResource, LiveTradingResource, VenueResource
from lt_pipeline.execution.executor import BookSource, run_executor
from lt_pipeline.execution.fills import refresh_fills
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
    return dg.MaterializeResult(
        metadata={
            "signals": report.signals,
            "claimed": report.claimed,
            "submitted": report.submitted,
            "accepted": report.accepted,
            "rejected": report.rejected,
            "unknown": report.unknown,
            "skipped": sum(report.skipped.values()),
            "skip_reasons": ", ".join(f"{k}: {v}" for k, v in sorted(report.skipped.items())) or "none",
            "strategies_failed": len(report.failed),
            "submit_seconds": round(report.submit_seconds, 3),
        }
    )


@dg.asset(
    group_name="live",
    deps=[lt_orders],
    description="Fills of our orders with their settlement status, LT order execution derived from them, TTL cancels.",
)
def lt_fills(ledger: LedgerResource, clock: ClockResource, live: LiveTradingResource) -> dg.MaterializeResult:
    report = refresh_fills(ledger.engine, live.pool(ledger.engine).trader, clock.clock)
    return dg.MaterializeResult(
        metadata={
            "users": report.users,
            "trades_read": report.trades_read,
            "fills_new": report.fills_new,
            "fills_changed": report.fills_changed,
            "fills_reversed": report.fills_reversed,
            "filled": report.filled,
            "cancelled_ttl": report.cancelled_ttl,
            "cancelled_market_closed": report.cancelled_market_closed,
            "awaiting_reconciliation": report.awaiting_reconciliation,
            "users_failed": len(report.failed_users),
        }
    )
