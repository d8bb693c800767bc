"""Read-only CLOB access through py-clob-client-v2 (level 0, no key): books, markets, midpoints, tick
sizes and price histories in our own types, with the client's exceptions mapped to
VenueRejected/VenueUnavailable."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from py_clob_client_v2.client import ClobClient
from py_clob_client_v2.clob_types import PricesHistoryParams
from py_clob_client_v2.exceptions import PolyApiException, PolyException

from lt_pipeline.clock import ensure_utc, to_unix
from lt_pipeline.money import BadNumber, to_decimal, to_price
from lt_pipeline.venues.polymarket.http import Sleep, error_text, retry_after_seconds, with_retries
from lt_pipeline.venues.polymarket.models import (
    BadPayload,
    BookSnapshot,
    MarketInfo,
    PricePoint,
    VenueError,
    VenueRejected,
    VenueUnavailable,
)
from lt_pipeline.venues.polymarket.parsing import parse_book, parse_clob_market, parse_price_history, require_object

T = TypeVar("T")

HISTORY_INTERVALS = ("1h", "6h", "1d", "1w", "1m", "max", "all")  # 1m is a month

POLYGON_CHAIN_ID = 137
NOT_FOUND = 404


def venue_error(exc: PolyException, what: str) -> VenueError:
    """Our error for one of the client's: transport trouble, 429 and 5xx are 'unavailable' (worth
    retrying), any other status is the venue's refusal in its own words."""
    if not isinstance(exc, PolyApiException):
        return VenueError(f"{what}: {exc.msg}")
    if exc.status_code is None:
        return VenueUnavailable(f"{what}: could not reach the venue ({error_text(exc.error_msg)})")
    if exc.status_code == 429 or exc.status_code >= 500:
        return VenueUnavailable(
            f"{what}: HTTP {exc.status_code}: {error_text(exc.error_msg)}",
            status=exc.status_code,
            retry_after=retry_after_seconds({}, exc.error_msg),
        )
    return VenueRejected(exc.status_code, f"{what}: {error_text(exc.error_msg)}")


class ClobReader:
    """host is https://clob.polymarket.com in production, or http://127.0.0.1:PORT for the emulator."""

    def __init__(
        self,
        host: str,
        chain_id: int = POLYGON_CHAIN_ID,
        *,
        client: ClobClient | None = None,
        sleep: Sleep = time.sleep,
        max_retries: int = 3,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries: expected 0 or more, got {max_retries}")
        self.client = client or ClobClient(host, chain_id=chain_id)
        self._sleep = sleep
        self.max_retries = max_retries

    def book(self, token_id: str) -> BookSnapshot | None:
        """The token's book, best level first; None when the venue has no book (e.g. market closed)."""
        body = self._read_or_none(lambda: self.client.get_order_book(token_id), f"book of token {token_id}")
        return None if body is None else parse_book(body)

    def market(self, condition_id: str) -> MarketInfo:
        """The CLOB's market, with its resolution when the venue has named a winner or voided it, and its
        taker fee schedule from `/clob-markets/{id}` (`fd`: rate, exponent), the venue's per-market
        fee record; a market whose compact record cannot be read keeps what `/markets` says."""
        body = self._read(lambda: self.client.get_market(condition_id), f"market {condition_id}")
        compact = self._read_or_none(lambda: self.client.get_clob_market_info(condition_id), f"fees of market {condition_id}")
        if isinstance(compact, dict) and isinstance(compact.get("fd"), dict):
            body = {**body, "fd": compact["fd"]}
        return parse_clob_market(body)

    def midpoint(self, token_id: str) -> Decimal | None:
        """The venue's midpoint price; None when the token has no book."""
        body = self._read_or_none(lambda: self.client.get_midpoint(token_id), f"midpoint of token {token_id}")
        if body is None:
            return None
        body = require_object(body, "midpoint")
        try:
            return to_price(body.get("mid", body.get("mid_price")), "mid")
        except BadNumber as exc:
            raise BadPayload(f"midpoint of token {token_id}: {exc}") from None

    def tick_size(self, token_id: str) -> Decimal:
        """The token's minimum tick (the client caches it for the life of this reader)."""
        tick = self._read(lambda: self.client.get_tick_size(token_id), f"tick size of token {token_id}")
        try:
            return to_decimal(tick, "minimum_tick_size")
        except BadNumber as exc:
            raise BadPayload(f"tick size of token {token_id}: {exc}") from None

    def price_history(
        self,
        token_id: str,
        interval: str | None = "1d",
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        fidelity_minutes: int | None = None,
    ) -> list[PricePoint]:
        """The token's price history, oldest point first: `GET /prices-history?market=<token>` over a
        preset `interval` ending now (1h, 6h, 1d, 1w, 1m = a month, max), or from `start` to `end`
        (both, and no interval), one point per `fidelity_minutes` (the venue's default: 1). Empty when
        the venue has no history for the token."""
        if start is not None or end is not None:
            if start is None or end is None:
                raise ValueError("price_history: give both start and end, or an interval")
            interval = None
            start_ts, end_ts = to_unix(ensure_utc(start, "start")), to_unix(ensure_utc(end, "end"))
        elif interval not in HISTORY_INTERVALS:
            raise ValueError(f"interval: expected one of {', '.join(HISTORY_INTERVALS)}, got {interval!r}")
        else:
            start_ts = end_ts = None
        if fidelity_minutes is not None and fidelity_minutes < 1:
            raise ValueError(f"fidelity_minutes: expected 1 or more, got {fidelity_minutes}")
        params = PricesHistoryParams(market=token_id, start_ts=start_ts, end_ts=end_ts, fidelity=fidelity_minutes,
                                     interval=interval)
        what = f"price history of token {token_id}"
        body = self._read(lambda: self.client.get_prices_history(params), what)
        try:
            return parse_price_history(body)
        except BadPayload as exc:
            raise BadPayload(f"{what}: {exc.message}") from None

    # --- plumbing -----------------------------------------------------------------------------------

    def _read(self, call: Callable[[], T], what: str) -> T:
        def attempt() -> T:
            try:
                return call()
            except PolyException as exc:
                raise venue_error(exc, what) from exc
            except (KeyError, TypeError, AttributeError) as exc:  # the client's hard key lookups
                raise BadPayload(f"{what}: unexpected response shape ({type(exc).__name__}: {exc})") from exc

        return with_retries(attempt, what=what, max_retries=self.max_retries, sleep=self._sleep)

    def _read_or_none(self, call: Callable[[], T], what: str) -> T | None:
        try:
            return self._read(call, what)
        except VenueRejected as exc:
            if exc.status == NOT_FOUND:
                return None
            raise

