"""Live next to paper for each LT strategy, from its launch: what paper did, what live did, and
where live went its own way (skips, rejections, partial fills)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, select

from lt_pipeline.ledger.schema import ft_orders, lt_orders, lt_strategies
from lt_pipeline.money import cents


@dataclass
class TwinSummary:
    strategy_id: str
    ft_wallet_id: str
    paper_orders: int = 0
    paper_invested: Decimal = Decimal(0)
    paper_pnl: Decimal = Decimal(0)
    paper_resolved: int = 0
    signals: int = 0
    placed: int = 0
    filled: int = 0
    live_invested: Decimal = Decimal(0)
    live_pnl: Decimal = Decimal(0)
    live_resolved: int = 0
    outcomes: Counter = field(default_factory=Counter)


def twin_summaries(engine: Engine) -> list[TwinSummary]:
    summaries = []
    with engine.connect() as connection:
        strategies = connection.execute(
            select(lt_strategies.c.strategy_id, lt_strategies.c.ft_wallet_id, lt_strategies.c.launched_at)
            .where(lt_strategies.c.launched_at.is_not(None))
            .order_by(lt_strategies.c.strategy_id)
        ).all()
        for strategy in strategies:
            summary = TwinSummary(strategy.strategy_id, strategy.ft_wallet_id)
            for order in connection.execute(
                select(ft_orders.c.size, ft_orders.c.pnl, ft_orders.c.outcome)
                .where(ft_orders.c.wallet_id == strategy.ft_wallet_id)
                .where(ft_orders.c.order_time >= strategy.launched_at)
            ):
                summary.paper_orders += 1
                summary.paper_invested += order.size
                if order.outcome != "OPEN":
                    summary.paper_resolved += 1
                    summary.paper_pnl += order.pnl or Decimal(0)
            for order in connection.execute(
                select(lt_orders.c.status, lt_orders.c.decision_reason, lt_orders.c.executed_size, lt_orders.c.executed_shares,
                       lt_orders.c.pnl, lt_orders.c.outcome, lt_orders.c.order_id)
                .where(lt_orders.c.strategy_id == strategy.strategy_id)
            ):
                summary.signals += 1
                key = order.status if order.status != "SKIPPED" else f"skipped: {order.decision_reason}"
                summary.outcomes[key.lower()] += 1
                if order.order_id:
                    summary.placed += 1
                if order.executed_shares:
                    summary.filled += 1
                    summary.live_invested += order.executed_size
                if order.outcome != "OPEN" and order.pnl is not None:
                    summary.live_resolved += 1
                    summary.live_pnl += order.pnl
            summaries.append(summary)
    return summaries


def format_twins(summaries: list[TwinSummary]) -> str:
    if not summaries:
        return "no live twins launched"
    header = (
        f"{'LT strategy':<28}{'paper: orders':>14}{'invested $':>11}{'PnL $':>9}"
        f"{'   live: signals':>17}{'placed':>7}{'filled':>7}{'invested $':>11}{'PnL $':>9}"
    )
    lines = [header, "-" * len(header)]
    for s in summaries:
        lines.append(
            f"{s.strategy_id:<28}{s.paper_orders:>14}{cents(s.paper_invested):>11}{cents(s.paper_pnl):>9}"
            f"{s.signals:>17}{s.placed:>7}{s.filled:>7}{cents(s.live_invested):>11}{cents(s.live_pnl):>9}"
        )
        if s.outcomes:
            lines.append("    " + ", ".join(f"{k} {v}" for k, v in sorted(s.outcomes.items())))
    return "\n".join(lines)
