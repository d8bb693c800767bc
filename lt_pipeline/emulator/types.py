"""The emulator's own types: the contract between the venue core (state, matching, simulation) and
the wire layer (HTTP routes, auth, signatures, JSON rendering).

Money, prices and sizes are Decimal in human units (shares, dollars); timestamps are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from lt_pipeline.model.trading import Side  # noqa: E402  (the venue and the engine share the word)
OrderType = Literal["GTC", "GTD", "FOK", "FAK"]
OrderStatus = Literal["LIVE", "MATCHED", "CANCELED", "CANCELED_MARKET_RESOLVED", "INVALID"]
TradeStatus = Literal["MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED"]
AssetType = Literal["COLLATERAL", "CONDITIONAL"]


class VenueError(Exception):
    """A refusal in the venue's own words: HTTP status and the exact error text it sends."""

    def __init__(self, status: int, message: str, order_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.order_id = order_id


@dataclass(frozen=True)
class Token:
    token_id: str  # decimal string, as on the wire
    outcome: str  # "Yes" / "No" or a team name
    index: int  # 0 or 1


@dataclass
class Market:
    condition_id: str  # 0x + 64 hex
    question_id: str
    question: str
    slug: str
    category: str
    event_id: str
    event_slug: str
    tokens: tuple[Token, Token]
    neg_risk: bool
    neg_risk_market_id: str  # "" when not neg-risk
    tick_size: Decimal
    min_order_size: Decimal
    created_at: datetime
    end_date: datetime
    closed: bool = False
    accepting_orders: bool = True
    winner_token_id: str | None = None
    voided: bool = False
    resolved_at: datetime | None = None
    volume: Decimal = Decimal("0")
    volume_24h: Decimal = Decimal("0")
    liquidity: Decimal = Decimal("0")
    description: str = ""
    # The fee schedule (see emulator/fees.py): takers pay C * fee_rate * (p(1-p)) ** fee_exponent when
    # fees_enabled; makers never pay. `category` is the first of `tags` (the tag labels the CLOB lists).
    fees_enabled: bool = False
    fee_rate: Decimal = Decimal("0")
    fee_exponent: Decimal = Decimal("1")
    tags: tuple[str, ...] = ()

    @property
    def taker_fee_rate(self) -> Decimal:
        """The rate takers pay now: `fee_rate` when fees are enabled, else 0."""
        return self.fee_rate if self.fees_enabled else Decimal("0")

    @property
    def fee_rate_bps(self) -> int:
        """The taker rate in whole basis points, as the CLOB shows it (0.072 -> 720; 0 when fee-free)."""
        return int(self.taker_fee_rate * 10000)


@dataclass(frozen=True)
class BookView:
    """A snapshot of one token's book in the wire's order: bids ascending, asks descending (best last)."""

    condition_id: str
    token_id: str
    timestamp: datetime
    bids: tuple[tuple[Decimal, Decimal], ...]  # (price, size)
    asks: tuple[tuple[Decimal, Decimal], ...]
    tick_size: Decimal
    min_order_size: Decimal
    neg_risk: bool
    last_trade_price: Decimal | None


@dataclass(frozen=True)
class IncomingOrder:
    """An order the wire layer has parsed and verified (signature, owner, signer, tick, size, precision)."""

    order_id: str  # the EIP-712 order hash, 0x + 64 hex
    owner: str  # API key UUID
    maker: str  # funder address (checksummed)
    signer: str
    token_id: str
    side: Side
    price: Decimal
    size: Decimal  # shares
    maker_amount: Decimal  # human units (what the maker gives)
    taker_amount: Decimal  # human units (what the maker wants)
    order_type: OrderType
    post_only: bool
    expiration: int  # unix seconds, 0 = none
    signature_type: int


@dataclass
class OrderRecord:
    id: str
    owner: str
    maker_address: str
    market: str
    asset_id: str
    side: Side
    original_size: Decimal
    size_matched: Decimal
    price: Decimal
    outcome: str
    created_at: datetime
    expiration: int
    order_type: OrderType
    status: OrderStatus
    associate_trades: list[str] = field(default_factory=list)


@dataclass
class MakerFill:
    """One maker's part of a trade; `fee_rate_bps` is 0, as makers pay no fee."""

    order_id: str
    owner: str
    maker_address: str
    matched_amount: Decimal
    price: Decimal
    fee_rate_bps: int
    asset_id: str
    outcome: str
    side: Side


@dataclass
class TradeRecord:
    """One taker order's fill at one price level; `fee_rate_bps` is the taker's (the market's rate)."""

    id: str
    taker_order_id: str
    market: str
    asset_id: str  # the taker's token
    side: Side  # the taker's side
    size: Decimal
    price: Decimal
    fee_rate_bps: int
    status: TradeStatus
    match_time: datetime
    last_update: datetime
    outcome: str
    bucket_index: int
    owner: str  # taker's API key ("" for a simulated trader)
    taker_address: str  # taker's funder address
    transaction_hash: str
    maker_orders: list[MakerFill] = field(default_factory=list)
    fee: Decimal = Decimal("0")  # what the taker paid in collateral (not on the wire; undone if the trade fails)


@dataclass(frozen=True)
class PlacementResult:
    order_id: str
    status: Literal["live", "matched"]
    making_amount: Decimal | None  # None when nothing matched (rendered as "")
    taking_amount: Decimal | None
    trade_ids: tuple[str, ...]
    transaction_hashes: tuple[str, ...]


@dataclass(frozen=True)
class PublicTrade:
    """One row of the Data API's /trades and /activity: one side of one fill, as the chain shows it."""

    proxy_wallet: str
    side: Side
    asset: str
    condition_id: str
    size: Decimal
    price: Decimal
    timestamp: datetime
    title: str
    slug: str
    event_slug: str
    outcome: str
    outcome_index: int
    transaction_hash: str
    name: str
    pseudonym: str
    is_taker: bool


@dataclass(frozen=True)
class SimTrader:
    address: str
    name: str
    pseudonym: str
    skill: float  # probability of trading in the direction of the eventual outcome
    typical_size_usd: Decimal
    trades_per_hour: float
