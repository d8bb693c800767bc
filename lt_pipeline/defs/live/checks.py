"""Checks on live orders, blocking where money is at stake: a failure stops the rest of the run and
shows red in the UI."""

from collections import defaultdict
from decimal import Decimal

import dagster as dg
from sqlalchemy import func, select

from lt_pipeline.alerts.ledger import open_alerts
from lt_pipeline.defs.resources import LedgerResource
from lt_pipeline.execution.controls import current_halt
from lt_pipeline.execution.strategy_book import committed_usd
from lt_pipeline.execution.fills import orders_disagreeing
from lt_pipeline.execution.placement_rule import StrategyGate, placement_block
from lt_pipeline.execution.venue_identity import venue_lost
from lt_pipeline.ledger.schema import lt_orders, lt_strategies, orders, venue_discrepancies


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
        select(lt_orders.c.strategy_id, lt_orders.c.status, lt_orders.c.intended_size_usd, lt_orders.c.executed_size).where(
            lt_orders.c.outcome == "OPEN"
        )
    )
    for row in rows:
        exposure[row.strategy_id] += committed_usd(row.status, row.intended_size_usd, row.executed_size)
    return exposure


@dg.asset_check(asset="lt_orders", blocking=True, description="Open exposure of every strategy within its max_total_exposure_usd.")
def exposure_within_caps(ledger: LedgerResource) -> dg.AssetCheckResult:
    with ledger.engine.connect() as connection:
        exposure = open_exposure_by_strategy(connection)
        caps = dict(connection.execute(select(lt_strategies.c.strategy_id, lt_strategies.c.max_total_exposure_usd)).all())
    over = {s: str(v) for s, v in exposure.items() if v > caps.get(s, Decimal(0))}
    return _check(not over, f"{len(over)} strategy(ies) over their exposure cap", over_cap=str(over) if over else "none")


@dg.asset_check(asset="lt_orders", blocking=True, description="Nothing placed for a paused or halted strategy, nor before launch: every placed order passes the placement rule as of its decision.")
def nothing_placed_while_paused(ledger: LedgerResource) -> dg.AssetCheckResult:
    with ledger.engine.connect() as connection:
        gates = {row["strategy_id"]: StrategyGate.of(row) for row in connection.execute(select(lt_strategies)).mappings()}
        halt = current_halt(connection)
        placed = connection.execute(
            select(lt_orders.c.strategy_id, lt_orders.c.signal_at, lt_orders.c.decided_at).where(lt_orders.c.order_id.is_not(None))
        ).all()
    broken: dict[str, int] = defaultdict(int)
    for row in placed:
        block = placement_block(gates[row.strategy_id], row.signal_at, row.decided_at, halt=halt)
        if block is not None:
            broken[block.reason.value] += 1
    problems = sum(broken.values())
    return _check(
        problems == 0,
        f"{problems} order(s) placed when they must not be",
        before_launch=broken["before_launch"] + broken["not_launched"],
        while_paused=broken["paused"] + broken["daily_loss_limit"],
        while_halted=broken["halted"],
    )


@dg.asset_check(asset="lt_fills", blocking=True, description="Every order's `orders` row agrees with its fills in the ledger, and no venue order or fill of ours is missing from it.")
def ledger_matches_venue(ledger: LedgerResource) -> dg.AssetCheckResult:
    with ledger.engine.connect() as connection:
        lost = venue_lost(connection)
        if lost:
            return _check(False, lost, venue_lost=lost)
        disagreeing = orders_disagreeing(connection)
        unrepaired = connection.execute(
            select(venue_discrepancies.c.order_id, venue_discrepancies.c.detail)
            .where(venue_discrepancies.c.repaired.is_(False), venue_discrepancies.c.cleared_at.is_(None))
        ).all()
    detail = "; ".join(f"{oid[:12]}: orders row {matched} vs fills {filled}" for oid, _, matched, filled in disagreeing[:10])
    return _check(
        not disagreeing and not unrepaired,
        f"{len(disagreeing)} order(s) whose matched size differs from their fills, "
        f"{len(unrepaired)} venue order(s)/fill(s) of ours missing from the ledger",
        size_mismatches=len(disagreeing),
        unrepaired_discrepancies=len(unrepaired),
        detail=detail or "none",
        missing="; ".join(f"{oid[:12]}: {why}" for oid, why in unrepaired[:10]) or "none",
    )


@dg.asset_check(asset="strategy_alerts", blocking=False, description="Warns while a strategy's rejection rate or p95 latency is over its threshold.")
def no_open_alerts(ledger: LedgerResource) -> dg.AssetCheckResult:
    with ledger.engine.connect() as connection:
        alerts = open_alerts(connection)
    return dg.AssetCheckResult(
        passed=not alerts, severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(alerts) if alerts else "no strategy over an alert threshold",
        metadata={"open_alerts": len(alerts)},
    )
