"""Reconciliation by order hash against the emulator over HTTP, on SQLite and PostgreSQL: an intent
stored but never sent never arrives and is never resubmitted; a lost reply or an unrecorded answer is
settled to the venue's state with no duplicates; a venue read error keeps the order unknown; venue
orders and fills the ledger lacks are reported (and repaired when ours); filled sizes agree."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, update

from lt_pipeline.execution.venue_sync import sync_venue as refresh_fills
from lt_pipeline.execution.venue_sync import sync_venue as reconcile
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.models import VenueUnavailable
from lt_pipeline.venues.polymarket.trading import Outcome, SignedIntent
from lt_pipeline_tests.live.builders import emulator, world  # noqa: F401 (fixtures)
from lt_pipeline_tests.live.builders import (
    counterparty,
    cross,
    decisions,
    limit_plan,
    make_world,
    market_plan,
    pin_book,
    place,
    record_answer,
)

D = Decimal
GRACE = timedelta(seconds=30)



def run(world, trader_for_user=None):
    report = reconcile(world.engine, trader_for_user or world.trader_for_user, world.clock, unknown_grace=GRACE)
    assert not report.failed_users, report.failed_users
    return report


def venue_orders_with(world, order_id):
    """How many venue orders carry this hash (open or not), and the trades naming it."""
    record = world.emulator.venue.get_order(order_id)
    trades = [t for t in world.emulator.venue.trades(world.trader.funder) if t.taker_order_id == order_id]
    return (0 if record is None else 1), trades


def test_an_intent_never_submitted_never_arrives_and_is_never_resubmitted(world):
    lt_id = place(world, limit_plan("BUY", "0.45", "10"), submit=False)  # the run crashed before sending
    assert run(world).in_flight_checked == 0  # within the grace: the placing run may still be at it
    assert world.lt_order(lt_id).status == "INTENT_STORED"

    world.clock.advance(GRACE)
    report = run(world)
    order = world.lt_order(lt_id)
    assert (report.never_arrived, order.status) == (1, "NEVER_ARRIVED")
    assert decisions(world, lt_id)[-1] == (
        "NEVER_ARRIVED",
        f"never arrived: the venue has no order or trade with hash {order.order_id}; cancelled defensively, not resubmitted",
    )
    assert venue_orders_with(world, order.order_id) == (0, [])
    assert world.rows(schema.orders, lt_order_id=lt_id) == []

    world.clock.advance(timedelta(minutes=5))
    again = run(world)
    assert (again.in_flight_checked, again.never_arrived) == (0, 0)
    assert venue_orders_with(world, order.order_id) == (0, [])


@pytest.mark.parametrize("seed", [0, 1], ids=["connection-dropped", "server-error"])
def test_a_lost_reply_is_reconciled_to_the_venues_state_without_duplicates(world, seed):
    pin_book(world, asks=(("0.60", "30"), ("0.62", "100")))
    world.emulator.admin("faults", settings={"lost_reply_rate": 1.0}, seed=seed)
    lt_id = place(world, limit_plan("BUY", "0.60", "40"))  # 30 match at once, 10 rest
    world.emulator.admin("faults/clear")
    order = world.lt_order(lt_id)
    assert order.status == "UNKNOWN" and world.rows(schema.orders, lt_order_id=lt_id) == []

    world.clock.advance(GRACE)
    report = run(world)
    order = world.lt_order(lt_id)
    assert report.reconciled == 1 and (report.discrepancies, report.mismatches) == ([], [])
    assert (order.status, order.executed_shares, order.executed_price) == ("PARTIALLY_FILLED", D("30"), D("0.6"))
    [row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert (row.order_id, row.status, row.original_size, row.size_matched) == (order.order_id, "LIVE", D("40"), D("30"))
    assert len(world.rows(schema.fills, lt_order_id=lt_id)) == 1
    assert decisions(world, lt_id)[-1][0] == "RECONCILED"
    count, trades = venue_orders_with(world, order.order_id)
    assert count == 1 and len(trades) == 1

    again = run(world)  # nothing left in flight, nothing duplicated
    assert (again.reconciled, again.discrepancies, again.mismatches) == (0, [], [])
    assert len(world.rows(schema.orders, lt_order_id=lt_id)) == 1 and len(world.rows(schema.fills, lt_order_id=lt_id)) == 1


def test_an_answer_never_recorded_is_found_by_its_trades_when_the_venue_keeps_no_record(world):
    lt_id = place(world, market_plan("BUY", "FOK", "0.60", "12"), signal_price="0.60", record=False)
    order = world.lt_order(lt_id)
    assert order.status == "SUBMITTED" and world.trader.order(order.order_id) is None

    world.clock.advance(GRACE)
    report = run(world)
    order = world.lt_order(lt_id)
    assert report.reconciled == 1 and report.mismatches == []
    assert order.status == "FILLED" and order.executed_shares == D("19.0476") and order.executed_price == D("0.6")
    [row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert (row.order_type, row.original_size, row.size_matched) == ("FOK", D("19.0476"), D("19.0476"))
    assert order.submitted_at is not None and order.fill_latency_ms is not None
    assert venue_orders_with(world, order.order_id)[1][0].size == D("19.0476")


@pytest.mark.parametrize("answer_recorded", [False, True], ids=["answer-lost", "answer-recorded"])
def test_an_order_arriving_after_it_was_given_up_is_recorded_and_cancelled(world, answer_recorded):
    plan = limit_plan("BUY", "0.45", "10")
    lt_id = place(world, plan, submit=False)
    world.clock.advance(GRACE)
    run(world)
    stored = world.lt_order(lt_id)
    assert stored.status == "NEVER_ARRIVED"
    # The submit was only slow: it reaches the venue now and rests there.
    [result] = world.trader.submit([SignedIntent.from_json(stored.order_id, stored.signed_order_json)])
    assert result.outcome == Outcome.ACCEPTED and world.emulator.venue.get_order(stored.order_id).status == "LIVE"
    if answer_recorded:
        record_answer(world, lt_id, plan, result)  # too late to change the state; the orders row is written

    report = run(world)
    assert world.emulator.venue.get_order(stored.order_id).status == "CANCELED"
    assert world.lt_order(lt_id).status == "NEVER_ARRIVED"  # never meant to be placed again
    [row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert row.status == "CANCELED"
    assert [(d.kind, d.order_id, d.repaired) for d in report.discrepancies] == [("order", stored.order_id, True)]
    assert run(world).discrepancies == []


class UnreadableOrders:
    """The user's trader, except that single-order reads fail as if the venue were down."""

    def __init__(self, trader):
        self._trader = trader

    def __getattr__(self, name):
        return getattr(self._trader, name)

    def order(self, order_id):
        raise VenueUnavailable(f"order {order_id}: HTTP 503: busy", status=503)


def test_a_venue_read_error_keeps_the_order_unknown_until_the_venue_answers(world):
    lt_id = place(world, limit_plan("BUY", "0.45", "10"), submit=False)
    world.clock.advance(GRACE)
    report = run(world, lambda user: UnreadableOrders(world.trader))
    assert (report.still_unknown, report.never_arrived) == (1, 0)
    assert world.lt_order(lt_id).status == "UNKNOWN"
    assert decisions(world, lt_id)[-1][0] == "UNKNOWN"

    report = run(world)
    assert report.never_arrived == 1 and world.lt_order(lt_id).status == "NEVER_ARRIVED"


def test_venue_orders_and_fills_missing_from_the_ledger_are_reported_and_ours_repaired(world):
    lt_id = place(world, limit_plan("BUY", "0.50", "20"))
    cross(world, counterparty(world), "SELL", "0.50", "5")
    refresh_fills(world.engine, world.trader_for_user, world.clock)
    [fill] = world.rows(schema.fills, lt_order_id=lt_id)
    with world.engine.begin() as connection:
        connection.execute(delete(schema.fills))  # a fill the ledger lost
    stray = world.trader.sign(world.token_id, limit_plan("BUY", "0.41", "10"), neg_risk=False)
    [answer] = world.trader.submit([stray])  # placed by hand, outside the system
    assert answer.outcome == Outcome.ACCEPTED

    report = run(world)
    found = {(d.kind, d.order_id, d.trade_id, d.repaired) for d in report.discrepancies}
    assert ("fill", fill.order_id, fill.trade_id, True) in found
    assert ("order", stray.order_id, None, False) in found
    assert [f.fill_id for f in world.rows(schema.fills, lt_order_id=lt_id)] == [fill.fill_id]
    assert world.lt_order(lt_id).executed_shares == D("5") and report.mismatches == []


def test_filled_size_that_differs_from_the_venue_is_reported(world):
    lt_id = place(world, limit_plan("BUY", "0.60", "10"))
    refresh_fills(world.engine, world.trader_for_user, world.clock)
    assert run(world).mismatches == []
    with world.engine.begin() as connection:
        connection.execute(update(schema.fills).values(size=D("7")))
    [mismatch] = run(world).mismatches
    order = world.lt_order(lt_id)
    assert (mismatch.order_id, mismatch.lt_order_id, mismatch.ledger_filled, mismatch.venue_matched) == (
        order.order_id, lt_id, D("7"), D("10"),
    )


def test_one_users_failure_is_reported_and_the_others_reconciled(world):
    bob = make_world(world.engine, world.emulator, user_id="bob", key_seed=3)
    stuck = place(bob, limit_plan("BUY", "0.45", "10"), submit=False)
    place(world, limit_plan("BUY", "0.45", "10"), submit=False)
    world.clock.advance(GRACE)

    def trader_for_user(user_id):
        if user_id == "alice":
            raise KeyError("LT_PRIVATE_KEY_ALICE is not set")
        return bob.trader

    report = reconcile(world.engine, trader_for_user, world.clock, unknown_grace=GRACE)
    assert list(report.failed_users) == ["alice"] and "LT_PRIVATE_KEY_ALICE" in report.failed_users["alice"]
    assert bob.lt_order(stuck).status == "NEVER_ARRIVED"


def test_trades_naming_an_order_settle_it_even_when_its_record_is_unreadable(world):
    world.emulator.admin("faults", settings={"lost_reply_rate": 1.0})
    lt_id = place(world, limit_plan("BUY", "0.60", "10"))  # matched in full on entry, reply lost
    world.emulator.admin("faults/clear")
    world.clock.advance(GRACE)
    report = run(world, lambda user: UnreadableOrders(world.trader))
    order = world.lt_order(lt_id)
    assert (report.reconciled, report.still_unknown, report.discrepancies) == (1, 0, [])
    assert (order.status, order.executed_shares) == ("FILLED", D("10"))
