"""Fills refresh against the emulator over HTTP, on SQLite and PostgreSQL: partial then full fills,
settlement MATCHED -> MINED -> CONFIRMED, a failed trade reversing its fill, time-to-live and
closed-market cancels, and one user's venue failure leaving the others refreshed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from lt_pipeline.execution.venue_sync import sync_venue as refresh_fills
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.models import VenueUnavailable
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
)

D = Decimal



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
    assert (order.executed_shares, order.executed_price, order.executed_size) == (D("8"), D("0.5"), D("4"))
    assert order.fill_rate == D("0.4") and order.fill_latency_ms == 5000
    assert order.fully_filled_at is None
    [fill] = world.rows(schema.fills, lt_order_id=lt_id)
    assert (fill.trader_side, fill.side, fill.size, fill.price, fill.status) == ("MAKER", "BUY", D("8"), D("0.5"), "MATCHED")
    [venue_row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert (venue_row.status, venue_row.size_matched) == ("LIVE", D("8"))
    unchanged = refresh(world)  # the open order is read again, but nothing about it changed
    assert (unchanged.fills_new, unchanged.lt_orders_updated) == (0, 0)
    assert world.lt_order(lt_id).updated_at == order.updated_at

    world.clock.advance(timedelta(seconds=1))
    cross(world, seller, "SELL", "0.50", "12")
    report = refresh(world)
    order = world.lt_order(lt_id)
    assert report.fills_new == 1 and report.filled == 1
    assert order.status == "FILLED" and order.executed_shares == D("20") and order.fill_rate == D("1")
    assert order.fully_filled_at == world.clock.now() and order.fill_latency_ms == 5000
    assert order.slippage_pct == ((D("0.5") - D("0.49")) / D("0.49")).quantize(D("1e-10"))  # fixed precision
    [quality] = world.rows(schema.lt_execution_quality, lt_order_id=lt_id)
    assert (quality.executed_price, quality.slippage_cents, quality.fill_rate) == (D("0.5"), D("1"), D("1"))
    assert world.emulator.venue.get_order(world.lt_order(lt_id).order_id).size_matched == order.executed_shares
    assert decisions(world, lt_id)[-1][0] == "FILLED"

    again = refresh(world)  # reading the same trades again changes nothing
    assert (again.fills_new, again.fills_changed) == (0, 0)
    assert len(world.rows(schema.fills, lt_order_id=lt_id)) == 2


def test_fill_status_follows_settlement_to_confirmed(world):
    lt_id = place(world, limit_plan("BUY", "0.60", "10"))  # crosses the ask: filled on entry, as taker
    assert world.lt_order(lt_id).status == "FILLED" and world.lt_order(lt_id).executed_shares == 0
    refresh(world)
    [fill] = world.rows(schema.fills, lt_order_id=lt_id)
    assert (fill.status, fill.trader_side, fill.size, fill.price) == ("MATCHED", "TAKER", D("10"), D("0.6"))
    assert world.lt_order(lt_id).executed_size == D("6")
    [row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert (row.status, row.size_matched) == ("MATCHED", D("10"))

    statuses = []
    for seconds in (5, 10):
        world.clock.advance(timedelta(seconds=seconds))
        assert refresh(world).fills_changed == 1
        [fill] = world.rows(schema.fills, lt_order_id=lt_id)
        statuses.append(fill.status)
    assert statuses == ["MINED", "CONFIRMED"] and fill.transaction_hash.startswith("0x")
    order = world.lt_order(lt_id)
    assert (order.status, order.executed_shares) == ("FILLED", D("10"))


def test_a_failed_trade_stops_counting(world):
    lt_id = place(world, limit_plan("BUY", "0.60", "10"))
    refresh(world)
    [fill] = world.rows(schema.fills, lt_order_id=lt_id)
    world.emulator.admin("fail-trade", trade_id=fill.trade_id)
    world.clock.advance(timedelta(seconds=5))
    refresh(world)
    [fill] = world.rows(schema.fills, lt_order_id=lt_id)
    assert fill.status == "RETRYING" and world.lt_order(lt_id).executed_shares == D("10")  # provisional still counts

    world.clock.advance(timedelta(seconds=10))
    report = refresh(world)
    [fill] = world.rows(schema.fills, lt_order_id=lt_id)
    order = world.lt_order(lt_id)
    assert report.fills_reversed == 1 and fill.status == "FAILED"  # kept, no longer counted
    assert (order.executed_shares, order.executed_size, order.executed_price, order.fill_rate) == (D("0"), D("0"), None, D("0"))
    assert order.status == "CANCELLED" and order.first_fill_at is None
    venue_order = world.emulator.venue.get_order(order.order_id)
    assert venue_order.size_matched == order.executed_shares
    assert any(d == "FILL_FAILED" and f"trade {fill.trade_id} failed" in r for d, r in decisions(world, lt_id))


def test_a_settlement_failure_reverses_only_the_failed_part(world):
    lt_id = place(world, limit_plan("BUY", "0.50", "20"))
    seller = counterparty(world)
    cross(world, seller, "SELL", "0.50", "8")
    world.emulator.admin("settlement", failure_rate=1.0)  # trades matched from now on fail
    cross(world, seller, "SELL", "0.50", "12")
    refresh(world)
    assert world.lt_order(lt_id).status == "FILLED"

    world.clock.advance(timedelta(seconds=20))
    report = refresh(world)
    order = world.lt_order(lt_id)
    assert report.fills_reversed == 1
    assert sorted(f.status for f in world.rows(schema.fills, lt_order_id=lt_id)) == ["CONFIRMED", "FAILED"]
    assert (order.executed_shares, order.executed_size, order.fill_rate) == (D("8"), D("4"), D("0.4"))
    assert order.status == "CANCELLED"  # off the book: the failed 12 shares will not fill again
    assert world.emulator.venue.get_order(order.order_id).size_matched == D("8")
    [row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert row.size_matched == D("8")


def test_a_fok_that_filled_on_entry_is_read_back_from_its_trades(world):
    world.emulator.admin("settlement", failure_rate=1.0)
    lt_id = place(world, market_plan("BUY", "FOK", "0.60", "6"), signal_price="0.60")
    placed = world.lt_order(lt_id)
    assert placed.status == "FILLED" and world.trader.order(placed.order_id) is None  # no readable record
    refresh(world)
    order = world.lt_order(lt_id)
    [row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert order.executed_shares > 0 and order.executed_price == D("0.6") and row.size_matched == order.executed_shares

    world.clock.advance(timedelta(seconds=20))
    refresh(world)
    order = world.lt_order(lt_id)
    [row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert (order.status, order.executed_shares, row.size_matched) == ("CANCELLED", D("0"), D("0"))


def test_a_resting_gtc_is_cancelled_when_its_time_to_live_passes_and_keeps_its_fills(ledger_engine, emulator):
    world = make_world(ledger_engine, emulator, ttl_seconds=60)
    pin_book(world)
    lt_id = place(world, limit_plan("BUY", "0.50", "20"))
    cross(world, counterparty(world), "SELL", "0.50", "5")
    world.clock.advance(timedelta(seconds=59))
    assert refresh(world).cancelled_ttl == 0 and world.lt_order(lt_id).status == "PARTIALLY_FILLED"

    world.clock.advance(timedelta(seconds=1))
    report = refresh(world)
    order = world.lt_order(lt_id)
    assert report.cancelled_ttl == 1 and order.status == "CANCELLED" and order.cancelled_at == world.clock.now()
    assert order.executed_shares == D("5")
    assert world.emulator.venue.get_order(order.order_id).status == "CANCELED"
    assert ("CANCELLED", "cancelled at the venue: time-to-live of 60 s passed") in decisions(world, lt_id)
    [row] = world.rows(schema.orders, lt_order_id=lt_id)
    assert row.status == "CANCELED"
    assert refresh(world).cancelled_ttl == 0  # nothing left to cancel


def test_resting_orders_in_a_market_that_closed_are_cancelled(world):
    lt_id = place(world, limit_plan("BUY", "0.45", "10"))
    with world.engine.begin() as connection:
        connection.execute(update(schema.markets).values(closed=True, accepting_orders=False))
    report = refresh(world)
    assert report.cancelled_market_closed == 1 and world.lt_order(lt_id).status == "CANCELLED"
    assert ("CANCELLED", "cancelled at the venue: market closed") in decisions(world, lt_id)
    assert world.emulator.venue.orders(world.trader.api_key) == []


def test_one_users_venue_failure_does_not_stop_the_others(world):
    bob = make_world(world.engine, world.emulator, user_id="bob", key_seed=3)
    alice_order = place(world, limit_plan("BUY", "0.60", "10"))
    bob_order = place(bob, limit_plan("BUY", "0.60", "5"))

    def trader_for_user(user_id):
        if user_id == "alice":
            raise VenueUnavailable("trades: HTTP 503: down for maintenance", status=503)
        return bob.trader

    report = refresh_fills(world.engine, trader_for_user, world.clock)
    assert report.failed_users == {"alice": "trades: HTTP 503: down for maintenance"}
    assert world.lt_order(bob_order).executed_shares == D("5")
    assert world.lt_order(alice_order).executed_shares == D("0")
    refresh_fills(world.engine, lambda user: world.trader if user == "alice" else bob.trader, world.clock)
    assert world.lt_order(alice_order).executed_shares == D("10")


def test_a_fill_of_an_order_still_in_flight_is_left_to_reconciliation(world):
    resting = place(world, limit_plan("BUY", "0.45", "10"))
    world.emulator.admin("faults", settings={"lost_reply_rate": 1.0})
    in_flight = place(world, limit_plan("BUY", "0.60", "10"))  # matched at once, its reply lost
    world.emulator.admin("faults/clear")
    report = refresh(world)
    assert report.awaiting_reconciliation == 1 and report.fills_new == 0
    assert world.rows(schema.fills, lt_order_id=in_flight) == [] and world.lt_order(in_flight).status == "UNKNOWN"
    assert world.lt_order(resting).status == "LIVE"

