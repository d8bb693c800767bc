"""The engine under the emulator's fault profiles (`lt drill faults --engine`, small): for every profile
of the drill, the engine, on its own thread and tick loop, places orders while the profile is on; then
the scheduled job's venue sync runs without faults and the drill's audit finds no venue order placed
twice, no venue fill missing from the ledger, sizes and states equal to the venue's, nothing in flight
and no order over the twin's cap. The feed run also drops the real-time channels so that a step's
trades come back by the fallback poll and the backfill.

And a hole the drill's reading found, now closed: a feed trade ingested after a failed backfill must not
move the trader's cursor past the gap (the engine keeps a failed backfill pending until a read succeeds)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from lt_pipeline.engine.sources import Sighting
from lt_pipeline.ingest.source_trades import ingest_source_trades
from lt_pipeline.ledger import schema
from lt_pipeline.tools import fault_drill
from lt_pipeline.tools.fault_drill import DRILL_PROFILES
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline_tests.engine.support import make_lane
from lt_pipeline_tests.engine.test_engine_detection import world  # noqa: F401  (the fixture)


def drill(capsys, *args: str) -> tuple[int, dict]:
    code = fault_drill.main(["--engine", *args])
    lines = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(lines[-1])


def assert_clean(profile: str, figures: dict) -> None:
    assert figures["placed"] > 0, f"{profile}: the engine placed no order"
    assert figures["placed"] == figures["accepted"] + figures["rejected"] + figures["unknown"], profile
    assert figures["dup_orders"] == figures["lost_fills"] == figures["size_mism"] == figures["in_flight"] == 0, \
        (profile, figures["audit"])
    assert figures["over_cap"] == 0, profile
    audit = figures["audit"]
    assert audit["venue_orders"] == audit["intents_at_venue"] > 0, (profile, audit)
    assert audit["phantom_fills"] == audit["state_mismatches"] == audit["unrecorded_orders"] == 0, (profile, audit)
    assert figures["clean"] is True, profile


def test_the_engine_under_every_drill_profile_keeps_the_ledger_equal_to_the_venue(capsys):
    code, report = drill(capsys, "--ticks", "1", "--seed", "5", "--quiet-seconds", "0.75")
    assert report["engine"] is True and report["mode"] == "poll"
    assert set(report["profiles"]) == set(DRILL_PROFILES)
    for profile, figures in report["profiles"].items():
        assert_clean(profile, figures)
        assert figures["sightings"].get("poll", 0) > 0 and figures["eng_ticks"] > 0, profile
    assert report["clean"] is True and code == 0
    faulted = {name for name, figures in report["profiles"].items() if figures["faults"]}
    assert faulted >= {"throttled", "slow", "chaos"}, faulted  # flaky's rare faults may miss a one-step run


def test_the_engine_on_the_feeds_under_chaos_recovers_dropped_channels_without_duplicates(capsys):
    code, report = drill(capsys, "--feeds", "--profiles", "chaos", "--ticks", "2", "--seed", "5",
                         "--quiet-seconds", "0.75")
    figures = report["profiles"]["chaos"]
    assert report["mode"] == "feed" and figures["ws_drops"] > 0
    # The session's users had no order when the engine started: the channel follows them from their first.
    assert figures["ch_users"] >= 1, figures
    assert figures["sightings"].get("backfill", 0) > 0, figures["sightings"]
    assert_clean("chaos", figures)
    assert code == 0


def test_the_engine_refuses_an_unknown_profile(capsys):
    assert fault_drill.main(["--engine", "--profiles", "chaos,wobbly"]) == 2
    assert "--profiles" in capsys.readouterr().err


def test_a_feed_trade_after_a_failed_backfill_leaves_the_gap_readable(world):  # noqa: F811
    lane = make_lane(world.engine, world.clock, world.emulator.url)
    lane.data_api = DataApiClient(f"{world.emulator.url}/data-api", clock=world.clock, quota_share=0.5,
                                  sleep=lambda seconds: None)  # retries without waiting: the faulted read fails fast
    gap_start = world.clock.now()
    world.clock.advance(timedelta(minutes=2))  # the tracked traders trade while the feed is down
    trades = {}
    for trader in lane.tracked_traders():
        read = lane.data_api.trades_of(trader, since=gap_start + timedelta(seconds=1))[0]
        if len({t.traded_at for t in read}) >= 2:
            trades[trader] = read
    assert trades, "some tracked trader traded twice (at two different seconds) in the gap"
    trader, gap = next(iter(trades.items()))
    newest = max(gap, key=lambda t: t.traded_at)

    # The feed is back; the watchdog's backfill sighting is read while the Data API drops every request.
    world.emulator.ctx.faults.set_profile({"name": "down", "drop_rate": 1.0})
    try:
        backfill = lane.tick([Sighting(trader, world.clock.now(), "backfill", since=gap_start)])
    finally:
        world.emulator.ctx.faults.clear()
    assert trader in backfill.ingest.failed_traders

    # The trader trades again and the feed hands the trade over; then the schedule's ingest runs.
    lane.tick([Sighting(trader, world.clock.now(), "feed", traded_at=newest.traded_at, trades=(newest,))])
    ingest_source_trades(world.engine, lane.data_api, lane.gamma, world.clock)

    with world.engine.connect() as connection:
        stored = set(connection.execute(select(schema.source_trades.c.source_trade_id)
                                        .where(schema.source_trades.c.trader_address == trader)).scalars())
    missing = [t.source_trade_id for t in gap if t.source_trade_id not in stored]
    assert not missing, f"{len(missing)} of the gap's {len(gap)} trades are never read: the cursor passed them"
