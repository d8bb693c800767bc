"""`lt drill faults --engine`: the live engine (`lt engine`) under each of the emulator's fault profiles,
audited against the venue's own records with the fault drill's audit.

For every profile the drill's world is set up (`fault_drill.drill_session`: an in-thread emulator on a
simulated clock, a fresh ledger, the paper side read once without faults, one launched twin of the
drill wallet per drill user). Then the engine is built as `lt engine` builds it (`engine.service.
build_service`: polling detection, the fill poller, and with `--feeds` the real-time data service with
polling fallback and the user channel) and run on its own thread, its own tick loop placing orders,
while the drill, step by step, turns the profile on (its HTTP faults: the websockets are not faulted by
profiles) and advances the clock two minutes, so the emulator's traders trade; a step ends when the
engine has been idle for `--quiet-seconds`. With `--feeds` the channels are also dropped (and refused
for a moment) before every second advance, so that step's trades are recovered by the fallback poll
and the backfill (the other steps' come by the feed). Then the engine is stopped, the faults are cleared, and the scheduled job's venue sync runs a
minute later, as in the drill; then the audit: no venue order without an intent (a signal placed
twice), no venue fill missing from the ledger, sizes and states equal to the venue's, nothing in
flight, every order within the twin's size cap. Prints one row per profile, then one JSON line; exits 1
when an audit fails or a profile placed no order.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from lt_pipeline.engine.lane import TickReport
from lt_pipeline.ledger.schema import lt_orders
from lt_pipeline.tools.fault_drill import (
    DRILL_LIMITS,
    DRILL_PROFILES,
    TICK,
    ProfileFigures,
    checked_profiles,
    drill_session,
    format_table,
    row_of,
)

log = logging.getLogger(__name__)

MAX_ORDER_USD = Decimal(DRILL_LIMITS["max_order_size_usd"])


@dataclass
class EngineFigures(ProfileFigures):
    """The drill's figures (orders from the engine's ticks; reconciliation from the final sync) and the
    engine's own."""

    mode: str = "poll"
    engine_ticks: int = 0
    busy_ticks: int = 0  # ticks with a sighting, a claimed signal or an error
    tick_errors: int = 0  # ticks that raised (or refused to place) and were tried again by the loop
    sightings: dict[str, int] = field(default_factory=dict)  # by "poll", "feed", "backfill"
    trades_new: int = 0  # source trades the engine stored
    engine_fills: int = 0  # fills the engine's fill watchers recorded before the sync
    channel_users: int = 0  # users the user channel followed (--feeds): every user the engine placed for
    fills_before_sync: int = 0  # counting fills in the ledger when the engine stopped
    quiet_steps: int = 0  # steps in which the engine never got busy within the step's time limit
    ws_drops: int = 0  # websocket connections the drill dropped (--feeds)
    over_cap: int = 0  # LT orders whose notional passes the twin's max_order_size_usd

    @property
    def clean(self) -> bool:
        return self.audit is not None and self.audit.clean and not self.over_cap and self.placed > 0


class TickRecorder:
    """Wraps the lane's `on_tick`: keeps every report and when the engine was last busy."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.reports: list[TickReport] = []
        self.busy = 0
        self.last_busy = time.monotonic()

    def __call__(self, report: TickReport) -> None:
        execution = report.execution
        busy = bool(report.sightings or report.error or (execution and (execution.claimed or execution.failed)))
        with self._lock:
            self.reports.append(report)
            if busy:
                self.busy += 1
                self.last_busy = time.monotonic()
        if self._inner is not None:
            self._inner(report)

    def wait_quiet(self, busy_before: int, quiet: float, limit: float) -> bool:
        """Wait until the engine got busy after `busy_before` busy ticks and then stayed idle `quiet`
        seconds (or `limit` seconds passed). False when it never got busy."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self._lock:
                busy, last = self.busy, self.last_busy
            if busy > busy_before and time.monotonic() - last >= quiet:
                return True
            time.sleep(0.05)
        with self._lock:
            return self.busy > busy_before


def engine_profile(profile: str, *, ticks: int, seed: int, workdir: Path, feeds: bool = False,
                   quiet_seconds: float = 1.0, step_seconds: float = 30.0) -> EngineFigures:
    """One session: the engine running under `profile` for `ticks` steps of two simulated minutes, then
    stopped; the faults off, the venue sync, the audit."""
    import httpx

    from lt_pipeline.engine.service import EngineOptions, build_service
    from lt_pipeline.execution.credentials import TraderPool

    started = time.perf_counter()
    figures = EngineFigures(profile, mode="feed" if feeds else "poll")
    with drill_session(profile, seed=seed, workdir=workdir) as session:
        settings = replace(session.settings, deployment="embedded")
        ws = session.emulator.url.replace("http://", "ws://")
        options = EngineOptions(
            poll_seconds=0.25, sweep_seconds=1.0, fill_poll_seconds=0.5, dagster_home=None,
            feed_url=f"{ws}/" if feeds else None, user_channel_url=f"{ws}/ws/user" if feeds else None,
            # The clock jumps two minutes at a time and stands still between: silence is not a signal here.
            feed_silence_seconds=86400.0,
        )
        pool = TraderPool(settings, engine=session.engine)
        service = build_service(settings, options, clock=session.clock, ledger=session.engine, trader_pool=pool)
        if service.notes:
            raise RuntimeError("; ".join(service.notes))
        recorder = TickRecorder(service.lane.on_tick)
        service.lane.on_tick = recorder
        stop = threading.Event()
        runner = threading.Thread(target=service.run, args=(stop,), name="drill-engine", daemon=True)
        runner.start()
        try:
            _wait_started(service, limit=step_seconds)
            for tick in range(ticks):
                if feeds and tick % 2 == 1:  # this step's trades are published while the channels are down
                    answer = httpx.post(f"{session.emulator.url}/admin/ws/drop",
                                        json={"channels": ["rtds", "user"], "refuse_seconds": 0.5}, timeout=10)
                    figures.ws_drops += int(answer.json().get("dropped", 0))
                session.set_faults(tick)
                busy_before = recorder.busy
                session.clock.advance(TICK)
                if not recorder.wait_quiet(busy_before, quiet_seconds, step_seconds):
                    figures.quiet_steps += 1
            figures.faults = session.fault_counts()
            session.emulator.faults.clear()
        finally:
            stop.set()
            runner.join(timeout=60)
        if runner.is_alive():
            raise RuntimeError("the engine did not stop within 60 s")
        _add_engine_figures(figures, recorder.reports, service)
        figures.fills_before_sync = _counting_fills(session.engine)
        session.settle_and_audit(figures)
        figures.over_cap = orders_over_cap(session.engine, MAX_ORDER_USD)
    figures.seconds = round(time.perf_counter() - started, 2)
    return figures


def _wait_started(service, limit: float) -> None:
    """Until the engine has polled once (and, with a feed, the feed is connected)."""
    deadline = time.monotonic() + limit
    detection = service.detection
    poll = getattr(detection, "poll", detection)
    while time.monotonic() < deadline:
        feed_ok = not hasattr(detection, "feed") or detection.feed.connected
        if poll.stats.cycles > 0 and feed_ok:
            return
        time.sleep(0.05)
    raise RuntimeError(f"the engine did not start within {limit:g} s ({detection.describe()})")


def _add_engine_figures(figures: EngineFigures, reports: list[TickReport], service) -> None:
    for report in reports:
        figures.engine_ticks += 1
        execution = report.execution
        if report.sightings or report.error or (execution and (execution.claimed or execution.failed)):
            figures.busy_ticks += 1
        if report.error:
            figures.tick_errors += 1
        for via, n in report.via.items():
            figures.sightings[via] = figures.sightings.get(via, 0) + n
        if report.ingest:
            figures.trades_new += report.ingest.trades_new
        if execution:
            figures.add_orders({"claimed": execution.claimed, "submitted": execution.submitted,
                                "accepted": execution.accepted, "rejected": execution.rejected,
                                "unknown": execution.unknown, "failed": len(execution.failed)})
    figures.failed_runs = figures.tick_errors
    figures.engine_fills = sum(watcher.stats.fills_new for watcher in service.fills)
    figures.channel_users = sum(len(getattr(watcher, "users", ())) for watcher in service.fills)


def _counting_fills(engine: Engine) -> int:
    from lt_pipeline.ledger.schema import fills

    with engine.connect() as connection:
        return len(connection.execute(select(fills.c.fill_id).where(fills.c.status != "FAILED")).all())


def orders_over_cap(engine: Engine, cap_usd: Decimal) -> int:
    """Signed LT orders (an intent sent, or about to be) over the twin's order cap: intended notional over
    `cap_usd`, limit price times shares over it by more than a cent of rounding, or more shares executed
    than intended."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(lt_orders.c.intended_size_usd, lt_orders.c.intended_shares, lt_orders.c.limit_price,
                   lt_orders.c.executed_shares).where(lt_orders.c.order_id.is_not(None))
        ).all()
    slack = Decimal("0.01")

    def over(row) -> bool:
        usd = Decimal(str(row.intended_size_usd or 0))
        shares = Decimal(str(row.intended_shares or 0))
        notional = Decimal(str(row.limit_price or 0)) * shares
        executed = Decimal(str(row.executed_shares or 0))
        return usd > cap_usd or notional > cap_usd + slack or executed > shares

    return sum(1 for row in rows if over(row))


# --- printing ---------------------------------------------------------------------------------------------

ENGINE_COLUMNS = (("profile", 10), ("mode", 5), ("eng_ticks", 10), ("busy", 5), ("tick_err", 9), ("poll", 5),
                  ("feed", 5), ("backfill", 9), ("trades", 7), ("eng_fills", 10), ("ch_users", 9), ("fills_pre", 10),
                  ("quiet_steps", 12), ("ws_drops", 9), ("over_cap", 9), ("placed>0", 9))


def engine_row(figures: EngineFigures) -> dict[str, Any]:
    return {
        "profile": figures.profile, "mode": figures.mode, "eng_ticks": figures.engine_ticks, "busy": figures.busy_ticks,
        "tick_err": figures.tick_errors, "poll": figures.sightings.get("poll", 0),
        "feed": figures.sightings.get("feed", 0), "backfill": figures.sightings.get("backfill", 0),
        "trades": figures.trades_new, "eng_fills": figures.engine_fills,
        "ch_users": figures.channel_users, "fills_pre": figures.fills_before_sync,
        "quiet_steps": figures.quiet_steps, "ws_drops": figures.ws_drops, "over_cap": figures.over_cap,
        "placed>0": "yes" if figures.placed > 0 else "NO",
    }


def format_engine_table(results: list[EngineFigures]) -> str:
    title = ("the engine (ticks, sightings by source, trades stored, fills it recorded itself, users its user "
             "channel followed; fills in the ledger before the sync):")
    lines = [format_table(results), "", title]
    lines.append("".join(f"{name:>{width}}" for name, width in ENGINE_COLUMNS))
    for figures in results:
        row = engine_row(figures)
        lines.append("".join(f"{row[name]!s:>{width}}" for name, width in ENGINE_COLUMNS))
    return "\n".join(lines)


def as_json(results: list[EngineFigures], *, ticks: int, seed: int, feeds: bool) -> str:
    profiles = {}
    for figures in results:
        entry = {k: v for k, v in row_of(figures).items() if k != "profile"}
        entry.update({k: v for k, v in engine_row(figures).items() if k not in ("profile", "placed>0")})
        entry.update(still_unknown=figures.still_unknown, faults=figures.faults, seconds=figures.seconds,
                     sightings=figures.sightings, audit=asdict(figures.audit) if figures.audit else None,
                     clean=figures.clean)
        profiles[figures.profile] = entry
    return json.dumps({"engine": True, "mode": "feed" if feeds else "poll", "ticks": ticks, "seed": seed,
                       "clean": all(f.clean for f in results), "profiles": profiles}, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lt drill faults --engine", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", action="store_true", help="(accepted for `lt drill faults --engine`)")
    parser.add_argument("--ticks", type=int, default=4, help="steps per profile, 2 simulated minutes apart (default 4)")
    parser.add_argument("--seed", type=int, default=7, help="emulator and fault seed (default 7)")
    parser.add_argument("--profiles", default=",".join(DRILL_PROFILES),
                        help=f"comma-separated fault profiles (default {','.join(DRILL_PROFILES)})")
    parser.add_argument("--feeds", action="store_true",
                        help="detect by the emulator's real-time data service (polling fallback) and take fills "
                             "from the user channel; both channels are dropped before every second step")
    parser.add_argument("--quiet-seconds", type=float, default=1.0,
                        help="a step ends when the engine has been idle this long (default 1)")
    parser.add_argument("--step-seconds", type=float, default=30.0,
                        help="a step's limit in wall seconds (default 30)")
    args = parser.parse_args(argv)
    profiles = checked_profiles("lt drill faults --engine", args.profiles, args.ticks)
    if profiles is None:
        return 2
    # The client library logs every refused request at ERROR, the engine every failed read at WARNING;
    # under a fault drill that is the point.
    logging.basicConfig(level=logging.CRITICAL)
    results = []
    for profile in profiles:
        with tempfile.TemporaryDirectory(prefix=f"lt-drill-engine-{profile}-") as folder:
            print(f"drill: the engine ({'feed' if args.feeds else 'poll'}), profile {profile}, {args.ticks} steps, "
                  f"seed {args.seed} ...", flush=True)
            results.append(engine_profile(profile, ticks=args.ticks, seed=args.seed, workdir=Path(folder),
                                          feeds=args.feeds, quiet_seconds=args.quiet_seconds,
                                          step_seconds=args.step_seconds))
    print()
    print(format_engine_table(results))
    print(as_json(results, ticks=args.ticks, seed=args.seed, feeds=args.feeds))
    return 0 if all(f.clean for f in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
