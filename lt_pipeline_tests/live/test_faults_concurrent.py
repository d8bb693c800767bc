"""Two executor runs at once on one PostgreSQL ledger and one venue (two threads, each with its own
engine and trading connections, as two run workers would be), for three users' twins of one busy
paper wallet: every signal is claimed once, the venue holds exactly one order per stored intent, and no
strategy's exposure passes its caps."""

from __future__ import annotations

import threading
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from lt_pipeline.execution.executor import BookSource, ExecutionReport, run_executor
from lt_pipeline.ledger import schema
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.forward_test.harness import make_harness
from lt_pipeline_tests.live.test_executor import add_strategy
from lt_pipeline_tests.live.test_faults_support import FaultSession, make_trader, settle_and_audit

USERS = ("u0", "u1", "u2")
KEY_SEEDS = dict(zip(USERS, (1, 2, 3)))
MAX_EXPOSURE = Decimal(60)
MAX_POSITION = Decimal(25)


def pending_signals(engine, wallet: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(schema.ft_orders).where(schema.ft_orders.c.wallet_id == wallet)
        ).scalar()


def run_together(url: str, session: FaultSession) -> list[ExecutionReport]:
    """Both runs start at the same moment; each has its own engine, trader and book reader."""
    start = threading.Barrier(2)
    reports: list[ExecutionReport | BaseException] = [None, None]

    def run(slot: int) -> None:
        engine = make_engine(url)
        traders = {user: make_trader(session.emulator, seed) for user, seed in KEY_SEEDS.items()}
        books = BookSource(ClobReader(session.emulator.url).book)
        try:
            start.wait(timeout=30)
            reports[slot] = run_executor(engine, session.clock, books, traders.__getitem__)
        except BaseException as error:  # reported by the test thread
            reports[slot] = error
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for report in reports:
        assert isinstance(report, ExecutionReport), report
    return reports


def test_two_runs_at_once_claim_each_signal_once_and_keep_within_caps(pg_url, tmp_path):
    emulator = start_emulator(seed=11)
    try:
        harness = make_harness(emulator, pg_url, tmp_path)
        harness.execution_tick()
        strategies = [
            add_strategy(harness.engine, harness.clock.now(), user=user, strategy_id=f"LT_FT_TEST_FIXED_{user.upper()}",
                         max_total_exposure_usd=MAX_EXPOSURE, max_position_size_usd=MAX_POSITION)
            for user in USERS
        ]
        before = pending_signals(harness.engine, "FT_TEST_FIXED")
        for _ in range(3):  # signals pile up with no executor run in between
            harness.execution_tick()
        signals = (pending_signals(harness.engine, "FT_TEST_FIXED") - before) * len(USERS)
        traders = {user: make_trader(emulator, seed) for user, seed in KEY_SEEDS.items()}
        session = FaultSession(harness, pg_url, traders.pop(USERS[0]), strategies[0], traders)

        first, second = run_together(pg_url, session)

        rows = session.lt_orders()
        assert len(rows) == signals == first.claimed + second.claimed
        assert len({(row.strategy_id, row.source_trade_id) for row in rows}) == signals
        intents = [row for row in rows if row.order_id]
        assert len({row.order_id for row in intents}) == len(intents)
        accepted = first.accepted + second.accepted
        assert intents and session.venue_orders_placed() == len(intents) == accepted
        assert all(session.venue_holds(row.order_id) for row in intents)
        assert any(row.decision_reason == "exposure_cap" for row in rows), "the caps were reached"

        committed: dict[str, Decimal] = defaultdict(Decimal)
        per_token: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for row in intents:
            committed[row.strategy_id] += row.intended_size_usd
            per_token[(row.strategy_id, row.token_id)] += row.intended_size_usd
        assert max(committed.values()) <= MAX_EXPOSURE
        assert max(per_token.values()) <= MAX_POSITION

        audit = settle_and_audit(session)
        assert audit.venue_orders == len(intents)
    finally:
        emulator.stop(wait=False)
