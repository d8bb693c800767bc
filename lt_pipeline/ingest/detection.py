"""Seeing a tracked trader's new trade whatever the venue's global trade rate: each detection cycle
polls a rotating batch of tracked traders, one `/trades?user=` request each, sized to fit the Data
API's quota, and says who traded since the ledger last read them.

The batch is the quota's share for detection times the cycle period: with the `/trades` quota planned
at 180 requests per 10 s and half of it left to the execution job's own reads, a 5-second cycle polls
45 traders, so 45 traders are each seen within one cycle and 450 within ten.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from lt_pipeline.ledger.schema import ingest_cursors
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.models import VenueError
from lt_pipeline.venues.polymarket.quotas import planned

DETECTION_SHARE = 0.5  # of the /trades quota; the rest is the execution job's own per-trader reads


@dataclass(frozen=True)
class PollPlan:
    """How many traders one cycle polls, and how long a full rotation of `traders` takes."""

    traders: int
    cycle_seconds: float
    batch: int

    @classmethod
    def within_quota(cls, traders: int, cycle_seconds: float, share: float = DETECTION_SHARE) -> PollPlan:
        per_second = planned("/trades", share).per_second
        return cls(traders, cycle_seconds, max(1, min(traders, math.floor(per_second * cycle_seconds))))

    @property
    def cycles_per_rotation(self) -> int:
        return max(1, math.ceil(self.traders / self.batch)) if self.traders else 0

    @property
    def worst_delay_seconds(self) -> float:
        """The longest a trade waits to be seen: one full rotation."""
        return self.cycles_per_rotation * self.cycle_seconds


def rotate(traders: list[str], offset: int, batch: int) -> tuple[list[str], int]:
    """The next `batch` traders from `offset` (wrapping), and where the next cycle starts."""
    if not traders:
        return [], 0
    offset %= len(traders)
    chosen = [traders[(offset + i) % len(traders)] for i in range(min(batch, len(traders)))]
    return chosen, (offset + len(chosen)) % len(traders)


@dataclass
class Detection:
    polled: list[str] = field(default_factory=list)
    traded: dict[str, datetime] = field(default_factory=dict)  # trader -> their newest trade, unseen by the ledger
    failed: dict[str, str] = field(default_factory=dict)
    next_offset: int = 0


def detect(data_api: DataApiClient, traders: list[str], seen: Mapping[str, datetime | None], offset: int,
           batch: int) -> Detection:
    """Poll the next batch; a trader whose newest trade is later than what the ledger has seen traded.
    A venue error (a 429 included) ends the cycle early: the rest wait for the next one."""
    chosen, next_offset = rotate(traders, offset, batch)
    found = Detection(next_offset=next_offset)
    for position, trader in enumerate(chosen):
        try:
            newest = data_api.newest_trade_of(trader)
        except VenueError as error:
            found.failed[trader] = error.message
            found.next_offset = (offset + position) % len(traders)
            break
        found.polled.append(trader)
        last = seen.get(trader)
        if newest is not None and (last is None or newest.traded_at > last):
            found.traded[trader] = newest.traded_at
    return found


def seen_until(engine: Engine) -> dict[str, datetime | None]:
    """Each tracked trader's newest trade the ledger has read (the execution job's per-trader cursor)."""
    with engine.connect() as connection:
        return dict(connection.execute(select(ingest_cursors.c.trader_address, ingest_cursors.c.last_traded_at)).all())
