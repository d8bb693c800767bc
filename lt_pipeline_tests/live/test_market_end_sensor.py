"""Positions settle soon after their market ends: the markets-ended sensor starts the resolution job when a
market with open FT or LT positions passes its end date, once per new ending, instead of waiting up to
ten minutes for the schedule."""

from datetime import timedelta

import dagster as dg
from sqlalchemy import func, select

from lt_pipeline.defs.live.sensors import markets_ended_sensor
from lt_pipeline.forward_test.resolution import ended_markets_to_watch
from lt_pipeline.ledger.schema import ft_orders
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.forward_test.harness import make_harness


def evaluate(harness, instance):
    resources = {key: harness.resources[key] for key in ("ledger", "clock")}
    return markets_ended_sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources))


def open_paper_positions(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).where(ft_orders.c.outcome == "OPEN")).scalar()


def test_a_market_that_ended_with_open_positions_starts_the_resolution_job_once(sqlite_url, tmp_path):
    emulator = start_emulator(seed=5)
    try:
        harness = make_harness(emulator, sqlite_url, tmp_path)
        engine = harness.resources["ledger"].engine
        with dg.instance_for_test() as instance:
            for _ in range(4):
                harness.execution_tick()  # paper positions open in markets that end later
            assert open_paper_positions(engine) > 0
            before = evaluate(harness, instance)
            assert not before.run_requests and "no market with open positions has ended" in before.skip_message

            emulator.clock.advance(timedelta(days=3))  # past some markets' ends
            ended = ended_markets_to_watch(engine, harness.clock.now())
            assert ended, "some watched market should have ended"
            first = evaluate(harness, instance)
            assert [r.run_key for r in first.run_requests] == [f"ended-{ended[0][1].isoformat()}|{len(ended)}"]

            open_before = open_paper_positions(engine)
            harness.resolution_tick()  # what the requested run does: the venue's winners, then settlement
            assert open_paper_positions(engine) < open_before
            assert len(ended_markets_to_watch(engine, harness.clock.now())) < len(ended)
    finally:
        emulator.stop()
