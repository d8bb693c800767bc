"""A venue that lost what the ledger holds (its saved state deleted) is told apart from the same venue
resumed: nothing is placed or synced against it, and the ledger check says so in words and names the
one command that starts both over."""

from __future__ import annotations

import dagster as dg

from lt_pipeline.defs.live.checks import ledger_matches_venue
from lt_pipeline.defs.resources import LedgerResource
from lt_pipeline.execution.venue_identity import check_venue, venue_lost
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.live.builders import limit_plan, place
from lt_pipeline_tests.live.builders import emulator, world  # noqa: F401 (fixtures)


def test_a_fresh_venue_behind_a_ledger_that_traded_is_refused_until_both_start_over(world, ledger_url):
    now = world.clock.now()
    assert check_venue(world.engine, f"{world.emulator.url}/admin", now) is None  # the ledger's venue, remembered
    place(world, limit_plan("BUY", "0.45", "10"))
    assert check_venue(world.engine, f"{world.emulator.url}/admin", now) is None  # the same venue: fine

    other = start_emulator(seed=3)  # what a deleted state folder gives: a venue that never saw our orders
    try:
        message = check_venue(world.engine, f"{other.url}/admin", now)
    finally:
        other.stop(wait=False)
    assert message and "not the one this ledger traded with" in message and "lt reset --yes" in message
    with world.engine.connect() as connection:
        assert venue_lost(connection) == message
    result = ledger_matches_venue(dg.build_asset_check_context(), LedgerResource(url=ledger_url))
    assert not result.passed and "lt reset --yes" in result.description

    assert check_venue(world.engine, f"{world.emulator.url}/admin", now) is None  # the real one is back
    with world.engine.connect() as connection:
        assert venue_lost(connection) is None
    assert check_venue(world.engine, None, now) is None  # production: no emulator to ask
