"""`lt bench emulator`: orders per second the emulator accepts with signature verification on, the
latency of `POST /order`, batched `POST /orders` throughput, and the memory of 500 markets.

The server runs in its own process (as `lt emulator serve` does) so that client and server do not
share one interpreter lock; orders are pre-signed with the real py-clob-client-v2 order builder and
posted concurrently over keep-alive httpx connections with proper L2 headers. Prints readable lines
and, last, one JSON object with every figure. Exit status 1, with one line on stderr naming what is
missing, unless the venue accepted every order posted (--orders single, --batches x 15 batched) and
counted each as placed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

from lt_pipeline.emulator.auth import hmac_signature

TARGET_ORDERS_PER_S = 500
TARGET_MEMORY_MB = 300


def _start_server(seed: int) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "lt_pipeline.tools.emulator_serve", "--port", "0", "--paused",
               "--faucet", "10000000", "--seed", str(seed)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if "listening on" not in line:
        process.kill()
        raise RuntimeError(f"the emulator did not start: {line}{process.stderr.read() if process.stderr else ''}")
    return process, line.split("listening on ", 1)[1].split(" ", 1)[0]


def _client(url: str, seed: int) -> Any:
    from py_clob_client_v2.client import ClobClient
    from eth_utils import keccak

    key = "0x" + keccak(text=f"lt-bench-trader-{seed}").hex()
    client = ClobClient(url, chain_id=137, key=key)
    client.set_api_creds(client.create_or_derive_api_key())
    return client


def _presign(client: Any, url: str, count: int) -> list[dict[str, Any]]:
    """`count` resting BUY orders spread over the open markets, signed by the real order builder."""
    from py_clob_client_v2.clob_types import CreateOrderOptions, OrderArgsV2, OrderType
    from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2

    markets = [m for m in httpx.get(f"{url}/markets", timeout=30).json()["data"] if m["accepting_orders"]]
    tokens = [(t["token_id"], str(m["minimum_tick_size"]), m["neg_risk"], m["minimum_order_size"])
              for m in markets for t in m["tokens"]]
    bodies = []
    for i in range(count):
        token, tick, neg_risk, min_size = tokens[i % len(tokens)]
        price = float(tick) * (1 + (i // len(tokens)) % 5)  # far below any ask: the orders rest
        order = client.builder.build_order(
            OrderArgsV2(token_id=token, price=price, size=max(5, min_size), side="BUY"),
            CreateOrderOptions(tick_size=tick, neg_risk=neg_risk),
            version=2,
        )
        bodies.append(order_to_json_v2(order, client.creds.api_key, OrderType.GTC))
    return bodies


@dataclass(frozen=True)
class Identity:
    """What a posting process needs to sign L2 headers (plain strings, so it crosses a fork)."""

    address: str
    api_key: str
    secret: str
    passphrase: str


def _headers(who: Identity, method: str, path: str, body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "POLY_ADDRESS": who.address,
        "POLY_SIGNATURE": hmac_signature(who.secret, ts, method, path, body),
        "POLY_TIMESTAMP": ts,
        "POLY_API_KEY": who.api_key,
        "POLY_PASSPHRASE": who.passphrase,
        "Content-Type": "application/json",
    }


async def _post_all(
    url: str, who: Identity, path: str, payloads: list[Any], concurrency: int
) -> tuple[float, float, list[float], int, str | None]:
    """POST every payload with `concurrency` in flight; returns (start, end, latencies, accepted orders,
    the first refusal's words or None)."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(json.dumps(p, separators=(",", ":"), ensure_ascii=False))
    latencies: list[float] = []
    accepted = 0
    refusal: str | None = None
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:

        async def worker() -> None:
            nonlocal accepted, refusal
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                response = await http.post(path, content=body.encode(), headers=_headers(who, "POST", path, body))
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:  # counted as not accepted; the first refusal is kept
                    refusal = refusal or f"{path} refused: {response.status_code} {response.text[:200]}"
                    continue
                answer = response.json()
                results = answer if isinstance(answer, list) else [answer]
                for r in results:
                    if r.get("success"):
                        accepted += 1
                    else:
                        refusal = refusal or f"{path} refused an order: {str(r)[:200]}"

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return started, time.perf_counter(), latencies, accepted, refusal


def _post_chunk(args: tuple[str, Identity, str, list[Any], int]) -> tuple[float, float, list[float], int, str | None]:
    return asyncio.run(_post_all(*args))


def _post_from_processes(
    url: str, who: Identity, path: str, payloads: list[Any], concurrency: int, processes: int
) -> tuple[float, list[float], int, str | None]:
    """Spread the posts over client processes (httpx costs more CPU per request than the server
    does, so one client process cannot saturate it); returns (seconds, latencies, accepted, first refusal)."""
    chunks = [payloads[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_post_chunk, [(url, who, path, chunk, concurrency) for chunk in chunks]))
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    refusals = [r[4] for r in results if r[4]]
    return end - start, [x for r in results for x in r[2]], sum(r[3] for r in results), (refusals[0] if refusals else None)


def _rss_mb(pid: int) -> float:
    """Resident memory of the server process (Linux /proc), 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def measure_markets_memory(markets: int) -> float:
    """Peak MB (tracemalloc) of a venue listing `markets` markets with their books quoted."""
    try:
        from lt_pipeline.tools import bench_emulator_core as bench_core  # the core engineer's own measure, when present

        figures = bench_core.measure_markets_memory(markets)
        return float(figures["peak_mb"] if isinstance(figures, dict) else figures)
    except (ImportError, AttributeError, KeyError):
        pass
    from lt_pipeline.clock import SimulatedClock
    from lt_pipeline.emulator.scenario import Scenario
    from lt_pipeline.emulator.venue import Venue

    tracemalloc.start()
    venue = Venue(SimulatedClock(datetime(2026, 1, 1, tzinfo=timezone.utc)), scenario=Scenario.default(markets=markets))
    for market in venue.markets():
        for token in market.tokens:
            venue.book(token.token_id)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del venue
    return peak / 2**20


def run(single: int, batches: int, concurrency: int, processes: int, memory_markets: int, seed: int) -> dict[str, Any]:
    process, url = _start_server(seed)
    try:
        client = _client(url, seed)
        who = Identity(client.get_address(), client.creds.api_key, client.creds.api_secret, client.creds.api_passphrase)
        started = time.perf_counter()
        singles = _presign(client, url, single + batches * 15)
        sign_ms = (time.perf_counter() - started) / len(singles) * 1000
        batch_bodies = [singles[single + i * 15 : single + (i + 1) * 15] for i in range(batches)]
        single_s, latencies, single_ok, single_refusal = _post_from_processes(
            url, who, "/order", singles[:single], concurrency, processes
        )
        batch_s, batch_latencies, batch_ok, batch_refusal = _post_from_processes(url, who, "/orders", batch_bodies, 2, 1)
        counters = httpx.get(f"{url}/admin/counters").json()
        server_rss_mb = _rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)
    memory_mb = measure_markets_memory(memory_markets)
    return {
        "requested_single": single,
        "orders_single": single_ok,
        "orders_per_s_single": round(single_ok / single_s, 1),
        "post_order_p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "post_order_p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "requested_batched": batches * 15,
        "orders_batched": batch_ok,
        "orders_per_s_batched": round(batch_ok / batch_s, 1),
        "post_orders_p50_ms": round(_percentile(batch_latencies, 0.50) * 1000, 2),
        "concurrency": concurrency * processes,
        "client_processes": processes,
        "client_sign_ms_per_order": round(sign_ms, 2),
        "memory_markets": memory_markets,
        "memory_mb": round(memory_mb, 1),
        "server_rss_mb": server_rss_mb,
        "venue_orders_placed": counters["venue"].get("orders_placed", 0),
        "http_500s": counters["statuses"].get("500", 0),
        "first_refusal": single_refusal or batch_refusal,
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lt bench emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1500, help="single POST /order requests (default 1500)")
    parser.add_argument("--batches", type=int, default=100, help="POST /orders requests of 15 orders (default 100)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight per client process (default 4)")
    parser.add_argument("--processes", type=int, default=2, help="client processes posting at once (default 2)")
    parser.add_argument("--markets", type=int, default=500, help="markets for the memory figure (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if min(args.orders, args.batches, args.concurrency, args.processes, args.markets) < 1:
        print("lt bench emulator: --orders, --batches, --concurrency, --processes and --markets must be at least 1",
              file=sys.stderr)
        return 2
    figures = run(args.orders, args.batches, args.concurrency, args.processes, args.markets, args.seed)
    print(f"POST /order: {figures['orders_per_s_single']} orders/s accepted with signature verification "
          f"({figures['orders_single']} orders, {figures['concurrency']} in flight from {figures['client_processes']} "
          f"client processes; target >= {TARGET_ORDERS_PER_S})")
    print(f"POST /order latency: p50 {figures['post_order_p50_ms']} ms, p99 {figures['post_order_p99_ms']} ms")
    print(f"POST /orders (15 per batch): {figures['orders_per_s_batched']} orders/s, p50 {figures['post_orders_p50_ms']} ms per batch")
    print(f"client-side signing with the real order builder: {figures['client_sign_ms_per_order']} ms per order (not in the rates)")
    print(f"server process after the run: {figures['server_rss_mb']} MB resident ({figures['venue_orders_placed']} orders placed)")
    print(f"memory of {figures['memory_markets']} markets with books: {figures['memory_mb']} MB (target < {TARGET_MEMORY_MB} MB)")
    print(json.dumps(figures))
    missing = missing_work(figures)
    if missing:
        print(f"bench emulator: {missing}", file=sys.stderr)
        return 1
    return 0


def missing_work(figures: dict[str, Any]) -> str | None:
    """What the run left undone, as one line; None when every requested order was accepted and placed."""
    requested = figures["requested_single"] + figures["requested_batched"]
    problems = []
    if figures["orders_single"] != figures["requested_single"]:
        problems.append(f"{figures['orders_single']} of {figures['requested_single']} single orders accepted")
    if figures["orders_batched"] != figures["requested_batched"]:
        problems.append(f"{figures['orders_batched']} of {figures['requested_batched']} batched orders accepted")
    if figures["venue_orders_placed"] != requested:
        problems.append(f"{figures['venue_orders_placed']} of {requested} orders placed at the venue")
    if not problems:
        return None
    refusal = f" (first refusal: {figures['first_refusal']})" if figures.get("first_refusal") else ""
    return f"{'; '.join(problems)}; expected all{refusal}"


if __name__ == "__main__":
    raise SystemExit(main())
