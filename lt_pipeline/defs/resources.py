"""Resources every domain uses (ledger, venue hosts, DuckDB), configured from settings at load time."""

from __future__ import annotations

import os
import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr
from sqlalchemy import Engine

from lt_pipeline.clock import Clock, system_clock
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.ledger.migrate import require_up_to_date
from lt_pipeline.settings import Settings, load_settings


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


class ClockResource(dg.ConfigurableResource):
    """The one clock runs read time from; the demo and tests swap in a simulated one."""

    _clock: Clock = PrivateAttr(default=system_clock)

    def now(self):
        return self._clock.now()

    def with_clock(self, clock: Clock) -> "ClockResource":
        resource = ClockResource()
        resource._clock = clock
        return resource


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
        ),
        "duckdb": DuckDBResource(database=str(settings.duckdb_path)),
        "clock": ClockResource(),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(load_settings()))
