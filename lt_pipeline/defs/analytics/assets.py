"""The analytics tables as daily-partitioned assets: one multi-asset computes them all from one read of
the ledger (analytics.refresh) and then checks what it wrote (analytics.checks).

One DuckDB writer at a time: DuckDB lets a single process write the file. A range backfill is one run
(`BackfillPolicy.single_run()`), not one run per day; the schedules skip a tick while an analytics run
is in flight; and the writer itself takes an exclusive lock on `<file>.lock` before attaching the file,
so a manual materialisation or `lt bench analytics` that overlaps a run waits for it instead of
failing. The asset also sits in the `analytics_duckdb` pool: an instance that sets that pool's limit to
1 (`dagster instance concurrency set analytics_duckdb 1`) queues such steps in Dagster too.
"""


from datetime import timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

from lt_pipeline.analytics import checks, store
from lt_pipeline.analytics.facts import TERMS
from lt_pipeline.analytics.figures import CUT_TABLES
from lt_pipeline.analytics.refresh import RefreshReport, refresh_days
from lt_pipeline.defs.analytics.partitions import daily_partitions
from lt_pipeline.defs.resources import ClockResource, LedgerResource

ANALYTICS_POOL = "analytics_duckdb"
UPSTREAM = ["lt_outcomes", "ft_outcomes", "lt_fills"]

DESCRIPTIONS = {
    "signal_facts": "One row per signal since launch, by UTC signal day: what live did with it (claimed, placed, "
    "skipped and why, filled, latencies), both sides' PnL once settled, and its attribution terms. Any period's "
    "figures (a strategy since launch, with exact latency percentiles) are one aggregation over it.",
    "strategy_quality_daily": "Per LT strategy and UTC signal day since launch: signals, placed, filled, skipped, "
    "rejected, unknown, never arrived, open positions; live and paper PnL of settled signals, ROI, win rates; fill, "
    "rejection, skip and stale rates; signal-to-submit and submit-to-first-fill latency p50/p95/p99.",
    "ft_vs_lt_daily": "Per LT strategy and day: paper PnL - live PnL of settled signals, attributed to coverage, "
    "sizing, delay, impact, opportunity, fees and residual (exact, and in cents as displayed).",
    "ft_vs_lt_by_trader_daily": "The strategy figures and the attribution cut by tracked trader.",
    "ft_vs_lt_by_category_daily": "The strategy figures and the attribution cut by market category.",
    "ft_vs_lt_by_price_bucket_daily": "The strategy figures and the attribution cut by signal price decile.",
    "skip_reasons_daily": "Per strategy, day and skip reason: signals live did not send, and the paper PnL they "
    "missed (coverage).",
}
CHECK_DESCRIPTIONS = {
    "signal_facts": "One row per signal since launch, by UTC signal day: what live did with it (claimed, placed, "
    "skipped and why, filled, latencies), both sides' PnL once settled, and its attribution terms. Any period's "
    "figures (a strategy since launch, with exact latency percentiles) are one aggregation over it.",
    checks.ATTRIBUTION: "The attribution terms sum exactly to paper - live, and in cents to the displayed difference.",
    checks.CUT_TOTALS: "The cut's rows add up to the strategy's signals, PnL and every attribution term.",
    checks.RATES: "Every rate is in [0, 1].",
    checks.COVERAGE: "Coverage by skip reason adds up to the strategy's coverage.",
}



# Specs are built in functions: the defs-folder loader would take module-level specs for assets of their own.
def _asset_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(table, group_name="analytics", deps=UPSTREAM, description=DESCRIPTIONS[table], kinds={"duckdb"})
        for table in DESCRIPTIONS
    ]


def _check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(name, asset=table, blocking=True, description=CHECK_DESCRIPTIONS[name])
        for table, names in checks.checks_by_table().items()
        for name in names
    ]


def _metadata(table: str, report: RefreshReport) -> dict[str, object]:
    """Numbers the UI plots: rows, the range's counts and money (floats for plotting; the tables are
    exact), and timings."""
    metadata: dict[str, object] = {
        "rows": report.rows_written.get(table, 0),
        "days": report.days,
        "range_start": report.start.isoformat(),
        "range_end": report.end.isoformat(),
        "signals": report.signals,
        "ledger_rows_read": sum(report.rows_read.values()),
        **{f"{name}_seconds": round(seconds, 3) for name, seconds in report.seconds.items()},
    }
    if table == "strategy_quality_daily":
        metadata.update(report.counts)
        metadata.update(paper_pnl=float(report.money["paper_pnl"]), live_pnl=float(report.money["live_pnl"]))
        metadata["preview"] = dg.MetadataValue.md(report.preview_markdown)
    elif table == "ft_vs_lt_daily" or table in CUT_TABLES.values():
        metadata.update({name: float(report.money[name]) for name in ("paper_pnl", "live_pnl", "paper_minus_live", *TERMS)})
        metadata["invalid_signals"] = report.counts["invalid"]
    elif table == "skip_reasons_daily":
        metadata["coverage"] = float(report.money["coverage"])
        metadata["skipped"] = report.counts["skipped"]
    return metadata


@dg.multi_asset(
    name="analytics_daily",
    specs=_asset_specs(),
    check_specs=_check_specs(),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=ANALYTICS_POOL,
    can_subset=False,
    description="Live versus paper, per UTC signal day: read the ledger in bulk (ADBC into Arrow), compute in "
    "DuckDB, replace the days of the partition range in the analytics DuckDB file, then check them.",
)
def analytics_daily(
    context: dg.AssetExecutionContext, ledger: LedgerResource, duckdb: DuckDBResource, clock: ClockResource
):
    window = context.partition_time_window  # a range backfill is one window: all its days in one run
    start, end = window.start.date(), (window.end - timedelta(days=1)).date()
    report = refresh_days(
        ledger.url, duckdb.database, start, end, computed_at=clock.now(), duckdb_config=dict(duckdb.connection_config)
    )
    context.log.info(f"analytics {start}..{end}: {report.signals} signals, rows written {report.rows_written}")
    for table in DESCRIPTIONS:
        yield dg.MaterializeResult(asset_key=table, metadata=_metadata(table, report))
    with store.reader(duckdb.database) as reading:
        outcomes = checks.verify(reading, start, end)
    for table, results in outcomes.items():
        for outcome in results:
            yield dg.AssetCheckResult(
                asset_key=table,
                check_name=outcome.name,
                passed=outcome.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=outcome.describe(),
                metadata={"rows_checked": outcome.rows_checked, "broken_rows": outcome.broken},
            )
