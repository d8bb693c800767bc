"""`lt demo --headless`: the emulator and the pipeline's jobs in one process on a simulated clock,
then a summary. The ledger is LT_LEDGER_URL when set (inspect it afterwards), else a fresh SQLite file
under the state folder."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import dagster as dg

from lt_pipeline.clock import SimulatedClock, register_clock
from lt_pipeline.defs.jobs import EXECUTION_ASSETS, RESOLUTION_ASSETS
from lt_pipeline.defs.resources import ClockResource, build_resources
from lt_pipeline.execution.summary import format_twins, twin_summaries
from lt_pipeline.forward_test.summary import format_summary, ft_summary
from lt_pipeline.ledger import migrate
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.settings import Settings, load_settings
from lt_pipeline.tools.seed_world import TWIN_SETTINGS  # the stack's seeded twins and the demo's: one set

DEMO_START = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
CLOCK_NAME = "lt-demo"
DEMO_FAUCET = Decimal("5000")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class DemoRun:
    settings: Settings
    clock: SimulatedClock
    emulator: object
    resources: dict
    instance: dg.DagsterInstance

    def tick(self, assets) -> None:
        result = dg.materialize(
            assets, resources=self.resources, instance=self.instance, raise_on_error=True, run_config=QUIET
        )
        assert result.success


def start_demo(settings: Settings, seed: int, *, start: datetime = DEMO_START, faults: str | None = None) -> DemoRun:
    from lt_pipeline.emulator.scenario import Scenario
    from lt_pipeline.emulator.serve import start_in_thread
    from lt_pipeline.emulator.venue import Venue

    clock = SimulatedClock(start)
    # The demo user's wallet holds enough for every twin's exposure cap (the faucet funds it on first use).
    venue = Venue(clock, seed=seed, scenario=Scenario.default(history=True), faucet=DEMO_FAUCET)
    emulator = start_in_thread(venue, clock=clock, faults=faults, key_seed=seed)
    settings = replace(
        settings,
        clob_host=emulator.url,
        data_api_host=f"{emulator.url}/data-api",
        gamma_host=f"{emulator.url}/gamma",
    )
    migrate.upgrade(make_engine(settings.ledger_url))
    register_clock(CLOCK_NAME, clock)
    resources = build_resources(settings)
    resources["clock"] = ClockResource(simulated=CLOCK_NAME)
    return DemoRun(settings, clock, emulator, resources, dg.DagsterInstance.ephemeral())


TWINS = 4


def launch_twins(demo: DemoRun, count: int = TWINS, out=sys.stdout) -> list[str]:
    """Live twins for the FT wallets that have traded most so far (the seed's names when none has)."""
    from sqlalchemy import func, select

    from lt_pipeline.execution.strategies import create_strategy, ensure_user, launch
    from lt_pipeline.ledger.schema import ft_orders

    engine = make_engine(demo.settings.ledger_url)
    now = demo.clock.now()
    with engine.connect() as connection:
        busiest = [
            row.wallet_id
            for row in connection.execute(
                select(ft_orders.c.wallet_id, func.count().label("n"))
                .group_by(ft_orders.c.wallet_id)
                .order_by(func.count().desc(), ft_orders.c.wallet_id)
                .limit(count)
            )
        ]
    wallets = busiest or ["FT_HIGH_CONVICTION", "FT_MODEL_BALANCED", "FT_SHARP_SHOOTER"][:count]
    ensure_user(engine, demo.settings.default_user, "Demo user", now=now)
    strategy_ids = []
    for wallet_id in wallets:
        strategy = create_strategy(engine, demo.settings.default_user, wallet_id, TWIN_SETTINGS, now)
        strategy_id = getattr(strategy, "strategy_id", strategy)
        launch(engine, strategy_id, now)
        strategy_ids.append(strategy_id)
    print(f"  launched live twins: {', '.join(strategy_ids)}", file=out, flush=True)
    return strategy_ids


def run_demo(
    settings: Settings, *, minutes: int, seed: int, tick_minutes: int = 2, resolve_every: int = 10, faults=None,
    twins: int = TWINS, twins_after_minutes: int = 4, out=sys.stdout,
) -> DemoRun:
    demo = start_demo(settings, seed, faults=faults)
    elapsed = 0
    launched = twins == 0
    while elapsed < minutes:
        step = min(tick_minutes, minutes - elapsed)
        demo.clock.advance(timedelta(minutes=step))
        elapsed += step
        demo.tick(EXECUTION_ASSETS)
        if not launched and elapsed >= twins_after_minutes:
            launch_twins(demo, twins, out)
            launched = True
        if elapsed % resolve_every == 0 or elapsed >= minutes:
            demo.tick(RESOLUTION_ASSETS)
        print(f"  t+{elapsed:>4} min  {demo.clock.now():%Y-%m-%d %H:%M} UTC", file=out, flush=True)
    return demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lt demo", description=__doc__)
    parser.add_argument("--headless", action="store_true", help="run without the UI (required: the UI demo is `make run`)")
    parser.add_argument("--minutes", type=int, default=30, help="simulated minutes to run (default 30)")
    parser.add_argument("--seed", type=int, default=7, help="emulator seed (default 7)")
    parser.add_argument("--faults", default=None, metavar="PROFILE", help="emulator fault profile")
    args = parser.parse_args(argv)
    if not args.headless:
        print("lt demo: only --headless is supported here; `make run` shows the pipeline in the Dagster UI", file=sys.stderr)
        return 2
    if args.minutes < 1:
        print(f"lt demo: --minutes: expected at least 1, got {args.minutes}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    if "LT_LEDGER_URL" not in __import__("os").environ:
        path = settings.state_dir / f"demo-ledger-seed{args.seed}.db"
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        settings = replace(settings, ledger_url=f"sqlite:///{path}")
    print(f"demo: seed {args.seed}, {args.minutes} simulated minutes, ledger {replace(settings).ledger_url_redacted}", flush=True)
    demo = run_demo(settings, minutes=args.minutes, seed=args.seed, faults=args.faults)
    engine = make_engine(demo.settings.ledger_url)
    print()
    print(format_summary(ft_summary(engine)))
    print()
    print(format_twins(twin_summaries(engine)))
    demo.emulator.stop()
    return 0
