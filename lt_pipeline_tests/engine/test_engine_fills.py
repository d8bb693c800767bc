"""Fills on the engine's fast path: right after the engine placed its orders, one pass of the fill
poller records their trades through the venue sync's own fill code (fills, figures, states), and the
scheduled sync afterwards finds the ledger already equal to the venue: nothing to repair, nothing lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from lt_pipeline.engine.fills import FillPoller, record_trades
from lt_pipeline.execution.venue_sync import sync_venue
from lt_pipeline.ledger import schema
from lt_pipeline.model.reports import VenueOrder, VenueTrade
from lt_pipeline.venues.polymarket.reports import resting_of
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


def _halves(trade: VenueTrade) -> list[VenueTrade]:
    """`trade` as two trades of half its size each (the venue matching an order against two makers)."""
    first = (trade.size / 2).quantize(Decimal("0.01"))
    out = []
    for n, size in enumerate((first, trade.size - first)):
        legs = tuple(replace(leg, matched_amount=size) for leg in trade.maker_orders)
        out.append(replace(trade, trade_id=f"{trade.trade_id}-{n}", size=size, maker_orders=legs))
    return out


def test_a_matched_order_whose_trades_arrive_one_by_one_is_not_closed_before_its_last(world):  # noqa: F811
    """The user channel pushes the order's MATCHED record and then its trades one message at a time.
    With the first trade alone recorded, the matched order must not look like a killed rest (CANCELLED,
    which no later fill undoes); once every trade is in, it is FILLED."""
    trader = demo_trader(world.emulator.url)
    lane = make_lane(world.engine, world.clock, world.emulator.url, trader_for_user=lambda user: trader)
    world.clock.advance(timedelta(minutes=2))
    lane.tick(sight_all(polling(lane)))
    trade = next(t for t in trader.trades().records if t.trader_side == "TAKER")
    # The order's record as the channel's order message gives it (the venue's own record of it).
    venue_record = world.emulator.venue.get_order(trade.taker_order_id)
    assert venue_record.status == "MATCHED" and venue_record.size_matched == venue_record.original_size == trade.size
    record = VenueOrder(order_id=venue_record.id, status="MATCHED", resting=resting_of("MATCHED"), side=trade.side,
                        price=venue_record.price, original_size=venue_record.original_size,
                        size_matched=venue_record.size_matched, token_id=trade.token_id, condition_id=venue_record.market,
                        order_type=venue_record.order_type, created_at=venue_record.created_at)
    with world.engine.connect() as connection:
        lt_order_id, user = connection.execute(
            select(schema.orders.c.lt_order_id, schema.orders.c.user_id).where(schema.orders.c.order_id == record.order_id)
        ).one()

    def status() -> str:
        with world.engine.connect() as connection:
            return connection.execute(
                select(schema.lt_orders.c.status).where(schema.lt_orders.c.lt_order_id == lt_order_id)).scalar_one()

    first, last = _halves(trade)
    records = {record.order_id: record}
    record_trades(world.engine, user, trader.funder, [first], world.clock, records)
    assert status() != "CANCELLED", "closed as a killed rest while its last trade was on its way"
    record_trades(world.engine, user, trader.funder, [last], world.clock, records)
    assert status() == "FILLED"
