"""The new-signals sensor polls tracked traders (a rotating batch within the Data API quota) and starts
the execution job when one traded since the ledger last read them, once per new trade."""

from datetime import timedelta

import dagster as dg

from lt_pipeline.defs.live.sensors import new_signals_sensor
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.forward_test.harness import make_harness


def evaluate(harness, instance, cursor):
    resources = {key: harness.resources[key] for key in ("ledger", "venue", "clock")}
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
    return new_signals_sensor.evaluate_tick(context)


def test_sensor_requests_one_run_per_new_trade_of_a_tracked_trader(sqlite_url, tmp_path):
    emulator = start_emulator(seed=5)
    try:
        harness = make_harness(emulator, sqlite_url, tmp_path)
        with dg.instance_for_test() as instance:
            nothing_tracked = evaluate(harness, instance, None)
            assert not nothing_tracked.run_requests and "no tracked traders" in nothing_tracked.skip_message

            harness.execution_tick()  # tracks the emulator's traders and reads their trades
            caught_up = evaluate(harness, instance, None)
            assert not caught_up.run_requests and "no new trades" in caught_up.skip_message
            assert "polled 15 of 15 tracked traders" in caught_up.skip_message  # one request each, in quota

            emulator.clock.advance(timedelta(minutes=5))  # the simulated traders trade again
            first = evaluate(harness, instance, caught_up.cursor)
            assert len(first.run_requests) == 1 and first.run_requests[0].run_key.startswith("signals-")
            again = evaluate(harness, instance, first.cursor)  # the same trades: asked for once
            assert not again.run_requests and "no new trades" in again.skip_message

            harness.execution_tick()  # the run reads them; then more trades
            emulator.clock.advance(timedelta(minutes=5))
            later = evaluate(harness, instance, again.cursor)
            assert len(later.run_requests) == 1 and later.run_requests[0].run_key != first.run_requests[0].run_key
    finally:
        emulator.stop(wait=False)
