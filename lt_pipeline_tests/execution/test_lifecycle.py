"""The order and fill state machines: the one transition table, and nothing else."""


import pytest

from lt_pipeline.model.orders import (
    ORDER_TRANSITIONS,
    FillStatus,
    IllegalTransition,
    OrderEvent as E,
    OrderState as S,
    counts_as_open_exposure,
    fill_counts,
    fill_is_final,
    fill_transition,
    is_terminal,
    next_state,
)
from lt_pipeline.venues.polymarket.models import BadPayload
from lt_pipeline.venues.polymarket.reports import parse_fill_status


def walk(*steps, start=None):
    state = start
    for step in steps:
        event, to = step if isinstance(step, tuple) else (step, None)
        state = next_state(state, event, to)
    return state


def test_the_happy_path_of_a_resting_order():
    assert walk(E.INTENT_STORED, E.SUBMITTED, (E.ACCEPTED, S.LIVE), E.PARTIALLY_FILLED, E.FILLED) == S.FILLED


def test_a_local_denial_a_venue_rejection_and_an_unknown_outcome_are_three_different_ends():
    assert walk(E.SKIPPED) == S.SKIPPED
    assert walk(E.INTENT_STORED, E.SUBMITTED, E.REJECTED) == S.REJECTED
    assert walk(E.INTENT_STORED, E.SUBMITTED, E.UNKNOWN) == S.UNKNOWN
    assert is_terminal(S.SKIPPED) and is_terminal(S.REJECTED)
    assert not is_terminal(S.UNKNOWN)  # kept in flight until reconciled


def test_a_local_rule_cannot_deny_what_was_already_sent():
    for state in (S.INTENT_STORED, S.SUBMITTED, S.UNKNOWN, S.LIVE):
        with pytest.raises(IllegalTransition):
            next_state(state, E.SKIPPED)


def test_a_timeout_is_never_taken_for_a_rejection():
    assert walk(E.UNKNOWN, start=S.UNKNOWN) == S.UNKNOWN
    with pytest.raises(IllegalTransition):
        next_state(S.INTENT_STORED, E.REJECTED)  # not submitted yet: nothing the venue could refuse


@pytest.mark.parametrize("end", [S.LIVE, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.REJECTED])
def test_reconciliation_by_hash_settles_an_unknown_outcome(end):
    assert walk(E.INTENT_STORED, E.SUBMITTED, E.UNKNOWN, (E.RECONCILED, end)) == end
    assert walk(E.INTENT_STORED, E.SUBMITTED, E.UNKNOWN, E.NEVER_ARRIVED) == S.NEVER_ARRIVED


def test_a_crash_after_storing_the_intent_is_found_or_never_arrived():
    assert walk(E.INTENT_STORED, (E.RECONCILED, S.FILLED)) == S.FILLED
    assert walk(E.INTENT_STORED, E.NEVER_ARRIVED) == S.NEVER_ARRIVED


def test_cancel_from_live_or_partially_filled_and_a_request_for_an_order_in_flight():
    assert walk(E.INTENT_STORED, E.SUBMITTED, (E.ACCEPTED, S.LIVE), E.CANCELLED) == S.CANCELLED
    assert walk(E.INTENT_STORED, E.SUBMITTED, (E.ACCEPTED, S.PARTIALLY_FILLED), E.CANCELLED) == S.CANCELLED
    assert walk(E.CANCEL_REQUESTED, start=S.UNKNOWN) == S.UNKNOWN


def test_an_illegal_event_names_the_order_its_state_and_the_event():
    with pytest.raises(IllegalTransition, match="LT order abc in state FILLED: event CANCELLED is not allowed"):
        next_state(S.FILLED, E.CANCELLED, order="LT order abc")
    with pytest.raises(IllegalTransition, match="ACCEPTED cannot lead to NEVER_ARRIVED"):
        next_state(S.SUBMITTED, E.ACCEPTED, S.NEVER_ARRIVED)
    with pytest.raises(IllegalTransition, match="needs its resulting state"):
        next_state(S.SUBMITTED, E.ACCEPTED)


def test_a_failed_trade_takes_a_filled_order_back_and_settlement_waits_for_the_end():
    assert walk((E.FILL_FAILED, S.PARTIALLY_FILLED), start=S.FILLED) == S.PARTIALLY_FILLED
    for state in (S.FILLED, S.CANCELLED, S.SKIPPED, S.REJECTED, S.NEVER_ARRIVED):
        assert walk(E.SETTLED, start=state) == state
    for state in (S.LIVE, S.PARTIALLY_FILLED, S.UNKNOWN, S.SUBMITTED, S.INTENT_STORED):
        with pytest.raises(IllegalTransition):
            next_state(state, E.SETTLED)


def test_the_table_covers_every_state_and_every_state_is_reachable():
    assert set(ORDER_TRANSITIONS) == set(S) | {None}
    reached = {to for moves in ORDER_TRANSITIONS.values() for targets in moves.values() for to in targets}
    assert reached == set(S)
    assert {state for state in S if is_terminal(state)} == {S.SKIPPED, S.FILLED, S.REJECTED, S.NEVER_ARRIVED, S.CANCELLED}


def test_open_exposure_is_everything_that_may_still_fill():
    assert {state for state in S if counts_as_open_exposure(state)} == {
        S.INTENT_STORED, S.SUBMITTED, S.LIVE, S.PARTIALLY_FILLED, S.UNKNOWN
    }


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
    with pytest.raises(BadPayload, match="status: expected one of MATCHED, MINED"):
        parse_fill_status("SETTLED")
