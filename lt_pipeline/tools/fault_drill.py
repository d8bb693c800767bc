"""`lt drill faults`: the live pipeline under each of the emulator's fault profiles, audited against the
venue's own records.

For every profile a short session runs on a simulated clock against an in-thread emulator: each tick
runs the execution job's assets, the paper side fault-free and the live side (orders placed, fills
refreshed, reconciliation) under the profile; then a last fills refresh and reconciliation runs with
the faults off. The ledger is then audited against
the emulator's records (docs/architecture.md, invariants 1 and 2): venue orders with no intent behind them (a
signal placed twice), venue fills missing from the ledger, filled sizes and states that differ, orders
still in flight. Prints one row per profile, then one JSON line.

With `--engine`, the same world and audit with the live engine placing the orders instead of the job
(`fault_drill_engine.py`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, select

from lt_pipeline.ledger.schema import fills, lt_orders, orders
from lt_pipeline.model.orders import OrderState

log = logging.getLogger(__name__)

DRILL_PROFILES = ("flaky", "lossy", "throttled", "slow", "chaos")
DRILL_START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(minutes=2)
# Each user has its own wallet and trading connection, so each tick posts one batch of orders per user.
DRILL_USERS = ("drill_a", "drill_b", "drill_c", "drill_d")
IN_FLIGHT = (OrderState.UNKNOWN.value, OrderState.INTENT_STORED.value, OrderState.SUBMITTED.value)

# One paper wallet loose enough to copy most of the emulator's trades, and its live twin's limits.
DRILL_WALLET = {
    "wallet_id": "FT_DRILL",
    "display_name": "Fault drill",
    "starting_balance": 1000,
    "filters": {"price_min": 0.05, "price_max": 0.95},
    "sizing": {"method": "fixed_usd", "bet_size_usd": 10, "min_bet_usd": 1},
}
DRILL_LIMITS = {
    "starting_capital": "1000",
    "slippage_tolerance_pct": "3",
    "order_type": "GTC",
    "min_order_size_usd": "1",
    "max_order_size_usd": "25",
    "max_position_size_usd": "100",
    "max_total_exposure_usd": "800",
    "order_ttl_seconds": 300,
}


# --- the audit: the ledger against the venue's own records -----------------------------------------------


class VenueRecords(Protocol):
    """What the audit reads of the emulator's venue (in process, not over the wire)."""

    def get_order(self, order_id: str) -> Any: ...

    def trades(self, address: str) -> list[Any]: ...

    def counters(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class VenueAudit:
    """The ledger compared with the venue. Everything below `intents_at_venue` must be zero."""

    signals: int  # LT orders: signals claimed, placed or skipped
    intents: int  # LT orders with a signed order (a hash)
    venue_orders: int  # orders the venue took (its own counter)
    intents_at_venue: int  # intents whose hash the venue holds
    venue_fills: int  # fills of ours at the venue that count (not FAILED)
    duplicate_orders: int  # venue orders no intent accounts for, plus hashes shared by LT orders
    lost_fills: int  # venue fills missing from `fills`, or recorded with another size or as FAILED
    phantom_fills: int  # counting fills in the ledger that the venue does not have
    size_mismatches: int  # orders whose executed shares differ from the venue's matched size
    state_mismatches: int  # orders whose LT state contradicts the venue's record
    unrecorded_orders: int  # venue orders of ours without an `orders` row
    never_arrived_at_venue: int  # LT orders given up as never arrived whose hash the venue holds
    in_flight: int  # LT orders still UNKNOWN, INTENT_STORED or SUBMITTED

    @property
    def problems(self) -> dict[str, int]:
        names = ("duplicate_orders", "lost_fills", "phantom_fills", "size_mismatches", "state_mismatches",
                 "unrecorded_orders", "never_arrived_at_venue", "in_flight")
        return {name: getattr(self, name) for name in names if getattr(self, name)}

    @property
    def clean(self) -> bool:
        return not self.problems


def audit_ledger(engine: Engine, venue: VenueRecords, funders: Iterable[str]) -> VenueAudit:
    """Compare the ledger with the venue's records of the orders and trades of our `funders`.

    Duplicates are counted from the venue's `orders_placed` counter, so our funders must be the only
    accounts placing orders on this venue (simulated traders trade without placing orders). A signal
    placed twice would be a second signed order with a hash of its own that no LT order holds.
    """
    with engine.connect() as connection:
        rows = connection.execute(
            select(lt_orders.c.lt_order_id, lt_orders.c.order_id, lt_orders.c.status, lt_orders.c.executed_shares)
        ).all()
        recorded = set(connection.execute(select(orders.c.order_id)).scalars())
        ledger_fills = {
            row.fill_id: row.size
            for row in connection.execute(select(fills.c.fill_id, fills.c.size).where(fills.c.status != "FAILED"))
        }
    intents = [row for row in rows if row.order_id]
    shared = sum(n - 1 for n in Counter(row.order_id for row in intents).values() if n > 1)
    records = {row.order_id: venue.get_order(row.order_id) for row in intents}
    at_venue = {order_id: record for order_id, record in records.items() if record is not None}
    venue_orders = int(venue.counters().get("orders_placed", 0))
    ours = {fill_id: size for funder in set(f.lower() for f in funders) for fill_id, size in venue_fills(venue, funder).items()}
    return VenueAudit(
        signals=len(rows),
        intents=len(intents),
        venue_orders=venue_orders,
        intents_at_venue=len(at_venue),
        venue_fills=len(ours),
        duplicate_orders=max(0, venue_orders - len(at_venue)) + shared,
        lost_fills=sum(1 for fill_id, size in ours.items() if ledger_fills.get(fill_id) != size),
        phantom_fills=sum(1 for fill_id in ledger_fills if fill_id not in ours),
        size_mismatches=sum(
            1 for row in intents
            if row.order_id in at_venue and (row.executed_shares or Decimal(0)) != at_venue[row.order_id].size_matched
        ),
        state_mismatches=sum(
            1 for row in intents
            if row.order_id in at_venue and row.status != OrderState.NEVER_ARRIVED.value
            and row.status != venue_state_name(at_venue[row.order_id])
        ),
        unrecorded_orders=sum(1 for order_id in at_venue if order_id not in recorded),
        never_arrived_at_venue=sum(
            1 for row in intents if row.status == OrderState.NEVER_ARRIVED.value and row.order_id in at_venue
        ),
        in_flight=sum(1 for row in rows if row.status in IN_FLIGHT),
    )


def venue_fills(venue: VenueRecords, funder: str) -> dict[str, Decimal]:
    """fill_id (trade id:our order id) -> our shares, for every trade of ours at the venue that counts."""
    funder = funder.lower()
    ours: dict[str, Decimal] = {}
    for trade in venue.trades(funder):
        if trade.status == "FAILED":
            continue
        if trade.taker_address.lower() == funder:
            ours[f"{trade.id}:{trade.taker_order_id}"] = trade.size
        for leg in trade.maker_orders:
            if leg.maker_address.lower() == funder:
                ours[f"{trade.id}:{leg.order_id}"] = leg.matched_amount
    return ours


def venue_state_name(record: Any) -> str:
    """The LT order state the venue's record of an order proves (OrderState name)."""
    full = record.size_matched >= record.original_size
    status = str(record.status).upper()
    if status == "INVALID":
        return OrderState.REJECTED.value
    if status == "LIVE":
        return OrderState.PARTIALLY_FILLED.value if record.size_matched else OrderState.LIVE.value
    # MATCHED with shares missing is a FAK's killed rest; CANCELED keeps what filled before.
    return OrderState.FILLED.value if full else OrderState.CANCELLED.value


# --- one profile's session ----------------------------------------------------------------------------------


@dataclass
class ProfileFigures:
    profile: str
    signals: int = 0  # claimed by the executor (placed or skipped)
    placed: int = 0  # intents stored and submitted
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    reconciled: int = 0  # in-flight orders found at the venue by their hash
    never_arrived: int = 0
    still_unknown: int = 0  # times reconciliation could not ask the venue about an order
    strategies_failed: int = 0  # (strategy, tick) pairs whose signals waited: its user's trader could not be built
    failed_runs: int = 0  # execution runs that did not complete (a step failed under the faults)
    audit: VenueAudit | None = None
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add_orders(self, metadata: dict[str, Any]) -> None:
        self.signals += int(metadata.get("claimed", 0))
        self.placed += int(metadata.get("submitted", 0))
        self.accepted += int(metadata.get("accepted", 0))
        self.rejected += int(metadata.get("rejected", 0))
        self.unknown += int(metadata.get("unknown", 0))
        self.strategies_failed += int(metadata.get("failed", 0))  # strategies whose trader could not be built

    def add_reconciliation(self, reconciled: int, never_arrived: int, still_unknown: int) -> None:
        self.reconciled += reconciled
        self.never_arrived += never_arrived
        self.still_unknown += still_unknown


@dataclass
class DrillSession:
    """One profile's world: an in-thread emulator on a simulated clock, a fresh SQLite ledger, the paper
    side read once without faults, and one launched twin of the drill wallet per drill user. `run`
    materializes assets as the execution job does (its failures are returned, not raised)."""

    profile: str
    seed: int
    clock: Any
    emulator: Any
    settings: Any
    engine: Engine
    run: Any

    def set_faults(self, tick: int) -> None:
        """The profile on, with the seed the drill uses for this tick."""
        self.emulator.faults.set_profile(self.profile, seed=self.seed * 1000 + tick)

    def fault_counts(self) -> dict[str, int]:
        import httpx

        counters = httpx.get(f"{self.emulator.url}/admin/counters", timeout=10).json()["faults"]
        return {k: v for k, v in counters.items() if k != "profile"}

    def settle_and_audit(self, figures: ProfileFigures) -> VenueAudit:
        """With the faults off, a minute later: the venue sync (what is still in flight is found or given
        up, every fill read), then the audit against the venue."""
        from lt_pipeline.execution.credentials import TraderPool
        from lt_pipeline.execution.venue_sync import sync_venue

        self.emulator.faults.clear()
        self.clock.advance(timedelta(minutes=1))
        pool = TraderPool(replace(self.settings, deployment="embedded"), engine=self.engine)
        final = sync_venue(self.engine, pool.trader, self.clock)
        figures.add_reconciliation(final.reconciled, final.never_arrived, final.still_unknown)
        figures.audit = audit_ledger(self.engine, self.emulator.venue, [pool.trader(user).funder for user in DRILL_USERS])
        return figures.audit


@contextmanager
def drill_session(profile: str, *, seed: int, workdir: Path) -> Iterator[DrillSession]:
    """Set up one profile's world (see `DrillSession`); stopped and disposed on exit."""
    import dagster as dg
    import yaml

    from lt_pipeline.clock import SimulatedClock, register_clock
    from lt_pipeline.defs.jobs import FT_EXECUTION_ASSETS
    from lt_pipeline.defs.resources import (
        ClockResource,
        StrategyConfigResource,
        build_resources,
    )
    from lt_pipeline.emulator.serve import start_in_thread
    from lt_pipeline.emulator.venue import Venue
    from lt_pipeline.execution.strategies import create_strategy, ensure_user, launch
    from lt_pipeline.ledger import migrate
    from lt_pipeline.ledger.engine import make_engine
    from lt_pipeline.settings import load_settings

    clock = SimulatedClock(DRILL_START)
    emulator = start_in_thread(Venue(clock, seed=seed, faucet=Decimal(5000)), clock=clock, key_seed=seed)
    engine = None
    instance = None
    try:
        wallets_file = workdir / "wallets.yaml"
        wallets_file.write_text(yaml.safe_dump({"wallets": [DRILL_WALLET]}))
        settings = replace(
            load_settings({"LT_STATE_DIR": str(workdir)}),
            ledger_url=f"sqlite:///{workdir / 'ledger.db'}",
            clob_host=emulator.url,
            data_api_host=f"{emulator.url}/data-api",
            gamma_host=f"{emulator.url}/gamma",
        )
        engine = make_engine(settings.ledger_url)
        migrate.upgrade(engine)
        clock_name = f"lt-fault-drill-{profile}-{seed}"
        register_clock(clock_name, clock)
        resources = build_resources(settings)
        resources["clock"] = ClockResource(simulated=clock_name)
        resources["strategy_config"] = StrategyConfigResource(ft_wallets_file=str(wallets_file), tracked_traders=[])
        instance = dg.DagsterInstance.ephemeral()
        quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

        def run(assets) -> dg.ExecuteInJobResult:
            return dg.materialize(assets, resources=resources, instance=instance, run_config=quiet, raise_on_error=False)

        clock.advance(TICK)
        if not run(FT_EXECUTION_ASSETS).success:
            raise RuntimeError("the paper side did not start without faults; nothing to drill")
        for user in DRILL_USERS:
            ensure_user(engine, user, f"Fault drill {user}", now=clock.now())
            launch(engine, create_strategy(engine, user, DRILL_WALLET["wallet_id"], DRILL_LIMITS, clock.now()), clock.now())
        yield DrillSession(profile, seed, clock, emulator, settings, engine, run)
    finally:
        emulator.stop(wait=False)
        if engine is not None:
            engine.dispose()
        if instance is not None:  # its in-memory SQLite storage, closed here rather than by the GC elsewhere
            instance.dispose()


def drill_profile(profile: str, *, ticks: int, seed: int, workdir: Path) -> ProfileFigures:
    """One session: launched twins of a loose paper wallet (one per drill user), `ticks` execution runs under `profile`,
    then a fault-free fills refresh and reconciliation, and the audit."""
    from lt_pipeline.defs.jobs import FT_EXECUTION_ASSETS, LIVE_EXECUTION_ASSETS

    started = time.perf_counter()
    figures = ProfileFigures(profile)
    with drill_session(profile, seed=seed, workdir=workdir) as session:
        for tick in range(ticks):
            session.clock.advance(TICK)
            # The paper side reads the venue fault-free: the drill is about placing, filling and
            # reconciling live orders, and a slow or throttled ingest only costs wall time.
            paper = session.run(FT_EXECUTION_ASSETS)
            session.set_faults(tick)
            result = session.run(LIVE_EXECUTION_ASSETS)
            session.emulator.faults.clear()
            figures.failed_runs += (0 if paper.success else 1) + (0 if result.success else 1)
            orders_meta = _metadata(result, "lt_orders")
            fills_meta = _metadata(result, "lt_fills")
            if orders_meta:
                figures.add_orders(orders_meta)
            if fills_meta:
                figures.add_reconciliation(
                    int(fills_meta["reconciled"]), int(fills_meta["never_arrived"]), int(fills_meta["still_unknown"])
                )
        figures.faults = session.fault_counts()
        # Settle with the faults off: what is still in flight is found or given up, and every fill read.
        session.settle_and_audit(figures)
    figures.seconds = round(time.perf_counter() - started, 2)
    return figures


def _metadata(result, asset: str) -> dict[str, Any]:
    try:
        events = result.asset_materializations_for_node(asset)
    except Exception:  # the step never ran in a failed run
        return {}
    if not events:
        return {}
    return {key: value.value for key, value in events[-1].metadata.items()}


# --- printing ---------------------------------------------------------------------------------------------

COLUMNS = (
    ("profile", 10), ("signals", 8), ("placed", 7), ("accepted", 9), ("rejected", 9), ("unknown", 8),
    ("reconciled", 11), ("never_arr", 10), ("dup_orders", 11), ("lost_fills", 11), ("size_mism", 10),
    ("in_flight", 10), ("strat_failed", 13), ("failed_runs", 12),
)


def row_of(figures: ProfileFigures) -> dict[str, Any]:
    audit = figures.audit
    return {
        "profile": figures.profile,
        "signals": figures.signals,
        "placed": figures.placed,
        "accepted": figures.accepted,
        "rejected": figures.rejected,
        "unknown": figures.unknown,
        "reconciled": figures.reconciled,
        "never_arr": figures.never_arrived,
        "dup_orders": audit.duplicate_orders if audit else None,
        "lost_fills": audit.lost_fills if audit else None,
        "size_mism": audit.size_mismatches if audit else None,
        "in_flight": audit.in_flight if audit else None,
        "strat_failed": figures.strategies_failed,
        "failed_runs": figures.failed_runs,
    }


def format_table(results: Iterable[ProfileFigures]) -> str:
    results = list(results)
    lines = ["".join(f"{name:>{width}}" for name, width in COLUMNS)]
    for figures in results:
        row = row_of(figures)
        lines.append("".join(f"{'-' if row[name] is None else row[name]!s:>{width}}" for name, width in COLUMNS))
    lines.append("")
    lines.append("emulator fault counters (admin /admin/counters):")
    for figures in results:
        counted = ", ".join(f"{k} {v}" for k, v in sorted(figures.faults.items())) or "none"
        lines.append(f"  {figures.profile:<10} {counted}")
    lines.append("")
    lines.append("audit after the fault-free settle pass (venue orders / intents at venue / venue fills; problems):")
    for figures in results:
        audit = figures.audit
        problems = ", ".join(f"{k} {v}" for k, v in audit.problems.items()) or "none"
        lines.append(
            f"  {figures.profile:<10} {audit.venue_orders} / {audit.intents_at_venue} / {audit.venue_fills}; "
            f"problems: {problems}; {figures.seconds} s"
        )
    return "\n".join(lines)


def as_json(results: Iterable[ProfileFigures], *, ticks: int, seed: int) -> str:
    profiles = {}
    for figures in results:
        entry = {k: v for k, v in row_of(figures).items() if k != "profile"}
        entry.update(still_unknown=figures.still_unknown, faults=figures.faults, seconds=figures.seconds,
                     audit=asdict(figures.audit) if figures.audit else None)
        profiles[figures.profile] = entry
    clean = all(f.audit is not None and f.audit.clean for f in results)
    return json.dumps({"ticks": ticks, "seed": seed, "clean": clean, "profiles": profiles}, sort_keys=True)


def checked_profiles(prog: str, profiles_text: str, ticks: int) -> list[str] | None:
    """The fault profiles named by --profiles, or None after one line on stderr naming what was wrong
    (an unknown or empty profile list, fewer than one tick)."""
    from lt_pipeline.emulator.faults import PROFILES

    profiles = [name.strip() for name in profiles_text.split(",") if name.strip()]
    if not profiles or any(name not in PROFILES for name in profiles):
        print(f"{prog}: --profiles: expected some of {', '.join(PROFILES)}, got {profiles_text!r}", file=sys.stderr)
        return None
    if ticks < 1:
        print(f"{prog}: --ticks: expected at least 1, got {ticks}", file=sys.stderr)
        return None
    return profiles


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--engine" in argv:  # the live engine instead of the execution job (fault_drill_engine.py)
        from lt_pipeline.tools import fault_drill_engine

        return fault_drill_engine.main(argv)
    parser = argparse.ArgumentParser(prog="lt drill faults", description=__doc__,
                                     epilog="--engine: drill the live engine (`lt engine`) instead; "
                                            "see `lt drill faults --engine --help`")
    parser.add_argument("--ticks", type=int, default=4, help="execution runs per profile, 2 simulated minutes apart (default 4)")
    parser.add_argument("--seed", type=int, default=7, help="emulator and fault seed (default 7)")
    parser.add_argument("--profiles", default=",".join(DRILL_PROFILES),
                        help=f"comma-separated fault profiles (default {','.join(DRILL_PROFILES)})")
    args = parser.parse_args(argv)
    profiles = checked_profiles("lt drill faults", args.profiles, args.ticks)
    if profiles is None:
        return 2
    # The client library logs every refused request at ERROR; under a fault drill that is the point.
    logging.basicConfig(level=logging.CRITICAL)
    results = []
    for profile in profiles:
        with tempfile.TemporaryDirectory(prefix=f"lt-drill-{profile}-") as folder:
            print(f"drill: profile {profile}, {args.ticks} ticks, seed {args.seed} ...", flush=True)
            results.append(drill_profile(profile, ticks=args.ticks, seed=args.seed, workdir=Path(folder)))
    print()
    print(format_table(results))
    print(as_json(results, ticks=args.ticks, seed=args.seed))
    return 0 if all(f.audit is not None and f.audit.clean for f in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
