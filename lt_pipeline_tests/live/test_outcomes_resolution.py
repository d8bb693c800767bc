"""Live positions settled on real fills when the emulator resolves their market (won, lost, void), on
SQLite and PostgreSQL, exact to the cent beside the paper twin's PnL; orders that never filled settle
as no position; nothing settles while an order or a fill may still change."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from lt_pipeline.execution.venue_sync import sync_venue as refresh_fills
from lt_pipeline.execution.outcomes import settle_lt_orders
from lt_pipeline.forward_test.resolution import refresh_resolutions, settle_ft_orders
from lt_pipeline.ledger import schema
from lt_pipeline.money import cents
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.execution.controls import cancel_orders
from lt_pipeline_tests.live.builders import counterparty, cross, decisions, limit_plan, place
from lt_pipeline_tests.live.builders import emulator, world  # noqa: F401 (fixtures)

D = Decimal



def trade_three_orders(world):
    """Filled in full as taker; filled 8 of 20 as maker then cancelled by the resolution; never filled."""
    full = place(world, limit_plan("BUY", "0.60", "10"), signal_price="0.58", ft_shares="12")
    part = place(world, limit_plan("BUY", "0.50", "20"), signal_price="0.50", ft_shares="20")
    cross(world, counterparty(world), "SELL", "0.50", "8")
    none = place(world, limit_plan("BUY", "0.45", "10"), signal_price="0.45", ft_shares="10")
    return full, part, none


def resolve(world, winner):
    world.emulator.admin("resolve", condition_id=world.market.condition_id, winner=winner)
    refresh_resolutions(world.engine, ClobReader(world.emulator.url), world.clock)


def ft_pnl_of(world, lt_id):
    ft_order_id = world.lt_order(lt_id).ft_order_id
    [ft] = world.rows(schema.ft_orders, order_id=ft_order_id)
    return ft.pnl


# (payout, outcome) and the expected (live pnl, paper pnl) of each order, worked by hand:
# full: 10 shares for $6.00 against paper 12 at 0.58; part: 8 shares for $4.00 against paper 20 at 0.50;
# the order that never filled misses paper's 10 shares at 0.45.
CASES = {
    "won": ("Yes", "WON", (D("4"), D("5.04")), (D("4"), D("10")), D("5.5")),
    "lost": ("No", "LOST", (D("-6"), D("-6.96")), (D("-4"), D("-10")), D("-4.5")),
    "void": (None, "VOID", (D("-1"), D("-0.96")), (D("0"), D("0")), D("0.5")),
}


@pytest.mark.parametrize("case", CASES)
def test_live_positions_resolve_on_their_fills_beside_the_paper_pnl(world, case):
    winner, outcome, (full_pnl, full_ft), (part_pnl, part_ft), missed_ft = CASES[case]
    labels = [t.outcome for t in world.market.tokens]
    winner = None if winner is None else labels[0] if winner == "Yes" else labels[1]
    full, part, none = trade_three_orders(world)
    refresh_fills(world.engine, world.trader_for_user, world.clock)
    resolve(world, winner)

    waiting = settle_lt_orders(world.engine, world.clock)  # resting orders and MATCHED fills may still change
    assert waiting.settled == 0 and waiting.waiting == 3
    world.clock.advance(timedelta(seconds=20))  # fills confirmed; the venue cancelled what rested
    assert refresh_fills(world.engine, world.trader_for_user, world.clock).cancelled_by_venue == 2
    assert {world.lt_order(i).status for i in (part, none)} == {"CANCELLED"}
    settle_ft_orders(world.engine, world.clock)
    report = settle_lt_orders(world.engine, world.clock)

    assert (report.settled, report.no_position, report.waiting) == (2, 1, 0)
    for lt_id, pnl, ft_pnl in ((full, full_pnl, full_ft), (part, part_pnl, part_ft)):
        order = world.lt_order(lt_id)
        assert order.outcome == outcome and cents(order.pnl) == pnl and cents(order.ft_pnl) == ft_pnl
        assert order.ft_pnl == ft_pnl_of(world, lt_id)
        expected_diff = None if ft_pnl == 0 else (pnl - ft_pnl) / abs(ft_pnl) * 100
        if expected_diff is None:
            assert order.performance_diff_pct is None
        else:
            assert order.performance_diff_pct == expected_diff.quantize(D("1e-10"))
        assert order.resolved_at is not None
    missed = world.lt_order(none)
    assert (missed.outcome, missed.pnl, missed.performance_diff_pct) == ("CLOSED", D("0"), None)
    assert cents(missed.ft_pnl) == missed_ft and missed.resolved_at is not None
    assert report.pnl == full_pnl + part_pnl and report.ft_pnl == full_ft + part_ft + missed_ft

    again = settle_lt_orders(world.engine, world.clock)
    assert (again.settled, again.no_position, again.waiting) == (0, 0, 0)


def test_a_sell_with_fees_settles_as_the_mirror_of_a_buy(world):
    lt_id = place(world, limit_plan("SELL", "0.70", "10"), signal_price="0.72", ft_shares="10", submit=False)
    # A filled SELL as the fills refresh leaves it: 10 shares sold for $7.00 with $0.105 in fees.
    with world.engine.begin() as connection:
        connection.execute(update(schema.lt_orders).where(schema.lt_orders.c.lt_order_id == lt_id).values(
            status="FILLED", executed_shares=D("10"), executed_size=D("7"), executed_price=D("0.7"), fees_usd=D("0.105"),
        ))
    resolve(world, world.market.tokens[1].outcome)  # the token we sold lost: we keep the $7
    report = settle_lt_orders(world.engine, world.clock)
    order = world.lt_order(lt_id)
    assert report.lost == 1 and order.outcome == "LOST"
    assert order.pnl == D("6.895")  # 7 - 10 x 0 - 0.105
    assert order.ft_pnl == D("7.2")  # paper sold 10 at 0.72
    assert order.performance_diff_pct == ((D("6.895") - D("7.2")) / D("7.2") * 100).quantize(D("1e-10"))


def test_an_order_filled_on_entry_waits_for_its_fills_and_settles_on_them(world):
    # Defect fixed: the executor marked it FILLED on entry; its market resolved before any fill was read.
    lt_id = place(world, limit_plan("BUY", "0.60", "10"), signal_price="0.58", ft_shares="10")
    assert (world.lt_order(lt_id).status, world.lt_order(lt_id).executed_shares) == ("FILLED", D("0"))
    resolve(world, world.market.tokens[0].outcome)
    report = settle_lt_orders(world.engine, world.clock)
    assert (report.settled, report.no_position, report.waiting) == (0, 0, 1)
    assert world.lt_order(lt_id).outcome == "OPEN"  # its cost still counts as open exposure meanwhile

    refresh_fills(world.engine, world.trader_for_user, world.clock)
    world.clock.advance(timedelta(seconds=20))  # fills confirmed
    refresh_fills(world.engine, world.trader_for_user, world.clock)
    report = settle_lt_orders(world.engine, world.clock)
    order = world.lt_order(lt_id)
    assert report.won == 1 and order.outcome == "WON" and order.winning_label == world.market.tokens[0].outcome
    assert order.pnl == D("10") - order.executed_size - order.fees_usd and order.executed_shares == D("10")
    assert decisions(world, lt_id)[-1][0] == "SETTLED"


def test_fills_read_after_settlement_settle_the_order_again(world):
    # A resting order partly filled at the venue, cancelled by us before its fills were read.
    lt_id = place(world, limit_plan("BUY", "0.50", "20"), signal_price="0.50", ft_shares="20")
    cross(world, counterparty(world), "SELL", "0.50", "8")
    row = world.lt_order(lt_id)
    cancel_orders(world.engine, [row], world.trader, why="operator", trigger="pause", now=world.clock.now())
    assert world.lt_order(lt_id).status == "CANCELLED"
    resolve(world, world.market.tokens[0].outcome)
    first = settle_lt_orders(world.engine, world.clock)
    assert first.no_position == 1 and world.lt_order(lt_id).outcome == "CLOSED"

    world.clock.advance(timedelta(seconds=20))
    refresh_fills(world.engine, world.trader_for_user, world.clock)  # the late fills: 8 shares for $4
    again = settle_lt_orders(world.engine, world.clock)
    order = world.lt_order(lt_id)
    assert (again.won, again.resettled) == (1, 1)
    assert (order.outcome, order.executed_shares, order.pnl) == ("WON", D("8"), D("8") - D("4") - order.fees_usd)
    assert [d for d, _ in decisions(world, lt_id)].count("SETTLED") == 2
    assert settle_lt_orders(world.engine, world.clock).resettled == 0  # nothing changed since
