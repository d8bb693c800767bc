"""The tracked-trader universe: the configured addresses, else the most active wallets the venue
shows (in the embedded setup those are the emulator's simulated traders)."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from lt_pipeline.clock import Clock
from lt_pipeline.ingest.source_trades import active_traders, track_traders
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.discovery import discover_traders

DISCOVER_TOP = 25


def refresh_tracked_traders(
    engine: Engine,
    configured: tuple[str, ...],
    data_api: DataApiClient,
    clock: Clock,
    *,
    emulator_admin_url: str | None = None,
    top: int = DISCOVER_TOP,
) -> dict[str, int]:
    """Add configured traders; with none configured, the emulator's simulated traders (embedded
    setup) or the most active wallets the Data API shows (production). Never drops any."""
    now = clock.now()
    if configured:
        added = track_traders(engine, list(configured), "config", now)
    elif emulator_admin_url:
        added = track_traders(engine, emulator_traders(emulator_admin_url), "emulator", now)
    else:
        added = track_traders(engine, discover_traders(data_api, top=top), "discovery", now)
    return {"added": added, "tracked": len(active_traders(engine))}


def emulator_traders(admin_url: str) -> list[str]:
    """The emulator's simulated traders (its market makers would otherwise top any activity ranking)."""
    response = httpx.get(f"{admin_url.rstrip('/')}/traders", timeout=10)
    response.raise_for_status()
    return [row["address"].lower() for row in response.json()]
