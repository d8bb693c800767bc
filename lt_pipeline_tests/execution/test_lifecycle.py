"""The order and fill state machines: the paths of DESIGN.md section 5, and nothing else."""

from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from lt_pipeline.execution.lifecycle import (
    ORDER_TRANSITIONS,
    FillStatus,
    IllegalTransition,
    OrderEvent as E,
    OrderState as S,
    counts_as_open_exposure,
    event_for_venue_order,
    fill_counts,
    fill_is_final,
    fill_transition,
    is_terminal,
    parse_fill_status,
    record_transition,
    transition,
)


def walk(*events, start=S.DECIDED):
    state = start
    for event in events:
        state = transition(state, event)
    return state


def test_the_happy_path_of_a_resting_order():
    assert walk(E.STORE_INTENT, E.SUBMIT, E.REST, E.PARTIAL_FILL, E.PARTIAL_FILL, E.FILL) == S.FILLED


def test_a_local_denial_a_venue_rejection_and_an_unknown_outcome_are_three_different_ends():
    assert walk(E.DENY) == S.SKIPPED
    assert walk(E.STORE_INTENT, E.SUBMIT, E.REJECT) == S.REJECTED
    assert walk(E.STORE_INTENT, E.SUBMIT, E.OUTCOME_UNKNOWN) == S.UNKNOWN
    assert is_terminal(S.SKIPPED) and is_terminal(S.REJECTED)
    assert not is_terminal(S.UNKNOWN)  # kept in flight until reconciled


def test_a_local_rule_cannot_deny_what_was_already_sent():
    for state in (S.INTENT_STORED, S.SUBMITTED, S.UNKNOWN, S.LIVE):
        with pytest.raises(IllegalTransition):
            transition(state, E.DENY)


def test_a_timeout_is_never_taken_for_a_rejection():
    # only the venue's word moves an unknown order; a reconciliation timeout keeps it unknown
    assert walk(E.OUTCOME_UNKNOWN, start=S.UNKNOWN) == S.UNKNOWN
    with pytest.raises(IllegalTransition):
        transition(S.INTENT_STORED, E.REJECT)  # not submitted yet: nothing the venue could refuse


@pytest.mark.parametrize(
    "event, end",
    [(E.REST, S.LIVE), (E.PARTIAL_FILL, S.PARTIALLY_FILLED), (E.FILL, S.FILLED), (E.CANCEL, S.CANCELLED),
     (E.NOT_FOUND, S.NEVER_ARRIVED), (E.REJECT, S.REJECTED)],
)
def test_reconciliation_by_hash_settles_an_unknown_outcome(event, end):
    assert walk(E.STORE_INTENT, E.SUBMIT, E.OUTCOME_UNKNOWN, event) == end


def test_a_crash_after_storing_the_intent_is_an_unknown_outcome():
    assert walk(E.STORE_INTENT, E.OUTCOME_UNKNOWN, E.FILL) == S.FILLED


def test_cancel_from_live_or_partially_filled():
    assert walk(E.STORE_INTENT, E.SUBMIT, E.REST, E.CANCEL) == S.CANCELLED
    assert walk(E.STORE_INTENT, E.SUBMIT, E.PARTIAL_FILL, E.CANCEL) == S.CANCELLED  # keeps its fills


def test_terminal_states_accept_nothing_and_say_so():
    with pytest.raises(IllegalTransition, match="order state filled: event cancel is not allowed \\(allowed: none, it is final\\)"):
        transition(S.FILLED, E.CANCEL)
    assert {state for state in S if is_terminal(state)} == {
        S.SKIPPED, S.FILLED, S.REJECTED, S.NEVER_ARRIVED, S.CANCELLED
    }


def test_the_table_covers_every_state():
    assert set(ORDER_TRANSITIONS) == set(S)


def test_open_exposure_is_everything_that_may_still_fill():
    assert {state for state in S if counts_as_open_exposure(state)} == {
        S.INTENT_STORED, S.SUBMITTED, S.LIVE, S.PARTIALLY_FILLED, S.UNKNOWN
    }


def test_transitions_are_recorded_with_an_aware_utc_time():
    at = datetime(2026, 11, 24, 12, tzinfo=timezone.utc)
    record = record_transition(S.SUBMITTED, E.REJECT, at=at, detail="not enough balance / allowance")
    assert (record.from_state, record.to_state, record.at, record.detail) == (
        S.SUBMITTED, S.REJECTED, at, "not enough balance / allowance"
    )
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        record_transition(S.SUBMITTED, E.REJECT, at=datetime(2026, 11, 24))


@pytest.mark.parametrize(
    "status, matched, size, event",
    [("LIVE", "0", "10", E.REST), ("ORDER_STATUS_LIVE", "4", "10", E.PARTIAL_FILL), ("MATCHED", "10", "10", E.FILL),
     ("ORDER_STATUS_CANCELED", "3", "10", E.CANCEL), ("CANCELED_MARKET_RESOLVED", "0", "10", E.CANCEL),
     ("INVALID", "0", "10", E.REJECT)],
)
def test_the_venue_view_of_an_order_maps_to_an_event(status, matched, size, event):
    assert event_for_venue_order(status, D(matched), D(size)) == event


def test_fill_statuses_move_forward_and_failed_reverses_the_fill():
    assert fill_transition(FillStatus.MATCHED, FillStatus.MINED) == FillStatus.MINED
    assert fill_transition(FillStatus.MINED, FillStatus.CONFIRMED) == FillStatus.CONFIRMED
    assert fill_transition(FillStatus.MATCHED, FillStatus.CONFIRMED) == FillStatus.CONFIRMED  # polled past MINED
    assert fill_transition(FillStatus.RETRYING, FillStatus.FAILED) == FillStatus.FAILED
    assert fill_transition(FillStatus.MINED, FillStatus.MINED) == FillStatus.MINED  # a repeated report
    with pytest.raises(IllegalTransition, match="fill status CONFIRMED cannot become FAILED"):
        fill_transition(FillStatus.CONFIRMED, FillStatus.FAILED)
    assert fill_counts(FillStatus.RETRYING) and not fill_counts(FillStatus.FAILED)
    assert fill_is_final(FillStatus.CONFIRMED) and fill_is_final(FillStatus.FAILED)
    assert not fill_is_final(FillStatus.MINED)
    assert parse_fill_status("TRADE_STATUS_MINED") == FillStatus.MINED
    with pytest.raises(ValueError, match="status: expected one of MATCHED, MINED"):
        parse_fill_status("SETTLED")
