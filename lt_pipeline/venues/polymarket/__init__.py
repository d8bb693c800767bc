"""Polymarket read side: Data API trades, Gamma markets, CLOB books and markets, trader discovery.

ClobReader is imported lazily: py-clob-client-v2 costs about 0.7 s to import, which callers that
only read the Data API or Gamma should not pay.
"""

from typing import Any

from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.discovery import discover_traders, rank_traders, tracked_universe
from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline.venues.polymarket.models import (
    BadPayload,
    BookLevel,
    BookSnapshot,
    MarketInfo,
    RejectedRecord,
    Resolution,
    ResolutionStatus,
    SourceTrade,
    TokenInfo,
    TraderPosition,
    VenueError,
    VenueRejected,
    VenueUnavailable,
    normalise_address,
    source_trade_id_for,
)

__all__ = [
    "BadPayload",
    "BookLevel",
    "BookSnapshot",
    "ClobReader",
    "DataApiClient",
    "GammaClient",
    "MarketInfo",
    "RejectedRecord",
    "Resolution",
    "ResolutionStatus",
    "SourceTrade",
    "TokenInfo",
    "TraderPosition",
    "VenueError",
    "VenueRejected",
    "VenueUnavailable",
    "discover_traders",
    "normalise_address",
    "rank_traders",
    "source_trade_id_for",
    "tracked_universe",
]


def __getattr__(name: str) -> Any:
    if name == "ClobReader":
        from lt_pipeline.venues.polymarket.clob import ClobReader

        return ClobReader
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
