"""Invariant 2 across the live pipeline: the executor places real signals while the emulator loses
half its order replies; after the fills refresh and reconciliation, every venue order and fill of ours
is in the ledger, and each order's filled size equals the venue's (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from lt_pipeline.execution.executor import BookSource, run_executor
from lt_pipeline.execution.venue_sync import sync_venue as refresh_fills
from lt_pipeline.execution.venue_sync import sync_venue as reconcile
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.trading import ClobTrader
from lt_pipeline_tests.emulator.fixtures import start_emulator, test_private_key
from lt_pipeline_tests.forward_test.harness import make_harness
from lt_pipeline_tests.live.test_executor import add_strategy


def test_lost_replies_leave_no_venue_order_or_fill_outside_the_ledger(ledger_url, tmp_path):
    emulator = start_emulator(seed=11)
    try:
        harness = make_harness(emulator, ledger_url, tmp_path)
        harness.execution_tick()
        add_strategy(harness.engine, harness.clock.now())
        trader = ClobTrader(emulator.url, 137, test_private_key(1), use_server_time=True)
        books = BookSource(ClobReader(emulator.url).book)
        unknown = 0
        for _ in range(3):
            harness.execution_tick()
            emulator.admin("faults", settings={"lost_reply_rate": 0.5}, seed=3)
            unknown += run_executor(harness.engine, harness.clock, books, lambda user: trader).unknown
            emulator.admin("faults/clear")
            refresh_fills(harness.engine, lambda user: trader, harness.clock)
            reconcile(harness.engine, lambda user: trader, harness.clock)
        harness.clock.advance(timedelta(minutes=1))
        refresh_fills(harness.engine, lambda user: trader, harness.clock)
        report = reconcile(harness.engine, lambda user: trader, harness.clock)
        assert unknown > 0 and not report.failed_users
        assert report.mismatches == [] and [d for d in report.discrepancies if not d.repaired] == []

        venue_fills = venue_fills_of(emulator.venue, trader.funder)
        venue_orders = {oid for _, oid in venue_fills} | {o.id for o in emulator.venue.orders(trader.api_key)}
        with harness.engine.connect() as connection:
            ledger_orders = set(connection.execute(select(schema.orders.c.order_id)).scalars())
            ledger_fills = {(f.trade_id, f.order_id): f.size for f in connection.execute(
                select(schema.fills).where(schema.fills.c.status != "FAILED"))}
            executed = {o.order_id: o.executed_shares for o in connection.execute(
                select(schema.lt_orders).where(schema.lt_orders.c.order_id.in_(ledger_orders)))}
            in_flight = connection.execute(
                select(schema.lt_orders.c.status).where(schema.lt_orders.c.status.in_(["UNKNOWN", "INTENT_STORED"]))
            ).all()
        assert venue_orders and venue_orders <= ledger_orders and in_flight == []
        assert ledger_fills == venue_fills
        for order_id in venue_orders:
            matched = sum((size for (_, oid), size in venue_fills.items() if oid == order_id), Decimal(0))
            assert executed[order_id] == matched
    finally:
        emulator.stop(wait=False)


def venue_fills_of(venue, funder: str) -> dict[tuple[str, str], Decimal]:
    """(trade id, our order id) -> our shares, for every trade of ours that still counts, taker or maker."""
    ours: dict[tuple[str, str], Decimal] = {}
    for trade in venue.trades(funder):
        if trade.status == "FAILED":
            continue
        if trade.taker_address.lower() == funder.lower():
            ours[(trade.id, trade.taker_order_id)] = trade.size
        for leg in trade.maker_orders:
            if leg.maker_address.lower() == funder.lower():
                ours[(trade.id, leg.order_id)] = leg.matched_amount
    return ours
