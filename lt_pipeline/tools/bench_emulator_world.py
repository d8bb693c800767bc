"""Cost of the simulated world's realism: building a venue with a past, reading every market's
figures, and a simulated day with new listings. Run `python -m lt_pipeline.tools.bench_emulator_world`."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.emulator.scenario import Scenario
from lt_pipeline.emulator.venue import Venue

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def measure_build(repeats: int = 10) -> dict:
    """Seconds to build the default venue with and without its past (best of `repeats`)."""
    with_past, without = [], []
    for seed in range(repeats):
        started = time.perf_counter()
        venue = Venue(SimulatedClock(START), seed=seed, scenario=Scenario.default(history=True))
        with_past.append(time.perf_counter() - started)
        started = time.perf_counter()
        Venue(SimulatedClock(START), seed=seed)
        without.append(time.perf_counter() - started)
    counts = venue.counters()
    return {"build_with_past_s": round(min(with_past), 4), "build_with_past_worst_s": round(max(with_past), 4),
            "build_without_past_s": round(min(without), 4), "past_trades": counts["history_trades"],
            "markets": counts["markets"]}


def measure_day(hours: float = 24) -> dict:
    """A simulated day of the default venue with its past: trades, resolutions, new listings, and
    the cost of one markets() read (every market's figures) at the end."""
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=3, scenario=Scenario.default(history=True))
    clock.advance(timedelta(hours=hours))
    started = time.perf_counter()
    venue.sync()
    simulate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(100):
        markets = venue.markets()
    read_ms = (time.perf_counter() - started) / 100 * 1000
    counts = venue.counters()
    return {"simulated_hours": hours, "simulate_s": round(simulate_seconds, 3), "trades": counts.get("trades", 0),
            "resolutions": counts.get("resolutions", 0), "new_listings": counts.get("markets_listed", 0),
            "open_markets": counts["open_markets"], "markets": len(markets), "markets_read_ms": round(read_ms, 2)}


def main() -> None:
    for name, figures in (("build", measure_build()), ("day", measure_day())):
        print(f"{name}: " + ", ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
