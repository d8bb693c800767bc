"""The venue's view of our orders and trades (CLOB OpenOrder and Trade JSON, API.md §6) in our own small
types, Decimal and aware UTC, the fills that are ours in a trade, and the reads that fetch them.

A record that breaks the wire contract raises BadPayload naming the field; the readers report it and
go on, so one bad trade never hides the others.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from lt_pipeline.execution import Side
from lt_pipeline.execution.lifecycle import FillStatus, parse_fill_status
from lt_pipeline.money import USDC_UNIT, to_price, to_size
from lt_pipeline.quality.measures import fee_rate_from_bps, taker_fee
from lt_pipeline.venues.polymarket.models import SIDES, BadPayload, VenueError
from lt_pipeline.venues.polymarket.parsing import (
    _int,
    _number,
    _optional_text,
    _text,
    _token_id,
    _unix_time,
    parse_datetime,
    require_object,
)

MARKET_ORDER_TYPES = ("FOK", "FAK")


class Resting(StrEnum):
    """Where an order stands at the venue, as far as more fills are concerned."""

    OPEN = "open"  # on the book: it may fill more
    DONE = "done"  # matched and off the book; whatever did not match never will (a FAK's rest)
    CANCELLED = "cancelled"  # cancelled (by us, by expiry, or because its market resolved)
    INVALID = "invalid"  # the venue refused it after all


_OPEN_STATUSES = ("LIVE", "DELAYED", "UNMATCHED")


def plain_order_status(status: object) -> str:
    """The venue's order status in one spelling: upper case without V2's "ORDER_STATUS_" prefix."""
    return str(status).strip().upper().removeprefix("ORDER_STATUS_")


def resting_of(status: str) -> Resting:
    name = plain_order_status(status)
    if name in _OPEN_STATUSES:
        return Resting.OPEN
    if name == "MATCHED":
        return Resting.DONE
    if name.startswith("CANCELED") or name.startswith("CANCELLED"):
        return Resting.CANCELLED
    if name == "INVALID":
        return Resting.INVALID
    raise BadPayload(f"status: expected a venue order status (LIVE, MATCHED, CANCELED, INVALID ...), got {status!r}")


@dataclass(frozen=True)
class VenueOrder:
    """One of our orders as `GET /data/order/{id}` or `GET /data/orders` reports it."""

    order_id: str
    status: str  # plain: LIVE, MATCHED, CANCELED, CANCELED_MARKET_RESOLVED, INVALID ...
    side: Side
    price: Decimal
    original_size: Decimal
    size_matched: Decimal
    token_id: str
    condition_id: str | None
    order_type: str | None
    created_at: datetime | None

    @property
    def resting(self) -> Resting:
        return resting_of(self.status)


def parse_order(raw: object) -> VenueOrder:
    record = require_object(raw, "order")
    status = plain_order_status(_text(record, "status"))
    resting_of(status)  # refuse an unknown status here, where the record is at hand
    created = record.get("created_at")
    return VenueOrder(
        order_id=_text(record, "id").lower(),
        status=status,
        side=_side(record, "side"),
        price=_number(record, "price", to_price),
        original_size=_number(record, "original_size", to_size),
        size_matched=_number(record, "size_matched", to_size),
        token_id=_token_id(record.get("asset_id"), "asset_id"),
        condition_id=_optional_text(record, "market"),
        order_type=(_optional_text(record, "order_type") or "").upper() or None,
        created_at=_time(record, "created_at") if created not in (None, "", 0) else None,
    )


@dataclass(frozen=True)
class MakerLeg:
    """One maker order matched by a trade (`maker_orders[]`): its own token, side, price and amount."""

    order_id: str
    maker_address: str
    token_id: str
    side: Side
    price: Decimal
    matched_amount: Decimal
    fee_rate_bps: int


@dataclass(frozen=True)
class VenueTrade:
    """One trade from `GET /data/trades`: the taker's fill plus the maker legs it matched."""

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


def parse_trade(raw: object) -> VenueTrade:
    record = require_object(raw, "trade")
    try:
        status = parse_fill_status(_text(record, "status"))
    except ValueError as error:
        raise BadPayload(str(error)) from None
    legs = record.get("maker_orders") or []
    if not isinstance(legs, list):
        raise BadPayload(f"maker_orders: expected a list, got {type(legs).__name__}")
    trader_side = (_optional_text(record, "trader_side") or "TAKER").upper()
    if trader_side not in ("TAKER", "MAKER"):
        raise BadPayload(f"trader_side: expected TAKER or MAKER, got {trader_side!r}")
    return VenueTrade(
        trade_id=_text(record, "id"),
        taker_order_id=_text(record, "taker_order_id").lower(),
        token_id=_token_id(record.get("asset_id"), "asset_id"),
        side=_side(record, "side"),
        price=_number(record, "price", to_price),
        size=_number(record, "size", to_size),
        fee_rate_bps=_bps(record, "fee_rate_bps"),
        status=status,
        match_time=_time(record, "match_time"),
        trader_side=trader_side,
        transaction_hash=_optional_text(record, "transaction_hash"),
        maker_orders=tuple(_maker_leg(leg, i) for i, leg in enumerate(legs)),
    )


def _maker_leg(raw: object, index: int) -> MakerLeg:
    where = f"maker_orders[{index}]"
    try:
        record = require_object(raw, where)
        return MakerLeg(
            order_id=_text(record, "order_id").lower(),
            maker_address=(_optional_text(record, "maker_address") or "").lower(),
            token_id=_token_id(record.get("asset_id"), "asset_id"),
            side=_side(record, "side"),
            price=_number(record, "price", to_price),
            matched_amount=_number(record, "matched_amount", to_size),
            fee_rate_bps=_bps(record, "fee_rate_bps"),
        )
    except BadPayload as error:
        raise BadPayload(f"{where}.{error.message}") from None


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
    trader_side: str
    status: FillStatus
    transaction_hash: str | None
    matched_at: datetime

    @property
    def fill_id(self) -> str:
        return f"{self.trade_id}:{self.order_id}"

    @property
    def fee_usd(self) -> Decimal:
        """Polymarket's fee for this fill, size * rate * p * (1 - p), at the rate the venue reports for
        this side of the trade (makers are reported at their own rate, zero where makers pay none)."""
        return taker_fee(self.size, self.price, fee_rate_from_bps(self.fee_rate_bps))


def fills_of(trade: VenueTrade, order_ids: Container[str]) -> list[OurFill]:
    """The fills in `trade` that belong to the orders in `order_ids` (ours): as taker, as maker, or both
    when we crossed ourselves. Sizes and prices are always our order's own."""
    fills = []
    common = dict(trade_id=trade.trade_id, status=trade.status, transaction_hash=trade.transaction_hash,
                  matched_at=trade.match_time)
    if trade.taker_order_id in order_ids:
        fills.append(OurFill(order_id=trade.taker_order_id, token_id=trade.token_id, side=trade.side,
                             price=trade.price, size=trade.size, fee_rate_bps=trade.fee_rate_bps,
                             trader_side="TAKER", **common))
    for leg in trade.maker_orders:
        if leg.order_id in order_ids:
            fills.append(OurFill(order_id=leg.order_id, token_id=leg.token_id, side=leg.side, price=leg.price,
                                 size=leg.matched_amount, fee_rate_bps=leg.fee_rate_bps, trader_side="MAKER",
                                 **common))
    return fills


def our_order_ids(trade: VenueTrade, funder: str) -> set[str]:
    """Which orders in `trade` are the requesting user's, known or not to the ledger: the taker order
    when the venue says we took, and every maker leg made from our funder address."""
    ids = {trade.taker_order_id} if trade.trader_side == "TAKER" else set()
    ids |= {leg.order_id for leg in trade.maker_orders if leg.maker_address == funder.lower()}
    return ids


@dataclass(frozen=True)
class SignedOrderFacts:
    """What a stored signed order (lt_orders.signed_order_json) says about itself."""

    side: Side
    token_id: str
    shares: Decimal  # BUY: the shares it takes; SELL: the shares it gives
    price: Decimal  # the price its amounts imply: USD per share


def signed_order_facts(signed_order_json: str) -> SignedOrderFacts:
    """Read side, token, shares and implied price from the exact wire payload we stored before submitting."""
    try:
        payload = json.loads(signed_order_json)
    except (TypeError, ValueError):
        raise BadPayload("signed_order_json: expected the stored JSON of a signed order") from None
    order = require_object(require_object(payload, "signed_order_json").get("order"), "signed_order_json.order")
    side = _side(order, "side")
    maker = _number(order, "makerAmount", to_size) / USDC_UNIT
    taker = _number(order, "takerAmount", to_size) / USDC_UNIT
    shares, usd = (taker, maker) if side == "BUY" else (maker, taker)
    if shares == 0:
        raise BadPayload("signed_order_json.order: expected amounts above 0")
    return SignedOrderFacts(side=side, token_id=_token_id(order.get("tokenId"), "tokenId"), shares=shares,
                            price=usd / shares)


# --- reading them from the venue ----------------------------------------------------------------------


class OrderReader(Protocol):
    """What the readers need of a ClobTrader."""

    def open_orders(self) -> list[dict[str, Any]]: ...

    def order(self, order_id: str) -> dict[str, Any] | None: ...

    def trades(self, *, after: datetime | None = None) -> list[dict[str, Any]]: ...


def read_trades(trader: OrderReader, since: datetime | None, bad_records: list[str]) -> list[VenueTrade]:
    """The user's trades since `since` (all when None), parsed; a malformed one is reported and skipped."""
    trades = []
    for raw in trader.trades(after=since):
        try:
            trades.append(parse_trade(raw))
        except BadPayload as error:
            bad_records.append(f"trade {_raw_id(raw)}: {error.message}")
    return trades


class OrderRecords:
    """The venue's records of our orders, read as one pass needs them: the open ones in one listing, any
    other one by its hash. A record of None means the venue keeps none (usual for a FOK/FAK); an order
    whose read failed is in `unreadable`, and nothing is concluded about it this time."""

    def __init__(self, trader: OrderReader, bad_records: list[str]) -> None:
        self._trader = trader
        self._bad_records = bad_records
        self.records: dict[str, VenueOrder | None] = {}
        self.unreadable: dict[str, str] = {}  # hash -> why it could not be read

    def read_open(self) -> dict[str, VenueOrder]:
        """List the open orders (a failure raises: without it nothing about the user can be judged)."""
        listed = {}
        for raw in self._trader.open_orders():
            try:
                record = parse_order(raw)
            except BadPayload as error:
                self._bad_records.append(f"open order {_raw_id(raw)}: {error.message}")
                continue
            listed[record.order_id] = record
        self.records.update(listed)
        return listed

    def read(self, order_ids: Iterable[str], *, again: bool = False) -> None:
        """Read each order not read yet (or every one, `again`) by its hash."""
        for order_id in order_ids:
            if not again and (order_id in self.records or order_id in self.unreadable):
                continue
            self.records.pop(order_id, None)
            self.unreadable.pop(order_id, None)
            try:
                raw = self._trader.order(order_id)
                self.records[order_id] = None if raw is None else parse_order(raw)
            except (VenueError, BadPayload) as error:
                self.unreadable[order_id] = error.message

    def get(self, order_id: str) -> VenueOrder | None:
        return self.records.get(order_id)

    def resting(self, order_id: str, order_type: str | None) -> Resting | None:
        """Where the order stands; None when unknown (a GTC not read, unreadable, or without a record)."""
        record = self.records.get(order_id)
        if record is not None:
            return record.resting
        # A FOK/FAK never rests, and the venue keeps no readable record of one (API.md §6.1).
        return Resting.DONE if order_type in MARKET_ORDER_TYPES else None


# --- field readers ------------------------------------------------------------------------------------


def _side(record: Mapping[str, Any], key: str) -> Side:
    side = _text(record, key).upper()
    if side not in SIDES:
        raise BadPayload(f"{key}: expected BUY or SELL, got {side!r}")
    return side  # type: ignore[return-value]


def _bps(record: Mapping[str, Any], key: str) -> int:
    return 0 if record.get(key) in (None, "") else _int(record, key)


def _time(record: Mapping[str, Any], key: str) -> datetime:
    """The CLOB sends times as unix seconds (numbers or strings); older samples use ISO-8601."""
    value = record.get(key)
    if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
        parsed = parse_datetime(value, key)
        if parsed is None:
            raise BadPayload(f"{key}: missing")
        return parsed
    return _unix_time(record, key)


def _raw_id(raw: object) -> str:
    return str(raw.get("id")) if isinstance(raw, dict) else "?"
