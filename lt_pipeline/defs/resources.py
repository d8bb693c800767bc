"""Resources every domain uses (ledger, venue hosts, DuckDB), configured from settings at load time."""

from __future__ import annotations

import os
import threading
import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr
from sqlalchemy import Engine

from datetime import datetime

from lt_pipeline.clock import Clock, named_clock
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.ledger.migrate import require_up_to_date
from lt_pipeline.settings import Settings, load_settings
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.gamma import GammaClient


class LedgerResource(dg.ConfigurableResource):
    """The ledger database; a run refuses to start on a ledger behind the latest migration."""

    url: str
    _engine: Engine | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        require_up_to_date(self.engine)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine


class VenueResource(dg.ConfigurableResource):
    """Where the venue lives: real Polymarket in production, the emulator in the embedded setup."""

    clob_host: str
    data_api_host: str
    gamma_host: str
    chain_id: int = 137
    # Set only in the embedded setup: the emulator's admin routes (its simulated traders' list).
    emulator_admin_url: str | None = None

    def data_api(self, clock: Clock, quota_share: float = 0.5) -> DataApiClient:
        """A Data API client holding `quota_share` of the published quotas: the execution job's reads
        and the new-signals sensor (separate processes) hold half each."""
        return DataApiClient(self.data_api_host, clock=clock, quota_share=quota_share)

    def gamma(self, clock: Clock, max_retries: int = 5) -> GammaClient:
        return GammaClient(self.gamma_host, clock=clock, max_retries=max_retries)

    def clob_reader(self) -> ClobReader:
        return ClobReader(self.clob_host, self.chain_id)


class StrategyConfigResource(dg.ConfigurableResource):
    """Where the FT wallets are declared (YAML) and which traders are configured to be tracked."""

    ft_wallets_file: str
    tracked_traders: list[str] = []


class ClockResource(dg.ConfigurableResource):
    """The one clock runs read time from: wall-clock UTC, or a simulated clock registered by name
    (tests and the headless demo, in the same process)."""

    simulated: str = ""

    @property
    def clock(self) -> Clock:
        return named_clock(self.simulated)

    def now(self) -> datetime:
        return self.clock.now()


def build_resources(settings: Settings) -> dict[str, object]:
    # An explicitly configured ledger URL may hold a password: pass it as an EnvVar so the UI shows
    # the variable's name, never its value.
    ledger_url = dg.EnvVar("LT_LEDGER_URL") if os.environ.get("LT_LEDGER_URL") else settings.ledger_url
    return {
        "ledger": LedgerResource(url=ledger_url),
        "venue": VenueResource(
            clob_host=settings.clob_host,
            data_api_host=settings.data_api_host,
            gamma_host=settings.gamma_host,
            chain_id=settings.chain_id,
            emulator_admin_url=f"{settings.clob_host}/admin" if settings.is_embedded else None,
        ),
        "duckdb": DuckDBResource(database=str(settings.duckdb_path)),
        "clock": ClockResource(),
        "live": LiveTradingResource(
            clob_host=settings.clob_host, chain_id=settings.chain_id, embedded=settings.is_embedded
        ),
        "strategy_config": StrategyConfigResource(
            ft_wallets_file=str(settings.ft_wallets_file), tracked_traders=list(settings.tracked_traders)
        ),
        "alerting": AlertResource(
            max_rejection_rate=settings.alert_max_rejection_rate,
            max_p95_latency_seconds=settings.alert_max_p95_latency_seconds,
            # Notification URLs may carry tokens: the UI shows the variable's name, never its value.
            urls=dg.EnvVar("LT_ALERT_URLS") if os.environ.get("LT_ALERT_URLS") else "",
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(load_settings()))


class LiveTradingResource(dg.ConfigurableResource):
    """Each user's trading connection, built on first use from that user's environment variables
    (never from the ledger, never logged) and kept for the life of the process: in-process runs (the
    demo, the drill, tests) share it; a daemon-launched run is its own process and builds its own."""

    clob_host: str
    chain_id: int = 137
    embedded: bool = True

    def pool(self, engine: Engine):
        from dataclasses import replace

        from lt_pipeline.execution.credentials import TraderPool

        key = (self.clob_host, self.chain_id, self.embedded, engine.url.render_as_string(hide_password=True))
        with _POOLS_LOCK:
            pool = _POOLS.get(key)
            if pool is None:
                settings = replace(
                    load_settings(),
                    clob_host=self.clob_host,
                    chain_id=self.chain_id,
                    deployment="embedded" if self.embedded else "production",
                )
                pool = _POOLS[key] = TraderPool(settings, engine=engine)
        return pool


_POOLS: dict[tuple, object] = {}
_POOLS_LOCK = threading.Lock()


class AlertResource(dg.ConfigurableResource):
    """Alert thresholds, and where notifications go (Apprise URLs, comma-separated; none: a log line)."""

    max_rejection_rate: float = 0.2
    max_p95_latency_seconds: float = 5.0
    urls: str = ""

    def notifier(self):
        from lt_pipeline.alerts.ledger import notifier

        return notifier(self.urls.split(","))
