"""Finding traders worth tracking from the venue's recent trades, and merging them with the
configured ones into the tracked universe."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal, Protocol

from lt_pipeline.money import ZERO
from lt_pipeline.venues.polymarket.models import RejectedRecord, SourceTrade, normalise_address

RankBy = Literal["activity", "volume"]


class RecentTrades(Protocol):
    def recent_trades(self, limit: int = ...) -> tuple[list[SourceTrade], list[RejectedRecord]]: ...


def rank_traders(trades: Iterable[SourceTrade], *, by: RankBy) -> list[str]:
    """Trader addresses, most active (trade count) or biggest (USD notional) first. Ties go to the
    other measure, then to the address, so the same trades always give the same ranking."""
    if by not in ("activity", "volume"):
        raise ValueError(f"by: expected 'activity' or 'volume', got {by!r}")
    counts: Counter[str] = Counter()
    notional: dict[str, Decimal] = {}
    for trade in trades:
        counts[trade.trader_address] += 1
        notional[trade.trader_address] = notional.get(trade.trader_address, ZERO) + trade.notional_usd

    def rank(address: str) -> tuple:
        primary, secondary = (counts[address], notional[address])
        if by == "volume":
            primary, secondary = secondary, primary
        return (-primary, -secondary, address)

    return sorted(counts, key=rank)


def discover_traders(data_api: RecentTrades, *, top: int, by: RankBy = "activity", sample: int = 1000) -> list[str]:
    """The `top` traders among the venue's `sample` most recent trades."""
    if top < 0:
        raise ValueError(f"top: expected 0 or more, got {top}")
    if top == 0:
        return []
    trades, _rejected = data_api.recent_trades(sample)  # the client already logged the rejections
    return rank_traders(trades, by=by)[:top]


def tracked_universe(configured: Iterable[str], discovered: Iterable[str]) -> list[str]:
    """Configured traders first (in config order), then discovered ones not already configured;
    addresses lower-cased and each listed once. A malformed configured address is a config error."""
    universe = [normalise_address(address, "configured trader") for address in configured]
    universe += [normalise_address(address, "discovered trader") for address in discovered]
    return list(dict.fromkeys(universe))
