"""`lt bench detection`: how many tracked traders one detection cycle covers within the Data API's
quotas, and how long a tracked trader's new trade waits to be seen.

Tracks N traders (the emulator's simulated ones, which trade, plus quiet addresses up to N), runs
detection cycles every `--cycle` seconds for `--seconds` seconds against the emulator with its quotas
enforced, moving the emulator's clock with the wall clock so its traders keep trading, and records
for every new trade the delay from the trade to the cycle that saw it. Prints the poll plan for
several N, the run's figures, and last one JSON object. Exit 1 when nothing was polled or no trade
was detected (the run did not do its work); a 429 is counted and printed, never hidden.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

import httpx

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.ingest.detection import PollPlan, detect
from lt_pipeline.venues.polymarket.data_api import DataApiClient

START = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lt bench detection", description=__doc__.splitlines()[0])
    parser.add_argument("--traders", type=int, default=500, help="tracked traders (at least 1; default 500)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run cycles (default 60)")
    parser.add_argument("--cycle", type=float, default=5.0, help="seconds between cycles, the sensor's interval (default 5)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="venue seconds per wall second: above 1 its traders trade more often in a short run; "
                             "delays are reported in wall seconds (default 1)")
    args = parser.parse_args(argv)
    if args.traders < 1 or args.seconds <= 0 or args.cycle <= 0 or args.speed <= 0:
        parser.error("--traders must be at least 1, --seconds, --cycle and --speed above 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from lt_pipeline.emulator.scenario import Scenario
    from lt_pipeline.emulator.serve import start_in_thread
    from lt_pipeline.emulator.venue import Venue

    for n in (15, 100, 500, 1000, 5000):
        plan = PollPlan.within_quota(n, args.cycle)
        print(f"plan for {n:>5} traders: {plan.batch} polled per {args.cycle:g} s cycle, a full rotation in "
              f"{plan.cycles_per_rotation} cycle(s) = worst detection delay {plan.worst_delay_seconds:g} s")

    clock = SimulatedClock(START)
    venue = Venue(clock, seed=7, scenario=Scenario.default(history=False))
    emulator = start_in_thread(venue, clock=clock)
    try:
        active = sorted({t.address.lower() for t in venue.traders()})
        quiet = [f"0x{index:040x}" for index in range(1, max(0, args.traders - len(active)) + 1)]
        traders = sorted((active + quiet)[: args.traders])
        plan = PollPlan.within_quota(len(traders), args.cycle)
        data_api = DataApiClient(f"{emulator.url}/data-api", clock=clock, quota_share=0.5)
        seen: dict[str, datetime | None] = {t: clock.now() for t in traders}  # only trades from now on count
        offset, cycles, polled, delays, failed = 0, 0, 0, [], 0
        wall_start = last = time.monotonic()
        while time.monotonic() - wall_start < args.seconds:
            now_wall = time.monotonic()
            clock.advance(timedelta(seconds=(now_wall - last) * args.speed))  # the venue's time runs with the wall clock
            last = now_wall
            found = detect(data_api, traders, seen, offset, plan.batch)
            cycles += 1
            polled += len(found.polled)
            failed += len(found.failed)
            offset = found.next_offset
            detected_at = clock.now()
            for trader, traded_at in found.traded.items():
                delays.append((detected_at - traded_at).total_seconds() / args.speed)
                seen[trader] = traded_at
            time.sleep(max(0.0, args.cycle - (time.monotonic() - now_wall)))
        counters = httpx.get(f"{emulator.url}/admin/counters", timeout=10).json()
        throttled = int(counters.get("statuses", {}).get("429", 0))
    finally:
        emulator.stop(wait=False)

    p50 = statistics.median(delays) if delays else None
    print(f"run: {len(traders)} traders ({len(active)} trading), {cycles} cycles of {args.cycle:g} s, {polled} polls, "
          f"{polled / args.seconds:.1f} requests/s; 429s from the venue: {throttled}")
    print(f"detected {len(delays)} new trades; delay from trade to detection p50 {p50 if p50 is None else round(p50, 2)} s, "
          f"max {round(max(delays), 2) if delays else None} s (planned worst {plan.worst_delay_seconds:g} s)")
    print(json.dumps({
        "traders": len(traders), "trading_traders": len(active), "cycle_seconds": args.cycle, "batch_per_cycle": plan.batch,
        "cycles_per_rotation": plan.cycles_per_rotation, "planned_worst_delay_seconds": plan.worst_delay_seconds,
        "cycles": cycles, "polls": polled, "requests_per_second": round(polled / args.seconds, 2), "throttled_429": throttled,
        "poll_failures": failed, "detections": len(delays), "delay_p50_seconds": None if p50 is None else round(p50, 3),
        "delay_max_seconds": round(max(delays), 3) if delays else None,
    }))
    if not polled or not delays:
        print(f"bench detection: {polled} polls, {len(delays)} trades detected; expected both above 0", file=sys.stderr)
        return 1
    return 0
