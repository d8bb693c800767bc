"""Why live did or did not copy one tracked trade: every paper wallet's order for it, then every LT
strategy's decision about it (placed, skipped with its reason, or not decided and why not)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, select

from lt_pipeline.execution.controls import current_halt
from lt_pipeline.execution.strategies import list_strategies
from lt_pipeline.ledger.schema import ft_orders, lt_orders, signal_decisions, source_trades
from lt_pipeline.operator.common import JsonMixin, UnknownId, plain

PAPER, PLACED, SKIPPED, NO_SIGNAL, UNDECIDED = "paper order", "placed", "skipped", "no signal", "not decided"


@dataclass(frozen=True)
class Decision(JsonMixin):
    kind: str  # "ft" (a paper wallet's order) or "lt" (a live strategy's decision)
    wallet_id: str
    strategy_id: str | None
    decision: str  # paper order | placed | skipped | no signal | not decided
    reason: str
    status: str | None  # the LT order's state, or the paper order's outcome
    ft_order_id: str | None
    lt_order_id: str | None
    at: datetime | None  # when it was decided
    price: Decimal | None  # the paper entry price, or the live fill price
    detail: dict = field(default_factory=dict)  # the decision's journal detail (book, sizes ...)


def decisions_about(engine: Engine, source_trade_id: str) -> list[Decision]:
    """The paper orders for one source trade (by wallet), then each LT strategy's decision (by id)."""
    with engine.connect() as connection:
        trade = connection.execute(
            select(source_trades.c.source_trade_id).where(source_trades.c.source_trade_id == source_trade_id)).first()
        paper = connection.execute(
            select(ft_orders).where(ft_orders.c.source_trade_id == source_trade_id).order_by(ft_orders.c.wallet_id)
        ).mappings().all()
        if trade is None and not paper:
            raise UnknownId("source trade", source_trade_id, "source trade ids are in `lt orders list --json` and `lt order show`")
        live = {row["strategy_id"]: row for row in connection.execute(
            select(lt_orders).where(lt_orders.c.source_trade_id == source_trade_id)).mappings()}
        first_detail = {}
        for row in connection.execute(
            select(signal_decisions.c.strategy_id, signal_decisions.c.detail_json)
            .where(signal_decisions.c.source_trade_id == source_trade_id)
            .order_by(signal_decisions.c.decision_id)
        ):
            first_detail.setdefault(row.strategy_id, json.loads(row.detail_json or "{}"))
        strategies = list_strategies(connection)
        halt = current_halt(connection)
    by_wallet = {row["wallet_id"]: row for row in paper}
    decisions = [
        Decision("ft", row["wallet_id"], None, PAPER, f"{row['side']} {plain(row['shares'])} shares at {plain(row['entry_price'])}",
                 row["outcome"], row["order_id"], None, row["order_time"], plain(row["entry_price"]))
        for row in paper
    ]
    for strategy in strategies:
        ft = by_wallet.get(strategy.ft_wallet_id)
        row = live.get(strategy.strategy_id)
        if row is not None:
            skipped = row["status"] == "SKIPPED"
            decisions.append(Decision(
                "lt", strategy.ft_wallet_id, strategy.strategy_id, SKIPPED if skipped else PLACED,
                row["decision_reason"] or "", row["status"], row["ft_order_id"], row["lt_order_id"], row["decided_at"],
                None if skipped else plain(row["executed_price"]), first_detail.get(strategy.strategy_id, {}),
            ))
        elif ft is None:
            decisions.append(Decision(
                "lt", strategy.ft_wallet_id, strategy.strategy_id, NO_SIGNAL,
                f"FT wallet {strategy.ft_wallet_id} did not take this trade (its filters), so there was no signal",
                None, None, None, None, None,
            ))
        else:
            # The one placement rule says why a signal was not acted on; if it would allow it, the
            # executor simply has not reached it yet.
            block = strategy.placement_block(ft["order_time"], now=ft["order_time"], halt=halt)
            reason = f"{block.reason.value}: {block.why}" if block else "the executor has not decided this signal yet"
            decisions.append(Decision("lt", strategy.ft_wallet_id, strategy.strategy_id, UNDECIDED, reason, None,
                                      ft["order_id"], None, None, None))
    return decisions
