"""What the venue reports, in the engine's own types (Decimal, aware UTC): our orders, our trades and
the fills in them that are ours, and the answer to a submission. Venue adapters build these from their
wire formats; the engine never sees the wire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from lt_pipeline.model.orders import FillStatus
from lt_pipeline.model.trading import Side


class Resting(StrEnum):
    """Where an order stands at the venue, as far as more fills are concerned."""

    OPEN = "open"  # on the book: it may fill more
    DONE = "done"  # matched and off the book; whatever did not match never will (a FAK's rest)
    CANCELLED = "cancelled"  # cancelled (by us, by expiry, or because its market resolved)
    INVALID = "invalid"  # the venue refused it after all
    # Off the book with no record left to read (the venue answers nothing for a filled or cancelled
    # order): only its fills say how much it matched.
    FINISHED = "finished"


@dataclass(frozen=True)
class VenueOrder:
    """One of our orders as the venue reports it (its order record)."""

    order_id: str
    status: str  # the venue's word, plain: LIVE, MATCHED, CANCELED, CANCELED_MARKET_RESOLVED, INVALID ...
    resting: Resting
    side: Side
    price: Decimal
    original_size: Decimal
    size_matched: Decimal
    token_id: str
    condition_id: str | None
    order_type: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class MakerLeg:
    """One maker order matched by a trade: its own token, side, price and amount."""

    order_id: str
    maker_address: str
    token_id: str
    side: Side
    price: Decimal
    matched_amount: Decimal
    fee_rate_bps: int


@dataclass(frozen=True)
class VenueTrade:
    """One trade of ours: the taker's fill plus the maker legs it matched."""

    trade_id: str
    taker_order_id: str
    token_id: str
    side: Side
    price: Decimal
    size: Decimal
    fee_rate_bps: int
    status: FillStatus
    match_time: datetime
    trader_side: str  # TAKER or MAKER: which side of it the requesting user was on
    transaction_hash: str | None
    maker_orders: tuple[MakerLeg, ...]

    @property
    def order_ids(self) -> set[str]:
        return {self.taker_order_id, *(leg.order_id for leg in self.maker_orders)}


@dataclass(frozen=True)
class OurFill:
    """Our side of one trade for one of our orders: the taker's fill, or our maker leg's."""

    trade_id: str
    order_id: str
    token_id: str
    side: Side
    price: Decimal
    size: Decimal
    fee_rate_bps: int
    fee_usd: Decimal
    trader_side: str
    status: FillStatus
    transaction_hash: str | None
    matched_at: datetime

    @property
    def fill_id(self) -> str:
        return f"{self.trade_id}:{self.order_id}"


@dataclass(frozen=True)
class ReadResult:
    """What one venue read returned: the records it could parse, and one line per record it could not."""

    records: list
    bad_records: list[str]


# --- submitting --------------------------------------------------------------------------------------


class SubmitOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SignedIntent:
    """A signed order as it will go on the wire; `order_id` is its hash, the venue's id for it."""

    order_id: str
    payload: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(self.payload, separators=(",", ":"), sort_keys=True)

    @staticmethod
    def from_json(order_id: str, text: str) -> "SignedIntent":
        return SignedIntent(order_id, json.loads(text))


@dataclass(frozen=True)
class SubmitResult:
    """The venue's answer to one submitted order, kept apart the way the venue proves it."""

    order_id: str
    outcome: SubmitOutcome
    status: str = ""  # the venue's word on acceptance: live, matched, delayed, unmatched
    reason: str = ""  # the venue's error text, or what made the outcome unknown
    making_amount: Decimal | None = None
    taking_amount: Decimal | None = None
    trade_ids: tuple[str, ...] = ()
    # Set when the venue did not receive the order (throttled, refused before placement, dropped
    # connection): the same signed order may be sent again after this many seconds.
    retry_after: float | None = None
    attempts: int = 1


@dataclass(frozen=True)
class SignedOrderFacts:
    """What a stored signed order says about itself."""

    side: Side
    token_id: str
    shares: Decimal  # BUY: the shares it takes; SELL: the shares it gives
    price: Decimal  # the price its amounts imply: USD per share
