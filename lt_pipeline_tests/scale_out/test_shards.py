"""The shard rule and the sharded tick's run requests, without a daemon."""

from __future__ import annotations

import dagster as dg
import pytest

from lt_pipeline.defs.live.sensors import execution_shards_sensor
from lt_pipeline.defs.scale_out import ScaleOutError, load_scale_out, shard_of_run, tick_request
from lt_pipeline.execution.shards import Shard, ShardError, shard_count, shard_of


def test_every_strategy_is_in_exactly_one_shard_and_stays_there():
    ids = [f"LT_FT_WALLET_{n}" for n in range(200)]
    for count in (1, 2, 4, 7):
        owners = {sid: [s.index for s in map(lambda i: Shard(i, count), range(count)) if s.covers(sid)] for sid in ids}
        assert all(len(found) == 1 for found in owners.values())
        assert {found[0] for found in owners.values()} == set(range(count))
    assert shard_of("LT_FT_WALLET_7", 4) == 0  # pinned: a changed rule would move live strategies between runs


def test_shard_settings_refuse_bad_values_with_the_variable_named():
    assert shard_count({}) == 1 and shard_count({"LT_EXECUTION_SHARDS": "4"}) == 4
    with pytest.raises(ShardError, match="LT_EXECUTION_SHARDS: expected a whole number from 1 to 64, got '0'"):
        shard_count({"LT_EXECUTION_SHARDS": "0"})
    with pytest.raises(ScaleOutError, match="LT_EXECUTOR: expected one of in_process, celery"):
        load_scale_out({"LT_EXECUTOR": "spark"})
    with pytest.raises(ShardError, match="expected INDEX/COUNT"):
        Shard.parse("two")
    assert shard_of_run({}) == Shard(0, 1) and shard_of_run({"lt/shard": "2/3"}) == Shard(2, 3)


def test_one_shard_asks_for_the_whole_job_and_several_for_a_signals_run_then_one_run_per_shard():
    assert tick_request(load_scale_out({})).asset_selection is None
    signals = tick_request(load_scale_out({"LT_EXECUTION_SHARDS": "3"}), tags={"lt/trigger": "new_signals"})
    assert signals.tags == {"lt/trigger": "new_signals", "lt/stage": "signals", "lt/shards": "3"}
    assert {k.to_user_string() for k in signals.asset_selection} == {
        "tracked_traders", "ft_wallets", "source_trades", "ft_orders", "lt_strategies"}

    with dg.instance_for_test() as instance:
        run = instance.add_run(dg.DagsterRun(job_name="execution_job", run_id="signals-run", tags=signals.tags,
                                             status=dg.DagsterRunStatus.SUCCESS))
        context = dg.build_run_status_sensor_context(
            sensor_name="execution_shards_sensor", dagster_instance=instance, dagster_run=run,
            dagster_event=dg.DagsterEvent(event_type_value="PIPELINE_SUCCESS", job_name="execution_job"),
        )
        requests = execution_shards_sensor(context)
    assert [r.tags["lt/shard"] for r in requests] == ["0/3", "1/3", "2/3"]
    assert [r.run_key for r in requests] == ["signals-run:shard-0", "signals-run:shard-1", "signals-run:shard-2"]
    assert {k.to_user_string() for k in requests[0].asset_selection} == {"lt_orders", "lt_fills", "strategy_alerts"}
    assert {k.to_user_string() for k in requests[1].asset_selection} == {"lt_orders", "lt_fills"}
