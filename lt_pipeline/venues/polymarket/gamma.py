"""Gamma client: market metadata (question, category, end date, tick, liquidity) and resolutions
for a list of condition ids."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import httpx

from lt_pipeline.clock import Clock, system_clock
from lt_pipeline.venues.polymarket.http import JsonService, Sleep
from lt_pipeline.venues.polymarket.models import MarketInfo, RejectedRecord
from lt_pipeline.venues.polymarket.parsing import parse_gamma_market, parse_records

log = logging.getLogger(__name__)

MAX_BATCH = 50
SOURCE = "gamma.markets"


class GammaClient:
    """Reads `GET {base_url}/markets`. base_url is https://gamma-api.polymarket.com in production, or
    http://127.0.0.1:PORT/gamma against the local emulator."""

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.Client | None = None,
        clock: Clock = system_clock,
        sleep: Sleep = time.sleep,
        max_retries: int = 5,
        batch_size: int = MAX_BATCH,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size: expected 1 to {MAX_BATCH}, got {batch_size}")
        self._service = JsonService("gamma", base_url, http=http, sleep=sleep, max_retries=max_retries)
        self._clock = clock
        self.batch_size = batch_size

    def markets(self, condition_ids: Iterable[str]) -> list[MarketInfo]:
        """The markets Gamma knows among `condition_ids`, in the order asked; unknown ids are left
        out and unreadable markets are logged and left out (see `markets_and_rejections`)."""
        return self.markets_and_rejections(condition_ids)[0]

    def markets_and_rejections(
        self, condition_ids: Iterable[str]
    ) -> tuple[list[MarketInfo], list[RejectedRecord]]:
        wanted = list(dict.fromkeys(cid.strip().lower() for cid in condition_ids))
        found: dict[str, MarketInfo] = {}
        rejected: list[RejectedRecord] = []
        for start in range(0, len(wanted), self.batch_size):
            batch = wanted[start : start + self.batch_size]
            # Gamma's default for `closed` has differed from its docs, so ask for both explicitly;
            # closed last, so a market that closed between the two calls ends up closed.
            for closed in ("false", "true"):
                query = [*(("condition_ids", cid) for cid in batch), ("closed", closed), ("limit", len(batch))]
                rows = self._service.get_list("/markets", query)
                markets, bad = parse_records(rows, parse_gamma_market, source=SOURCE, seen_at=self._clock.now())
                found.update((m.condition_id, m) for m in markets)
                rejected += bad
        if rejected:
            log.warning("gamma: %d market(s) rejected, first: %s", len(rejected), rejected[0].reason)
        return [found[cid] for cid in wanted if cid in found], rejected

    def close(self) -> None:
        self._service.close()
