"""The engine assembled from the settings: the ledger, the venue clients built once (the same clients
and quota shares the Dagster resources build), each user's trader from the same `TraderPool`, a
detection source (the real-time feed with polling fallback when a feed URL is given and the feed
module exists, else polling), a fill watcher, and the Dagster reporter. `EngineService.run` runs it
until stopped.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from lt_pipeline.clock import Clock, system_clock
from lt_pipeline.engine.dagster_events import DagsterReporter, instance_opener
from lt_pipeline.engine.fills import FillPoller, UserChannelFills, users_with_orders_in_play
from lt_pipeline.engine.lane import LiveLane, TickReport
from lt_pipeline.engine.sources import DetectionSource, FallbackSource, FeedSource, PollingSource, realtime_feed_factory
from lt_pipeline.execution.credentials import TraderPool
from lt_pipeline.execution.executor import BookSource
from lt_pipeline.execution.quality_record import ConditionsSource, gamma_volumes
from lt_pipeline.execution.shards import EVERY_STRATEGY, Shard
from lt_pipeline.ingest.detection import seen_until
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.ledger.migrate import require_up_to_date
from lt_pipeline.settings import Settings
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.gamma import GammaClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineOptions:
    poll_seconds: float = 1.0  # a detection cycle (the batch is the quota share times this)
    quota_share: float = 0.5  # of the Data API's /trades quota, for the engine's polls and reads
    sweep_seconds: float = 10.0  # a tick with no sighting, to place signals the FT path made
    fill_poll_seconds: float = 1.0
    feed_url: str | None = None  # the real-time data service (leader trades); None: polling only
    user_channel_url: str | None = None  # the CLOB user channel (our fills); None: fills polled
    feed_silence_seconds: float = 30.0
    shard: Shard = EVERY_STRATEGY
    dagster_home: Path | None = None  # None: no Dagster reporting
    report_seconds: float = 10.0
    conditions: bool = True  # read volume and volatility beside the books, as the lt_orders asset does


@dataclass
class EngineService:
    lane: LiveLane
    detection: DetectionSource
    fills: list[Any]  # the fill watchers: the user channel and/or the poller
    reporter: DagsterReporter | None
    options: EngineOptions
    notes: list[str] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        """Warm up, start the fill watcher and the reporter, run the lane until `stop`, then stop them."""
        warmed = self.lane.warm_up()
        log.info("engine: traders warm for %d user(s): %s", len(warmed), ", ".join(warmed) or "none yet")
        if self.reporter is not None:
            self.reporter.start()
        for watcher in self.fills:
            watcher.start()
        try:
            self.lane.run(self.detection, stop)
        finally:
            for watcher in self.fills:
                watcher.stop()
            if self.reporter is not None:
                self.reporter.stop()

    def describe(self) -> list[str]:
        lines = [f"detection: {self.detection.describe()}"]
        lines += [f"fills: {watcher.describe()}" for watcher in self.fills]
        lines.append(f"strategies: shard {self.options.shard.label}")
        lines.append("dagster: " + (f"runless asset events every {self.options.report_seconds:g} s to {self.options.dagster_home}"
                                    if self.reporter else "not reporting (no DAGSTER_HOME)"))
        return lines + self.notes


def build_service(settings: Settings, options: EngineOptions, *, clock: Clock = system_clock, ledger=None,
                  trader_pool: TraderPool | None = None) -> EngineService:
    ledger = ledger if ledger is not None else make_engine(settings.ledger_url)
    require_up_to_date(ledger)
    data_api = DataApiClient(settings.data_api_host, clock=clock, quota_share=options.quota_share)
    gamma = GammaClient(settings.gamma_host, clock=clock, max_retries=1)
    reader = ClobReader(settings.clob_host, settings.chain_id)
    conditions = ConditionsSource(reader.price_history, gamma_volumes(gamma)) if options.conditions else None
    books = BookSource(reader.book, conditions=conditions)
    pool = trader_pool or TraderPool(settings, engine=ledger)
    reporter = DagsterReporter(instance_opener(options.dagster_home), flush_seconds=options.report_seconds) \
        if options.dagster_home else None
    notes: list[str] = []

    def on_tick(report: TickReport) -> None:
        if reporter is not None:
            reporter.add(report)
        if report.execution is not None:
            watch_users(fills, report.execution.users_in_play)
        if report.error:
            log.warning("engine tick: %s", report.error)
        elif report.execution and report.execution.submitted:
            log.info("engine tick: %d sighting(s), %d trade(s) new, %d FT order(s), %d order(s) submitted, %d accepted in %d ms",
                     report.sightings, report.ingest.trades_new if report.ingest else 0,
                     report.signals.orders_created if report.signals else 0, report.execution.submitted,
                     report.execution.accepted, round(report.seconds * 1000))

    lane = LiveLane(ledger, clock, data_api, gamma, books, pool.trader, shard=options.shard,
                    sweep_seconds=options.sweep_seconds, on_tick=on_tick,
                    emulator_admin_url=f"{settings.clob_host}/admin" if settings.is_embedded else None)
    traders = lane.tracked_traders
    poll = PollingSource(data_api, traders, lambda: seen_until(ledger), clock, cycle_seconds=options.poll_seconds,
                         quota_share=options.quota_share)
    detection: DetectionSource = poll
    if options.feed_url:
        factory = realtime_feed_factory(options.feed_url, clock)
        if factory is None:
            notes.append("feed: --feed-url given but venues/polymarket/realtime.py (LeaderTradeFeed) is not there; polling only")
        else:
            feed = FeedSource(factory, traders, clock, silence=timedelta(seconds=options.feed_silence_seconds))
            detection = FallbackSource(feed, poll, traders, clock)
    poll_every = options.fill_poll_seconds
    fills: list[Any] = []
    if options.user_channel_url:
        make_user_feed = _user_channel_factory(options.user_channel_url, clock)
        if make_user_feed is None:
            notes.append("fills: --user-channel-url given but realtime.UserChannelFeed is not there; fills polled")
        else:
            fills.append(UserChannelFills(ledger, pool.trader, clock, make_user_feed,
                                          lambda: users_with_orders_in_play(ledger, clock.now())))
            poll_every = max(poll_every, 5.0)  # the poll stays as the channel's safety net, slower
    fills.append(FillPoller(ledger, pool.trader, clock, interval=poll_every,
                            on_report=reporter.add_fills if reporter is not None else None))
    return EngineService(lane, detection, fills, reporter, options, notes)


def watch_users(watchers: list[Any], users: set[str]) -> None:
    """Each fill watcher that follows users one by one (the user channel) follows `users` too. One that
    cannot be followed is logged and left to the fill poll, which covers every user."""
    for watcher in watchers:
        add_user = getattr(watcher, "add_user", None)
        for user in sorted(users) if add_user else ():
            try:
                add_user(user)
            except Exception as error:  # noqa: BLE001  (the poll records this user's fills)
                log.warning("user channel for %s not opened (its fills are polled): %s: %s", user, type(error).__name__, error)


def _user_channel_factory(url: str, clock: Clock):
    try:
        from lt_pipeline.venues.polymarket import realtime  # noqa: PLC0415  (optional, being written)
    except ImportError:
        return None
    feed_class = getattr(realtime, "UserChannelFeed", None)
    if feed_class is None:
        return None
    # Every market of ours (no market list): the channel sends the orders and trades of the API key.
    return lambda trader, on_trade, on_order: feed_class(url, trader.client.creds, (), on_order, on_trade, clock)


def with_hosts(settings: Settings, clob_host: str) -> Settings:
    """Settings pointed at another CLOB host (and its Data API and Gamma under it, as the emulator serves them)."""
    return replace(settings, clob_host=clob_host, data_api_host=f"{clob_host}/data-api", gamma_host=f"{clob_host}/gamma")
