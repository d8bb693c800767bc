"""Data API client: a tracked trader's trades (maker and taker fills) and positions, and the
venue's recent trades.

Pages with limit/offset until a short page, retries transient failures with backoff, and hands back
both the trades it could read and the rows it could not, each with its reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from lt_pipeline.clock import Clock, ensure_utc, system_clock, to_unix
from lt_pipeline.venues.polymarket.quotas import limiter
from lt_pipeline.venues.polymarket.http import JsonService, Sleep
from lt_pipeline.venues.polymarket.models import (
    BadPayload,
    RejectedRecord,
    SourceTrade,
    TraderPosition,
    normalise_address,
)
from lt_pipeline.venues.polymarket.parsing import parse_data_api_position, parse_data_api_trade, parse_records

log = logging.getLogger(__name__)

MAX_OFFSET = 10_000  # the Data API answers 400 to a larger offset
MAX_PAGE_SIZE = 10_000
TRADES_SOURCE = "data_api.trades"
POSITIONS_SOURCE = "data_api.positions"
POSITIONS_PAGE_SIZE = 500  # the venue's maximum for /positions


class DataApiClient:
    """Reads `GET {base_url}/trades` and `/positions`. base_url is https://data-api.polymarket.com in production, or
    http://127.0.0.1:PORT/data-api against the local emulator."""

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.Client | None = None,
        clock: Clock = system_clock,
        sleep: Sleep = time.sleep,
        page_size: int = 500,
        max_retries: int = 5,
        rate_limited: bool = True,
        quota_share: float = 1.0,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size: expected 1 to {MAX_PAGE_SIZE}, got {page_size}")
        self._service = JsonService("data api", base_url, http=http, sleep=sleep, max_retries=max_retries)
        self._clock = clock
        self.page_size = page_size
        # The published quotas, kept here: a poll waits for room instead of spending requests on 429s.
        self._limits = (
            {route: limiter(base_url, route, quota_share) for route in ("", "/trades", "/positions")} if rate_limited else {}
        )

    def trades_of(
        self, trader: str, *, since: datetime | None = None
    ) -> tuple[list[SourceTrade], list[RejectedRecord]]:
        """Every trade of `trader` (proxy wallet) in or after the second of `since` (all history when
        None), newest first, deduplicated by source_trade_id, with the rows that could not be read.

        The venue stamps trades in whole seconds, so the whole second of `since` is included: a
        re-polled trade is cheaper (the ledger dedupes it) than a missed one.
        """
        trader = normalise_address(trader, "trader")
        query: dict[str, Any] = {"user": trader, "takerOnly": "false"}
        if since is not None:
            query["start"] = to_unix(ensure_utc(since, "since"))

        def parse_own_trade(row: Any) -> SourceTrade:
            trade = parse_data_api_trade(row)
            if trade.trader_address != trader:  # never copy someone else's trade by mistake
                raise BadPayload(f"proxyWallet: expected {trader}, got {trade.trader_address}")
            return trade

        trades, rejected = self._all_pages(query, parse_own_trade, limit=None)
        if since is not None:  # in case a venue ignores `start`
            trades = [t for t in trades if to_unix(t.traded_at) >= query["start"]]
        self._log_rejections(rejected, f"trades of {trader}")
        return trades, rejected

    def recent_trades(self, limit: int = 1000) -> tuple[list[SourceTrade], list[RejectedRecord]]:
        """The venue's most recent trades across all users (for discovering traders worth tracking)."""
        if limit < 1:
            raise ValueError(f"limit: expected at least 1, got {limit}")
        trades, rejected = self._all_pages({"takerOnly": "false"}, parse_data_api_trade, limit=limit)
        self._log_rejections(rejected, "recent trades")
        return trades[:limit], rejected

    def positions_of(self, trader: str) -> tuple[list[TraderPosition], list[RejectedRecord]]:
        """Every position `trader` holds, dust included (the venue hides sizes under 1 by default)."""
        trader = normalise_address(trader, "trader")
        positions: list[TraderPosition] = []
        rejected: list[RejectedRecord] = []
        offset = 0
        while offset <= MAX_OFFSET:
            params = {"user": trader, "sizeThreshold": 0, "limit": POSITIONS_PAGE_SIZE, "offset": offset}
            rows = self._get("/positions", params)
            page, bad = parse_records(rows, parse_data_api_position, source=POSITIONS_SOURCE, seen_at=self._clock.now())
            positions += page
            rejected += bad
            if len(rows) < POSITIONS_PAGE_SIZE:
                break
            offset += POSITIONS_PAGE_SIZE
        self._log_rejections(rejected, f"positions of {trader}")
        return positions, rejected

    def newest_trade_of(self, trader: str) -> SourceTrade | None:
        """The trader's most recent trade (one request), for detection; None when it has none."""
        trader = normalise_address(trader, "trader")
        rows = self._get("/trades", {"user": trader, "takerOnly": "false", "limit": 1, "offset": 0})
        trades, _ = parse_records(rows, parse_data_api_trade, source=TRADES_SOURCE, seen_at=self._clock.now())
        trades = [t for t in trades if t.trader_address == trader]
        return max(trades, key=lambda t: t.traded_at) if trades else None

    def close(self) -> None:
        self._service.close()

    def _get(self, route: str, params: dict[str, Any]) -> list[Any]:
        for key in ("", route):
            if key in self._limits:
                self._limits[key].acquire()
        return self._service.get_list(route, params)

    # --- paging ---------------------------------------------------------------------------------

    def _all_pages(
        self, query: dict[str, Any], parse: Callable[[Any], SourceTrade], *, limit: int | None
    ) -> tuple[list[SourceTrade], list[RejectedRecord]]:
        """Page newest-first until a short page (or `limit` trades). The venue refuses offsets past
        10 000, so a longer history continues from the oldest trade seen, via `end`, at offset 0."""
        trades: dict[str, SourceTrade] = {}  # by source_trade_id: pages overlap when trades arrive
        rejected: list[RejectedRecord] = []
        offset, end = 0, None
        while True:
            page_size = self.page_size if limit is None else min(self.page_size, limit - len(trades))
            params = {**query, "limit": page_size, "offset": offset}
            if end is not None:
                params["end"] = end
            rows = self._get("/trades", params)
            page_trades, page_rejected = parse_records(rows, parse, source=TRADES_SOURCE, seen_at=self._clock.now())
            for trade in page_trades:
                trades.setdefault(trade.source_trade_id, trade)
            rejected += page_rejected
            if len(rows) < page_size or (limit is not None and len(trades) >= limit):
                return list(trades.values()), rejected
            offset += page_size
            if offset > MAX_OFFSET:
                oldest = min((to_unix(t.traded_at) for t in trades.values()), default=None)
                if oldest is None or (end is not None and oldest >= end):
                    log.warning("data api: history past offset %d is out of reach (query %s)", offset, query)
                    return list(trades.values()), rejected
                offset, end = 0, oldest

    @staticmethod
    def _log_rejections(rejected: list[RejectedRecord], what: str) -> None:
        if rejected:
            log.warning("%s: %d row(s) rejected, first: %s", what, len(rejected), rejected[0].reason)
