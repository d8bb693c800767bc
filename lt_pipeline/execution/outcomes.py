"""Live positions settled on their real fills when the market resolves (DESIGN.md invariant 5): a won
share pays 1, a lost one 0, a voided one 0.5; live PnL uses the filled shares, what they really cost
and the fees; beside it, the paper twin's PnL and how far live fell short of or beat it.

An LT order that never filled (skipped, rejected, never arrived, cancelled with no fills) had no
position, so it gets no WON/LOST/VOID: its `outcome` stays OPEN, read as "no position", and it is
marked settled by `resolved_at`, with pnl 0 and ft_pnl the paper PnL that live missed (so summing
pnl against ft_pnl over a strategy counts the missed signals in full); performance_diff_pct stays
NULL because there was no live performance to compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, exists, select, update

from lt_pipeline.clock import Clock
from lt_pipeline.execution import side_sign
from lt_pipeline.execution.lifecycle import OPEN_EXPOSURE_STATES, FillStatus
from lt_pipeline.forward_test.resolution import outcome_for
from lt_pipeline.ledger.schema import fills, ft_orders, lt_orders, market_tokens, markets
from lt_pipeline.money import ZERO
from lt_pipeline.quality.measures import exact, paper_pnl

HUNDRED = Decimal(100)
# While an order may still fill, or a fill may still fail, its position is not known yet.
_UNSETTLED_STATES = tuple(state.name for state in OPEN_EXPOSURE_STATES)
_PROVISIONAL_FILLS = (FillStatus.MATCHED.value, FillStatus.MINED.value, FillStatus.RETRYING.value)


@dataclass
class OutcomesReport:
    settled: int = 0  # positions given an outcome
    won: int = 0
    lost: int = 0
    void: int = 0
    no_position: int = 0  # never filled: settled with pnl 0 and the paper PnL missed
    waiting: int = 0  # market resolved, but the order may still fill or a fill is not final
    pnl: Decimal = ZERO
    ft_pnl: Decimal = ZERO


def live_pnl(side: str, executed_shares: Decimal, executed_usd: Decimal, fees_usd: Decimal, payout: Decimal) -> Decimal:
    """A BUY's shares pay `payout` each against what they cost (Σ q·p, exact, not q times a rounded
    VWAP) and the fees; a SELL is the mirror: it received the money and gave up the payout."""
    with exact():
        return side_sign(side) * (executed_shares * payout - executed_usd) - fees_usd


def performance_diff_pct(pnl: Decimal, ft_pnl: Decimal) -> Decimal | None:
    """(live - paper) / |paper| in percent; None when paper made exactly nothing."""
    if ft_pnl == ZERO:
        return None
    return (pnl - ft_pnl) / abs(ft_pnl) * HUNDRED


def settle_lt_orders(engine: Engine, clock: Clock) -> OutcomesReport:
    """Settle every not-yet-settled LT order whose token's payout is known."""
    report = OutcomesReport()
    now: datetime = clock.now()
    provisional = exists().where(fills.c.lt_order_id == lt_orders.c.lt_order_id, fills.c.status.in_(_PROVISIONAL_FILLS))
    query = (
        select(
            lt_orders.c.lt_order_id,
            lt_orders.c.status,
            lt_orders.c.side,
            lt_orders.c.executed_shares,
            lt_orders.c.executed_usd,
            lt_orders.c.fees_usd,
            market_tokens.c.payout,
            markets.c.resolved_at,
            ft_orders.c.side.label("ft_side"),
            ft_orders.c.shares.label("ft_shares"),
            ft_orders.c.entry_price.label("ft_entry_price"),
            ft_orders.c.pnl.label("ft_recorded_pnl"),
            provisional.label("has_provisional_fills"),
        )
        .select_from(
            lt_orders.join(market_tokens, market_tokens.c.token_id == lt_orders.c.token_id)
            .join(markets, markets.c.condition_id == market_tokens.c.condition_id)
            .join(ft_orders, ft_orders.c.order_id == lt_orders.c.ft_order_id)
        )
        .where(lt_orders.c.outcome == "OPEN", lt_orders.c.resolved_at.is_(None), market_tokens.c.payout.is_not(None))
        .order_by(lt_orders.c.lt_order_id)
    )
    with engine.begin() as connection:
        for row in connection.execute(query).all():
            if row.status in _UNSETTLED_STATES or row.has_provisional_fills:
                report.waiting += 1
                continue
            # The paper twin's PnL: as the FT settlement records it, or computed the same way if that
            # has not run yet for this market.
            ft_pnl = row.ft_recorded_pnl
            if ft_pnl is None:
                ft_pnl = paper_pnl(row.ft_side, row.ft_shares, row.ft_entry_price, row.payout)
            values = {"ft_pnl": ft_pnl, "resolved_at": row.resolved_at or now, "updated_at": now}
            if row.executed_shares > ZERO:
                outcome = outcome_for(row.payout)
                pnl = live_pnl(row.side, row.executed_shares, row.executed_usd, row.fees_usd, row.payout)
                values.update(outcome=outcome, pnl=pnl, performance_diff_pct=performance_diff_pct(pnl, ft_pnl))
                report.settled += 1
                setattr(report, outcome.lower(), getattr(report, outcome.lower()) + 1)
            else:
                pnl = ZERO
                values.update(pnl=pnl, performance_diff_pct=None)
                report.no_position += 1
            connection.execute(
                update(lt_orders)
                .where(lt_orders.c.lt_order_id == row.lt_order_id, lt_orders.c.outcome == "OPEN", lt_orders.c.resolved_at.is_(None))
                .values(**values)
            )
            report.pnl += pnl
            report.ft_pnl += ft_pnl
    return report
