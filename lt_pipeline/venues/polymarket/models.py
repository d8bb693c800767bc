"""The venue's facts in the engine's own words: trades, markets, books and resolutions, plus the
errors a venue read can end in. Everything here is Decimal and aware UTC; no wire names leak out."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from lt_pipeline.clock import ensure_utc
from lt_pipeline.model.trading import SIDES, FeeSchedule, Side  # noqa: F401  (re-exported for the parsers)


_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")


def normalise_address(value: object, field_name: str = "address") -> str:
    """A wallet address in the one form the ledger keys on: lower-case 0x + 40 hex digits."""
    if not isinstance(value, str) or not _ADDRESS.match(value.strip().lower()):
        raise ValueError(f"{field_name}: expected a wallet address (0x + 40 hex digits), got {value!r}")
    return value.strip().lower()


def decimal_text(value: Decimal) -> str:
    """The canonical text of a decimal: no exponent, no trailing zeros ("100.0" -> "100", "0.50" -> "0.5")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def source_trade_id_for(
    transaction_hash: str, token_id: str, side: str, size: Decimal, price: Decimal, trader: str = ""
) -> str:
    """The stable id of one source trade.

    sha256 over "tx_hash|token_id|side|size|price|trader" (hash and trader lower-cased, side
    upper-cased, size and price as `decimal_text`), first 32 hex characters. The trader is part of it
    because two tracked wallets filled in one transaction at the same token, side, size and price are
    two trades, not one. The Data API sends sizes as JSON numbers, so 100,
    100.0 and "100.00" must all give the same id; normalising them makes repeated polls of the same
    fill collide on purpose, which is what lets the ledger dedupe them.
    """
    key = "|".join(
        (
            transaction_hash.strip().lower(),
            token_id.strip(),
            side.strip().upper(),
            decimal_text(size),
            decimal_text(price),
            trader.strip().lower(),
        )
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


# --- errors -------------------------------------------------------------------------------------


class VenueError(Exception):
    """Something went wrong reading the venue; `message` says what, in words fit for a log."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VenueRejected(VenueError):
    """The venue answered and said no (a 4xx other than 429): retrying the same request will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"venue refused with HTTP {status}: {message}")
        self.status = status
        self.reason = message


class VenueUnavailable(VenueError):
    """The venue could not be reached or asked us to wait (transport error, 5xx, 429).

    `retry_after` is the wait in seconds the venue asked for, when it said one.
    """

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class BadPayload(VenueError, ValueError):
    """The venue answered 200 but the body (or one record of it) is not what the wire format promises."""


# --- source trades --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceTrade:
    """One trade of a tracked trader as the Data API reports it.

    `notional_usd` is price * size; leave it out and it is computed, pass it and it is checked.
    Optional text fields are None when the venue did not send them (some rows lack outcome fields).
    """

    source_trade_id: str
    trader_address: str
    condition_id: str
    token_id: str
    outcome: str | None
    outcome_index: int | None
    side: Side
    price: Decimal
    size: Decimal
    traded_at: datetime
    transaction_hash: str
    title: str | None = None
    slug: str | None = None
    event_slug: str | None = None
    trader_name: str | None = None
    notional_usd: Decimal = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "traded_at", ensure_utc(self.traded_at, "traded_at"))
        notional = self.price * self.size
        if self.notional_usd is None:
            object.__setattr__(self, "notional_usd", notional)
        elif self.notional_usd != notional:
            raise ValueError(f"notional_usd: expected price * size = {notional}, got {self.notional_usd}")


@dataclass(frozen=True)
class TraderPosition:
    """One open position of a wallet as the Data API's `/positions` reports it (for reconciliation)."""

    trader_address: str
    condition_id: str
    token_id: str
    outcome: str | None
    outcome_index: int | None
    size: Decimal  # shares held
    avg_price: Decimal
    current_price: Decimal | None
    redeemable: bool
    title: str | None = None


@dataclass(frozen=True)
class RejectedRecord:
    """A record from the venue that we could not accept, kept with the reason so nothing vanishes silently."""

    source: str  # e.g. "data_api.trades", "gamma.markets"
    raw: dict[str, Any]
    reason: str
    seen_at: datetime


# --- markets ------------------------------------------------------------------------------------


class ResolutionStatus(StrEnum):
    WON = "WON"  # one outcome won: it pays 1 per share, the others 0
    VOID = "VOID"  # no winner: every outcome pays an equal share (0.5 in a binary market)


@dataclass(frozen=True)
class Resolution:
    status: ResolutionStatus
    winning_token_id: str | None
    payouts: dict[str, Decimal]  # token_id -> what one share pays
    resolved_at: datetime | None

    def payout(self, token_id: str) -> Decimal:
        try:
            return self.payouts[token_id]
        except KeyError:
            raise KeyError(f"token_id {token_id!r} is not an outcome of this market") from None


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    outcome: str
    index: int
    price: Decimal | None  # last displayed price; None when the venue did not send one


@dataclass(frozen=True)
class MarketInfo:
    """One market as Gamma or the CLOB describes it.

    liquidity, volume and volume_24h are None when the source does not report them (the CLOB never
    does); tick_size and min_order_size are None for legacy markets that predate the order book.
    """

    condition_id: str
    question: str
    slug: str | None
    category: str
    end_date: datetime | None
    neg_risk: bool
    tick_size: Decimal | None
    min_order_size: Decimal | None
    liquidity: Decimal | None
    volume: Decimal | None
    volume_24h: Decimal | None
    closed: bool
    accepting_orders: bool
    tokens: tuple[TokenInfo, ...]
    resolution: Resolution | None = None
    fee_schedule: FeeSchedule | None = None  # None when the source says nothing about fees

    def token(self, token_id: str) -> TokenInfo | None:
        return next((t for t in self.tokens if t.token_id == token_id), None)

    @property
    def is_resolved(self) -> bool:
        return self.resolution is not None


# --- price history ------------------------------------------------------------------------------


class PricePoint(NamedTuple):
    """One point of a token's price history (`/prices-history`): the price at `at` (aware UTC)."""

    at: datetime
    price: Decimal


# --- order books --------------------------------------------------------------------------------


class BookLevel(NamedTuple):
    price: Decimal
    size: Decimal


@dataclass(frozen=True)
class BookSnapshot:
    """One token's order book, best level FIRST on both sides (the wire puts it last; see parsing)."""

    token_id: str
    condition_id: str
    timestamp: datetime
    bids: tuple[BookLevel, ...]  # highest price first
    asks: tuple[BookLevel, ...]  # lowest price first
    tick_size: Decimal | None
    min_order_size: Decimal | None
    neg_risk: bool | None
    last_trade_price: Decimal | None

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].price if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        if self.best_bid is None or self.best_ask is None:
            return None
        return (self.best_bid + self.best_ask) / 2

    @property
    def spread(self) -> Decimal | None:
        if self.best_bid is None or self.best_ask is None:
            return None
        return self.best_ask - self.best_bid
