"""The FT step with two writers (the engine and the execution job) ingesting and deciding at once, on
SQLite and PostgreSQL: a trade stamped earlier but committed after the other writer's FT read still
gets its FT orders; two writers deciding the same trades at once create each FT order once and count
each trade once; and migration 0005 carries an existing ledger's FT cursor into ft_evaluated_at."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from alembic import command
from sqlalchemy import insert, select

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.forward_test import signals
from lt_pipeline.forward_test.signals import create_ft_orders
from lt_pipeline.forward_test.wallets import sync_wallets
from lt_pipeline.ledger import migrate, schema
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.strategy.config import load_wallets

D = Decimal
LOOSE_WALLETS = Path(__file__).with_name("loose_wallets.yaml")
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TRADER = "0x" + "ab" * 20
CONDITION = "0x" + "cd" * 32
YES = "1111"


def world(engine, now: datetime) -> None:
    """One tracked trader, one open market, the fixed $10 wallet: every trade below is copied once."""
    sync_wallets(engine, [w for w in load_wallets(LOOSE_WALLETS) if w.wallet_id == "FT_TEST_FIXED"], now)
    with engine.begin() as connection:
        connection.execute(insert(schema.tracked_traders).values(
            trader_address=TRADER, source="config", added_at=now - timedelta(days=1)))
        connection.execute(insert(schema.markets).values(
            condition_id=CONDITION, question="Will it rain?", end_date=now + timedelta(days=7), tick_size=D("0.01"),
            created_at=now, updated_at=now))
        connection.execute(insert(schema.market_tokens).values(
            token_id=YES, condition_id=CONDITION, token_label="Yes", outcome_index=0))


def trade(trade_id: str, ingested_at: datetime) -> dict:
    return {
        "source_trade_id": trade_id, "trader_address": TRADER, "condition_id": CONDITION, "token_id": YES,
        "token_label": "Yes", "outcome_index": 0, "side": "BUY", "price": D("0.5"), "size": D(20),
        "notional_usd": D(10), "traded_at": ingested_at - timedelta(seconds=30), "title": "Will it rain?",
        "ingested_at": ingested_at,
    }


def ft_orders_by_trade(engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(select(schema.ft_orders.c.source_trade_id)).scalars().all()
    return {trade_id: rows.count(trade_id) for trade_id in sorted(set(rows))}


def undecided(engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(
            select(schema.source_trades.c.source_trade_id).where(schema.source_trades.c.ft_evaluated_at.is_(None))
        ).scalars())


class LateWriter:
    """Writer A: its trade is stamped (ingested_at) before writer B's, but becomes visible after B's FT
    read. On PostgreSQL the row is inserted in a transaction held open across B's whole tick; SQLite
    has one writer at a time, so there A took its stamp, was held up (a Gamma request, say) and inserts
    and commits only after B's tick."""

    def __init__(self, engine, row: dict) -> None:
        self.engine, self.row = engine, row
        self.connection = engine.connect()
        self.postgres = engine.dialect.name == "postgresql"
        if self.postgres:
            self.transaction = self.connection.begin()
            self.connection.execute(insert(schema.source_trades).values(**row))

    def commit(self) -> None:
        if self.postgres:
            self.transaction.commit()
        else:
            with self.connection.begin():
                self.connection.execute(insert(schema.source_trades).values(**self.row))
        self.connection.close()


def test_a_trade_committed_after_another_writers_ft_read_still_gets_its_ft_orders(ledger_engine):
    clock = SimulatedClock(START)
    world(ledger_engine, clock.now())
    t1 = clock.now()
    writer_a = LateWriter(ledger_engine, trade("X", ingested_at=t1))  # stamped t1, not committed
    clock.advance(timedelta(seconds=1))
    t2 = clock.now()
    with ledger_engine.begin() as connection:  # writer B: stamped t2 > t1, committed
        connection.execute(insert(schema.source_trades).values(**trade("Y", ingested_at=t2)))
    clock.advance(timedelta(seconds=1))
    first = create_ft_orders(ledger_engine, clock)  # B's FT tick: sees Y, not X
    assert (first.trades_evaluated, first.orders_created) == (1, 1)
    assert ft_orders_by_trade(ledger_engine) == {"Y": 1}

    writer_a.commit()
    clock.advance(timedelta(seconds=1))
    second = create_ft_orders(ledger_engine, clock)  # the next FT tick, of either writer
    assert (second.trades_evaluated, second.orders_created) == (1, 1)
    assert ft_orders_by_trade(ledger_engine) == {"X": 1, "Y": 1}
    assert undecided(ledger_engine) == []
    again = create_ft_orders(ledger_engine, clock)
    assert (again.trades_evaluated, again.orders_created) == (0, 0)


def test_two_writers_deciding_the_same_trades_at_once_create_and_count_each_once(ledger_engine, monkeypatch):
    """Writer A is held inside its FT transaction (after it claimed the trades, before it wrote their
    orders) while writer B runs its FT tick on the same trades: on PostgreSQL B passes over the trades A
    holds, on SQLite B waits for A's commit and then finds them decided. Either way each trade is decided
    by one writer: one FT order each, and the two reports add up to the trades once."""
    clock = SimulatedClock(START)
    world(ledger_engine, clock.now())
    with ledger_engine.begin() as connection:
        for n in range(5):
            connection.execute(insert(schema.source_trades).values(**trade(f"T{n}", ingested_at=clock.now())))
    clock.advance(timedelta(seconds=5))

    inside, release = threading.Event(), threading.Event()
    real_evaluate = signals.evaluate

    def held_evaluate(*args, **kwargs):
        if threading.current_thread().name == "writer-a":
            inside.set()
            assert release.wait(30)
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(signals, "evaluate", held_evaluate)
    reports: dict[str, object] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            reports[name] = create_ft_orders(ledger_engine, clock)
        except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    writer_a = threading.Thread(target=run, args=("a",), name="writer-a")
    writer_b = threading.Thread(target=run, args=("b",), name="writer-b")
    writer_a.start()
    try:
        assert inside.wait(30)
        writer_b.start()
        writer_b.join(2)
        b_done_while_a_held = not writer_b.is_alive()
    finally:
        release.set()
        writer_a.join(30)
        writer_b.join(30)
    assert not errors, errors
    # PostgreSQL: SKIP LOCKED, B neither waits for A nor takes its trades. SQLite: one writer at a
    # time, B's claim waits for A's commit.
    assert b_done_while_a_held == (ledger_engine.dialect.name == "postgresql")
    a, b = reports["a"], reports["b"]
    assert ft_orders_by_trade(ledger_engine) == {f"T{n}": 1 for n in range(5)}
    assert (a.trades_evaluated, a.orders_created) == (5, 5)
    assert (b.trades_evaluated, b.orders_created, b.rejection_counts) == (0, 0, {})
    assert undecided(ledger_engine) == []


def test_a_trade_waiting_for_its_market_stays_undecided_until_the_market_is_known(ledger_engine):
    clock = SimulatedClock(START)
    world(ledger_engine, clock.now())
    other = "0x" + "ef" * 32
    with ledger_engine.begin() as connection:
        connection.execute(insert(schema.source_trades).values(**{**trade("W", clock.now()), "condition_id": other}))
        connection.execute(insert(schema.source_trades).values(**trade("K", clock.now() + timedelta(seconds=1))))
    clock.advance(timedelta(seconds=2))
    first = create_ft_orders(ledger_engine, clock)
    assert (first.waiting_for_market, first.trades_evaluated, first.orders_created) == (1, 1, 1)
    assert undecided(ledger_engine) == ["W"]  # the trade after it is decided, and not read again
    with ledger_engine.begin() as connection:
        connection.execute(insert(schema.markets).values(
            condition_id=other, question="Will it snow?", end_date=START + timedelta(days=7), tick_size=D("0.01"),
            created_at=clock.now(), updated_at=clock.now()))
    clock.advance(timedelta(minutes=1))
    later = create_ft_orders(ledger_engine, clock)
    assert (later.waiting_for_market, later.trades_evaluated, later.orders_created) == (0, 1, 1)
    assert ft_orders_by_trade(ledger_engine) == {"K": 1, "W": 1} and undecided(ledger_engine) == []


def _downgrade(engine, revision: str) -> None:
    config = migrate.alembic_config()
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, revision)


def test_0005_marks_what_the_old_cursor_passed_and_leaves_the_rest_to_decide(ledger_url):
    engine = make_engine(ledger_url)
    migrate.upgrade(engine, "0004")
    clock = SimulatedClock(START)
    world(engine, clock.now())
    cursor_moved_at = START + timedelta(minutes=3)
    with engine.begin() as connection:
        # The old FT step decided 'old-1' and 'old-2' (its cursor at old-2's stamp); 'new' came later.
        for trade_id, minutes in (("old-1", 0), ("old-2", 1), ("new", 2)):
            connection.execute(insert(schema.source_trades).values(**trade(trade_id, START + timedelta(minutes=minutes))))
        connection.execute(insert(schema.pipeline_cursors).values(
            name="ft_orders.ingested_at", value=(START + timedelta(minutes=1)).isoformat(), updated_at=cursor_moved_at))

    assert migrate.upgrade(engine).up_to_date
    with engine.connect() as connection:
        marks = dict(connection.execute(
            select(schema.source_trades.c.source_trade_id, schema.source_trades.c.ft_evaluated_at)).all())
        cursors = connection.execute(select(schema.pipeline_cursors.c.name)).scalars().all()
    assert marks == {"old-1": cursor_moved_at, "old-2": cursor_moved_at, "new": None}
    assert "ft_orders.ingested_at" not in cursors
    clock.advance(timedelta(minutes=4))
    report = create_ft_orders(engine, clock)
    assert (report.trades_evaluated, report.orders_created) == (1, 1)
    assert ft_orders_by_trade(engine) == {"new": 1}  # nothing old decided again

    with engine.begin() as connection:  # one trade still to decide when going back
        connection.execute(insert(schema.source_trades).values(**trade("pending", START + timedelta(minutes=5))))
    _downgrade(engine, "0004")
    with engine.connect() as connection:
        value = connection.execute(select(schema.pipeline_cursors.c.value).where(
            schema.pipeline_cursors.c.name == "ft_orders.ingested_at")).scalar_one()
    assert datetime.fromisoformat(value) == START + timedelta(minutes=5) - timedelta(microseconds=1)
    assert migrate.upgrade(engine).up_to_date
    assert undecided(engine) == ["pending"]
    engine.dispose()

