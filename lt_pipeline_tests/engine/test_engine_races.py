"""The engine beside the execution job, on SQLite and PostgreSQL: racing on the same new trades, every
signal is placed once; and the engine's process killed mid-tick (SIGKILL after its intents are stored
and before they are posted, or after the venue took them and before the answers are recorded), the
execution job finishes the work: each stored intent is found by hash or given up as never arrived,
and no signal reaches the venue twice."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from lt_pipeline.defs.jobs import EXECUTION_ASSETS
from lt_pipeline.execution.venue_sync import sync_venue
from lt_pipeline.ledger import schema
from lt_pipeline.model.orders import OrderState
from lt_pipeline.tools.fault_drill import audit_ledger
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.engine.support import advance, demo_trader, make_lane, polling, run_killed_engine, sight_all
from lt_pipeline_tests.forward_test.harness import make_harness
from lt_pipeline_tests.live.test_executor import add_strategy

VENUE_STATES = {"LIVE", "PARTIALLY_FILLED", "FILLED", "CANCELLED"}


@pytest.fixture
def world(ledger_url, tmp_path):
    emulator = start_emulator(seed=11)
    try:
        harness = make_harness(emulator, ledger_url, tmp_path)
        harness.execution_tick()
        add_strategy(harness.engine, harness.clock.now(), user="u1")
        harness.ledger_url = ledger_url
        yield harness
    finally:
        emulator.stop(wait=False)


def lt_rows(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(schema.lt_orders)).all()


def decisions(engine, decision: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(schema.signal_decisions.c.lt_order_id).where(schema.signal_decisions.c.decision == decision)
        ).scalars())


def audit(world):
    trader = demo_trader(world.emulator.url)
    report = sync_venue(world.engine, lambda user: trader, world.clock)
    assert not report.failed_users, report.failed_users
    return audit_ledger(world.engine, world.emulator.venue, [trader.funder])


def test_engine_and_execution_job_racing_on_the_same_trades_place_each_signal_once(world):
    lane = make_lane(world.engine, world.clock, world.emulator.url)
    source = polling(lane)
    for _ in range(3):
        advance(world.clock, world.emulator.url)
        sightings = sight_all(source)
        assert sightings
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def engine_tick():
            try:
                start.wait()
                lane.tick(sightings)
            except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
                errors.append(error)

        racer = threading.Thread(target=engine_tick)
        racer.start()
        start.wait()
        world.materialize(EXECUTION_ASSETS)  # the job: its own ingest, FT orders and executor
        racer.join(timeout=120)
        assert not errors, errors

    rows = lt_rows(world.engine)
    placed = [row for row in rows if row.submitted_at is not None]
    assert placed, "nothing was placed"
    assert max(Counter((r.strategy_id, r.source_trade_id) for r in rows).values()) == 1
    assert max(Counter(decisions(world.engine, "SUBMITTED")).values()) == 1  # each posted by one writer, once
    assert world.emulator.venue.counters()["orders_placed"] == len(placed)
    world.clock.advance(timedelta(minutes=1))
    result = audit(world)
    assert result.duplicate_orders == 0 and result.venue_orders == result.intents_at_venue == len(placed), result


@pytest.mark.parametrize("crash_point", ["before-submit", "after-submit"])
def test_engine_killed_mid_tick_leaves_the_job_to_finish_with_no_duplicate(world, crash_point):
    world.clock.advance(timedelta(minutes=2))
    child = run_killed_engine(world.ledger_url, world.emulator.url, world.clock.now(), crash_point)
    assert child.returncode == -signal.SIGKILL, f"the engine was not killed at {crash_point}: {child.stderr[-2000:]}"
    intents = {row.lt_order_id: row for row in lt_rows(world.engine) if row.order_id}
    assert intents and {row.status for row in intents.values()} == {OrderState.SUBMITTED.value}
    at_venue = world.emulator.venue.counters().get("orders_placed", 0)
    assert at_venue == (len(intents) if crash_point == "after-submit" else 0)

    # The execution job, within the grace (nothing of the killed tick is sent again), then after it.
    world.execution_tick(minutes=0, live=True)
    assert {row.lt_order_id for row in lt_rows(world.engine) if row.status == "SUBMITTED"} <= set(intents)
    world.clock.advance(timedelta(minutes=1))
    world.execution_tick(minutes=0, live=True)

    rows = {row.lt_order_id: row for row in lt_rows(world.engine)}
    for lt_order_id, intent in intents.items():
        if crash_point == "before-submit":
            assert rows[lt_order_id].status == OrderState.NEVER_ARRIVED.value
            assert world.emulator.venue.get_order(intent.order_id) is None
        else:
            assert rows[lt_order_id].status in VENUE_STATES
    if crash_point == "after-submit":
        assert sorted(decisions(world.engine, "RECONCILED")) == sorted(set(decisions(world.engine, "RECONCILED")))
        assert set(intents) <= set(decisions(world.engine, "RECONCILED"))
    result = audit(world)
    assert result.duplicate_orders == 0 and result.in_flight == 0, result
    assert result.venue_orders == result.intents_at_venue
    assert Counter(row.order_id for row in rows.values() if row.order_id).most_common(1)[0][1] == 1
