"""Pictures of every launched strategy, live against paper, on the asset's page in the Dagster UI:
cumulative PnL, the attribution of live minus paper as a waterfall, the slippage distribution and the
latency CDF (PNG inline in the markdown metadata)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from lt_pipeline.defs.resources import LedgerResource
from lt_pipeline.reporting.pictures import strategy_pictures
from lt_pipeline.reporting.plots import as_markdown


@dg.asset(
    group_name="analytics",
    deps=["lt_outcomes", "ft_vs_lt_daily"],
    description="Per launched strategy: cumulative PnL live against paper, the live-minus-paper attribution as a "
    "waterfall, the slippage distribution and the latency CDF, shown on this page.",
)
def ft_vs_lt_pictures(ledger: LedgerResource, duckdb: DuckDBResource) -> dg.MaterializeResult:
    pictures = strategy_pictures(ledger.engine, duckdb.database)
    sections = [f"### {strategy_id}\n\n{as_markdown(mine)}" for strategy_id, mine in pictures.items()]
    return dg.MaterializeResult(metadata={
        "strategies_pictured": len(pictures),
        "pictures": dg.MetadataValue.md("\n\n".join(sections) or "no launched strategy has settled or placed orders yet"),
    })
