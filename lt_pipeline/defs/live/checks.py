"""Checks on live orders, blocking where money is at stake: a failure stops the rest of the run and
shows red in the UI."""

from collections import defaultdict
from decimal import Decimal

import dagster as dg
from sqlalchemy import func, select

from lt_pipeline.defs.resources import LedgerResource
from lt_pipeline.execution.executor import committed_usd
from lt_pipeline.ledger.schema import lt_orders, lt_strategies, orders, system_controls


def _check(passed: bool, description: str, **metadata) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=passed, severity=dg.AssetCheckSeverity.ERROR, description=description, metadata=metadata
    )


@dg.asset_check(asset="lt_orders", blocking=True, description="At most one LT order per (strategy, source trade) and one venue order per LT order.")
def no_duplicate_live_orders(ledger: LedgerResource) -> dg.AssetCheckResult:
    with ledger.engine.connect() as connection:
        twice = connection.execute(
            select(lt_orders.c.strategy_id, lt_orders.c.source_trade_id)
            .group_by(lt_orders.c.strategy_id, lt_orders.c.source_trade_id)
            .having(func.count() > 1)
        ).all()
        venue_twice = connection.execute(
            select(orders.c.lt_order_id).group_by(orders.c.lt_order_id).having(func.count() > 1)
        ).all()
    problems = len(twice) + len(venue_twice)
    return _check(problems == 0, f"{problems} duplicated signal(s)", duplicated_signals=len(twice), duplicated_venue_orders=len(venue_twice))


def open_exposure_by_strategy(connection) -> dict[str, Decimal]:
    exposure: dict[str, Decimal] = defaultdict(Decimal)
    rows = connection.execute(
        select(lt_orders.c.strategy_id, lt_orders.c.status, lt_orders.c.intended_size_usd, lt_orders.c.executed_usd).where(
            lt_orders.c.outcome == "OPEN"
        )
    )
    for row in rows:
        exposure[row.strategy_id] += committed_usd(row.status, row.intended_size_usd, row.executed_usd)
    return exposure


@dg.asset_check(asset="lt_orders", blocking=True, description="Open exposure of every strategy within its max_total_exposure_usd.")
def exposure_within_caps(ledger: LedgerResource) -> dg.AssetCheckResult:
    with ledger.engine.connect() as connection:
        exposure = open_exposure_by_strategy(connection)
        caps = dict(connection.execute(select(lt_strategies.c.strategy_id, lt_strategies.c.max_total_exposure_usd)).all())
    over = {s: str(v) for s, v in exposure.items() if v > caps.get(s, Decimal(0))}
    return _check(not over, f"{len(over)} strategy(ies) over their exposure cap", over_cap=str(over) if over else "none")


@dg.asset_check(asset="lt_orders", blocking=True, description="Nothing placed for a paused or halted strategy, nor before launch.")
def nothing_placed_while_paused(ledger: LedgerResource) -> dg.AssetCheckResult:
    with ledger.engine.connect() as connection:
        placed = lt_orders.c.order_id.is_not(None)
        before_launch = connection.execute(
            select(func.count())
            .select_from(lt_orders.join(lt_strategies, lt_strategies.c.strategy_id == lt_orders.c.strategy_id))
            .where(placed)
            .where(lt_orders.c.signal_at <= lt_strategies.c.launched_at)
        ).scalar()
        while_paused = connection.execute(
            select(func.count())
            .select_from(lt_orders.join(lt_strategies, lt_strategies.c.strategy_id == lt_orders.c.strategy_id))
            .where(placed)
            .where(lt_strategies.c.is_paused)
            .where(lt_strategies.c.paused_at.is_not(None))
            .where(lt_orders.c.decided_at > lt_strategies.c.paused_at)
        ).scalar()
        halt = connection.execute(
            select(system_controls.c.value, system_controls.c.updated_at).where(system_controls.c.name == "global_halt")
        ).first()
        while_halted = 0
        if halt is not None and halt.value == "on":
            while_halted = connection.execute(
                select(func.count()).select_from(lt_orders).where(placed).where(lt_orders.c.decided_at > halt.updated_at)
            ).scalar()
    problems = before_launch + while_paused + while_halted
    return _check(
        problems == 0,
        f"{problems} order(s) placed when they must not be",
        before_launch=before_launch,
        while_paused=while_paused,
        while_halted=while_halted,
    )


@dg.asset_check(asset="lt_fills", blocking=True, description="The ledger's filled size of every order equals the venue's after reconciliation.")
def ledger_matches_venue(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    materialization = context.instance.get_latest_materialization_event(dg.AssetKey("lt_fills"))
    metadata = materialization.asset_materialization.metadata if materialization else {}
    mismatches = int(metadata["size_mismatches"].value) if "size_mismatches" in metadata else 0
    unrepaired = int(metadata["unrepaired_discrepancies"].value) if "unrepaired_discrepancies" in metadata else 0
    detail = metadata["mismatch_detail"].value if "mismatch_detail" in metadata else "none"
    return _check(
        mismatches == 0 and unrepaired == 0,
        f"{mismatches} size mismatch(es), {unrepaired} venue order(s)/fill(s) missing from the ledger",
        size_mismatches=mismatches,
        unrepaired_discrepancies=unrepaired,
        detail=detail,
    )
