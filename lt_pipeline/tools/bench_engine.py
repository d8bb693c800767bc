"""`lt bench execution --engine`: leader fill to our order acknowledged, through the engine (`lt engine`
in its own process) and, side by side in the same run, through the new-signals sensor path, on the
emulator in real time; with the engine's CPU and memory at rest and under that load.

Leaders are bench accounts on the emulator that buy at market (FAK) one after another; every FT wallet
copies every buy, so each leader fill is a signal for every strategy. The two paths copy the same
leader fills into two ledgers, each for its own user (its own venue account): the engine places for
the `--strategies` twins of one; on the other, the new-signals sensor runs every 5 s as in the daemon
and, when it sees a new trade, the execution job's assets are materialized in-process (a
daemon-launched run costs about 3 s more: DAGSTER.md). A leader fill's time is the midpoint of its
order's round trip (loopback: about a millisecond wide).

Prints readable lines and, last, one JSON object. Targets (engine): p50 at most 1 s, p99 at most 2 s
over at least 200 signals across 20 strategies. Exit status 1 unless the engine placed orders (0 placed
is a failure); how fast is a figure to read, never the exit status.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
from eth_utils import keccak
from sqlalchemy import select

from lt_pipeline.clock import system_clock
from lt_pipeline.engine.lane import HEARTBEAT_CURSOR
from lt_pipeline.engine.service import with_hosts
from lt_pipeline.execution.strategies import create_strategy, ensure_user, launch
from lt_pipeline.forward_test.wallets import sync_wallets
from lt_pipeline.ingest.markets import store_markets
from lt_pipeline.ingest.source_trades import track_traders
from lt_pipeline.ledger import migrate
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.ledger.schema import lt_orders, source_trades
from lt_pipeline.ledger.writes import read_cursor
from lt_pipeline.settings import load_settings
from lt_pipeline.strategy.config import load_wallets
from lt_pipeline.tools.bench_execution import start_emulator_process
from lt_pipeline.tools.bench_sensor import percentile
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.gamma import GammaClient

USER, SENSOR_USER = "bench", "bench_sensor"
SENSOR_SECONDS = 5  # the new-signals sensor's minimum interval
# `--small`, the suite's quick run: the same path end to end, two leader fills, the sensor every second,
# a short rest; flags given explicitly still win.
SMALL = {"signals": 8, "strategies": 4, "sensor_strategies": 1, "leaders": 2, "every": 0.25, "rest_seconds": 0.5}
SMALL_SENSOR_SECONDS = 1.0
SWEEP_SECONDS, SMALL_SWEEP_SECONDS = 2.0, 0.5  # the engine's sweep; also how long it may take to see SIGTERM
TARGET_P50_MS, TARGET_P99_MS = 1000, 2000
STRATEGY_LIMITS = {"starting_capital": "100000", "max_order_size_usd": "50", "max_position_size_usd": "5000",
                   "max_total_exposure_usd": "90000", "slippage_tolerance_pct": "10"}


def wallet_yaml(wallet_ids: list[str]) -> str:
    lines = ["wallets:"]
    for wallet_id in wallet_ids:
        lines += [f"  - wallet_id: {wallet_id}", f"    display_name: Bench {wallet_id}", "    starting_balance: 100000",
                  "    filters: {price_min: 0.05, price_max: 0.95}", "    sizing: {method: fixed_usd, bet_size_usd: 5, min_bet_usd: 1}"]
    return "\n".join(lines) + "\n"


def seed(ledger_url: str, wallets_file: Path, infos: list, leaders: list[str], user: str) -> set[str]:
    """A fresh ledger: the FT wallets of `wallets_file`, the markets, the leaders tracked, and `user`'s
    launched twin of every wallet. Returns the strategy ids."""
    ledger = make_engine(ledger_url)
    migrate.upgrade(ledger)
    now = system_clock.now()
    wallets = load_wallets(wallets_file)
    sync_wallets(ledger, wallets, now)
    with ledger.begin() as connection:
        store_markets(connection, infos, now)
    track_traders(ledger, leaders, "config", now)
    ensure_user(ledger, user, f"Bench user {user}", now=now)
    strategies = {create_strategy(ledger, user, wallet.wallet_id, STRATEGY_LIMITS, now) for wallet in wallets}
    for strategy_id in strategies:
        launch(ledger, strategy_id, system_clock.now())
    ledger.dispose()
    return strategies


# --- leaders --------------------------------------------------------------------------------------------


@dataclass
class LeaderFill:
    leader: str
    token_id: str
    at: datetime  # midpoint of the order's round trip
    transaction_hashes: tuple[str, ...]


def leader_key(index: int) -> str:
    return "0x" + keccak(text=f"lt-bench-engine-leader-{index}").hex()


class Leaders:
    """Bench accounts that buy at market on the emulator, one fill at a time."""

    def __init__(self, url: str, count: int) -> None:
        from py_clob_client_v2.client import ClobClient

        self.clients = []
        for index in range(count):
            client = ClobClient(url, chain_id=137, key=leader_key(index))
            client.set_api_creds(client.create_or_derive_api_key())
            self.clients.append(client)
        self.addresses = [client.get_address().lower() for client in self.clients]

    def buy(self, index: int, token_id: str, usd: float) -> LeaderFill | None:
        from py_clob_client_v2.clob_types import MarketOrderArgsV2, OrderType
        from py_clob_client_v2.exceptions import PolyException

        client = self.clients[index % len(self.clients)]
        try:
            order = client.create_market_order(MarketOrderArgsV2(token_id=token_id, amount=usd, side="BUY"))
            sent = time.time()
            answer = client.post_order(order, OrderType.FAK)
            back = time.time()
        except PolyException:  # the asks were taken (by our own copies too): another market next time
            return None
        if not isinstance(answer, dict) or answer.get("status") != "matched":
            return None
        at = datetime.fromtimestamp((sent + back) / 2, tz=timezone.utc)
        return LeaderFill(self.addresses[index % len(self.clients)], token_id, at, tuple(answer.get("transactionsHashes") or ()))


def open_tokens(url: str, limit: int = 40) -> tuple[list, list[str]]:
    """Open markets' descriptions and tokens whose best ask is inside the FT wallets' band."""
    gamma = GammaClient(f"{url}/gamma")
    reader = ClobReader(url)
    listed = httpx.get(f"{url}/gamma/markets", params={"closed": "false", "limit": 500}, timeout=10).json()
    infos = [i for i in gamma.markets([m["conditionId"] for m in listed]) if not i.closed and i.accepting_orders]
    tokens = []
    for info in infos:
        for token in info.tokens:
            book = reader.book(token.token_id)
            if book is not None and book.best_ask is not None and Decimal("0.15") < book.best_ask < Decimal("0.85"):
                tokens.append(token.token_id)
    return infos, tokens[:limit]


# --- the engine's process -------------------------------------------------------------------------------


@dataclass
class Usage:
    cpu_pct: float
    rss_mb: float


class ProcessMeter:
    """CPU share and resident memory of one process over a window, from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._tick = os.sysconf("SC_CLK_TCK")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._tick

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def begin(self) -> tuple[float, float]:
        return time.monotonic(), self.cpu_seconds()

    def end(self, started: tuple[float, float]) -> Usage:
        wall = time.monotonic() - started[0]
        return Usage(100 * (self.cpu_seconds() - started[1]) / max(wall, 1e-9), self.rss_mb())


def start_engine(url: str, ledger_url: str, state: Path, log_path: Path, *, feeds: bool = False,
                 sweep_seconds: float = SWEEP_SECONDS) -> subprocess.Popen:
    env = {**os.environ, "LT_STATE_DIR": str(state), "NO_PROXY": "127.0.0.1,localhost"}
    env.pop("LT_LEDGER_URL", None)
    command = [sys.executable, "-m", "lt_pipeline.tools.engine", "--venue", url, "--ledger-url", ledger_url, "--no-dagster", "--sweep-seconds", f"{sweep_seconds:g}", "--status-seconds", "3600", "--log-level", "WARNING"]
    return subprocess.Popen(command, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT)


# --- the sensor path ------------------------------------------------------------------------------------


@dataclass
class SensorLane:
    runs: int = 0
    evaluations: int = 0
    errors: list[str] = field(default_factory=list)


def run_sensor_lane(settings, wallets_file: Path, leaders: list[str], stop: threading.Event, lane: SensorLane,
                    every: float = SENSOR_SECONDS) -> None:
    """The new-signals sensor every `every` s (5, as in the daemon); a run of the execution job's assets
    (in-process) when it asks."""
    import dagster as dg

    from lt_pipeline.defs.jobs import EXECUTION_ASSETS
    from lt_pipeline.defs.live.sensors import new_signals_sensor
    from lt_pipeline.defs.resources import StrategyConfigResource, build_resources

    resources = build_resources(settings)
    resources["strategy_config"] = StrategyConfigResource(ft_wallets_file=str(wallets_file), tracked_traders=leaders)
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    cursor = None
    with dg.instance_for_test() as instance:
        while not stop.is_set():
            started = time.monotonic()
            try:
                context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                                  resources={k: resources[k] for k in ("ledger", "venue", "clock")})
                result = new_signals_sensor.evaluate_tick(context)
                cursor = result.cursor
                lane.evaluations += 1
                if result.run_requests:
                    dg.materialize(EXECUTION_ASSETS, resources=resources, instance=instance, run_config=quiet,
                                   raise_on_error=False)
                    lane.runs += 1
            except Exception as error:  # reported in the figures; the engine's work is what is checked
                lane.errors.append(f"{type(error).__name__}: {error}")
            stop.wait(max(0.0, every - (time.monotonic() - started)))


# --- measuring ------------------------------------------------------------------------------------------


def latencies(engine, fills: list[LeaderFill], strategies: set[str], *, to: str = "acked_at") -> tuple[list[float], int]:
    """Leader fill to our order acknowledged (`to`: or decided, `detected_at`), in ms, for each order of
    `strategies` copying a bench leader's fill; and how many signals of theirs the ledger holds (none
    without strategies: that ledger, the sensor path's with `--sensor-strategies 0`, was never made)."""
    if not strategies:
        return [], 0
    by_hash = {h: fill for fill in fills for h in fill.transaction_hashes}
    with engine.connect() as connection:
        rows = connection.execute(
            select(lt_orders.c.strategy_id, lt_orders.c[to].label("at"), lt_orders.c.acked_at, lt_orders.c.status,
                   source_trades.c.transaction_hash)
            .join(source_trades, source_trades.c.source_trade_id == lt_orders.c.source_trade_id)
        ).all()
    mine = [r for r in rows if r.strategy_id in strategies and r.transaction_hash in by_hash]
    found = [(r.at - by_hash[r.transaction_hash].at).total_seconds() * 1000
             for r in mine if r.acked_at is not None and r.status not in ("REJECTED", "UNKNOWN")]
    return found, len(mine)


def summary(values: list[float]) -> dict:
    if not values:
        return {"orders": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    return {"orders": len(values), "p50_ms": round(statistics.median(values)), "p99_ms": round(percentile(values, 0.99)),
            "max_ms": round(max(values))}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lt bench execution --engine", description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=200, help="engine-side signals at least (default 200)")
    parser.add_argument("--strategies", type=int, default=20, help="strategies the engine places for (default 20)")
    parser.add_argument("--sensor-strategies", type=int, default=5,
                        help="strategies on the sensor path, in a ledger of their own (default 5; 0: none)")
    parser.add_argument("--leaders", type=int, default=4, help="leader accounts (default 4)")
    parser.add_argument("--every", type=float, default=1.0, metavar="S", help="seconds between leader fills (default 1)")
    parser.add_argument("--rest-seconds", type=float, default=10.0, help="the engine measured at rest this long (default 10)")
    parser.add_argument("--feeds", action="store_true",
                        help="the engine detects by the real-time feed (polling as its fallback) and reads fills from the user channel")
    parser.add_argument("--small", action="store_true",
                        help="the suite's quick run: 8 signals (2 leader fills, 0.25 s apart) by 2 leaders, 4 strategies, "
                             "1 on the sensor path (evaluated every second), 0.5 s at rest; other flags given still apply")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.small:  # the small sizes as defaults: what is given on the command line still wins
        parser.set_defaults(**SMALL)
        args = parser.parse_args(argv)
    args.sensor_seconds = SMALL_SENSOR_SECONDS if args.small else SENSOR_SECONDS
    args.sweep_seconds = SMALL_SWEEP_SECONDS if args.small else SWEEP_SECONDS
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.strategies < 1 or args.signals < 1 or args.leaders < 1:
        print("lt bench execution --engine: --signals, --strategies and --leaders must be at least 1", file=sys.stderr)
        return 2
    fills_needed = math.ceil(args.signals / args.strategies)
    emulator, url = start_emulator_process(args.seed, faucet="1000000")
    engine_process = None
    stop = threading.Event()
    sensor = SensorLane()
    try:
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
            state = Path(folder)
            ledger_url, sensor_ledger_url = f"sqlite:///{state / 'ledger.db'}", f"sqlite:///{state / 'sensor_ledger.db'}"
            leaders = Leaders(url, args.leaders)
            infos, tokens = open_tokens(url)
            if not tokens:
                print("lt bench execution --engine: the emulator has no open markets with books in the band", file=sys.stderr)
                return 1
            wallets_file, sensor_wallets_file = state / "wallets.yaml", state / "sensor_wallets.yaml"
            wallets_file.write_text(wallet_yaml([f"FT_BENCH_{k:03d}" for k in range(args.strategies)]))
            sensor_wallets_file.write_text(wallet_yaml([f"FT_BENCH_{k:03d}" for k in range(args.sensor_strategies)]))
            engine_strategies = seed(ledger_url, wallets_file, infos, leaders.addresses, USER)
            sensor_strategies = seed(sensor_ledger_url, sensor_wallets_file, infos, leaders.addresses, SENSOR_USER) \
                if args.sensor_strategies else set()
            ledger, sensor_ledger = make_engine(ledger_url), make_engine(sensor_ledger_url)

            engine_process = start_engine(url, ledger_url, state, state / "engine.log", feeds=args.feeds,
                                          sweep_seconds=args.sweep_seconds)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and engine_process.poll() is None:
                with ledger.connect() as connection:
                    if read_cursor(connection, HEARTBEAT_CURSOR):
                        break
                time.sleep(0.2)
            else:
                print(f"lt bench execution --engine: the engine did not start:\n{(state / 'engine.log').read_text()[-2000:]}",
                      file=sys.stderr)
                return 1
            meter = ProcessMeter(engine_process.pid)
            rest_window = meter.begin()
            time.sleep(args.rest_seconds)
            at_rest = meter.end(rest_window)

            settings = with_hosts(replace(load_settings({"LT_STATE_DIR": str(state)}), ledger_url=sensor_ledger_url), url)
            sensor_thread = None
            if sensor_strategies:
                sensor_thread = threading.Thread(target=run_sensor_lane,
                                                 args=(settings, sensor_wallets_file, leaders.addresses, stop, sensor,
                                                       args.sensor_seconds),
                                                 daemon=True)
                sensor_thread.start()
                time.sleep(args.sensor_seconds)  # let its first evaluation (and Dagster's import) pass
                first = time.monotonic() + 120  # (--small: its interval is shorter than that; wait for it)
                while args.small and not (sensor.evaluations or sensor.errors) and sensor_thread.is_alive() \
                        and time.monotonic() < first:
                    time.sleep(0.1)
            print(f"engine up (pid {engine_process.pid}); {len(engine_strategies)} engine strategies, "
                  f"{len(sensor_strategies)} on the sensor path; {fills_needed} leader fills, one every {args.every:g} s",
                  flush=True)

            rng = random.Random(args.seed)
            fills: list[LeaderFill] = []
            load_window = meter.begin()
            peak_rss = 0.0
            attempts = 0
            while len(fills) < fills_needed and attempts < fills_needed * 3:
                attempts += 1
                fill = leaders.buy(attempts, rng.choice(tokens), 5.0)
                if fill is not None:
                    fills.append(fill)
                peak_rss = max(peak_rss, meter.rss_mb())
                time.sleep(args.every)
            expected = len(fills) * len(engine_strategies)
            deadline = time.monotonic() + 30 + (args.sensor_seconds * 3 if sensor_strategies else 0)
            while time.monotonic() < deadline:
                done, _ = latencies(ledger, fills, engine_strategies)
                sensor_done, _ = latencies(sensor_ledger, fills, sensor_strategies)
                if len(done) >= expected and len(sensor_done) >= len(fills) * len(sensor_strategies):
                    break
                peak_rss = max(peak_rss, meter.rss_mb())
                time.sleep(0.5)
            under_load = meter.end(load_window)
            stop.set()
            if sensor_thread is not None:
                sensor_thread.join(timeout=120)
            engine_ms, engine_signals = latencies(ledger, fills, engine_strategies)
            sensor_ms, sensor_signals = latencies(sensor_ledger, fills, sensor_strategies)
            engine_detect_ms, _ = latencies(ledger, fills, engine_strategies, to="detected_at")
            engine_process.send_signal(signal.SIGTERM)
            try:
                engine_process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                engine_process.kill()
            engine_log = (state / "engine.log").read_text()
            ledger.dispose()
            sensor_ledger.dispose()
    finally:
        stop.set()
        if engine_process is not None and engine_process.poll() is None:
            engine_process.kill()
        emulator.terminate()
        emulator.wait(timeout=10)

    engine_figures, sensor_figures = summary(engine_ms), summary(sensor_ms)
    engine_figures["to_decision_p50_ms"] = round(statistics.median(engine_detect_ms)) if engine_detect_ms else None
    print(f"leader fills:             {len(fills)} by {args.leaders} leaders "
          f"({engine_signals} engine signals across {len(engine_strategies)} strategies)")
    print(f"engine:                   {engine_figures['orders']} orders acknowledged of {expected} expected; leader fill to ack "
          f"p50 {engine_figures['p50_ms']} ms, p99 {engine_figures['p99_ms']} ms, max {engine_figures['max_ms']} ms "
          f"(target p50 {TARGET_P50_MS} ms, p99 {TARGET_P99_MS} ms); fill to FT decision p50 {engine_figures['to_decision_p50_ms']} ms")
    if sensor_strategies:
        print(f"sensor path (in-process): {sensor_figures['orders']} orders of {sensor_signals} signals; "
              f"p50 {sensor_figures['p50_ms']} ms, p99 {sensor_figures['p99_ms']} ms, max {sensor_figures['max_ms']} ms "
              f"({sensor.runs} runs; a daemon-launched run adds ~3 s)")
    print(f"engine at rest:           CPU {at_rest.cpu_pct:.1f} % of a core, RSS {at_rest.rss_mb:.0f} MB")
    print(f"engine under load:        CPU {under_load.cpu_pct:.1f} % of a core, RSS {max(peak_rss, under_load.rss_mb):.0f} MB peak")
    met = bool(engine_ms) and engine_figures["p50_ms"] <= TARGET_P50_MS and engine_figures["p99_ms"] <= TARGET_P99_MS
    print(json.dumps({
        "path": "engine", "detection": "feed" if args.feeds else "poll", "leader_fills": len(fills), "strategies": len(engine_strategies), "signals": engine_signals,
        "engine": engine_figures, "sensor": {**sensor_figures, "strategies": len(sensor_strategies), "runs": sensor.runs,
                                             "errors": len(sensor.errors)},
        "engine_cpu_rest_pct": round(at_rest.cpu_pct, 1), "engine_rss_rest_mb": round(at_rest.rss_mb),
        "engine_cpu_load_pct": round(under_load.cpu_pct, 1), "engine_rss_load_mb": round(max(peak_rss, under_load.rss_mb)),
        "target_p50_ms": TARGET_P50_MS, "target_p99_ms": TARGET_P99_MS, "target_met": met, "cores": os.cpu_count(),
    }))
    if not engine_ms:
        print(f"bench engine: the engine placed no order ({engine_signals} signals of its strategies in the ledger); its log:\n"
              f"{engine_log[-2000:]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
