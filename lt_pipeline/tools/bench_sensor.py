"""`lt bench execution --sensor-path`: the embedded stack (emulator on real time, Dagster webserver and
daemon) with live twins launched, measuring signal-to-submit through the new-signals sensor: from a
tracked trader's fill at the venue to our order submitted.

Prints readable lines and, last, one JSON object. Target: p50 at most 10 s (a 2-minute schedule alone
averages about 60 s).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from lt_pipeline.clock import system_clock
from lt_pipeline.execution.strategies import create_strategy, ensure_user, launch
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.ledger.schema import ft_wallets, lt_orders, source_trades

BENCH_WALLETS = """\
wallets:
  - wallet_id: FT_BENCH_ALL
    display_name: Bench, every buy in the band
    starting_balance: 100000
    filters: {price_min: 0.05, price_max: 0.95}
    sizing: {method: fixed_usd, bet_size_usd: 5, min_bet_usd: 1}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main(minutes: float) -> int:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        state = Path(folder)
        wallets = state / "wallets.yaml"
        wallets.write_text(BENCH_WALLETS)
        emulator_port, web_port = _free_port(), _free_port()
        env = dict(os.environ)
        env.update(
            LT_STATE_DIR=str(state),
            LT_EMULATOR_PORT=str(emulator_port),
            LT_FT_WALLETS_FILE=str(wallets),
            NO_PROXY="127.0.0.1,localhost",
        )
        env.pop("LT_LEDGER_URL", None)
        log = (state / "stack.log").open("w")
        stack = subprocess.Popen(
            [sys.executable, "-m", "lt_pipeline.tools.cli", "run", "--port", str(web_port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            if not _wait(f"http://127.0.0.1:{web_port}/server_info", 240):
                tail = (state / "stack.log").read_text()[-2000:]
                print(f"lt bench execution: the embedded stack did not start:\n{tail}", file=sys.stderr)
                return 1
            engine = make_engine(f"sqlite:///{state / 'ledger.db'}")
            deadline = time.monotonic() + 200
            while time.monotonic() < deadline:  # the first run syncs the wallet file into the ledger
                with engine.connect() as connection:
                    if connection.execute(select(ft_wallets.c.wallet_id)).first():
                        break
                time.sleep(1)
            now = system_clock.now()
            ensure_user(engine, "demo", "Bench user", now=now)
            strategy_id = create_strategy(
                engine, "demo", "FT_BENCH_ALL",
                {"starting_capital": "100000", "max_order_size_usd": "50", "max_position_size_usd": "5000",
                 "max_total_exposure_usd": "90000", "slippage_tolerance_pct": "10"},
                now,
            )
            launch(engine, strategy_id, system_clock.now())
            print(f"stack up; {strategy_id} launched; measuring for {minutes:g} minutes", flush=True)
            time.sleep(minutes * 60)
            with engine.connect() as connection:
                rows = connection.execute(
                    select(source_trades.c.traded_at, lt_orders.c.detected_at, lt_orders.c.submitted_at)
                    .select_from(lt_orders.join(source_trades, source_trades.c.source_trade_id == lt_orders.c.source_trade_id))
                    .where(lt_orders.c.submitted_at.is_not(None))
                ).all()
        finally:
            os.killpg(stack.pid, signal.SIGTERM)
            try:
                stack.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(stack.pid, signal.SIGKILL)
    # The venue stamps trades in whole seconds: add half a second to the fill time on average.
    latencies = [(r.submitted_at - r.traded_at).total_seconds() - 0.5 for r in rows]
    detect = [(r.detected_at - r.traded_at).total_seconds() - 0.5 for r in rows]
    if not latencies:
        print("no orders were submitted through the sensor path", file=sys.stderr)
        print(json.dumps({"orders": 0}))
        return 1
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(f"orders submitted:         {len(latencies)}")
    print(f"signal to detection:      p50 {statistics.median(detect):.1f} s")
    print(f"signal to submit:         p50 {p50:.1f} s, p99 {p99:.1f} s, max {max(latencies):.1f} s (target p50 10 s)")
    print(json.dumps({
        "path": "sensor", "orders": len(latencies), "signal_to_submit_p50_s": round(p50, 2),
        "signal_to_submit_p99_s": round(p99, 2), "signal_to_submit_max_s": round(max(latencies), 2),
        "target_p50_s": 10, "minutes": minutes,
    }))
    return 0 if p50 <= 10 else 1
