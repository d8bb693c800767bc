"""Shared pytest fixtures: a running emulator on a free loopback port (background thread, simulated
clock, fresh venue per test) and real py-clob-client-v2 clients with deterministic test keys.

Other test folders use them through `from lt_pipeline_tests.emulator.fixtures import *` (or the lead's
root conftest). Clients talk to the emulator with `use_server_time=True`, so L1/L2 timestamps come from
the emulator's simulated clock and stay fresh however far a test advances it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from eth_account import Account

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.emulator.serve import RunningEmulator, start_in_thread
from lt_pipeline_tests.emulator.keys import CHAIN_ID, test_private_key

EMULATOR_START = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)

__all__ = [
    "EMULATOR_START", "EmulatorHandle", "emulator", "make_trader_client", "start_emulator", "test_private_key", "trader_address",
]


class AdminError(AssertionError):
    """An admin call the emulator refused; carries its status and body."""


@dataclass
class EmulatorHandle:
    """A running emulator: `url`, the `venue` object, its `clock` (SimulatedClock) and admin calls."""

    url: str
    venue: Any
    clock: SimulatedClock
    running: RunningEmulator

    @property
    def ctx(self) -> Any:
        return self.running.ctx

    def admin(self, path: str, **json: Any) -> Any:
        """POST {url}/admin/{path} with `json` as the body; returns the parsed answer."""
        response = httpx.post(f"{self.url}/admin/{path.lstrip('/')}", json=json, timeout=10)
        if response.status_code != 200:
            raise AdminError(f"admin {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def stop(self, wait: bool = True) -> None:
        self.running.stop(wait=wait)


def start_emulator(*, seed: int = 0, start: datetime = EMULATOR_START, faults: str | None = None, **venue_kwargs: Any) -> EmulatorHandle:
    """A fresh venue on a SimulatedClock, served from a background thread; call `.stop()` when done."""
    from lt_pipeline.emulator.venue import Venue

    clock = SimulatedClock(start)
    venue = Venue(clock, seed=seed, **venue_kwargs)
    running = start_in_thread(venue, faults=faults, clock=clock, key_seed=seed)
    return EmulatorHandle(url=running.url, venue=venue, clock=clock, running=running)


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_emulator()
    try:
        yield handle
    finally:
        handle.stop(wait=False)  # the daemon thread exits on its next tick; no need to hold the test


def make_trader_client(emulator: EmulatorHandle, seed: int, **client_kwargs: Any) -> Any:
    """A real py_clob_client_v2.ClobClient for the trader with this seed, API key created (or derived)."""
    from py_clob_client_v2.client import ClobClient

    client_kwargs.setdefault("use_server_time", True)
    client = ClobClient(emulator.url, chain_id=CHAIN_ID, key=test_private_key(seed), **client_kwargs)
    client.set_api_creds(client.create_or_derive_api_key())
    return client


def trader_address(seed: int) -> str:
    """The checksummed address of `test_private_key(seed)`."""
    return Account.from_key(test_private_key(seed)).address
