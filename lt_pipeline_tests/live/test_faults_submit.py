"""Order posts meeting the emulator's faults, on SQLite and PostgreSQL: refused with a 5xx, answered and
the answer lost, throttled with 429, answered slower than the client waits. Each signal is placed at most
once; after reconciliation by hash every venue order and fill of ours is in the ledger with the venue's
sizes and states, and a repeated tick places nothing."""

from __future__ import annotations

from lt_pipeline.model.orders import OrderState
from lt_pipeline.venues.polymarket.trading import Outcome
from lt_pipeline_tests.live.test_faults_support import VENUE_STATES, PostsUnderFaults, session, settle_and_audit

__all__ = ["session"]  # the fixture, imported for pytest

TICKS = 4


def every_other(faults: dict):
    """Faults on the 2nd, 4th ... order post: each tick's faults are known, whatever the seeds draw."""
    return lambda call: faults if call % 2 else None


def run_ticks(session, trader, ticks: int = TICKS) -> None:
    """Ticks with the faulty trader, the fills refresh and reconciliation between them (faults off)."""
    for _ in range(ticks):
        session.tick(trader)
        session.refresh_and_reconcile()


def by_id(session) -> dict:
    return {row.lt_order_id: row for row in session.lt_orders()}


def test_refused_posts_are_sent_again_as_the_same_signed_order_and_placed_once(session):
    trader = PostsUnderFaults(session, every_other({"order_error_rate": 1.0}))
    run_ticks(session, trader)
    refused = trader.first_failed()
    assert refused and all("HTTP 500: could not insert order" in why for why in refused.values())
    final = trader.final_results()
    assert all(final[oid].outcome == Outcome.ACCEPTED for oid in refused)  # the resend placed it

    audit = settle_and_audit(session)
    orders = {row.order_id: row for row in session.lt_orders() if row.order_id}
    for order_id in refused:
        assert orders[order_id].status in VENUE_STATES and session.venue_holds(order_id)
    assert audit.venue_orders == audit.intents and audit.duplicate_orders == 0
    assert session.fault_counters()["faults"]["order_error"] == trader.faulted


def test_lost_replies_are_reconciled_to_the_venue_state_with_their_fills(session):
    trader = PostsUnderFaults(session, every_other({"lost_reply_rate": 1.0}))
    run_ticks(session, trader)
    unknown = session.unknown_outcomes(trader)
    assert unknown

    audit = settle_and_audit(session)
    orders = by_id(session)
    reconciled = [d.lt_order_id for d in session.decisions("RECONCILED")]
    for lt_order_id in unknown:
        row = orders[lt_order_id]
        assert session.venue_holds(row.order_id), "a lost reply still placed the order"
        assert row.status in VENUE_STATES
        assert reconciled.count(lt_order_id) == 1, "found by its hash and recorded once"
    filled = [orders[i] for i in unknown if orders[i].executed_shares]
    assert filled, "orders whose reply was lost still have their fills"
    assert audit.venue_orders == audit.intents and audit.venue_fills >= len(filled)
    counters = session.fault_counters()["faults"]
    assert counters.get("lost_reply_drop", 0) + counters.get("lost_reply_error", 0) == trader.faulted


def test_throttled_posts_are_resent_after_retry_after_and_placed_once(session):
    trader = PostsUnderFaults(session, every_other({"throttle_rate": 1.0, "retry_after_seconds": 1}))
    run_ticks(session, trader)
    throttled = trader.first_failed()
    # A 429 is an unknown outcome, never a venue rejection; the same signed order goes again.
    assert throttled and all("HTTP 429" in why for why in throttled.values())
    assert not [r for r in trader.results if r.outcome == Outcome.REJECTED]
    final = trader.final_results()
    assert all(final[oid].outcome == Outcome.ACCEPTED for oid in throttled)

    audit = settle_and_audit(session)
    orders = {row.order_id: row for row in session.lt_orders() if row.order_id}
    for order_id in throttled:
        assert orders[order_id].status in VENUE_STATES and session.venue_holds(order_id)
    assert audit.venue_orders == audit.intents and audit.duplicate_orders == 0
    counters = session.fault_counters()
    assert counters["faults"]["throttled"] == trader.faulted and counters["statuses"]["429"] == trader.faulted


def test_replies_slower_than_the_client_waits_end_in_the_venue_state(session):
    # Every post is slow: the odd ones less than the client's 0.3 s timeout, the even ones more.
    def faults_for(call: int) -> dict:
        return {"slow_rate": 1.0, "slow_seconds": 0.6 if call % 2 else 0.05}

    trader = PostsUnderFaults(session, faults_for, client_timeout=0.3)
    run_ticks(session, trader)
    unknown = session.unknown_outcomes(trader)
    lost = trader.first_failed()
    assert lost and all("transport error" in why for why in lost.values())
    # Sent again: placed by the resend, or refused as a duplicate when the slow first copy had arrived.
    assert all("transport error" in why or "Duplicated" in why for why in unknown.values())
    accepted = [r for r in trader.results if r.outcome == Outcome.ACCEPTED]
    assert accepted, "a reply slow but within the timeout is an ordinary answer"

    settle_and_audit(session)
    orders = by_id(session)
    for lt_order_id in unknown:
        row = orders[lt_order_id]
        # Where the order ended is what the venue says: placed after all, or never arrived.
        expected = VENUE_STATES if session.venue_holds(row.order_id) else {OrderState.NEVER_ARRIVED.name}
        assert row.status in expected
    for result in accepted:
        assert session.venue_holds(result.order_id)
    assert session.fault_counters()["faults"]["slow_reply"] == trader.calls
