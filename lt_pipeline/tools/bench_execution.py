"""`lt bench execution`: one executor tick placing 500 orders across 100 strategies against the
emulator (its own process, real clock), from signals visible to every order acknowledged.

Prints readable lines and, last, one JSON object (with `target_met`). Target: at most 2 s on 2 cores.
Exit status 1, with one line on stderr naming what is missing, unless every requested order
(--strategies x --per-strategy) was acknowledged by the venue (accepted, in the ledger and in the
venue's own count). The exit status says whether the work was done, never how fast: time is a figure
to read, not a pass/fail (a loaded machine must not fail a run that did its work).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

from lt_pipeline.clock import system_clock
from lt_pipeline.execution.executor import BookSource, run_executor
from lt_pipeline.execution.quality_record import ConditionsSource, gamma_volumes
from lt_pipeline.model.orders import OrderState
from lt_pipeline.ingest.markets import store_markets
from lt_pipeline.ledger import migrate, schema
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.strategy.config import FtWalletConfig, config_hash
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline.venues.polymarket.trading import ClobTrader

BENCH_KEY = "0x" + "5a" * 32  # a throwaway key for the local emulator only


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator_process(seed: int, faucet: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lt_pipeline.tools.cli", "emulator", "serve", "--port", str(port), "--seed", str(seed), "--faucet", faucet],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("lt bench execution: the emulator did not start")


def seed_ledger(engine, url: str, strategies: int, per_strategy: int) -> int:
    """Markets from the emulator, one user, `strategies` FT wallets and launched twins, and
    `per_strategy` fresh signals each, priced at the current best ask."""
    now = system_clock.now()
    gamma = GammaClient(f"{url}/gamma")
    reader = ClobReader(url)
    markets = httpx.get(f"{url}/gamma/markets", params={"closed": "false", "limit": 500}, timeout=10).json()
    infos = gamma.markets([m["conditionId"] for m in markets])
    tokens = []
    for info in infos:
        if info.closed or not info.accepting_orders:
            continue
        for token in info.tokens:
            book = reader.book(token.token_id)
            if book is not None and book.best_ask is not None and Decimal("0.05") < book.best_ask < Decimal("0.95"):
                tokens.append((info.condition_id, token.token_id, book.best_ask))
    if not tokens:
        raise SystemExit("lt bench execution: the emulator has no open markets with books")
    wallet = FtWalletConfig.model_validate(
        {"wallet_id": "FT_BENCH", "display_name": "bench", "starting_balance": 100000, "sizing": {"method": "fixed_usd", "bet_size_usd": 5}}
    )
    signals = 0
    with engine.begin() as connection:
        store_markets(connection, infos, now)
        connection.execute(insert(schema.users).values(user_id="bench", display_name="Bench", created_at=now))
        for s in range(strategies):
            wallet_id = f"FT_BENCH_{s:03d}"
            connection.execute(
                insert(schema.ft_wallets).values(
                    wallet_id=wallet_id, display_name=wallet_id, starting_balance=Decimal(100000),
                    config_json=wallet.model_dump_json(), config_hash=config_hash(wallet), config_version=1,
                    created_at=now, updated_at=now,
                )
            )
            connection.execute(
                insert(schema.lt_strategies).values(
                    strategy_id=f"LT_{wallet_id}", user_id="bench", ft_wallet_id=wallet_id, display_name=f"{wallet_id} (Live)",
                    starting_capital=Decimal(10000), slippage_tolerance_pct=Decimal(5), order_type="GTC",
                    min_order_size_usd=Decimal(1), max_order_size_usd=Decimal(50), max_position_size_usd=Decimal(1000),
                    max_total_exposure_usd=Decimal(5000), order_ttl_seconds=300, launched_at=now, created_at=now, updated_at=now,
                )
            )
            for k in range(per_strategy):
                condition_id, token_id, price = tokens[(s * per_strategy + k) % len(tokens)]
                trade_id = f"bench{s:03d}{k:03d}"
                connection.execute(
                    insert(schema.source_trades).values(
                        source_trade_id=trade_id, trader_address="0x" + "b" * 40, condition_id=condition_id, token_id=token_id,
                        side="BUY", price=price, size=Decimal(100), notional_usd=price * 100, traded_at=now, ingested_at=now,
                    )
                )
                connection.execute(
                    insert(schema.ft_orders).values(
                        order_id=f"{s:04d}-{k:04d}-bench", wallet_id=wallet_id, source_trade_id=trade_id,
                        trader_address="0x" + "b" * 40, condition_id=condition_id, token_id=token_id, side="BUY",
                        entry_price=price, size=Decimal(6), shares=(Decimal(6) / price).quantize(Decimal("0.01")),
                        sizing_method="fixed_usd", config_version=1, source_traded_at=now, order_time=now,
                    )
                )
                signals += 1
    return signals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lt bench execution", description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", type=int, default=100, help="live strategies, one FT wallet each (default 100)")
    parser.add_argument("--per-strategy", type=int, default=5, help="signals, hence orders, per strategy (default 5)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--faucet", default="1000000", metavar="USD", help="collateral in the bench's venue wallet (default 1000000)")
    parser.add_argument("--ledger-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--sensor-path", action="store_true", help="measure signal-to-submit through the sensor and the Dagster daemon instead"
    )
    parser.add_argument("--minutes", type=float, default=3, help="with --sensor-path: how long to measure (default 3)")
    parser.add_argument(
        "--engine", action="store_true",
        help="leader fill to our order acknowledged through `lt engine`, beside the sensor path, in real time "
             "(its own options: lt bench execution --engine --help)",
    )
    given = sys.argv[1:] if argv is None else list(argv)
    if "--engine" in given:  # the engine's bench parses the rest itself
        from lt_pipeline.tools.bench_engine import main as engine_main

        return engine_main([a for a in given if a != "--engine"])
    args = parser.parse_args(argv)
    if args.sensor_path:
        from lt_pipeline.tools.bench_sensor import main as sensor_main

        return sensor_main(args.minutes)
    if args.strategies < 1 or args.per_strategy < 1:
        print("lt bench execution: --strategies and --per-strategy must be at least 1", file=sys.stderr)
        return 2
    requested = args.strategies * args.per_strategy

    process, url = start_emulator_process(args.seed, faucet=args.faucet)
    try:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(args.ledger_url or f"sqlite:///{Path(folder) / 'bench.db'}")
            migrate.upgrade(engine)
            signals = seed_ledger(engine, url, args.strategies, args.per_strategy)
            trader = ClobTrader(url, 137, BENCH_KEY)
            reader = ClobReader(url)
            # as the lt_orders asset: books, and each token's volume and volatility, read once per token
            conditions = ConditionsSource(reader.price_history, gamma_volumes(GammaClient(f"{url}/gamma", max_retries=1)))
            started = time.perf_counter()
            report = run_executor(engine, system_clock, BookSource(reader.book, conditions=conditions), lambda user: trader)
            seconds = time.perf_counter() - started
            with engine.connect() as connection:
                # Acknowledged: the venue answered and took the order (a refusal is answered too, but placed nothing).
                acknowledged = connection.execute(
                    select(func.count()).select_from(schema.lt_orders).where(
                        schema.lt_orders.c.acked_at.is_not(None),
                        schema.lt_orders.c.status.not_in([OrderState.REJECTED.value, OrderState.UNKNOWN.value]),
                    )
                ).scalar()
            engine.dispose()
        venue_placed = httpx.get(f"{url}/admin/counters", timeout=10).json()["venue"].get("orders_placed", 0)
    finally:
        process.terminate()
        process.wait(timeout=10)

    skipped = sum(report.skipped.values())
    print(f"signals visible:        {signals} across {args.strategies} strategies")
    print(f"orders acknowledged:    {acknowledged} (accepted {report.accepted}, rejected {report.rejected}, unknown {report.unknown})")
    print(f"orders at the venue:    {venue_placed}")
    print(f"skipped locally:        {skipped} {report.skipped or ''}")
    print(f"tick, visible to acked: {seconds:.3f} s (of which submitting {report.submit_seconds:.3f} s); target 2 s")
    print(
        json.dumps(
            {
                "requested": requested,
                "signals": signals,
                "strategies": args.strategies,
                "submitted": report.submitted,
                "acknowledged": acknowledged,
                "venue_orders_placed": venue_placed,
                "accepted": report.accepted,
                "rejected": report.rejected,
                "unknown": report.unknown,
                "skipped": skipped,
                "seconds": round(seconds, 3),
                "submit_seconds": round(report.submit_seconds, 3),
                "target_seconds": 2,
                "target_met": seconds <= 2,
                "cores": os.cpu_count(),
            }
        )
    )
    missing = _missing_work(requested, signals, acknowledged, venue_placed, report)
    if missing:
        print(f"bench execution: {missing}", file=sys.stderr)
        return 1
    return 0


def _missing_work(requested: int, signals: int, acknowledged: int, venue_placed: int, report) -> str | None:
    """What the tick left undone, as one line; None when every requested order was acknowledged."""
    if signals != requested:
        return f"{signals} of {requested} signals seeded; expected all {requested}"
    if acknowledged == requested and venue_placed == requested:
        return None
    why = [f"{name} {count}" for name, count in sorted(report.skipped.items())]
    if report.rejected:
        why.append(f"rejected by the venue {report.rejected}")
    if report.unknown:
        why.append(f"outcome unknown {report.unknown}")
    if report.signals < requested:
        why.append(f"signals the executor saw {report.signals}")
    why += [f"failed {name}: {reason}" for name, reason in sorted(report.failed.items())]
    detail = f" ({'; '.join(why)})" if why else ""
    return (
        f"{acknowledged} of {requested} orders acknowledged, {venue_placed} placed at the venue; "
        f"expected all {requested}{detail}"
    )
