"""Incremental ingestion of tracked traders' trades: per-trader cursors, dedupe by source_trade_id,
bad rows kept with their reason, and the markets they traded loaded alongside."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from lt_pipeline.clock import Clock
from lt_pipeline.ingest.markets import known_condition_ids, store_markets
from lt_pipeline.ledger.schema import ingest_cursors, source_trade_rejections, source_trades, tracked_traders
from lt_pipeline.ledger.writes import insert_missing, upsert
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline.venues.polymarket.models import RejectedRecord, SourceTrade, VenueError

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    traders_polled: int = 0
    trades_seen: int = 0
    trades_new: int = 0
    rejected: int = 0
    markets_loaded: int = 0
    failed_traders: dict[str, str] = field(default_factory=dict)


def active_traders(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(tracked_traders.c.trader_address).where(tracked_traders.c.is_active).order_by(tracked_traders.c.trader_address)
            ).scalars()
        )


def track_traders(engine: Engine, addresses: list[str], source: str, now: datetime) -> int:
    rows = [{"trader_address": a.lower(), "source": source, "is_active": True, "added_at": now} for a in addresses]
    with engine.begin() as connection:
        return insert_missing(connection, tracked_traders, rows, ["trader_address"])


def ingest_source_trades(
    engine: Engine, data_api: DataApiClient, gamma: GammaClient, clock: Clock, traders: list[str] | None = None
) -> IngestReport:
    """Poll each tracked trader from its cursor; one trader's venue error fails that trader, not the tick."""
    report = IngestReport()
    for trader in traders if traders is not None else active_traders(engine):
        report.traders_polled += 1
        with engine.connect() as connection:
            since = connection.execute(
                select(ingest_cursors.c.last_traded_at).where(ingest_cursors.c.trader_address == trader)
            ).scalar()
        try:
            trades, rejected = data_api.trades_of(trader, since=since)
        except VenueError as error:
            report.failed_traders[trader] = error.message
            log.warning("source trades of %s not read this tick: %s", trader, error.message)
            continue
        report.trades_seen += len(trades)
        now = clock.now()
        with engine.begin() as connection:
            report.markets_loaded += _load_markets(connection, gamma, trades, now)
            report.trades_new += insert_missing(
                connection, source_trades, [_trade_row(t, now) for t in trades], ["source_trade_id"]
            )
            report.rejected += _record_rejections(connection, rejected, trader)
            latest = max((t.traded_at for t in trades), default=since)
            upsert(
                connection,
                ingest_cursors,
                [{"trader_address": trader, "last_traded_at": latest, "last_polled_at": now}],
                ["trader_address"],
                ["last_traded_at", "last_polled_at"],
            )
    return report


def _load_markets(connection, gamma: GammaClient, trades: list[SourceTrade], now: datetime) -> int:
    unknown = {t.condition_id for t in trades} - known_condition_ids(connection, (t.condition_id for t in trades))
    if not unknown:
        return 0
    try:
        infos = gamma.markets(sorted(unknown))
    except VenueError as error:
        # The trades are still stored; their markets load on a later tick (FT waits for them).
        log.warning("markets not loaded this tick: %s", error.message)
        return 0
    return store_markets(connection, infos, now)


def _trade_row(trade: SourceTrade, now: datetime) -> dict:
    return {
        "source_trade_id": trade.source_trade_id,
        "trader_address": trade.trader_address,
        "condition_id": trade.condition_id,
        "token_id": trade.token_id,
        "token_label": trade.outcome,
        "outcome_index": trade.outcome_index,
        "side": trade.side,
        "price": trade.price,
        "size": trade.size,
        "notional_usd": trade.notional_usd,
        "traded_at": trade.traded_at,
        "transaction_hash": trade.transaction_hash,
        "title": trade.title,
        "ingested_at": now,
    }


def _record_rejections(connection, rejected: list[RejectedRecord], trader: str) -> int:
    rows = []
    for record in rejected:
        raw = json.dumps(record.raw, sort_keys=True, default=str)
        rows.append(
            {
                "raw_hash": hashlib.sha256(f"{record.source}|{raw}".encode()).hexdigest(),
                "trader_address": trader,
                "reason": record.reason,
                "raw": raw,
                "seen_at": record.seen_at,
            }
        )
    return insert_missing(connection, source_trade_rejections, rows, ["raw_hash"])
