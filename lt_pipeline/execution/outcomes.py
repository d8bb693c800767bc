"""Live positions settled on their real fills when the market resolves: a won share pays 1, a lost one
0, a voided one 0.5; live PnL uses the filled shares, what they really cost and the fees; beside it, the
paper twin's PnL and how far live fell short of or beat it. Every settlement goes through the order
journal as a SETTLED event.

A position is settled on its real fills whatever the order in which resolution and fills arrive: an
order that may still fill, has fills not yet final, or was FILLED on entry with its fills not read yet
waits; fills read after settlement (`updated_at` later than `settled_at`) settle it again.

An LT order that held no position when its market resolved (skipped, rejected, never arrived,
cancelled unfilled) gets the seed's outcome CLOSED: pnl 0 and ft_pnl the paper PnL that live missed
(so summing pnl against ft_pnl over a strategy counts the missed signals in full); performance_diff_pct
stays NULL because there was no live performance to compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, and_, exists, or_, select

from lt_pipeline.clock import Clock
from lt_pipeline.execution.journal import Journal, OrderRef
from lt_pipeline.forward_test.resolution import outcome_for
from lt_pipeline.ledger.schema import fills, ft_orders, lt_orders, market_tokens, markets
from lt_pipeline.model.orders import OPEN_EXPOSURE_STATES, PROVISIONAL_FILLS, OrderEvent, OrderState
from lt_pipeline.model.trading import PositionOutcome, side_sign
from lt_pipeline.money import ZERO, quantize_ratio
from lt_pipeline.quality.measures import exact, paper_pnl

HUNDRED = Decimal(100)
_UNSETTLED_STATES = tuple(state.value for state in OPEN_EXPOSURE_STATES)
_PROVISIONAL_FILLS = tuple(status.value for status in PROVISIONAL_FILLS)
_SETTLED_COLUMNS = ("outcome", "pnl", "ft_pnl", "performance_diff_pct", "winning_label", "resolved_at")


@dataclass
class OutcomesReport:
    settled: int = 0  # positions given an outcome
    won: int = 0
    lost: int = 0
    void: int = 0
    no_position: int = 0  # CLOSED: never filled, settled with pnl 0 and the paper PnL missed
    resettled: int = 0  # settled again because fills arrived after the first settlement
    waiting: int = 0  # market resolved, but the order may still fill or a fill is not final
    pnl: Decimal = ZERO
    ft_pnl: Decimal = ZERO


def live_pnl(side: str, executed_shares: Decimal, executed_size: Decimal, fees_usd: Decimal, payout: Decimal) -> Decimal:
    """A BUY's shares pay `payout` each against what they cost (Σ q·p, exact, not q times a rounded
    VWAP) and the fees; a SELL is the mirror: it received the money and gave up the payout."""
    with exact():
        return side_sign(side) * (executed_shares * payout - executed_size) - fees_usd


def performance_diff_pct(pnl: Decimal, ft_pnl: Decimal) -> Decimal | None:
    """(live - paper) / |paper| in percent; None when paper made exactly nothing."""
    if ft_pnl == ZERO:
        return None
    return quantize_ratio((pnl - ft_pnl) / abs(ft_pnl) * HUNDRED)


def settle_lt_orders(engine: Engine, clock: Clock) -> OutcomesReport:
    """Settle every LT order whose token's payout is known and that is not settled yet, or whose fills
    changed since it was settled."""
    report = OutcomesReport()
    now: datetime = clock.now()
    provisional = exists().where(fills.c.lt_order_id == lt_orders.c.lt_order_id, fills.c.status.in_(_PROVISIONAL_FILLS))
    winner = market_tokens.alias("winner")
    query = (
        select(
            lt_orders,
            market_tokens.c.payout,
            markets.c.resolved_at.label("market_resolved_at"),
            winner.c.token_label.label("winner_label"),
            ft_orders.c.side.label("ft_side"),
            ft_orders.c.shares.label("ft_shares"),
            ft_orders.c.size.label("ft_invested"),
            ft_orders.c.entry_price.label("ft_order_entry_price"),
            ft_orders.c.pnl.label("ft_recorded_pnl"),
            provisional.label("has_provisional_fills"),
        )
        .select_from(
            lt_orders.join(market_tokens, market_tokens.c.token_id == lt_orders.c.token_id)
            .join(markets, markets.c.condition_id == market_tokens.c.condition_id)
            .outerjoin(winner, winner.c.token_id == markets.c.winning_token_id)
            .join(ft_orders, ft_orders.c.order_id == lt_orders.c.ft_order_id)
        )
        .where(market_tokens.c.payout.is_not(None))
        .where(or_(lt_orders.c.outcome == PositionOutcome.OPEN.value,
                   and_(lt_orders.c.settled_at.is_not(None), lt_orders.c.updated_at > lt_orders.c.settled_at)))
        .order_by(lt_orders.c.lt_order_id)
    )
    with engine.begin() as connection:
        journal = Journal(connection, now)
        for row in connection.execute(query).mappings().all():
            if _must_wait(row):
                report.waiting += 1
                continue
            values = _settlement(row, now)
            again = row["outcome"] != PositionOutcome.OPEN.value
            if again and all(_same(values[name], row[name]) for name in _SETTLED_COLUMNS):
                # Nothing the settlement depends on changed: only mark it seen.
                connection.execute(lt_orders.update().where(lt_orders.c.lt_order_id == row["lt_order_id"])
                                   .values(settled_at=row["updated_at"]))
                continue
            reason = _sentence(values, again, row)
            if journal.apply(OrderRef.of(row), OrderEvent.SETTLED, reason=reason, values={**values, "settled_at": now},
                             detail={"outcome": values["outcome"], "pnl": values["pnl"], "ft_pnl": values["ft_pnl"]}) is None:
                continue
            outcome = values["outcome"]
            if outcome == PositionOutcome.CLOSED.value:
                report.no_position += 1
            else:
                report.settled += 1
                setattr(report, outcome.lower(), getattr(report, outcome.lower()) + 1)
            report.resettled += again
            report.pnl += values["pnl"]
            report.ft_pnl += values["ft_pnl"]
    return report


def _same(a, b) -> bool:
    # PostgreSQL keeps 18 decimal places: compare settled figures well above that.
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a.quantize(Decimal("1e-12")) == b.quantize(Decimal("1e-12"))
    return a == b


def _must_wait(row) -> bool:
    """The position is not known yet: the order may still fill, a fill may still fail, or it was filled
    on entry and its fills have not been read back."""
    if row["status"] in _UNSETTLED_STATES or row["has_provisional_fills"]:
        return True
    return row["status"] == OrderState.FILLED.value and row["executed_shares"] == ZERO


def _settlement(row, now: datetime) -> dict:
    # The paper twin's PnL: as the FT settlement records it, or computed the same way if that has not
    # run yet for this market.
    ft_pnl = row["ft_recorded_pnl"]
    if ft_pnl is None:
        ft_pnl = paper_pnl(row["ft_side"], row["ft_shares"], row["ft_order_entry_price"], row["payout"],
                           invested_usd=row["ft_invested"])
    values = {"ft_pnl": ft_pnl, "resolved_at": row["market_resolved_at"] or row["resolved_at"] or now,
              "winning_label": row["winner_label"]}
    if row["executed_shares"] > ZERO:
        pnl = live_pnl(row["side"], row["executed_shares"], row["executed_size"], row["fees_usd"], row["payout"])
        values.update(outcome=outcome_for(row["payout"]), pnl=pnl, performance_diff_pct=performance_diff_pct(pnl, ft_pnl))
    else:
        values.update(outcome=PositionOutcome.CLOSED.value, pnl=ZERO, performance_diff_pct=None)
    return values


def _sentence(values: dict, again: bool, row) -> str:
    settled = "settled again on fills read after the first settlement" if again else "settled"
    if values["outcome"] == PositionOutcome.CLOSED.value:
        return f"{settled}: no position when the market resolved (CLOSED); paper made ${values['ft_pnl']:f}"
    return (f"{settled}: {values['outcome']} on {row['executed_shares']:f} filled shares, pnl ${values['pnl']:f} "
            f"against paper ${values['ft_pnl']:f}")
