"""Fills on the engine's fast path: right after the engine placed its orders, one pass of the fill
poller records their trades through the venue sync's own fill code (fills, figures, states), and the
scheduled sync afterwards finds the ledger already equal to the venue: nothing to repair, nothing lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lt_pipeline.engine.fills import FillPoller
from lt_pipeline.execution.venue_sync import sync_venue
from lt_pipeline.ledger import schema
from lt_pipeline.tools.fault_drill import audit_ledger
from lt_pipeline_tests.engine.support import demo_trader, make_lane, polling, sight_all
from lt_pipeline_tests.engine.test_engine_detection import world  # noqa: F401  (the fixture)


def test_fill_poller_records_the_engines_fills_before_any_venue_sync(world):  # noqa: F811
    trader = demo_trader(world.emulator.url)
    lane = make_lane(world.engine, world.clock, world.emulator.url, trader_for_user=lambda user: trader)
    world.clock.advance(timedelta(minutes=2))
    report = lane.tick(sight_all(polling(lane)))
    assert report.execution.accepted > 0
    assert trader.trades().records, "the engine's orders matched nothing: the test needs fills"

    poller = FillPoller(world.engine, lambda user: trader, world.clock)
    first = poller.poll()
    assert first.fills_new > 0 and first.lt_orders_updated > 0 and first.waiting == 0
    with world.engine.connect() as connection:
        fills = connection.execute(select(func.count()).select_from(schema.fills)).scalar()
        executed = connection.execute(
            select(func.count()).select_from(schema.lt_orders).where(schema.lt_orders.c.executed_shares > 0)
        ).scalar()
    assert fills == first.fills_new and executed > 0
    again = poller.poll()  # the same trades read again change nothing
    assert (again.fills_new, again.lt_orders_updated) == (0, 0)

    world.clock.advance(timedelta(minutes=1))
    sync = sync_venue(world.engine, lambda user: trader, world.clock)
    assert sync.fills_new == 0 and not sync.discrepancies and not sync.mismatches, sync
    result = audit_ledger(world.engine, world.emulator.venue, [trader.funder])
    assert result.clean, result
