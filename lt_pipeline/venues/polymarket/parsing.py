"""Pure parsers from Polymarket's wire shapes (Data API, Gamma, CLOB) to the engine's types.

No I/O here. A record that breaks the wire contract raises BadPayload naming the field and what was
expected; batch parsers turn that into a RejectedRecord so one bad row never sinks the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

from lt_pipeline.clock import from_unix
from lt_pipeline.money import ONE, ZERO, BadNumber, to_decimal, to_price, to_size
from lt_pipeline.venues.polymarket.models import (
    SIDES,
    BadPayload,
    BookLevel,
    BookSnapshot,
    FeeSchedule,
    MarketInfo,
    PricePoint,
    RejectedRecord,
    Resolution,
    ResolutionStatus,
    SourceTrade,
    TokenInfo,
    TraderPosition,
    normalise_address,
    source_trade_id_for,
)

UNCATEGORISED = "uncategorised"

T = TypeVar("T")

# --- field readers: each names the field it failed on ---------------------------------------------


def require_object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadPayload(f"{what}: expected a JSON object, got {type(value).__name__} {str(value)[:200]!r}")
    return value


def _present(record: Mapping[str, Any], key: str) -> Any:
    value = record.get(key)
    if value is None:
        raise BadPayload(f"{key}: missing")
    return value


def _text(record: Mapping[str, Any], key: str) -> str:
    value = _present(record, key)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadPayload(f"{key}: expected text, got {type(value).__name__} {value!r}")
    text = str(value).strip()
    if not text:
        raise BadPayload(f"{key}: expected text, got an empty string")
    return text


def _optional_text(record: Mapping[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(record, key)


def _token_id(value: object, key: str) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()):
        raise BadPayload(f"{key}: expected a token id (decimal digits), got {value!r}")
    return text


def _address(record: Mapping[str, Any], key: str) -> str:
    try:
        return normalise_address(_present(record, key), key)
    except ValueError as exc:
        raise BadPayload(str(exc)) from None


def _condition_id(record: Mapping[str, Any], key: str) -> str:
    text = _text(record, key).lower()
    if not text.startswith("0x") or len(text) < 3:
        raise BadPayload(f"{key}: expected a condition id (0x + hex), got {text!r}")
    return text


def _number(record: Mapping[str, Any], key: str, parse: Callable[[object, str], Decimal] = to_decimal) -> Decimal:
    try:
        return parse(_present(record, key), key)
    except BadNumber as exc:
        raise BadPayload(str(exc)) from None


def _optional_number(
    record: Mapping[str, Any], *keys: str, parse: Callable[[object, str], Decimal] = to_decimal
) -> Decimal | None:
    """The first of `keys` that is present, parsed; None when none is."""
    for key in keys:
        if record.get(key) not in (None, ""):
            return _number(record, key, parse)
    return None


def _flag(record: Mapping[str, Any], key: str, default: bool) -> bool:
    value = record.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadPayload(f"{key}: expected true or false, got {value!r}")
    return value


def _int(record: Mapping[str, Any], key: str) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise BadPayload(f"{key}: expected a whole number, got {value!r}")
    return int(value)


def parse_datetime(value: object, key: str) -> datetime | None:
    """An ISO-8601 date or timestamp as aware UTC; the venue's naive values are UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadPayload(f"{key}: expected an ISO-8601 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadPayload(f"{key}: expected an ISO-8601 timestamp, got {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _unix_time(record: Mapping[str, Any], key: str) -> datetime:
    """Unix seconds, or milliseconds (the CLOB book sends ms strings): told apart by magnitude."""
    number = _number(record, key)
    if number <= 0:
        raise BadPayload(f"{key}: expected a positive unix timestamp, got {number}")
    seconds = number / 1000 if number >= Decimal(10) ** 11 else number
    return from_unix(str(seconds))


def _json_list(record: Mapping[str, Any], key: str) -> list[Any]:
    """Gamma sends some arrays as JSON-encoded strings ("[\"Yes\", \"No\"]"); accept either form."""
    value = _present(record, key)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise BadPayload(f"{key}: expected a JSON-encoded list, got {value!r}") from None
    if not isinstance(value, list):
        raise BadPayload(f"{key}: expected a list, got {value!r}")
    return value


# --- Data API trades --------------------------------------------------------------------------------


def parse_data_api_trade(row: Mapping[str, Any]) -> SourceTrade:
    """One row of Data API `/trades` (or `/activity` of type TRADE)."""
    require_object(row, "trade row")
    trader = _address(row, "proxyWallet")
    side = _text(row, "side").upper()
    if side not in SIDES:
        raise BadPayload(f"side: expected BUY or SELL, got {row['side']!r}")
    token_id = _token_id(_present(row, "asset"), "asset")
    price = _number(row, "price", to_price)
    size = _number(row, "size", to_size)
    transaction_hash = _text(row, "transactionHash").lower()
    return SourceTrade(
        source_trade_id=source_trade_id_for(transaction_hash, token_id, side, size, price, trader),
        trader_address=trader,
        condition_id=_condition_id(row, "conditionId"),
        token_id=token_id,
        outcome=_optional_text(row, "outcome"),
        outcome_index=_int(row, "outcomeIndex"),
        side=side,  # type: ignore[arg-type]
        price=price,
        size=size,
        traded_at=_unix_time(row, "timestamp"),
        transaction_hash=transaction_hash,
        title=_optional_text(row, "title"),
        slug=_optional_text(row, "slug"),
        event_slug=_optional_text(row, "eventSlug"),
        trader_name=_optional_text(row, "name") or _optional_text(row, "pseudonym"),
    )


def parse_data_api_position(row: Mapping[str, Any]) -> TraderPosition:
    """One row of Data API `/positions`."""
    require_object(row, "position row")
    return TraderPosition(
        trader_address=_address(row, "proxyWallet"),
        condition_id=_condition_id(row, "conditionId"),
        token_id=_token_id(_present(row, "asset"), "asset"),
        outcome=_optional_text(row, "outcome"),
        outcome_index=_int(row, "outcomeIndex"),
        size=_number(row, "size", to_size),
        avg_price=_number(row, "avgPrice", to_price),
        current_price=_optional_number(row, "curPrice", parse=to_price),
        redeemable=_flag(row, "redeemable", False),
        title=_optional_text(row, "title"),
    )


def parse_records(
    records: Iterable[Any], parse: Callable[[Any], T], *, source: str, seen_at: datetime
) -> tuple[list[T], list[RejectedRecord]]:
    """Parse each record; the ones that break the contract come back as RejectedRecords, not errors."""
    parsed: list[T] = []
    rejected: list[RejectedRecord] = []
    for record in records:
        try:
            parsed.append(parse(record))
        except BadPayload as exc:
            raw = dict(record) if isinstance(record, Mapping) else {"value": record}
            rejected.append(RejectedRecord(source=source, raw=raw, reason=exc.message, seen_at=seen_at))
    return parsed, rejected


# --- markets: shared ----------------------------------------------------------------------------------


def _resolution_from_payouts(
    tokens: tuple[TokenInfo, ...], payouts: list[Decimal], resolved_at: datetime | None
) -> Resolution | None:
    """WON for a 1/0 split, VOID for an even split; anything else (["0","0"] just after close, or
    a legacy scalar payout) is not a final answer we can settle on, so None."""
    if len(payouts) != len(tokens) or not tokens or all(p == ZERO for p in payouts):
        return None
    by_token = {token.token_id: payout for token, payout in zip(tokens, payouts)}
    winners = [token for token, payout in zip(tokens, payouts) if payout == ONE]
    if len(winners) == 1 and sum(payouts) == ONE:
        return Resolution(ResolutionStatus.WON, winners[0].token_id, by_token, resolved_at)
    if len(set(payouts)) == 1 and sum(payouts) == ONE:
        return Resolution(ResolutionStatus.VOID, None, by_token, resolved_at)
    return None


# Taker fee rates by category, for a market that says fees are on without its schedule (2026 rates).
CATEGORY_FEE_RATES = {
    "crypto": Decimal("0.072"), "sports": Decimal("0.03"), "politics": Decimal("0.04"), "finance": Decimal("0.04"),
    "geopolitics": Decimal("0"),
}
# Tags that name a category; a market's first such tag (its own, then its events') is its category.
KNOWN_CATEGORIES = ("crypto", "sports", "politics", "finance", "geopolitics", "economy", "tech", "culture",
                    "weather", "business", "science")


def _fee_schedule(record: Mapping[str, Any], category: str) -> FeeSchedule | None:
    """The taker fee schedule from Gamma (`feesEnabled`, `feeSchedule {rate, exponent}`) or the CLOB
    (`fd {r, e}` of /clob-markets, else `taker_base_fee`); None when the record says nothing of fees."""
    schedule = record.get("feeSchedule")
    compact = record.get("fd")
    enabled = record.get("feesEnabled")
    if isinstance(schedule, Mapping) and schedule.get("rate") is not None:
        rate = _number(schedule, "rate", to_size)
        exponent = _number(schedule, "exponent", to_size) if schedule.get("exponent") is not None else ONE
        return FeeSchedule(enabled is not False and rate > ZERO, rate, exponent)
    if isinstance(compact, Mapping) and compact.get("r") is not None:
        rate = _number(compact, "r", to_size)
        exponent = _number(compact, "e", to_size) if compact.get("e") is not None else ONE
        return FeeSchedule(rate > ZERO, rate, exponent)
    if enabled is None and record.get("taker_base_fee") is not None:
        enabled = _number(record, "taker_base_fee", to_size) > ZERO
    if enabled is None:
        return None
    if not enabled:
        return FeeSchedule(False, ZERO, ONE)
    fee_type = str(record.get("feeType") or "").split("_")[0].lower()
    rate = CATEGORY_FEE_RATES.get(fee_type, CATEGORY_FEE_RATES.get(category.lower(), Decimal("0.04")))
    return FeeSchedule(rate > ZERO, rate, ONE)


def _tag_label(tag: object) -> str | None:
    label = tag.get("label") if isinstance(tag, Mapping) else tag
    return label.strip() if isinstance(label, str) and label.strip() else None


def _category(record: Mapping[str, Any]) -> str:
    """`category` when the record has one (older Gamma); else, since 2026 Gamma markets carry neither
    category nor tags, the first tag naming a known category among the market's own tags (the CLOB
    market's) and then its events' tags; else the first tag's label."""
    sources = [record] + [e for e in record.get("events") or [] if isinstance(e, Mapping)]
    for source in sources:
        category = source.get("category")
        if isinstance(category, str) and category.strip():
            return category.strip()
    labels = [label for source in sources for tag in source.get("tags") or [] if (label := _tag_label(tag))]
    for label in labels:
        if label.lower() in KNOWN_CATEGORIES:
            return label
    return labels[0] if labels else UNCATEGORISED


# --- Gamma markets ------------------------------------------------------------------------------------


def _gamma_tokens(market: Mapping[str, Any]) -> tuple[TokenInfo, ...]:
    outcomes = _json_list(market, "outcomes")
    token_ids = _json_list(market, "clobTokenIds")
    prices = _json_list(market, "outcomePrices") if market.get("outcomePrices") is not None else None
    if len(outcomes) != len(token_ids) or (prices is not None and len(prices) != len(outcomes)):
        raise BadPayload(
            f"outcomes/clobTokenIds/outcomePrices: expected lists of equal length, got "
            f"{len(outcomes)}/{len(token_ids)}/{'-' if prices is None else len(prices)}"
        )
    tokens = []
    for index, (outcome, token_id) in enumerate(zip(outcomes, token_ids)):
        price = None
        if prices is not None:
            try:
                price = to_price(prices[index], f"outcomePrices[{index}]")
            except BadNumber as exc:
                raise BadPayload(str(exc)) from None
        tokens.append(
            TokenInfo(
                token_id=_token_id(token_id, f"clobTokenIds[{index}]"),
                outcome=str(outcome),
                index=index,
                price=price,
            )
        )
    return tuple(tokens)


def gamma_resolution(market: Mapping[str, Any], tokens: tuple[TokenInfo, ...]) -> Resolution | None:
    """Gamma's word is final only once the market is closed and UMA says "resolved"."""
    status = market.get("umaResolutionStatus")
    if not _flag(market, "closed", False) or not isinstance(status, str) or status.lower() != "resolved":
        return None
    if any(token.price is None for token in tokens):
        return None
    resolved_at = parse_datetime(market.get("closedTime"), "closedTime")
    return _resolution_from_payouts(tokens, [token.price for token in tokens], resolved_at)  # type: ignore[misc]


def parse_gamma_market(market: Mapping[str, Any]) -> MarketInfo:
    """One Gamma `/markets` item (also the items embedded in `/events`).

    Amounts prefer Gamma's string forms (`liquidity`, `volume`), which are exact, over the rounded
    number forms (`liquidityNum`, `volumeNum`).
    """
    require_object(market, "market")
    tokens = _gamma_tokens(market)
    closed = _flag(market, "closed", False)
    return MarketInfo(
        condition_id=_condition_id(market, "conditionId"),
        question=_text(market, "question"),
        slug=_optional_text(market, "slug"),
        category=_category(market),
        end_date=parse_datetime(market.get("endDate") or market.get("endDateIso"), "endDate"),
        neg_risk=_flag(market, "negRisk", False),
        tick_size=_optional_number(market, "orderPriceMinTickSize"),
        min_order_size=_optional_number(market, "orderMinSize", parse=to_size),
        liquidity=_optional_number(market, "liquidity", "liquidityNum", parse=to_size),
        volume=_optional_number(market, "volume", "volumeNum", parse=to_size),
        volume_24h=_optional_number(market, "volume24hr", parse=to_size),
        closed=closed,
        accepting_orders=_flag(market, "acceptingOrders", False),
        tokens=tokens,
        resolution=gamma_resolution(market, tokens),
        fee_schedule=_fee_schedule(market, _category(market)),
    )


# --- CLOB markets -------------------------------------------------------------------------------------


def _clob_tokens(market: Mapping[str, Any]) -> tuple[TokenInfo, ...]:
    raw_tokens = _present(market, "tokens")
    if not isinstance(raw_tokens, list):
        raise BadPayload(f"tokens: expected a list, got {raw_tokens!r}")
    tokens = []
    for index, token in enumerate(raw_tokens):
        if not isinstance(token, Mapping):
            raise BadPayload(f"tokens[{index}]: expected an object, got {token!r}")
        price = None
        if token.get("price") is not None:
            price = _number(token, "price", to_price)
        tokens.append(
            TokenInfo(
                token_id=_token_id(_present(token, "token_id"), f"tokens[{index}].token_id"),
                outcome=_text(token, "outcome"),
                index=index,
                price=price,
            )
        )
    return tuple(tokens)


def clob_resolution(market: Mapping[str, Any], tokens: tuple[TokenInfo, ...]) -> Resolution | None:
    """The CLOB's `winner` flag is authoritative; a closed market with no winner and an even price
    split is void. A closed market with 1/0 prices but no winner flag is not settled yet."""
    flags = [bool(token.get("winner")) for token in market["tokens"]]
    if sum(flags) == 1:
        return _resolution_from_payouts(tokens, [ONE if flag else ZERO for flag in flags], None)
    if not _flag(market, "closed", False) or any(token.price is None for token in tokens):
        return None
    resolution = _resolution_from_payouts(tokens, [token.price for token in tokens], None)  # type: ignore[misc]
    return resolution if resolution is not None and resolution.status is ResolutionStatus.VOID else None


def parse_clob_market(market: Mapping[str, Any]) -> MarketInfo:
    """One CLOB `/markets/{condition_id}` object (or an item of `/markets`)."""
    require_object(market, "market")
    tokens = _clob_tokens(market)
    return MarketInfo(
        condition_id=_condition_id(market, "condition_id"),
        question=_text(market, "question"),
        slug=_optional_text(market, "market_slug"),
        category=_category(market),
        end_date=parse_datetime(market.get("end_date_iso"), "end_date_iso"),
        neg_risk=_flag(market, "neg_risk", False),
        tick_size=_optional_number(market, "minimum_tick_size"),
        min_order_size=_optional_number(market, "minimum_order_size", parse=to_size),
        liquidity=None,
        volume=None,
        volume_24h=None,
        closed=_flag(market, "closed", False),
        accepting_orders=_flag(market, "accepting_orders", False),
        tokens=tokens,
        resolution=clob_resolution(market, tokens),
        fee_schedule=_fee_schedule(market, _category(market)),
    )


# --- CLOB order book ----------------------------------------------------------------------------------


def _levels(book: Mapping[str, Any], key: str, best_first_descending: bool) -> tuple[BookLevel, ...]:
    raw_levels = book.get(key) or []
    if not isinstance(raw_levels, list):
        raise BadPayload(f"{key}: expected a list of levels, got {raw_levels!r}")
    levels = []
    for index, level in enumerate(raw_levels):
        if not isinstance(level, Mapping):
            raise BadPayload(f"{key}[{index}]: expected {{price, size}}, got {level!r}")
        try:
            levels.append(
                BookLevel(to_price(level.get("price"), f"{key}[{index}].price"), to_size(level.get("size"), f"{key}[{index}].size"))
            )
        except BadNumber as exc:
            raise BadPayload(str(exc)) from None
    # The live wire lists the best level LAST (and the docs say otherwise), so order it ourselves.
    return tuple(sorted(levels, key=lambda level: level.price, reverse=best_first_descending))


def parse_book(book: Mapping[str, Any]) -> BookSnapshot:
    """A CLOB `/book` summary. A bad level fails the whole book: a half-read book misprices orders."""
    require_object(book, "book")
    neg_risk = book.get("neg_risk")
    if neg_risk is not None and not isinstance(neg_risk, bool):
        raise BadPayload(f"neg_risk: expected true or false, got {neg_risk!r}")
    return BookSnapshot(
        token_id=_token_id(_present(book, "asset_id"), "asset_id"),
        condition_id=_condition_id(book, "market"),
        timestamp=_unix_time(book, "timestamp"),
        bids=_levels(book, "bids", best_first_descending=True),
        asks=_levels(book, "asks", best_first_descending=False),
        tick_size=_optional_number(book, "tick_size"),
        min_order_size=_optional_number(book, "min_order_size", parse=to_size),
        neg_risk=neg_risk,
        last_trade_price=_optional_number(book, "last_trade_price", parse=to_price),
    )


# --- CLOB price history -------------------------------------------------------------------------------


def parse_price_history(body: object) -> list[PricePoint]:
    """`/prices-history`'s `{"history": [{"t": unix seconds, "p": price}, ...]}` as points, oldest
    first. A bad point fails the whole history: a half-read series would bend every figure taken
    from it."""
    history = require_object(body, "prices-history").get("history")
    if not isinstance(history, list):
        raise BadPayload(f"history: expected a list of points, got {history!r}")
    points = []
    for index, point in enumerate(history):
        if not isinstance(point, Mapping):
            raise BadPayload(f"history[{index}]: expected {{t, p}}, got {point!r}")
        try:
            points.append(PricePoint(_unix_time(point, "t"), _number(point, "p", to_price)))
        except BadPayload as exc:
            raise BadPayload(f"history[{index}].{exc}") from None
    return sorted(points, key=lambda point: point.at)
