"""Fills refresh against the emulator over HTTP, on SQLite and PostgreSQL: partial then full fills,
settlement MATCHED -> MINED -> CONFIRMED, a failed trade reversing its fill, time-to-live and
closed-market cancels, and one user's venue failure leaving the others refreshed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from lt_pipeline.execution.fills import refresh_fills
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.models import VenueUnavailable
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.live.builders import (
    counterparty,
    cross,
    decisions,
    limit_plan,
    make_world,
    market_plan,
    place,
)

D = Decimal


@pytest.fixture
def emulator():
    handle = start_emulator(seed=5)
    handle.admin("pause")  # no simulated traders: only the test's orders move the book
    try:
        yield handle
    finally:
        handle.stop(wait=False)


@pytest.fixture
def world(ledger_engine, emulator):
    world = make_world(ledger_engine, emulator)
    # Our bids sit above the simulated quotes, so only the counterparty's sells reach them.
    emulator.admin("book", token_id=world.token_id, bids=[["0.40", "100"]], asks=[["0.60", "100"], ["0.61", "100"]])
    return world


def refresh(world):
    report = refresh_fills(world.engine, world.trader_for_user, world.clock)
    assert not report.failed_users, report.failed_users
    return report


def test_a_resting_order_fills_in_parts_and_reports_what_filled(world):
    lt_id = place(world, limit_plan("BUY", "0.50", "20"), signal_price="0.49")
    assert world.lt_order(lt_id).status == "LIVE"
    seller = counterparty(world)
    world.clock.advance(timedelta(seconds=5))
    cross(world, seller, "SELL", "0.50", "8")

    report = refresh(world)
    order = world.lt_order(lt_id)
    assert report.fills_new == 1 and order.status == "PARTIALLY_FILLED"
    assert (order.executed_shares, order.executed_price, order.executed_usd) == (D("8"), D("0.5"), D("4"))
    assert order.fill_rate == D("0.4") and order.fill_latency_ms == 5000
    assert order.fully_filled_at is None
    [fill] = world.rows(schema.fills, lt_order_id=lt_id)
    assert (fill.trader_side, fill.side, fill.size, fill.price, fill.status) == ("MAKER", "BUY", D("8"), D("0.5"), "MATCHED")
    [venue_row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert (venue_row.status, venue_row.size_matched) == ("LIVE", D("8"))

    world.clock.advance(timedelta(seconds=1))
    cross(world, seller, "SELL", "0.50", "12")
    report = refresh(world)
    order = world.lt_order(lt_id)
    assert report.fills_new == 1 and report.filled == 1
    assert order.status == "FILLED" and order.executed_shares == D("20") and order.fill_rate == D("1")
    assert order.fully_filled_at == world.clock.now() and order.fill_latency_ms == 5000
    assert order.slippage_pct.quantize(D("1e-15")) == ((D("0.5") - D("0.49")) / D("0.49")).quantize(D("1e-15"))
    [quality] = world.rows(schema.lt_execution_quality, lt_order_id=lt_id)
    assert (quality.executed_price, quality.slippage_cents, quality.fill_rate) == (D("0.5"), D("1"), D("1"))
    assert world.emulator.venue.get_order(world.lt_order(lt_id).order_id).size_matched == order.executed_shares
    assert decisions(world, lt_id)[-1][0] == "FILLED"

    again = refresh(world)  # reading the same trades again changes nothing
    assert (again.fills_new, again.fills_changed) == (0, 0)
    assert len(world.rows(schema.fills, lt_order_id=lt_id)) == 2
