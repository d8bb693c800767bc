"""The CLOB's order and trade JSON (OpenOrder, Trade, the stored signed order) turned into the model's
reports. The one place that knows the venue's order and trade status words.

A record that breaks the wire contract raises BadPayload naming the field; readers report it and go
on, so one bad trade never hides the others.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lt_pipeline.model.orders import FillStatus
from lt_pipeline.model.reports import MakerLeg, Resting, SignedOrderFacts, VenueOrder, VenueTrade
from lt_pipeline.model.trading import SIDES, Side
from lt_pipeline.money import USDC_UNIT, to_price, to_size
from lt_pipeline.venues.polymarket.models import BadPayload
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

_OPEN_STATUSES = ("LIVE", "DELAYED", "UNMATCHED")


def plain_order_status(status: object) -> str:
    """The venue's order status in one spelling: upper case without V2's "ORDER_STATUS_" prefix."""
    return str(status).strip().upper().removeprefix("ORDER_STATUS_")


def resting_of(status: object) -> Resting:
    """Where an order with this venue status stands: the venue's status words mapped once, here."""
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


def parse_fill_status(text: object) -> FillStatus:
    """A trade status in the plain or the "TRADE_STATUS_"-prefixed form."""
    name = str(text).upper().removeprefix("TRADE_STATUS_")
    try:
        return FillStatus(name)
    except ValueError:
        raise BadPayload(f"status: expected one of {', '.join(FillStatus)}, got {text!r}") from None


def parse_order(raw: object) -> VenueOrder:
    record = require_object(raw, "order")
    status = plain_order_status(_text(record, "status"))
    created = record.get("created_at")
    return VenueOrder(
        order_id=_text(record, "id").lower(),
        status=status,
        resting=resting_of(status),
        side=_side(record, "side"),
        price=_number(record, "price", to_price),
        original_size=_number(record, "original_size", to_size),
        size_matched=_number(record, "size_matched", to_size),
        token_id=_token_id(record.get("asset_id"), "asset_id"),
        condition_id=_optional_text(record, "market"),
        order_type=(_optional_text(record, "order_type") or "").upper() or None,
        created_at=_time(record, "created_at") if created not in (None, "", 0) else None,
    )


def parse_trade(raw: object) -> VenueTrade:
    record = require_object(raw, "trade")
    status = parse_fill_status(_text(record, "status"))
    legs = record.get("maker_orders") or []
    if not isinstance(legs, list):
        raise BadPayload(f"maker_orders: expected a list, got {type(legs).__name__}")
    trader_side = (_optional_text(record, "trader_side") or "TAKER").upper()
    if trader_side not in ("TAKER", "MAKER"):
        raise BadPayload(f"trader_side: expected TAKER or MAKER, got {trader_side!r}")
    token_id = _token_id(record.get("asset_id"), "asset_id")
    side = _side(record, "side")
    return VenueTrade(
        trade_id=_text(record, "id"),
        taker_order_id=_text(record, "taker_order_id").lower(),
        token_id=token_id,
        side=side,
        price=_number(record, "price", to_price),
        size=_number(record, "size", to_size),
        fee_rate_bps=_bps(record, "fee_rate_bps"),
        status=status,
        match_time=_time(record, "match_time"),
        trader_side=trader_side,
        transaction_hash=_optional_text(record, "transaction_hash"),
        maker_orders=tuple(_maker_leg(leg, i, token_id, side) for i, leg in enumerate(legs)),
    )


def _maker_leg(raw: object, index: int, taker_token: str, taker_side: Side) -> MakerLeg:
    where = f"maker_orders[{index}]"
    try:
        record = require_object(raw, where)
        token_id = _token_id(record.get("asset_id"), "asset_id")
        return MakerLeg(
            order_id=_text(record, "order_id").lower(),
            maker_address=(_optional_text(record, "maker_address") or "").lower(),
            token_id=token_id,
            side=_side(record, "side") if record.get("side") not in (None, "") else _maker_side(token_id, taker_token, taker_side),
            price=_number(record, "price", to_price),
            matched_amount=_number(record, "matched_amount", to_size),
            fee_rate_bps=_bps(record, "fee_rate_bps"),
        )
    except BadPayload as error:
        raise BadPayload(f"{where}.{error.message}") from None


def _maker_side(maker_token: str, taker_token: str, taker_side: Side) -> Side:
    """A maker leg the venue sent without its side: against the taker's own token it took the other
    side; on the complementary token (a match that mints or merges) it took the same side."""
    if maker_token == taker_token:
        return "SELL" if taker_side == "BUY" else "BUY"
    return taker_side


def signed_order_facts(signed_order_json: str) -> SignedOrderFacts:
    """Read side, token, shares and implied price from the exact wire payload stored before submitting."""
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


def parse_each(raws: object, parse, what: str) -> tuple[list, list[str]]:
    """Parse every record of a listing; a malformed one becomes a line in the second list."""
    parsed, bad = [], []
    for raw in raws if isinstance(raws, list) else []:
        try:
            parsed.append(parse(raw))
        except BadPayload as error:
            bad.append(f"{what} {_raw_id(raw)}: {error.message}")
    return parsed, bad


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
