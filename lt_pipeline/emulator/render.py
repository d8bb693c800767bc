"""Emulator objects as the venue's wire JSON: CLOB strings-for-numbers, Data API and Gamma numbers,
Gamma's JSON-encoded string fields, and the exact key sets of the real answers."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ..clock import to_unix
from .types import BookView, Market, OrderRecord, PlacementResult, PublicTrade, TradeRecord

END_CURSOR = "LTE="
TOKEN_UNIT = Decimal("1000000")
MAX_UINT256 = str(2**256 - 1)


def dec(value: Decimal) -> str:
    """A CLOB decimal string: '0.55', '100', never exponent notation."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def num(value: Decimal) -> int | float:
    """A JSON number for the Data API and Gamma (which send floats); integral values as ints."""
    return int(value) if value == value.to_integral_value() else float(value)


def micro(value: Decimal) -> str:
    """An amount in 6-decimal integer units, as the balance endpoint sends it."""
    return str(int((value * TOKEN_UNIT).to_integral_value()))


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """Offset from a page cursor; raises ValueError for junk and for the end cursor."""
    if not cursor:
        return 0
    offset = int(base64.b64decode(cursor.encode(), validate=True).decode())
    if offset < 0:
        raise ValueError("end cursor")
    return offset


def page(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    chunk = items[offset : offset + limit]
    end = offset + len(chunk)
    return {
        "limit": limit,
        "count": len(chunk),
        "next_cursor": encode_cursor(end) if end < len(items) else END_CURSOR,
        "data": chunk,
    }


# ---- CLOB ----------------------------------------------------------------------------------------


def book_json(view: BookView) -> dict[str, Any]:
    """`GET /book`: all ten keys, best level last, with the hash the client can recompute."""
    body: dict[str, Any] = {
        "market": view.condition_id,
        "asset_id": view.token_id,
        "timestamp": str(int(view.timestamp.timestamp() * 1000)),
        "hash": "",
        "bids": [{"price": dec(p), "size": dec(s)} for p, s in view.bids],
        "asks": [{"price": dec(p), "size": dec(s)} for p, s in view.asks],
        "min_order_size": dec(view.min_order_size),
        "tick_size": dec(view.tick_size),
        "neg_risk": view.neg_risk,
        "last_trade_price": dec(view.last_trade_price) if view.last_trade_price is not None else "",
    }
    serialized = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    body["hash"] = hashlib.sha1(serialized.encode("utf-8")).hexdigest()
    return body


def token_prices(market: Market, live_prices: dict[str, Decimal]) -> dict[str, Decimal]:
    """Per-token display price: 1/0 once resolved, 0.5/0.5 when voided, else the live price."""
    if market.voided:
        return {t.token_id: Decimal("0.5") for t in market.tokens}
    if market.winner_token_id is not None:
        return {t.token_id: Decimal(1 if t.token_id == market.winner_token_id else 0) for t in market.tokens}
    return {t.token_id: live_prices.get(t.token_id, Decimal("0.5")) for t in market.tokens}


def clob_market_json(market: Market, prices: dict[str, Decimal]) -> dict[str, Any]:
    """`GET /markets/{condition_id}` and the items of `GET /markets`; `tags` are the tag labels, the
    market's category first (as in the venue's captured answers)."""
    return {
        "enable_order_book": not market.closed,
        "active": True,
        "closed": market.closed,
        "archived": False,
        "accepting_orders": market.accepting_orders and not market.closed,
        "accepting_order_timestamp": iso(market.created_at),
        "minimum_order_size": num(market.min_order_size),
        "minimum_tick_size": num(market.tick_size),
        "condition_id": market.condition_id,
        "question_id": market.question_id,
        "question": market.question,
        "description": market.description,
        "market_slug": market.slug,
        "end_date_iso": iso(market.end_date),
        "game_start_time": None,
        "seconds_delay": 0,
        "fpmm": "",
        "maker_base_fee": 0,  # makers never pay
        "taker_base_fee": market.fee_rate_bps,  # the taker rate in bps (720 for 0.072), 0 when fee-free
        "notifications_enabled": True,
        "neg_risk": market.neg_risk,
        "neg_risk_market_id": market.neg_risk_market_id,
        "neg_risk_request_id": market.question_id if market.neg_risk else "",
        "icon": "",
        "image": "",
        "rewards": {"rates": None, "min_size": 0, "max_spread": 0},
        "is_50_50_outcome": market.voided,
        "tokens": [
            {
                "token_id": t.token_id,
                "outcome": t.outcome,
                "price": num(prices[t.token_id]),
                "winner": market.winner_token_id == t.token_id,
            }
            for t in market.tokens
        ],
        "tags": list(market.tags) or ([market.category] if market.category else []),
    }


def fee_details_json(market: Market) -> dict[str, Any]:
    """`fd` of `/clob-markets/{condition_id}`: the taker rate now (0 when fee-free), the curve's
    exponent, and `to` (takers only) -- the V2 client's FeeInfo reads `r` and `e`."""
    return {"r": num(market.taker_fee_rate), "e": num(market.fee_exponent), "to": True}


def clob_market_info_json(market: Market) -> dict[str, Any]:
    """`GET /clob-markets/{condition_id}`: the compact form the V2 client caches ticks and fees from."""
    fees = fee_details_json(market)
    return {
        "c": market.condition_id,
        "t": [{"t": t.token_id, "o": t.outcome} for t in market.tokens],
        "mos": num(market.min_order_size),
        "mts": num(market.tick_size),
        "mbf": 0,
        "tbf": market.fee_rate_bps,
        "nr": market.neg_risk,
        "fd": fees,
    }


def placement_json(result: PlacementResult) -> dict[str, Any]:
    return {
        "success": True,
        "errorMsg": "",
        "orderID": result.order_id,
        "status": result.status,
        "makingAmount": dec(result.making_amount) if result.making_amount is not None else "",
        "takingAmount": dec(result.taking_amount) if result.taking_amount is not None else "",
        "transactionsHashes": list(result.transaction_hashes),
        "tradeIDs": list(result.trade_ids),
    }


def failed_placement_json(message: str, order_id: str | None) -> dict[str, Any]:
    """One refused order inside a 200 batch answer."""
    return {
        "success": False,
        "errorMsg": message,
        "orderID": order_id or "",
        "status": "",
        "makingAmount": "",
        "takingAmount": "",
        "transactionsHashes": [],
        "tradeIDs": [],
    }


def _status(value: str, prefix: str, prefixed: bool) -> str:
    return f"{prefix}{value}" if prefixed else value


def open_order_json(order: OrderRecord, *, prefixed_statuses: bool = False) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": _status(order.status, "ORDER_STATUS_", prefixed_statuses),
        "owner": order.owner,
        "maker_address": order.maker_address,
        "market": order.market,
        "asset_id": order.asset_id,
        "side": order.side,
        "original_size": dec(order.original_size),
        "size_matched": dec(order.size_matched),
        "price": dec(order.price),
        "outcome": order.outcome,
        "created_at": to_unix(order.created_at),
        "expiration": str(order.expiration),
        "order_type": order.order_type,
        "associate_trades": list(order.associate_trades),
    }


def trade_json(trade: TradeRecord, *, viewer_address: str, prefixed_statuses: bool = False) -> dict[str, Any]:
    """A `/data/trades` item as the viewer sees it: TAKER when they took, else MAKER."""
    is_taker = trade.taker_address.lower() == viewer_address.lower()
    owner, address = trade.owner, trade.taker_address
    if not is_taker:
        mine = next((m for m in trade.maker_orders if m.maker_address.lower() == viewer_address.lower()), None)
        if mine is not None:
            owner, address = mine.owner, mine.maker_address
    return {
        "id": trade.id,
        "taker_order_id": trade.taker_order_id,
        "market": trade.market,
        "asset_id": trade.asset_id,
        "side": trade.side,
        "size": dec(trade.size),
        "fee_rate_bps": str(trade.fee_rate_bps),
        "price": dec(trade.price),
        "status": _status(trade.status, "TRADE_STATUS_", prefixed_statuses),
        "match_time": str(to_unix(trade.match_time)),
        "last_update": str(to_unix(trade.last_update)),
        "outcome": trade.outcome,
        "bucket_index": trade.bucket_index,
        "owner": owner,
        "maker_address": address,
        "transaction_hash": trade.transaction_hash,
        "maker_orders": [
            {
                "order_id": m.order_id,
                "owner": m.owner,
                "maker_address": m.maker_address,
                "matched_amount": dec(m.matched_amount),
                "price": dec(m.price),
                "fee_rate_bps": str(m.fee_rate_bps),
                "asset_id": m.asset_id,
                "outcome": m.outcome,
                "side": m.side,
            }
            for m in trade.maker_orders
        ],
        "trader_side": "TAKER" if is_taker else "MAKER",
    }


# ---- Data API ------------------------------------------------------------------------------------


def public_trade_json(trade: PublicTrade) -> dict[str, Any]:
    return {
        "proxyWallet": trade.proxy_wallet,
        "side": trade.side,
        "asset": trade.asset,
        "conditionId": trade.condition_id,
        "size": num(trade.size),
        "price": num(trade.price),
        "timestamp": to_unix(trade.timestamp),
        "title": trade.title,
        "slug": trade.slug,
        "icon": "",
        "eventSlug": trade.event_slug,
        "outcome": trade.outcome,
        "outcomeIndex": trade.outcome_index,
        "name": trade.name,
        "pseudonym": trade.pseudonym,
        "bio": "",
        "profileImage": "",
        "profileImageOptimized": "",
        "transactionHash": trade.transaction_hash,
    }


def activity_json(trade: PublicTrade) -> dict[str, Any]:
    row = public_trade_json(trade)
    row["type"] = "TRADE"
    row["usdcSize"] = num(trade.size * trade.price)
    return row


# ---- Gamma ---------------------------------------------------------------------------------------


def gamma_market_id(market: Market) -> str:
    """Gamma's numeric market id; the emulator derives a stable one from the condition id."""
    return str(int(market.condition_id[2:9], 16))


def gamma_event_id(market: Market) -> str:
    if market.event_id.isdigit():
        return market.event_id
    return str(int(hashlib.sha256(market.event_id.encode()).hexdigest()[:7], 16))
