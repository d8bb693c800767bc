"""Taker fees as the venue charges them, booked by the project from the market's schedule, on SQLite and
PostgreSQL against the emulator over HTTP: a taker BUY and SELL, a maker fill (no fee), a fee-free
category, an exponent other than 1; live PnL includes the fees to the cent; a BUY's fee is reserved
with its amount so that near full use of the wallet the venue never refuses for balance."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from lt_pipeline.execution.fees import reserved_fee
from lt_pipeline.execution.outcomes import settle_lt_orders
from lt_pipeline.execution.venue_sync import sync_venue
from lt_pipeline.forward_test.resolution import refresh_resolutions
from lt_pipeline.ingest.markets import store_markets
from lt_pipeline.ledger import schema
from lt_pipeline.model.trading import FeeSchedule
from lt_pipeline.money import cents
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline_tests.live.builders import counterparty, cross, limit_plan, place
from lt_pipeline_tests.live.builders import emulator, world  # noqa: F401 (fixtures)

D = Decimal


def set_fees(world, rate: str, exponent: str = "1", enabled: bool = True) -> None:
    """The venue's schedule for the world's market, and the ledger's, read back from the CLOB as the
    market ingestion does."""
    world.emulator.admin("fee-schedule", condition_id=world.market.condition_id, rate=rate, exponent=exponent,
                         enabled=enabled)
    info = ClobReader(world.emulator.url).market(world.market.condition_id)
    with world.engine.begin() as connection:
        store_markets(connection, [info], world.clock.now())
    assert info.fee_schedule == FeeSchedule(enabled and D(rate) > 0, D(rate) if enabled else D(0), D(exponent))


def fills_of(world, lt_id):
    return world.rows(schema.fills, lt_order_id=lt_id)


def sync(world):
    world.clock.advance(timedelta(seconds=1))
    return sync_venue(world.engine, world.trader_for_user, world.clock)


@pytest.mark.parametrize("rate, exponent", [("0.072", "1"), ("0.25", "2")])
def test_a_taker_buy_pays_the_markets_fee_and_the_ledger_books_it_exactly(world, rate, exponent):
    set_fees(world, rate, exponent)
    balance = world.trader.collateral_balance()
    lt_id = place(world, limit_plan("BUY", "0.60", "10"))  # crosses the pinned asks at 0.60: a taker
    sync(world)
    [fill] = fills_of(world, lt_id)
    expected = D(10) * D(rate) * (D("0.6") * D("0.4")) ** int(exponent)
    assert fill.trader_side == "TAKER" and fill.fee_usd == expected
    assert world.lt_order(lt_id).fees_usd == expected
    # The venue took the amount and the fee from the wallet, to its fee unit.
    paid = balance - world.trader.collateral_balance()
    assert paid - D(6) == pytest.approx(expected, abs=D("0.00001"))


def test_a_taker_sell_receives_its_proceeds_less_the_fee_and_pnl_counts_it(world):
    set_fees(world, "0.04")
    buy = place(world, limit_plan("BUY", "0.60", "10"))
    sync(world)
    buyer = counterparty(world, seed=5)  # a buyer for our sell: bids at 0.55
    bid = buyer.sign(world.token_id, limit_plan("BUY", "0.55", "10"), neg_risk=False)
    assert buyer.submit([bid])[0].outcome == "accepted"
    sell = place(world, limit_plan("SELL", "0.55", "10"))
    sync(world)
    [fill] = fills_of(world, sell)
    assert fill.trader_side == "TAKER" and fill.fee_usd == D(10) * D("0.04") * D("0.55") * D("0.45")
    # Settled: the sold token lost, so the SELL keeps its proceeds less its fee.
    world.clock.advance(timedelta(seconds=20))
    sync(world)
    world.emulator.admin("resolve", condition_id=world.market.condition_id, winner=world.market.tokens[1].outcome)
    refresh_resolutions(world.engine, ClobReader(world.emulator.url), world.clock)
    settle_lt_orders(world.engine, world.clock)
    order = world.lt_order(sell)
    assert cents(order.pnl) == cents(D("5.5") - fill.fee_usd)
    bought = world.lt_order(buy)
    assert cents(bought.pnl) == cents(-D(6) - bought.fees_usd)  # the BUY lost its cost and its fee


def test_a_maker_fill_books_no_fee(world):
    set_fees(world, "0.072")
    lt_id = place(world, limit_plan("BUY", "0.50", "20"))  # rests under the asks: a maker
    cross(world, counterparty(world), "SELL", "0.50", "8")
    sync(world)
    [fill] = fills_of(world, lt_id)
    assert fill.trader_side == "MAKER" and fill.fee_usd == 0 and world.lt_order(lt_id).fees_usd == 0


def test_a_fee_free_market_charges_nothing(world):
    set_fees(world, "0", enabled=False)
    balance = world.trader.collateral_balance()
    lt_id = place(world, limit_plan("BUY", "0.60", "10"))
    sync(world)
    [fill] = fills_of(world, lt_id)
    assert fill.fee_usd == 0 and balance - world.trader.collateral_balance() == D(6)


def test_a_buy_reserves_its_fee_so_the_wallet_never_runs_short_at_the_venue(world):
    set_fees(world, "0.072")
    plan = limit_plan("BUY", "0.60", "10")
    fee = reserved_fee(plan, FeeSchedule(True, D("0.072"), D(1)))
    assert fee == D("0.1728")  # 10 x 0.072 x 0.6 x 0.4, at the limit price
    with world.engine.begin() as connection:
        connection.execute(update(schema.markets).values(fees_enabled=True, fee_rate=D("0.072")))
    lt_id = place(world, plan)
    assert world.lt_order(lt_id).status in {"FILLED", "LIVE", "PARTIALLY_FILLED"}
