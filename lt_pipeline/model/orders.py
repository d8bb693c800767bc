"""The LT order's state machine and the fill's status chain, each as one explicit table.

Every change of an LT order's state is an event; states, events and the decision log share one
vocabulary (the event words are what `signal_decisions.decision` records). Three ends are never
confused: SKIPPED is a local denial (our rule said no, nothing was sent), REJECTED is a venue rejection
(the venue proved it refused), UNKNOWN is an outcome we could not see (timeout, 5xx, crash) and stays
in flight until reconciliation by the order hash settles it.

`ORDER_TRANSITIONS[state][event]` is the set of states the event may lead to. Most events have one;
an event whose result depends on what the venue reports (ACCEPTED, RECONCILED, FILL_FAILED) lists
every state it may lead to, and the caller names the one it saw. An event that leaves the state as it
is (a cancel request for an order whose outcome is unknown, a settlement) is listed with the state
itself, so that it is still checked and journalled.
"""

from __future__ import annotations

from enum import StrEnum


class OrderState(StrEnum):
    SKIPPED = "SKIPPED"  # local denial: paused, caps, capital, minimum size, slippage estimate ...
    INTENT_STORED = "INTENT_STORED"  # signed order stored; its hash is the venue order id; not sent
    SUBMITTED = "SUBMITTED"  # being sent: from here the venue may or may not have it
    LIVE = "LIVE"  # at the venue, resting on the book
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    REJECTED = "REJECTED"  # the venue said no; its reason is kept and it is never retried automatically
    UNKNOWN = "UNKNOWN"  # sent, answer not seen: in flight until the hash is looked up
    NEVER_ARRIVED = "NEVER_ARRIVED"  # the venue has no order or trade with our hash
    CANCELLED = "CANCELLED"  # off the book before filling in full; keeps any fills it had


class OrderEvent(StrEnum):
    SKIPPED = "SKIPPED"  # a local rule refused the signal
    INTENT_STORED = "INTENT_STORED"  # the signal is to be placed: its signed order is stored
    SUBMITTED = "SUBMITTED"  # about to be posted
    ACCEPTED = "ACCEPTED"  # the venue answered with the order (live, or matched on entry)
    REJECTED = "REJECTED"  # the venue refused it (an error answer, or status INVALID)
    UNKNOWN = "UNKNOWN"  # timeout, 5xx, lost reply, or a crash: the answer was not seen
    RECONCILED = "RECONCILED"  # the venue's own record (by hash) settles where the order stands
    NEVER_ARRIVED = "NEVER_ARRIVED"  # looked up by hash after the grace: not at the venue
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"  # the order's full size matched
    CANCELLED = "CANCELLED"  # TTL, pause, halt, market closed, a FAK's rest, or the venue itself
    CANCEL_REQUESTED = "CANCEL_REQUESTED"  # a cancel sent for an order whose state is not known to rest
    FILL_FAILED = "FILL_FAILED"  # a trade of the order failed at the venue: its shares stop counting
    SETTLED = "SETTLED"  # its market resolved: outcome and PnL recorded on its real fills


S, E = OrderState, OrderEvent

# Where the venue's word can put an order once it has it.
AT_VENUE = frozenset({S.LIVE, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED})
# Orders that may or may not have reached the venue.
IN_FLIGHT_STATES = frozenset({S.INTENT_STORED, S.SUBMITTED, S.UNKNOWN})
# Orders known to rest on the book.
RESTING_STATES = frozenset({S.LIVE, S.PARTIALLY_FILLED})
# The unfilled remainder of an order in these states may still fill, so it reserves exposure and
# capital. Filled shares are position exposure in any state (a cancelled order keeps its fills).
OPEN_EXPOSURE_STATES = IN_FLIGHT_STATES | RESTING_STATES
# Ends from which only the venue's late word (a found order, a failed trade) or settlement moves on.
GIVEN_UP_STATES = frozenset({S.NEVER_ARRIVED, S.REJECTED})


def _same(state: OrderState) -> frozenset[OrderState]:
    return frozenset({state})


def _in_flight(state: OrderState) -> dict[OrderEvent, frozenset[OrderState]]:
    return {
        E.UNKNOWN: _same(S.UNKNOWN),
        E.RECONCILED: AT_VENUE | {S.REJECTED},
        E.NEVER_ARRIVED: _same(S.NEVER_ARRIVED),
        E.CANCEL_REQUESTED: _same(state),
    }


def _after_the_end(state: OrderState) -> dict[OrderEvent, frozenset[OrderState]]:
    # A finished order may still learn of a failed trade or of itself at the venue, and gets settled.
    return {E.FILL_FAILED: _same(state), E.RECONCILED: _same(state), E.SETTLED: _same(state)}


# None is a signal not decided yet: a claim inserts the LT order with its first event.
ORDER_TRANSITIONS: dict[OrderState | None, dict[OrderEvent, frozenset[OrderState]]] = {
    None: {E.SKIPPED: _same(S.SKIPPED), E.INTENT_STORED: _same(S.INTENT_STORED)},
    S.INTENT_STORED: {E.SUBMITTED: _same(S.SUBMITTED), **_in_flight(S.INTENT_STORED)},
    S.SUBMITTED: {E.ACCEPTED: AT_VENUE, E.REJECTED: _same(S.REJECTED), **_in_flight(S.SUBMITTED)},
    S.UNKNOWN: {E.REJECTED: _same(S.REJECTED), **_in_flight(S.UNKNOWN)},
    S.LIVE: {
        E.PARTIALLY_FILLED: _same(S.PARTIALLY_FILLED),
        E.FILLED: _same(S.FILLED),
        E.CANCELLED: _same(S.CANCELLED),
        E.REJECTED: _same(S.REJECTED),
        E.CANCEL_REQUESTED: _same(S.LIVE),
        E.RECONCILED: _same(S.LIVE),
    },
    S.PARTIALLY_FILLED: {
        E.FILLED: _same(S.FILLED),
        E.CANCELLED: _same(S.CANCELLED),
        E.REJECTED: _same(S.REJECTED),  # the venue marked it INVALID after all; its fills still count
        E.FILL_FAILED: frozenset({S.LIVE, S.PARTIALLY_FILLED, S.CANCELLED}),
        E.CANCEL_REQUESTED: _same(S.PARTIALLY_FILLED),
        E.RECONCILED: _same(S.PARTIALLY_FILLED),
    },
    S.FILLED: {**_after_the_end(S.FILLED), E.FILL_FAILED: frozenset({S.FILLED, S.LIVE, S.PARTIALLY_FILLED, S.CANCELLED})},
    S.CANCELLED: _after_the_end(S.CANCELLED),
    S.REJECTED: _after_the_end(S.REJECTED),
    S.NEVER_ARRIVED: _after_the_end(S.NEVER_ARRIVED),
    S.SKIPPED: {E.SETTLED: _same(S.SKIPPED)},
}

TERMINAL_STATES = frozenset({S.SKIPPED, S.FILLED, S.REJECTED, S.NEVER_ARRIVED, S.CANCELLED})


class IllegalTransition(ValueError):
    """An event that cannot happen in the order's (or fill's) current state."""


def next_state(
    current: OrderState | None, event: OrderEvent, to: OrderState | None = None, *, order: str = "order"
) -> OrderState:
    """The state after `event` (the one named by `to` when the event may lead to several), or
    IllegalTransition naming the order, the state it was in and the event."""
    state = None if current is None else OrderState(current)
    happened = OrderEvent(event)
    targets = ORDER_TRANSITIONS[state].get(happened)
    where = "new" if state is None else state.value
    if targets is None:
        allowed = ", ".join(ORDER_TRANSITIONS[state]) or "none"
        raise IllegalTransition(f"{order} in state {where}: event {happened.value} is not allowed (allowed: {allowed})")
    if to is None:
        if len(targets) != 1:
            raise IllegalTransition(f"{order} in state {where}: event {happened.value} needs its resulting state")
        return next(iter(targets))
    target = OrderState(to)
    if target not in targets:
        raise IllegalTransition(
            f"{order} in state {where}: event {happened.value} cannot lead to {target.value} "
            f"(only {', '.join(sorted(targets))})"
        )
    return target


def is_terminal(state: OrderState) -> bool:
    return OrderState(state) in TERMINAL_STATES


def counts_as_open_exposure(state: OrderState) -> bool:
    """Whether the order's unfilled remainder still counts toward open exposure."""
    return OrderState(state) in OPEN_EXPOSURE_STATES


# --- fills -----------------------------------------------------------------------------------------


class FillStatus(StrEnum):
    MATCHED = "MATCHED"
    MINED = "MINED"
    CONFIRMED = "CONFIRMED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"  # the fill never settled and is reversed: it no longer counts as filled


F = FillStatus

# We see fills by polling, so a later status may skip intermediate ones (MATCHED straight to CONFIRMED).
FILL_TRANSITIONS: dict[FillStatus, frozenset[FillStatus]] = {
    F.MATCHED: frozenset({F.MINED, F.CONFIRMED, F.RETRYING, F.FAILED}),
    F.MINED: frozenset({F.CONFIRMED, F.RETRYING, F.FAILED}),
    F.RETRYING: frozenset({F.MINED, F.CONFIRMED, F.FAILED}),
    F.CONFIRMED: frozenset(),
    F.FAILED: frozenset(),
}
PROVISIONAL_FILLS = frozenset({F.MATCHED, F.MINED, F.RETRYING})


def fill_transition(current: FillStatus, new: FillStatus) -> FillStatus:
    """Move a fill to the status the venue now reports; repeating the same status is a no-op."""
    current, new = FillStatus(current), FillStatus(new)
    if new == current or new in FILL_TRANSITIONS[current]:
        return new
    raise IllegalTransition(f"fill status {current.value} cannot become {new.value}")


def fill_is_final(status: FillStatus) -> bool:
    return FillStatus(status) in (F.CONFIRMED, F.FAILED)


def fill_counts(status: FillStatus) -> bool:
    """Whether the fill's shares count as filled: provisional fills do (they usually settle), FAILED not."""
    return FillStatus(status) != F.FAILED
