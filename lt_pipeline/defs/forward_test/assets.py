"""Assets of the paper side: tracked traders, FT wallets, source trades, FT orders, market
resolutions and FT outcomes. Each is a thin call into plain Python plus metadata for the UI."""

import dagster as dg

from lt_pipeline.defs.metadata import materialized
from lt_pipeline.defs.resources import ClockResource, LedgerResource, StrategyConfigResource, VenueResource
from lt_pipeline.forward_test.resolution import refresh_resolutions, settle_ft_orders
from lt_pipeline.forward_test.signals import create_ft_orders
from lt_pipeline.forward_test.wallets import sync_wallets
from lt_pipeline.ingest.source_trades import ingest_source_trades
from lt_pipeline.ingest.traders import refresh_tracked_traders
from lt_pipeline.strategy.config import WalletConfigError, load_wallets


@dg.asset(group_name="signals", description="Wallets whose trades are copied: configured, or discovered.")
def tracked_traders(
    ledger: LedgerResource, venue: VenueResource, clock: ClockResource, strategy_config: StrategyConfigResource
) -> dg.MaterializeResult:
    counts = refresh_tracked_traders(
        ledger.engine,
        tuple(strategy_config.tracked_traders),
        venue.data_api(clock.clock),
        clock.clock,
        emulator_admin_url=venue.emulator_admin_url,
    )
    return dg.MaterializeResult(metadata=counts)


@dg.asset(group_name="forward_test", description="FT wallets from the YAML file, with a version per change.")
def ft_wallets(
    context: dg.AssetExecutionContext, ledger: LedgerResource, clock: ClockResource, strategy_config: StrategyConfigResource
) -> dg.MaterializeResult:
    try:
        wallets = load_wallets(strategy_config.ft_wallets_file)
    except WalletConfigError as error:
        # A bad edit must not stop trading: the last good wallets in the ledger stay in force.
        context.log.error(f"wallet file not applied, the last good wallets stay in force: {error}")
        return dg.MaterializeResult(metadata={"config_error": str(error), "applied": False})
    report = sync_wallets(ledger.engine, wallets, clock.now())
    return materialized(report, applied=True, wallets=len(wallets), changed_wallets=", ".join(report.changed) or "none")


@dg.asset(
    group_name="signals", deps=[tracked_traders], description="Tracked traders' trades, polled incrementally per trader."
)
def source_trades(ledger: LedgerResource, venue: VenueResource, clock: ClockResource) -> dg.MaterializeResult:
    return materialized(
        ingest_source_trades(ledger.engine, venue.data_api(clock.clock), venue.gamma(clock.clock), clock.clock)
    )


@dg.asset(
    group_name="forward_test",
    deps=[source_trades, ft_wallets],
    description="Paper positions: every new source trade decided for every active FT wallet in one pass.",
)
def ft_orders(ledger: LedgerResource, clock: ClockResource) -> dg.MaterializeResult:
    report = create_ft_orders(ledger.engine, clock.clock)
    top = sorted(report.rejection_counts.items(), key=lambda item: -item[1])[:8]
    return materialized(
        report,
        top_rejections=dg.MetadataValue.md(
            "| reason | count |\n|---|---|\n" + "\n".join(f"| {r} | {c} |" for r, c in top)
        ),
    )


@dg.asset(group_name="resolution", description="Resolutions of markets with open positions, from the CLOB.")
def market_resolutions(ledger: LedgerResource, venue: VenueResource, clock: ClockResource) -> dg.MaterializeResult:
    return materialized(refresh_resolutions(ledger.engine, venue.clob_reader(), clock.clock))


@dg.asset(group_name="resolution", deps=[market_resolutions], description="FT positions settled: WON, LOST or VOID with PnL.")
def ft_outcomes(ledger: LedgerResource, clock: ClockResource) -> dg.MaterializeResult:
    return materialized(settle_ft_orders(ledger.engine, clock.clock))
