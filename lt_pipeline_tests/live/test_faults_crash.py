"""The executor's process killed (SIGKILL) at the two crash points, on SQLite and PostgreSQL: after the
intents are committed and before anything is sent, and after the venue answered but before the answer
was recorded. Reconciliation by hash then settles every intent the way the venue proves it, and no
later tick places a signal again."""

from __future__ import annotations

import signal
from datetime import timedelta

from lt_pipeline.model.orders import OrderState
from lt_pipeline_tests.live.test_faults_support import (
    VENUE_STATES,
    run_killed_executor,
    session,
    settle_and_audit,
)

__all__ = ["session"]  # the fixture, imported for pytest


def killed(session, crash_point: str) -> dict:
    """New signals, then the child executor killed at `crash_point`; returns the intents it stored
    (lt_order_id -> row), all SUBMITTED: the journal marks them just before posting, so a crash at the
    post leaves them in flight, to be found by hash or given up as never arrived."""
    session.harness.execution_tick()
    child = run_killed_executor(session, crash_point)
    assert child.returncode == -signal.SIGKILL, f"the child was not killed at {crash_point}: {child.stderr[-2000:]}"
    intents = {row.lt_order_id: row for row in session.lt_orders() if row.order_id}
    assert intents and {row.status for row in intents.values()} == {OrderState.SUBMITTED.value}
    assert all(row.signed_order_json for row in intents.values())
    return intents


def test_killed_before_submitting_its_intents_never_arrive_and_are_never_placed(session):
    intents = killed(session, "before-submit")
    assert session.venue_orders_placed() == 0

    # A tick within the grace: the stored intents are not sent again, new signals are placed.
    report = session.tick()
    assert report.claimed and not set(intents) & {row.lt_order_id for row in session.lt_orders() if row.submitted_at}
    session.clock.advance(timedelta(minutes=1))
    reconciled = session.refresh_and_reconcile()
    assert reconciled.never_arrived == len(intents)

    session.tick()
    audit = settle_and_audit(session)
    rows = {row.lt_order_id: row for row in session.lt_orders()}
    for lt_order_id, intent in intents.items():
        assert rows[lt_order_id].status == OrderState.NEVER_ARRIVED.name
        assert not session.venue_holds(intent.order_id)
    assert audit.intents_at_venue == audit.intents - len(intents) > 0


def test_killed_after_submitting_its_orders_are_found_by_hash_and_recorded_once(session):
    intents = killed(session, "after-submit")
    assert all(session.venue_holds(row.order_id) for row in intents.values())
    placed = session.venue_orders_placed()
    assert placed == len(intents)

    session.tick()  # within the grace: nothing of the crashed run is sent again
    session.clock.advance(timedelta(minutes=1))
    session.refresh_and_reconcile()
    session.refresh_and_reconcile()  # a second pass finds nothing new to record

    audit = settle_and_audit(session)
    rows = {row.lt_order_id: row for row in session.lt_orders()}
    reconciled = [d.lt_order_id for d in session.decisions("RECONCILED")]
    for lt_order_id in intents:
        assert rows[lt_order_id].status in VENUE_STATES
        assert reconciled.count(lt_order_id) == 1
    assert any(rows[i].executed_shares for i in intents), "the crashed run's fills are in the ledger"
    assert audit.duplicate_orders == 0 and audit.venue_orders == audit.intents
