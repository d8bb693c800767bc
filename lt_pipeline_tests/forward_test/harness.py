"""Runs the pipeline's asset ticks in-process against an emulator on a simulated clock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import dagster as dg

from lt_pipeline.clock import register_clock
from lt_pipeline.defs.jobs import EXECUTION_ASSETS, FT_EXECUTION_ASSETS, RESOLUTION_ASSETS
from lt_pipeline.defs.resources import ClockResource, StrategyConfigResource, build_resources
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.settings import load_settings
from lt_pipeline_tests import ledger_template

LOOSE_WALLETS = Path(__file__).with_name("loose_wallets.yaml")
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
_names = itertools.count()


@dataclass
class PipelineHarness:
    emulator: object
    engine: object
    resources: dict
    instance: dg.DagsterInstance

    @property
    def clock(self):
        return self.emulator.clock

    def materialize(self, assets) -> dg.ExecuteInJobResult:
        result = dg.materialize(assets, resources=self.resources, instance=self.instance, run_config=QUIET)
        assert result.success
        return result

    def execution_tick(self, minutes: int = 2, *, live: bool = False) -> dg.ExecuteInJobResult:
        """Advance the clock, then run the execution job's paper assets (and, with live, its live ones)."""
        if minutes:
            self.clock.advance(timedelta(minutes=minutes))
        return self.materialize(EXECUTION_ASSETS if live else FT_EXECUTION_ASSETS)

    def resolution_tick(self) -> dg.ExecuteInJobResult:
        return self.materialize(RESOLUTION_ASSETS)

    def metadata(self, result: dg.ExecuteInJobResult, asset: str) -> dict:
        events = result.asset_materializations_for_node(asset)
        return {key: value.value for key, value in events[-1].metadata.items()}


def make_harness(emulator, ledger_url: str, tmp_path: Path, wallets_file: Path = LOOSE_WALLETS) -> PipelineHarness:
    settings = replace(
        load_settings({"LT_STATE_DIR": str(tmp_path)}),
        ledger_url=ledger_url,
        clob_host=emulator.url,
        data_api_host=f"{emulator.url}/data-api",
        gamma_host=f"{emulator.url}/gamma",
    )
    engine = make_engine(ledger_url)
    ledger_template.upgrade(engine)  # migrated (a copy of a migrated template)
    name = f"test-clock-{next(_names)}"
    register_clock(name, emulator.clock)
    resources = build_resources(settings)
    resources["clock"] = ClockResource(simulated=name)
    resources["strategy_config"] = StrategyConfigResource(ft_wallets_file=str(wallets_file), tracked_traders=[])
    return PipelineHarness(emulator, engine, resources, dg.DagsterInstance.ephemeral())
