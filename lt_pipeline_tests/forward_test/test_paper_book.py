"""The paper book's invested amount and its PnL agree: a $10 paper order that loses loses exactly $10,
one that wins makes shares - $10, a void one 0.5 x shares - $10, and the invested amount stays $10,
although its shares (size / price rounded down to the cent of a share) are not worth exactly $10.

The orders are opened by the FT tick from a source trade and settled by the resolution step, on a
real ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.forward_test.resolution import settle_ft_orders
from lt_pipeline.forward_test.signals import create_ft_orders
from lt_pipeline.forward_test.summary import ft_summary
from lt_pipeline.forward_test.wallets import sync_wallets
from lt_pipeline.ledger import schema
from lt_pipeline.strategy.config import load_wallets

D = Decimal
LOOSE_WALLETS = Path(__file__).with_name("loose_wallets.yaml")
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TRADER = "0x" + "ab" * 20
CONDITION = "0x" + "cd" * 32
YES, NO = "1111", "2222"


def open_paper_order(engine, clock, price: str) -> object:
    """A tracked trader BUYs YES at `price`; the fixed $10 test wallet copies it. Returns the FT order."""
    now = clock.now()
    wallets = [w for w in load_wallets(LOOSE_WALLETS) if w.wallet_id == "FT_TEST_FIXED"]
    sync_wallets(engine, wallets, now)
    with engine.begin() as connection:
        connection.execute(
            insert(schema.tracked_traders).values(trader_address=TRADER, source="config", added_at=now - timedelta(days=1))
        )
        connection.execute(
            insert(schema.markets).values(
                condition_id=CONDITION, question="Will it rain?", end_date=now + timedelta(days=7),
                tick_size=D("0.01"), created_at=now, updated_at=now,
            )
        )
        for index, (token, label) in enumerate(((YES, "Yes"), (NO, "No"))):
            connection.execute(
                insert(schema.market_tokens).values(token_id=token, condition_id=CONDITION, token_label=label, outcome_index=index)
            )
        connection.execute(
            insert(schema.source_trades).values(
                source_trade_id="trade-1", trader_address=TRADER, condition_id=CONDITION, token_id=YES, token_label="Yes",
                outcome_index=0, side="BUY", price=D(price), size=D(100), notional_usd=D(100) * D(price),
                traded_at=now - timedelta(minutes=1), title="Will it rain?", ingested_at=now,
            )
        )
    report = create_ft_orders(engine, clock)
    assert report.orders_created == 1
    with engine.connect() as connection:
        return connection.execute(select(schema.ft_orders)).one()


def resolve(engine, clock, yes_payout: str) -> None:
    now = clock.now()
    no_payout = str(D(1) - D(yes_payout))
    with engine.begin() as connection:
        connection.execute(
            update(schema.markets).where(schema.markets.c.condition_id == CONDITION).values(
                resolution_status="VOID" if yes_payout == "0.5" else "WON",
                winning_token_id=None if yes_payout == "0.5" else (YES if yes_payout == "1" else NO),
                resolved_at=now, closed=True, accepting_orders=False, updated_at=now,
            )
        )
        for token, payout in ((YES, yes_payout), (NO, no_payout)):
            connection.execute(update(schema.market_tokens).where(schema.market_tokens.c.token_id == token).values(payout=D(payout)))


@pytest.mark.parametrize("price", ["0.3", "0.7", "0.33", "0.07", "0.5"])
@pytest.mark.parametrize(
    ("yes_payout", "outcome"), [("0", "LOST"), ("1", "WON"), ("0.5", "VOID")]
)
def test_a_settled_paper_order_makes_payout_times_shares_minus_what_it_invested(ledger_engine, price, yes_payout, outcome):
    clock = SimulatedClock(START)
    order = open_paper_order(ledger_engine, clock, price)
    assert order.size == D(10)  # the invested amount is the bet size, not shares x price
    clock.advance(timedelta(hours=1))
    resolve(ledger_engine, clock, yes_payout)

    report = settle_ft_orders(ledger_engine, clock)

    with ledger_engine.connect() as connection:
        settled = connection.execute(select(schema.ft_orders)).one()
    expected = {"LOST": D(-10), "WON": settled.shares - D(10), "VOID": D("0.5") * settled.shares - D(10)}[outcome]
    assert (settled.outcome, settled.pnl, settled.size) == (outcome, expected, D(10))
    assert (report.settled, report.pnl) == (1, expected)
    [summary] = ft_summary(ledger_engine)
    assert (summary.invested, summary.pnl) == (D(10), expected)


def test_a_lost_ten_dollar_order_at_a_price_that_does_not_divide_ten_loses_exactly_ten(ledger_engine):
    clock = SimulatedClock(START)
    order = open_paper_order(ledger_engine, clock, "0.3")
    assert order.shares == D("33.33")  # 10 / 0.3 rounded down: worth 9.999 at the entry price
    resolve(ledger_engine, clock, "0")
    settle_ft_orders(ledger_engine, clock)
    with ledger_engine.connect() as connection:
        assert connection.execute(select(schema.ft_orders.c.pnl)).scalar_one() == D(-10)


def test_a_paper_sell_is_the_mirror_image(ledger_engine):
    """A paper SELL receives its size and owes payout x shares at resolution."""
    clock = SimulatedClock(START)
    order = open_paper_order(ledger_engine, clock, "0.3")
    with ledger_engine.begin() as connection:
        connection.execute(update(schema.ft_orders).where(schema.ft_orders.c.order_id == order.order_id).values(side="SELL"))
    resolve(ledger_engine, clock, "1")  # the sold token wins: the seller pays 1 per share
    settle_ft_orders(ledger_engine, clock)
    with ledger_engine.connect() as connection:
        settled = connection.execute(select(schema.ft_orders)).one()
    assert (settled.outcome, settled.pnl) == ("WON", D(10) - settled.shares)
