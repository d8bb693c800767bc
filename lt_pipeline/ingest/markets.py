"""Markets and their outcome tokens in the ledger, from the venue's MarketInfo."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, select

from lt_pipeline.ledger.schema import market_tokens, markets
from lt_pipeline.ledger.writes import upsert
from lt_pipeline.venues.polymarket.models import MarketInfo, ResolutionStatus

_MARKET_UPDATES = (
    "question", "slug", "category", "end_date", "neg_risk", "tick_size", "min_order_size", "liquidity",
    "volume", "volume_24h", "closed", "accepting_orders", "updated_at",
)


_FEE_COLUMNS = ("fees_enabled", "fee_rate", "fee_exponent")


def known_condition_ids(connection: Connection, condition_ids: Iterable[str]) -> set[str]:
    wanted = list(set(condition_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        found |= set(connection.execute(select(markets.c.condition_id).where(markets.c.condition_id.in_(batch))).scalars())
    return found


def store_markets(connection: Connection, infos: Iterable[MarketInfo], now: datetime) -> int:
    """Insert or refresh markets and their tokens; a resolution, once recorded, is never unset here."""
    rows, tokens = [], []
    for info in infos:
        rows.append(
            {
                "condition_id": info.condition_id,
                "question": info.question,
                "slug": info.slug,
                "category": info.category,
                "end_date": info.end_date,
                "neg_risk": info.neg_risk,
                "tick_size": info.tick_size,
                "min_order_size": info.min_order_size,
                "liquidity": info.liquidity,
                "volume": info.volume,
                "volume_24h": info.volume_24h,
                "closed": info.closed,
                "accepting_orders": info.accepting_orders,
                "created_at": now,
                "updated_at": now,
            }
        )
        if info.fee_schedule is not None:
            rows[-1].update(fees_enabled=info.fee_schedule.enabled, fee_rate=info.fee_schedule.rate,
                            fee_exponent=info.fee_schedule.exponent)
        for token in info.tokens:
            tokens.append(
                {"token_id": token.token_id, "condition_id": info.condition_id, "token_label": token.outcome, "outcome_index": token.index}
            )
    # A source that says nothing of fees never unsets a schedule another source gave.
    with_fees = [row for row in rows if "fees_enabled" in row]
    upsert(connection, markets, with_fees, ["condition_id"], _MARKET_UPDATES + _FEE_COLUMNS)
    upsert(connection, markets, [row for row in rows if "fees_enabled" not in row], ["condition_id"], _MARKET_UPDATES)
    upsert(connection, market_tokens, tokens, ["token_id"], ["token_label", "outcome_index"])
    for info in infos:
        if info.resolution is not None:
            record_resolution(connection, info, now)
    return len(rows)


def record_resolution(connection: Connection, info: MarketInfo, now: datetime) -> bool:
    """Write a market's resolution (status, winner, per-token payout); False when already recorded."""
    resolution = info.resolution
    if resolution is None:
        return False
    already = connection.execute(
        select(markets.c.resolution_status).where(markets.c.condition_id == info.condition_id)
    ).scalar()
    if already is not None:
        return False
    status = "WON" if resolution.status == ResolutionStatus.WON else "VOID"
    connection.execute(
        markets.update()
        .where(markets.c.condition_id == info.condition_id)
        .values(
            resolution_status=status,
            winning_token_id=resolution.winning_token_id,
            resolved_at=resolution.resolved_at or now,
            closed=True,
            accepting_orders=False,
            updated_at=now,
        )
    )
    for token_id, payout in resolution.payouts.items():
        connection.execute(market_tokens.update().where(market_tokens.c.token_id == token_id).values(payout=payout))
    return True
