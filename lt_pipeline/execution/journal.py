"""The order journal: the only code that changes `lt_orders.status` or writes the decision log.

Each change is checked against the model's one transition table (an illegal one raises naming the
order, its state and the event), applied only if the row is still in the state that was read (a
conditional UPDATE, so two writers cannot both win), and appended to `signal_decisions` as an event
row with its time, the states before and after, a sentence and its detail. An order's whole history is
one query: `history(connection, lt_order_id)`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from lt_pipeline.ledger.schema import lt_orders, signal_decisions
from lt_pipeline.ledger.writes import insert_missing
from lt_pipeline.model.orders import OrderEvent, OrderState, next_state


@dataclass(frozen=True)
class OrderRef:
    """An LT order as the journal needs it: its ids and the state it was read in."""

    lt_order_id: str
    strategy_id: str
    ft_order_id: str
    source_trade_id: str
    status: OrderState

    @classmethod
    def of(cls, row: Any) -> OrderRef:
        """From a ledger row (or mapping) carrying the LT order's ids and status."""
        get = row.__getitem__ if isinstance(row, Mapping) else (lambda name: getattr(row, name))
        return cls(get("lt_order_id"), get("strategy_id"), get("ft_order_id"), get("source_trade_id"),
                   OrderState(get("status")))


@dataclass(frozen=True)
class JournalEntry:
    event: OrderEvent
    from_state: OrderState | None
    to_state: OrderState
    reason: str
    detail: dict
    at: datetime


class Journal:
    """Writes of one transaction (`connection`) at one time (`now`)."""

    def __init__(self, connection: Connection, now: datetime) -> None:
        self.connection = connection
        self.now = now

    def open(self, row: dict, event: OrderEvent, *, reason: str, detail: dict | None = None) -> OrderState | None:
        """Insert a signal's one LT order in the state `event` leads to (SKIPPED or INTENT_STORED); None
        when the signal was already claimed (the unique key (strategy, source trade) holds)."""
        state = next_state(None, event, order=f"LT order {row['lt_order_id']}")
        values = {**row, "status": state.value, "created_at": self.now, "updated_at": self.now}
        if not insert_missing(self.connection, lt_orders, [values], ["strategy_id", "source_trade_id"]):
            return None
        ref = OrderRef(row["lt_order_id"], row["strategy_id"], row["ft_order_id"], row["source_trade_id"], state)
        self._append(ref, event, None, state, reason, detail or {})
        return state

    def apply(
        self,
        order: OrderRef,
        event: OrderEvent,
        *,
        reason: str,
        to: OrderState | None = None,
        detail: dict | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> OrderState | None:
        """Apply `event` to `order` (read in `order.status`), with other column `values` in the same
        write. Returns the new state, or None when the row was no longer in the state read (another
        writer moved it first; nothing is written)."""
        target = next_state(order.status, event, to, order=f"LT order {order.lt_order_id}")
        changes = dict(values or {})
        if "status" in changes:
            raise ValueError("values: the status is the journal's to set; name the event instead")
        changes.update(status=target.value, updated_at=self.now)
        moved = self.connection.execute(
            update(lt_orders)
            .where(lt_orders.c.lt_order_id == order.lt_order_id, lt_orders.c.status == order.status.value)
            .values(**changes)
        ).rowcount
        if moved != 1:
            return None
        self._append(order, event, order.status, target, reason, detail or {})
        return target

    def _append(self, order: OrderRef, event: OrderEvent, before: OrderState | None, after: OrderState,
                reason: str, detail: dict) -> None:
        self.connection.execute(
            insert(signal_decisions).values(
                strategy_id=order.strategy_id,
                ft_order_id=order.ft_order_id,
                lt_order_id=order.lt_order_id,
                source_trade_id=order.source_trade_id,
                decision=event.value,
                from_state=before.value if before is not None else None,
                to_state=after.value,
                reason=reason,
                detail_json=json.dumps(detail, default=str, sort_keys=True),
                decided_at=self.now,
            )
        )


def history(connection: Connection, lt_order_id: str) -> list[JournalEntry]:
    """Every event of one LT order, oldest first."""
    rows = connection.execute(
        select(signal_decisions).where(signal_decisions.c.lt_order_id == lt_order_id).order_by(signal_decisions.c.decision_id)
    )
    return [
        JournalEntry(OrderEvent(row.decision), OrderState(row.from_state) if row.from_state else None,
                     OrderState(row.to_state), row.reason, json.loads(row.detail_json or "{}"), row.decided_at)
        for row in rows
    ]
