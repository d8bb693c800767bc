"""Shared pieces of the live fault tests (no tests here): a session of real signals (the FT harness on a
running emulator) with one launched LT strategy and the real ClobTrader; a trader whose order posts, and
nothing else, meet the emulator's faults; the closing check that the ledger equals the venue; and the
child process that runs the executor and is killed at one of the two crash points (`killed_child`).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lt_pipeline.clock import to_unix
from lt_pipeline.execution.executor import BookSource, ExecutionReport, run_executor
from lt_pipeline.tools.fault_drill import VenueAudit, audit_ledger
from lt_pipeline.execution.fills import orders_disagreeing
from lt_pipeline.execution.venue_sync import SyncReport, sync_venue
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.trading import ClobTrader, Outcome, SignedIntent, SubmitResult
from lt_pipeline_tests.emulator.fixtures import CHAIN_ID, EmulatorHandle, start_emulator, test_private_key
from lt_pipeline_tests.forward_test.harness import PipelineHarness, make_harness
from lt_pipeline_tests.live.test_executor import add_strategy

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY_SEED = 1
VENUE_STATES = {"LIVE", "PARTIALLY_FILLED", "FILLED", "CANCELLED"}
CRASH_POINTS = ("before-submit", "after-submit")


def make_trader(emulator: EmulatorHandle, key_seed: int = KEY_SEED) -> ClobTrader:
    return ClobTrader(emulator.url, CHAIN_ID, test_private_key(key_seed), use_server_time=True)


@dataclass
class FaultSession:
    """One user, one launched LT strategy mirroring the loose FT wallet, the emulator and the ledger."""

    harness: PipelineHarness
    ledger_url: str
    trader: ClobTrader
    strategy_id: str
    other_traders: dict[str, ClobTrader] = field(default_factory=dict)  # user -> trader, for users besides the first

    def trader_for(self, user_id: str) -> ClobTrader:
        return self.other_traders.get(user_id, self.trader)

    @property
    def funders(self) -> list[str]:
        return [self.trader.funder] + [trader.funder for trader in self.other_traders.values()]

    @property
    def emulator(self) -> EmulatorHandle:
        return self.harness.emulator

    @property
    def engine(self):
        return self.harness.engine

    @property
    def clock(self):
        return self.harness.clock

    def books(self) -> BookSource:
        return BookSource(ClobReader(self.emulator.url).book)

    def execute(self, trader: Any = None) -> ExecutionReport:
        """One executor run on the signals that are there now (no new paper tick)."""
        return run_executor(self.engine, self.clock, self.books(), (lambda user: trader) if trader else self.trader_for)

    def tick(self, trader: Any = None) -> ExecutionReport:
        """A paper tick (2 simulated minutes: new signals), then an executor run."""
        self.harness.execution_tick()
        return self.execute(trader)

    def refresh_and_reconcile(self) -> SyncReport:
        """One venue sync: fills, in-flight orders and strays from one reading of the venue."""
        return sync_venue(self.engine, self.trader_for, self.clock)

    def lt_orders(self) -> list:
        with self.engine.connect() as connection:
            return connection.execute(select(schema.lt_orders).order_by(schema.lt_orders.c.lt_order_id)).all()

    def decisions(self, decision: str | None = None) -> list:
        query = select(schema.signal_decisions).order_by(schema.signal_decisions.c.decision_id)
        if decision:
            query = query.where(schema.signal_decisions.c.decision == decision)
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def unknown_outcomes(self, trader: "PostsUnderFaults") -> dict[str, str]:
        """lt_order_id -> why, for every submit through `trader` whose outcome was unknown; each was
        recorded as such (an UNKNOWN decision) before reconciliation settled it."""
        by_hash = {row.order_id: row.lt_order_id for row in self.lt_orders() if row.order_id}
        unknown = {by_hash[r.order_id]: r.reason for r in trader.final_results().values() if r.outcome == Outcome.UNKNOWN}
        recorded = {row.lt_order_id for row in self.decisions("UNKNOWN")}
        assert set(unknown) <= recorded, "an unknown outcome was not recorded as UNKNOWN"
        return unknown

    def venue_orders_placed(self) -> int:
        return self.emulator.venue.counters().get("orders_placed", 0)

    def venue_holds(self, order_id: str) -> bool:
        return self.emulator.venue.get_order(order_id) is not None

    def fault_counters(self) -> dict[str, Any]:
        return self.emulator.admin("counters")


@pytest.fixture
def session(ledger_url, tmp_path):
    """A fault session on SQLite and on PostgreSQL; the first paper trades are in, the strategy launched."""
    emulator = start_emulator(seed=11)
    try:
        harness = make_harness(emulator, ledger_url, tmp_path)
        harness.execution_tick()
        strategy_id = add_strategy(harness.engine, harness.clock.now())
        yield FaultSession(harness, ledger_url, make_trader(emulator), strategy_id)
    finally:
        emulator.stop(wait=False)


# --- faults on order posts only ---------------------------------------------------------------------------


class PostsUnderFaults:
    """The session's trader, except that each submit (one POST /orders per batch) meets the faults
    `faults_for(call)` returns for it (None: none); every other request is fault-free.

    The profile is set just before the post, with the call's number as its seed, and cleared right
    after; submits are serialised so each meets its own faults. The L2 timestamp is read from the
    emulator's clock in process, so the post is the only request a submit makes. `client_timeout`
    shortens the client library's HTTP timeout for the posts (a reply slower than that is lost)."""

    def __init__(self, session: FaultSession, faults_for: Callable[[int], dict | None], *,
                 client_timeout: float | None = None) -> None:
        self._session = session
        self._trader = make_trader(session.emulator)
        clock = session.emulator.clock
        self._trader.client._get_timestamp = lambda: to_unix(clock.now())
        self._faults_for = faults_for
        self._client_timeout = client_timeout
        self._calls = itertools.count()
        self._lock = threading.Lock()
        self.results: list[SubmitResult] = []
        self.calls = 0  # order posts made
        self.faulted = 0  # of which met faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trader, name)

    def final_results(self) -> dict[str, SubmitResult]:
        """Each order's last answer (a resend's, when it was sent again)."""
        return {result.order_id: result for result in self.results}

    def first_failed(self) -> dict[str, str]:
        """order hash -> why, for every order whose first post got no answer (it was then resent)."""
        first: dict[str, SubmitResult] = {}
        for result in self.results:
            first.setdefault(result.order_id, result)
        return {oid: r.reason for oid, r in first.items() if r.outcome == Outcome.UNKNOWN}

    def submit(self, intents: list[SignedIntent]) -> list[SubmitResult]:
        from py_clob_client_v2.http_helpers import helpers

        with self._lock:
            call = next(self._calls)
            faults = self._faults_for(call)
            self.calls += 1
            self.faulted += 1 if faults else 0
            emulator = self._session.emulator
            if faults:
                emulator.admin("faults", settings=faults, seed=call)
            timeout = helpers._http_client.timeout
            if self._client_timeout is not None:
                helpers._http_client.timeout = self._client_timeout
            try:
                results = self._trader.submit(intents)
            finally:
                helpers._http_client.timeout = timeout
                if faults:
                    # A post the client gave up on may still be in the emulator: let it finish first.
                    if faults.get("slow_seconds") and any(r.outcome == Outcome.UNKNOWN for r in results):
                        time.sleep(float(faults["slow_seconds"]))
                    emulator.admin("faults/clear")
            self.results += results
            return results


# --- the closing check ------------------------------------------------------------------------------------


def settle_and_audit(session: FaultSession) -> VenueAudit:
    """With the faults off and the grace passed: refresh fills and reconcile, then assert the ledger
    equals the venue (no duplicate venue order, no lost fill, sizes and states equal, nothing left in
    flight), and that repeating the executor run places nothing. Returns the audit."""
    session.emulator.admin("faults/clear")
    session.clock.advance(timedelta(minutes=1))
    report = session.refresh_and_reconcile()
    assert not report.failed_users, report.failed_users
    assert report.mismatches == [], report.mismatches
    assert [d for d in report.discrepancies if not d.repaired] == [], report.discrepancies
    with session.engine.connect() as connection:
        # Every order's `orders` row says what its fills say (the blocking ledger check's rule).
        assert orders_disagreeing(connection) == []
    audit = audit_ledger(session.engine, session.emulator.venue, session.funders)
    assert audit.clean, audit
    assert audit.intents_at_venue == audit.venue_orders

    placed = session.venue_orders_placed()
    again = session.execute()
    assert (again.claimed, again.submitted) == (0, 0), again
    assert session.venue_orders_placed() == placed
    return audit


# --- the child killed at a crash point --------------------------------------------------------------------


def run_killed_executor(session: FaultSession, crash_point: str) -> subprocess.CompletedProcess:
    """Run the executor in a child process on the session's ledger and emulator, killed at `crash_point`."""
    assert crash_point in CRASH_POINTS
    command = [sys.executable, "-m", "lt_pipeline_tests.live.killed_child", crash_point, session.ledger_url,
               session.emulator.url, session.clock.now().isoformat(), str(KEY_SEED)]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
