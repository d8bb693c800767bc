"""The order journal on SQLite and PostgreSQL: the one writer of an LT order's state and of the decision
log; an illegal event names the order, its state and the event; two writers cannot both win; an
order's whole history is one query."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from lt_pipeline.execution.journal import Journal, OrderRef, history
from lt_pipeline.ledger import schema
from lt_pipeline.model.orders import IllegalTransition, OrderEvent, OrderState
from lt_pipeline_tests.foundation.test_ledger import NOW, _ft_order, _seed_strategy, _source_trade


def _seeded(engine):
    with engine.begin() as connection:
        _seed_strategy(connection)
        connection.execute(insert(schema.source_trades).values(**_source_trade()))
        connection.execute(insert(schema.ft_orders).values(**_ft_order()))


def _claim(engine, event=OrderEvent.INTENT_STORED):
    row = dict(lt_order_id="lo1", strategy_id="LT_FT_A", ft_order_id="fo1", source_trade_id="st1", user_id="u1",
               condition_id="0xc1", token_id="1", side="BUY", signal_price=Decimal("0.55"),
               signal_size_usd=Decimal("10"), signal_at=NOW, decision_reason="placed")
    with engine.begin() as connection:
        return Journal(connection, NOW).open(row, event, reason="placed GTC BUY at 0.56 for $10", detail={"x": 1})


def _status(engine) -> str:
    with engine.connect() as connection:
        return connection.execute(select(schema.lt_orders.c.status)).scalar_one()


def test_a_claim_is_its_first_event_and_a_second_claim_of_the_signal_is_refused(ledger_engine):
    _seeded(ledger_engine)
    assert _claim(ledger_engine) == OrderState.INTENT_STORED
    assert _claim(ledger_engine) is None  # the unique key (strategy, source trade) holds
    with ledger_engine.connect() as connection:
        [entry] = history(connection, "lo1")
    assert (entry.event, entry.from_state, entry.to_state, entry.at) == (OrderEvent.INTENT_STORED, None, OrderState.INTENT_STORED, NOW)
    assert entry.detail == {"x": 1} and entry.reason.startswith("placed GTC")


def test_an_illegal_event_raises_naming_the_order_its_state_and_the_event_and_changes_nothing(ledger_engine):
    _seeded(ledger_engine)
    _claim(ledger_engine)
    ref = OrderRef("lo1", "LT_FT_A", "fo1", "st1", OrderState.INTENT_STORED)
    with pytest.raises(IllegalTransition, match="LT order lo1 in state INTENT_STORED: event FILLED is not allowed"):
        with ledger_engine.begin() as connection:
            Journal(connection, NOW).apply(ref, OrderEvent.FILLED, reason="impossible")
    assert _status(ledger_engine) == "INTENT_STORED"
    with pytest.raises(ValueError, match="the status is the journal's to set"):
        with ledger_engine.begin() as connection:
            Journal(connection, NOW).apply(ref, OrderEvent.SUBMITTED, reason="x", values={"status": "FILLED"})


def test_two_writers_reading_the_same_state_cannot_both_win(ledger_engine):
    _seeded(ledger_engine)
    _claim(ledger_engine)
    read = OrderRef("lo1", "LT_FT_A", "fo1", "st1", OrderState.INTENT_STORED)
    later = NOW + timedelta(seconds=1)
    with ledger_engine.begin() as connection:
        assert Journal(connection, later).apply(read, OrderEvent.SUBMITTED, reason="posting") == OrderState.SUBMITTED
    with ledger_engine.begin() as connection:  # a second writer still holding the old read
        assert Journal(connection, later).apply(read, OrderEvent.NEVER_ARRIVED, reason="not found") is None
    assert _status(ledger_engine) == "SUBMITTED"
    with ledger_engine.connect() as connection:
        events = [(e.event.value, e.from_state.value if e.from_state else None, e.to_state.value) for e in history(connection, "lo1")]
    assert events == [("INTENT_STORED", None, "INTENT_STORED"), ("SUBMITTED", "INTENT_STORED", "SUBMITTED")]


def test_an_event_that_may_lead_to_several_states_names_the_one_the_venue_showed(ledger_engine):
    _seeded(ledger_engine)
    _claim(ledger_engine)
    with ledger_engine.begin() as connection:
        journal = Journal(connection, NOW)
        journal.apply(OrderRef("lo1", "LT_FT_A", "fo1", "st1", OrderState.INTENT_STORED), OrderEvent.SUBMITTED, reason="posting")
        state = journal.apply(OrderRef("lo1", "LT_FT_A", "fo1", "st1", OrderState.SUBMITTED), OrderEvent.ACCEPTED,
                              to=OrderState.FILLED, reason="venue accepted: matched", values={"fill_rate": Decimal(0)})
    assert state == OrderState.FILLED and _status(ledger_engine) == "FILLED"
