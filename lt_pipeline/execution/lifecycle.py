"""The LT order and fill state machines of DESIGN.md section 5, each as one explicit table.

Three outcomes are never confused: SKIPPED is a local denial (our rule said no, nothing was sent),
REJECTED is a venue rejection (the venue proved it refused), UNKNOWN is an outcome we could not see
(timeout, 5xx, crash) and stays in flight until reconciliation by the order hash settles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from lt_pipeline.clock import ensure_utc
from lt_pipeline.money import to_size


class OrderState(StrEnum):
    DECIDED = "decided"
    SKIPPED = "skipped"  # local denial: paused, caps, capital, minimum size, slippage estimate ...
    INTENT_STORED = "intent_stored"  # signed order stored; its hash is the venue order id
    SUBMITTED = "submitted"
    LIVE = "live"  # resting on the book
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    REJECTED = "rejected"  # the venue said no; its reason is kept and it is never retried automatically
    UNKNOWN = "unknown"
    NEVER_ARRIVED = "never_arrived"  # reconciliation: the venue has no order with our hash
    CANCELLED = "cancelled"  # keeps any fills it had


class OrderEvent(StrEnum):
    DENY = "deny"  # a local rule refused the signal
    STORE_INTENT = "store_intent"
    SUBMIT = "submit"
    REJECT = "reject"  # the venue refused the order (an error response, or status INVALID)
    OUTCOME_UNKNOWN = "outcome_unknown"  # timeout, 5xx, or a crash with the intent stored
    REST = "rest"  # the venue reports the order live on the book
    PARTIAL_FILL = "partial_fill"
    FILL = "fill"  # the order's full size matched
    CANCEL = "cancel"  # cancelled: TTL, pause with cancel, kill switch, market closed, FAK remainder
    NOT_FOUND = "not_found"  # reconciliation found no order with our hash


S, E = OrderState, OrderEvent

# After a submit the venue can report any of these, directly or through reconciliation.
_VENUE_REPORTS = {
    E.REST: S.LIVE,
    E.PARTIAL_FILL: S.PARTIALLY_FILLED,
    E.FILL: S.FILLED,
    E.CANCEL: S.CANCELLED,
}

ORDER_TRANSITIONS: dict[OrderState, dict[OrderEvent, OrderState]] = {
    S.DECIDED: {E.DENY: S.SKIPPED, E.STORE_INTENT: S.INTENT_STORED},
    # A crash between storing and submitting leaves us not knowing whether the order went out.
    S.INTENT_STORED: {E.SUBMIT: S.SUBMITTED, E.OUTCOME_UNKNOWN: S.UNKNOWN},
    S.SUBMITTED: {E.REJECT: S.REJECTED, E.OUTCOME_UNKNOWN: S.UNKNOWN, **_VENUE_REPORTS},
    # Only the venue's own word settles an unknown outcome; a timeout while reconciling keeps it unknown.
    S.UNKNOWN: {E.REJECT: S.REJECTED, E.NOT_FOUND: S.NEVER_ARRIVED, E.OUTCOME_UNKNOWN: S.UNKNOWN, **_VENUE_REPORTS},
    S.LIVE: {E.REST: S.LIVE, E.PARTIAL_FILL: S.PARTIALLY_FILLED, E.FILL: S.FILLED, E.CANCEL: S.CANCELLED},
    S.PARTIALLY_FILLED: {E.PARTIAL_FILL: S.PARTIALLY_FILLED, E.FILL: S.FILLED, E.CANCEL: S.CANCELLED},
    S.SKIPPED: {},
    S.FILLED: {},
    S.REJECTED: {},
    S.NEVER_ARRIVED: {},
    S.CANCELLED: {},
}

TERMINAL_STATES = frozenset(state for state, moves in ORDER_TRANSITIONS.items() if not moves)

# The unfilled remainder of an order in these states may still fill, so it reserves exposure and
# capital. Filled shares are position exposure in any state (a cancelled order keeps its fills).
OPEN_EXPOSURE_STATES = frozenset({S.INTENT_STORED, S.SUBMITTED, S.LIVE, S.PARTIALLY_FILLED, S.UNKNOWN})


class IllegalTransition(ValueError):
    """An event that cannot happen in the order's (or fill's) current state."""


def transition(current: OrderState, event: OrderEvent) -> OrderState:
    """The state after `event`, or IllegalTransition naming both."""
    state, happened = OrderState(current), OrderEvent(event)
    try:
        return ORDER_TRANSITIONS[state][happened]
    except KeyError:
        allowed = ", ".join(ORDER_TRANSITIONS[state]) or "none, it is final"
        raise IllegalTransition(
            f"order state {state.value}: event {happened.value} is not allowed (allowed: {allowed})"
        ) from None


def is_terminal(state: OrderState) -> bool:
    return OrderState(state) in TERMINAL_STATES


def counts_as_open_exposure(state: OrderState) -> bool:
    """Whether the order's unfilled remainder still counts toward open exposure."""
    return OrderState(state) in OPEN_EXPOSURE_STATES


@dataclass(frozen=True)
class OrderTransition:
    """One transition as the ledger records it: every change of state is an event with a time."""

    from_state: OrderState
    event: OrderEvent
    to_state: OrderState
    at: datetime
    detail: str | None = None  # the skip reason, the venue's error text, the cancel cause ...


def record_transition(
    current: OrderState, event: OrderEvent, *, at: datetime, detail: str | None = None
) -> OrderTransition:
    return OrderTransition(OrderState(current), OrderEvent(event), transition(current, event), ensure_utc(at, "at"), detail)


def event_for_venue_order(status: str, size_matched: Decimal, original_size: Decimal) -> OrderEvent:
    """Map the venue's view of an order (status, size_matched, original_size) to an OrderEvent.

    Accepts the plain and the "ORDER_STATUS_"-prefixed V2 forms. Any status of a cancellation
    (CANCELED, CANCELED_MARKET_RESOLVED) is a cancel; INVALID is a rejection; MATCHED is a full or
    partial fill by size.
    """
    name = str(status).upper().removeprefix("ORDER_STATUS_")
    matched, size = to_size(size_matched, "size_matched"), to_size(original_size, "original_size")
    if name.startswith("CANCELED") or name.startswith("CANCELLED"):
        return E.CANCEL
    if name == "INVALID":
        return E.REJECT
    if name in ("LIVE", "MATCHED", "DELAYED", "UNMATCHED"):
        if matched == 0:
            return E.REST
        return E.FILL if matched >= size else E.PARTIAL_FILL
    raise ValueError(f"status: expected a venue order status (LIVE, MATCHED, CANCELED, INVALID ...), got {status!r}")


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


def parse_fill_status(text: str) -> FillStatus:
    """A trade status in the plain or the "TRADE_STATUS_"-prefixed form."""
    name = str(text).upper().removeprefix("TRADE_STATUS_")
    try:
        return FillStatus(name)
    except ValueError:
        raise ValueError(f"status: expected one of {', '.join(FillStatus)}, got {text!r}") from None


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
