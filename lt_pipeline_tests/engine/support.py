"""Shared pieces of the engine tests (no tests here): an engine lane on the FT harness's emulator and
ledger, built the way `lt engine` builds it, with the embedded demo key of the strategy's user (the one
the execution job's trader pool uses), so the engine and the job trade as the same user.

Run as a module, it is the child killed mid-tick: `python -m lt_pipeline_tests.engine.support
{before-submit|after-submit} LEDGER_URL EMULATOR_URL NOW USER`.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.engine.lane import LiveLane
from lt_pipeline.engine.sources import PollingSource, Sighting
from lt_pipeline.execution.credentials import demo_private_key
from lt_pipeline.execution.executor import BookSource
from lt_pipeline.ingest.detection import seen_until
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.venues.polymarket import quotas
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline.venues.polymarket.trading import ClobTrader

REPO_ROOT = Path(__file__).resolve().parents[2]
USER = "u1"


def demo_trader(emulator_url: str, user: str = USER) -> ClobTrader:
    return ClobTrader(emulator_url, 137, demo_private_key(user), use_server_time=True)


def make_lane(engine, clock, emulator_url: str, trader_for_user=None) -> LiveLane:
    trader = demo_trader(emulator_url) if trader_for_user is None else None
    return LiveLane(
        engine, clock, DataApiClient(f"{emulator_url}/data-api", clock=clock, quota_share=0.5),
        GammaClient(f"{emulator_url}/gamma", clock=clock, max_retries=1), BookSource(ClobReader(emulator_url).book),
        trader_for_user or (lambda user: trader),
    )


def advance(clock, emulator_url: str, minutes: float = 2) -> None:
    """The simulated clock `minutes` on, and this process's Data API quota windows for the emulator with
    it: in as many real minutes their 10-second windows would have emptied (and the emulator's own
    quotas count simulated time too), so a test does not sit out real seconds for reads it may make."""
    clock.advance(timedelta(minutes=minutes))
    quotas.forget_requests(f"{emulator_url.rstrip('/')}/data-api")


def polling(lane: LiveLane, cycle_seconds: float = 5.0) -> PollingSource:
    return PollingSource(lane.data_api, lane.tracked_traders, lambda: seen_until(lane.ledger), lane.clock,
                         cycle_seconds=cycle_seconds)


def sight_all(source: PollingSource, cycles: int = 3) -> list[Sighting]:
    sightings: list[Sighting] = []
    for _ in range(cycles):
        source.cycle(sightings.append)
    return sightings


# --- the child killed mid-tick --------------------------------------------------------------------------


def run_killed_engine(ledger_url: str, emulator_url: str, now: datetime, crash_point: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "lt_pipeline_tests.engine.support", crash_point, ledger_url, emulator_url,
               now.isoformat(), USER]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def _child(argv: list[str]) -> int:
    from lt_pipeline_tests.live.killed_child import KilledAtSubmit

    crash_point, ledger_url, emulator_url, now, user = argv
    engine = make_engine(ledger_url)
    clock = SimulatedClock(datetime.fromisoformat(now))
    killed = KilledAtSubmit(demo_trader(emulator_url, user), after_sending=crash_point == "after-submit")
    lane = make_lane(engine, clock, emulator_url, trader_for_user=lambda u: killed)
    report = lane.tick(sight_all(polling(lane)))
    print(f"not killed: nothing was submitted ({report.metadata()})", file=sys.stderr)
    return 3


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
