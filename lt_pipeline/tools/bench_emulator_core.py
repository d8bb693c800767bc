"""Size and speed figures for the venue core (no HTTP): memory of a venue with many markets and
books, the rate of place() for resting and crossing orders, and the cost of simulating time.

Run `python -m lt_pipeline.tools.bench_emulator_core`; `lt bench emulator` calls these functions too.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.emulator.scenario import Scenario
from lt_pipeline.emulator.types import IncomingOrder
from lt_pipeline.emulator.venue import Venue

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
BENCH_ADDRESS = "0xBE0C000000000000000000000000000000000001"


def measure_markets_memory(n: int = 500) -> dict:
    """Peak traced memory (MB) of building a venue with `n` markets, each with a quoted book."""
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    venue = Venue(SimulatedClock(START), seed=1, scenario=Scenario.default(markets=n))
    build_seconds = time.perf_counter() - started
    levels = sum(len(venue.book(m.tokens[0].token_id).bids) + len(venue.book(m.tokens[0].token_id).asks)
                 for m in venue.markets())
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"markets": n, "book_levels": levels, "peak_mb": round(peak / 2**20, 1),
            "current_mb": round(current / 2**20, 1), "build_seconds": round(build_seconds, 3)}


def _order(i: int, token_id: str, side: str, price: Decimal, size: Decimal, order_type: str = "GTC") -> IncomingOrder:
    cash = price * size
    return IncomingOrder(
        order_id=f"0x{i:064x}", owner="bench-key", maker=BENCH_ADDRESS, signer=BENCH_ADDRESS, token_id=token_id,
        side=side, price=price, size=size, maker_amount=cash if side == "BUY" else size,
        taker_amount=size if side == "BUY" else cash, order_type=order_type, post_only=False, expiration=0,
        signature_type=0,
    )


def measure_place_rate(orders: int = 5000, markets: int = 50) -> dict:
    """place() throughput: resting limit orders spread over `markets` markets, then crossing FAK orders."""
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=2, scenario=Scenario.default(markets=markets), faucet=Decimal(10**9), paused=True)
    venue.open_account(BENCH_ADDRESS)
    listed = venue.markets()
    resting = []  # bids at the lowest tick of either token: they rest without crossing
    for i in range(orders):
        market = listed[i % len(listed)]
        resting.append(_order(i, market.tokens[i % 2].token_id, "BUY", market.tick_size, Decimal("5")))
    started = time.perf_counter()
    for incoming in resting:
        venue.place(incoming)
    rest_rate = orders / (time.perf_counter() - started)

    crossing = []
    for i in range(orders):
        market = listed[i % len(listed)]
        crossing.append(_order(orders + i, market.tokens[0].token_id, "BUY", Decimal("1") - market.tick_size,
                               Decimal("5"), "FAK"))
    started = time.perf_counter()
    for incoming in crossing:
        venue.place(incoming)
    cross_rate = orders / (time.perf_counter() - started)
    return {"resting_orders_per_s": round(rest_rate), "crossing_orders_per_s": round(cross_rate),
            "open_orders": venue.counters()["open_orders"]}


def measure_simulation(hours: float = 24, markets: int = 40) -> dict:
    """Wall time to simulate `hours` of trading in one jump, and an idle sync() afterwards."""
    clock = SimulatedClock(START)
    venue = Venue(clock, seed=3, scenario=Scenario.default(markets=markets))
    clock.advance(timedelta(hours=hours))
    started = time.perf_counter()
    venue.sync()
    simulate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(10000):
        venue.sync()
    idle_sync_us = (time.perf_counter() - started) / 10000 * 1e6
    counts = venue.counters()
    return {"simulated_hours": hours, "trades": counts.get("trades", 0), "simulate_seconds": round(simulate_seconds, 3),
            "idle_sync_us": round(idle_sync_us, 2)}


def main() -> None:
    for name, figures in (("memory", measure_markets_memory()), ("place", measure_place_rate()),
                          ("simulation", measure_simulation())):
        print(f"{name}: " + ", ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
