"""The engine's loop: sightings from a detection source become, in one tick, the traders' trades in
the ledger (`ingest_source_trades`), the FT decisions on them (`create_ft_orders`) and the live twins'
orders placed (`run_executor`): the same functions, in the same order, as the execution job's assets,
so the unique keys and row locks that keep the job from placing a signal twice hold between the
engine and the job too. What the engine adds is speed: it is always running, its signers and HTTP
connections stay warm, and it acts on one sighting instead of waiting for a run to start.
"""

from __future__ import annotations

import logging
import queue
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from lt_pipeline.clock import Clock
from lt_pipeline.engine.sources import DetectionSource, Sighting
from lt_pipeline.execution.executor import BookSource, ExecutionReport, run_executor
from lt_pipeline.execution.shards import EVERY_STRATEGY, Shard
from lt_pipeline.execution.venue_identity import check_venue
from lt_pipeline.forward_test.signals import SignalReport, create_ft_orders
from lt_pipeline.ingest.source_trades import IngestReport, active_traders, ingest_source_trades
from lt_pipeline.ledger.schema import lt_orders, lt_strategies, source_trades
from lt_pipeline.ledger.writes import write_cursor
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline.venues.polymarket.models import RejectedRecord, SourceTrade
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

HEARTBEAT_CURSOR = "lt_engine.heartbeat"
HEARTBEAT_EVERY = timedelta(seconds=10)


class GivenTrades:
    """The Data API as `ingest_source_trades` reads it, except that a trader whose trades the feed
    already handed over is answered with those (no request), and a backfill reads from the gap's start
    instead of the ledger's cursor. Everything else goes to the real client."""

    def __init__(self, data_api: DataApiClient, given: dict[str, list[SourceTrade]], since: dict[str, datetime]) -> None:
        self._data_api = data_api
        self._given = given
        self._since = since

    def trades_of(self, trader: str, *, since: datetime | None = None) -> tuple[list[SourceTrade], list[RejectedRecord]]:
        backfill = self._since.get(trader)
        if backfill is not None:
            return self._data_api.trades_of(trader, since=min(backfill, since) if since else backfill)
        given = self._given.get(trader)
        if given:
            return list(given), []
        return self._data_api.trades_of(trader, since=since)


@dataclass
class TickReport:
    """What one engine tick did; `signal_to_ack_ms` are the leader-fill-to-acknowledgement latencies
    of the orders it placed (from the trade's venue time, whole seconds at the Data API)."""

    started_at: datetime
    sightings: int = 0
    traders: int = 0
    via: dict[str, int] = field(default_factory=dict)
    ingest: IngestReport | None = None
    signals: SignalReport | None = None
    execution: ExecutionReport | None = None
    seconds: float = 0.0
    signal_to_ack_ms: list[int] = field(default_factory=list)
    error: str = ""

    @property
    def placed(self) -> int:
        return self.execution.accepted if self.execution else 0

    def metadata(self) -> dict[str, float | int | str]:
        execution = self.execution or ExecutionReport()
        latency = sorted(self.signal_to_ack_ms)
        return {
            "sightings": self.sightings,
            "traders_read": self.traders,
            "trades_new": self.ingest.trades_new if self.ingest else 0,
            "ft_orders_created": self.signals.orders_created if self.signals else 0,
            "signals": execution.signals,
            "claimed": execution.claimed,
            "submitted": execution.submitted,
            "accepted": execution.accepted,
            "rejected": execution.rejected,
            "unknown": execution.unknown,
            "skipped": sum(execution.skipped.values()),
            "tick_ms": round(self.seconds * 1000),
            "signal_to_ack_p50_ms": statistics.median(latency) if latency else 0,
            "signal_to_ack_max_ms": latency[-1] if latency else 0,
        }


TraderForUser = Callable[[str], ClobTrader]


class LiveLane:
    """One engine: the ledger, the venue clients (built once and kept: warm signers, kept-alive HTTP),
    and the tick. `shard` limits the strategies it places for (several engines, or the benchmark's
    split); the FT side is shared by every strategy and always written whole."""

    def __init__(self, ledger: Engine, clock: Clock, data_api: DataApiClient, gamma: GammaClient, books: BookSource,
                 trader_for_user: TraderForUser, *, shard: Shard = EVERY_STRATEGY, sweep_seconds: float = 10.0,
                 on_tick: Callable[[TickReport], None] | None = None, emulator_admin_url: str | None = None) -> None:
        self.ledger = ledger
        self.clock = clock
        self.data_api = data_api
        self.gamma = gamma
        self.books = books
        self.trader_for_user = trader_for_user
        self.shard = shard
        self.sweep_seconds = sweep_seconds
        self.on_tick = on_tick
        self.ticks = 0
        self.placed = 0
        self._heartbeat_at: datetime | None = None
        # trader -> the start of a gap not read yet: kept until a read succeeds, so that the feed's trades
        # alone never move the trader's cursor past a gap (the venue does not replay one)
        self._backfills: dict[str, datetime] = {}
        self._traders = TrackedTraders(ledger, clock)
        self._venue = VenueGuard(ledger, emulator_admin_url)

    # --- one tick -------------------------------------------------------------------------------

    def tick(self, sightings: Iterable[Sighting] = ()) -> TickReport:
        """Read the sighted traders' trades, decide them for every FT wallet, place every launched twin's
        pending signals (this shard's). With no sightings it is a sweep: signals the FT path made that no
        one placed yet are placed."""
        sightings = list(sightings)
        report = TickReport(self.clock.now(), sightings=len(sightings))
        started = time.perf_counter()
        given: dict[str, list[SourceTrade]] = {}
        since: dict[str, datetime] = {}
        for sighting in sightings:
            report.via[sighting.via] = report.via.get(sighting.via, 0) + 1
            given.setdefault(sighting.trader, []).extend(sighting.trades)
            if sighting.since is not None:
                since[sighting.trader] = min(sighting.since, since.get(sighting.trader, sighting.since))
        for trader, start in since.items():
            self._backfills[trader] = min(start, self._backfills.get(trader, start))
        for trader, start in self._backfills.items():  # a failed backfill is read again, from the gap's start
            since[trader] = start
            given.setdefault(trader, [])
        traders = sorted(given)
        report.traders = len(traders)
        if traders:
            report.ingest = ingest_source_trades(self.ledger, GivenTrades(self.data_api, given, since), self.gamma,
                                                 self.clock, traders=traders)
            for trader in list(self._backfills):
                if trader not in report.ingest.failed_traders:
                    del self._backfills[trader]
        report.signals = create_ft_orders(self.ledger, self.clock)
        lost = self._venue.lost(report.started_at)
        if lost:  # as the lt_orders asset: nothing is placed on a venue that lost the ledger's orders
            report.error = lost
            report.seconds = time.perf_counter() - started
            return report
        report.execution = run_executor(self.ledger, self.clock, self.books, self.trader_for_user, shard=self.shard)
        report.seconds = time.perf_counter() - started
        if report.execution.submitted:
            report.signal_to_ack_ms = self._latencies(report.started_at)
        self.ticks += 1
        self.placed += report.placed
        self._heartbeat(report)
        return report

    def _latencies(self, since: datetime) -> list[int]:
        with self.ledger.connect() as connection:
            rows = connection.execute(
                select(source_trades.c.traded_at, lt_orders.c.acked_at)
                .join(source_trades, source_trades.c.source_trade_id == lt_orders.c.source_trade_id)
                .where(lt_orders.c.acked_at >= since)
            ).all()
        return [max(0, int((row.acked_at - row.traded_at).total_seconds() * 1000)) for row in rows]

    def _heartbeat(self, report: TickReport) -> None:
        now = self.clock.now()
        if self._heartbeat_at is not None and now - self._heartbeat_at < HEARTBEAT_EVERY:
            return
        self._heartbeat_at = now
        try:
            with self.ledger.begin() as connection:
                write_cursor(connection, HEARTBEAT_CURSOR, now.isoformat(), now)
        except Exception as error:  # a heartbeat is a courtesy; never fail a tick for it
            log.debug("engine heartbeat not written: %s", error)

    # --- warming up -------------------------------------------------------------------------------

    def warm_up(self) -> list[str]:
        """Build every trading user's trader now (API key derived, signer ready, connection open), so the
        first signal pays none of it. Returns the users warmed; a user whose credentials fail is logged
        and left to fail its own signals later, as in the job."""
        with self.ledger.connect() as connection:
            rows = connection.execute(
                select(lt_strategies.c.strategy_id, lt_strategies.c.user_id)
                .where(lt_strategies.c.is_active, lt_strategies.c.launched_at.is_not(None))
            ).all()
        users = sorted({row.user_id for row in rows if self.shard.covers(row.strategy_id)})
        warmed = []
        for user in users:
            try:
                self.trader_for_user(user).collateral_balance()
                warmed.append(user)
            except Exception as error:
                log.warning("user %s not warmed: %s", user, type(error).__name__)
        return warmed

    @property
    def tracked_traders(self) -> Callable[[], list[str]]:
        return self._traders

    # --- the loop -----------------------------------------------------------------------------------

    def run(self, source: DetectionSource, stop: threading.Event, *, max_batch: int = 1000) -> None:
        """Run until `stop` is set: every sighting (batched with whatever else arrived meanwhile) starts a
        tick at once; with none for `sweep_seconds`, a sweep tick. A failing tick is logged and the
        loop goes on (its sightings come again from the poll, and the schedule catches up anyway)."""
        inbox: queue.Queue[Sighting | None] = queue.Queue()
        source.start(inbox.put)
        try:
            while not stop.is_set():
                try:
                    first = inbox.get(timeout=self.sweep_seconds)
                except queue.Empty:
                    first = None
                batch = [first] if first is not None else []
                while len(batch) < max_batch:
                    try:
                        item = inbox.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        batch.append(item)
                if stop.is_set():
                    break
                self._safe_tick(batch)
        finally:
            source.stop()

    def _safe_tick(self, batch: list[Sighting]) -> TickReport:
        try:
            report = self.tick(batch)
        except Exception as error:
            report = TickReport(self.clock.now(), sightings=len(batch), error=f"{type(error).__name__}: {error}")
            log.exception("engine tick failed; the next sighting or sweep tries again")
            time.sleep(0.5)
        if self.on_tick is not None:
            try:
                self.on_tick(report)
            except Exception:
                log.exception("engine tick callback failed")
        return report


class VenueGuard:
    """`check_venue` (is the venue still the one the ledger traded with?) asked at most every
    `every` while the answer is yes, at every tick while it is no."""

    def __init__(self, ledger: Engine, admin_url: str | None, every: timedelta = timedelta(seconds=10)) -> None:
        self._ledger = ledger
        self._admin_url = admin_url
        self._every = every
        self._checked_at: datetime | None = None
        self._lost: str | None = None

    def lost(self, now: datetime) -> str | None:
        if not self._admin_url:
            return None
        if self._lost is None and self._checked_at is not None and now - self._checked_at < self._every:
            return None
        self._lost = check_venue(self._ledger, self._admin_url, now)
        self._checked_at = now
        return self._lost


class TrackedTraders:
    """The active tracked traders, read from the ledger at most every `refresh` (they change with the
    `tracked_traders` asset, every few minutes at most)."""

    def __init__(self, ledger: Engine, clock: Clock, refresh: timedelta = timedelta(seconds=30)) -> None:
        self._ledger = ledger
        self._clock = clock
        self._refresh = refresh
        self._traders: list[str] = []
        self._read_at: datetime | None = None
        self._lock = threading.Lock()

    def __call__(self) -> list[str]:
        with self._lock:
            now = self._clock.now()
            if self._read_at is None or now - self._read_at >= self._refresh or not self._traders:
                self._traders = active_traders(self._ledger)
                self._read_at = now
            return list(self._traders)
