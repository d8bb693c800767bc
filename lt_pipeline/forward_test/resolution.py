"""Market resolutions from the venue, and FT positions settled on them: a won position pays 1 per
share, a lost one 0, a voided one 0.5. PnL is s x (payout x shares - size): the order's invested amount
is its size, so a lost $10 BUY loses exactly $10 although its shares (size / entry price rounded down)
are worth a little less than $10 at the entry price."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, select

from lt_pipeline.clock import Clock
from lt_pipeline.ingest.markets import record_resolution
from lt_pipeline.ledger.schema import ft_orders, lt_orders, market_tokens, markets
from lt_pipeline.quality.measures import paper_pnl
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.models import VenueError

log = logging.getLogger(__name__)


@dataclass
class ResolutionReport:
    markets_checked: int = 0
    markets_resolved: int = 0
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class SettlementReport:
    settled: int = 0
    won: int = 0
    lost: int = 0
    void: int = 0
    pnl: Decimal = Decimal(0)


def _watched():
    """The unresolved markets in which any FT or LT position is open (a query)."""
    open_markets = select(ft_orders.c.condition_id).where(ft_orders.c.outcome == "OPEN").union(
        select(lt_orders.c.condition_id).where(lt_orders.c.outcome == "OPEN")
    )
    return (select(markets.c.condition_id, markets.c.end_date)
            .where(markets.c.resolution_status.is_(None))
            .where(markets.c.condition_id.in_(open_markets)))


def markets_to_watch(engine: Engine) -> list[str]:
    """Unresolved markets in which any FT or LT position is open."""
    with engine.connect() as connection:
        return list(connection.execute(_watched().order_by(markets.c.condition_id)).scalars())


def ended_markets_to_watch(engine: Engine, now: datetime) -> list[tuple[str, datetime]]:
    """Watched markets past their end date: (condition id, end date), the latest end first. The venue
    resolves a market some time after it ends; until then each resolution run asks again."""
    with engine.connect() as connection:
        rows = connection.execute(
            _watched().where(markets.c.end_date <= now).order_by(markets.c.end_date.desc(), markets.c.condition_id)
        )
        return [(condition_id, end_date) for condition_id, end_date in rows]


def refresh_resolutions(engine: Engine, clob: ClobReader, clock: Clock) -> ResolutionReport:
    """Ask the CLOB (the authority on winners) about every watched market; one failure skips one market."""
    report = ResolutionReport()
    for condition_id in markets_to_watch(engine):
        report.markets_checked += 1
        try:
            info = clob.market(condition_id)
        except VenueError as error:
            report.failed[condition_id] = error.message
            continue
        if info.resolution is None:
            continue
        with engine.begin() as connection:
            if record_resolution(connection, info, clock.now()):
                report.markets_resolved += 1
    return report


def outcome_for(payout: Decimal) -> str:
    if payout == Decimal("0.5"):
        return "VOID"
    return "WON" if payout == 1 else "LOST"


def settle_ft_orders(engine: Engine, clock: Clock) -> SettlementReport:
    report = SettlementReport()
    now: datetime = clock.now()
    with engine.begin() as connection:
        rows = connection.execute(
            select(
                ft_orders.c.order_id,
                ft_orders.c.side,
                ft_orders.c.size,
                ft_orders.c.shares,
                ft_orders.c.entry_price,
                market_tokens.c.payout,
                markets.c.resolved_at,
            )
            .select_from(
                ft_orders.join(market_tokens, market_tokens.c.token_id == ft_orders.c.token_id).join(
                    markets, markets.c.condition_id == ft_orders.c.condition_id
                )
            )
            .where(ft_orders.c.outcome == "OPEN")
            .where(market_tokens.c.payout.is_not(None))
        ).all()
        for row in rows:
            outcome = outcome_for(row.payout)
            pnl = paper_pnl(row.side, row.shares, row.entry_price, row.payout, invested_usd=row.size)
            connection.execute(
                ft_orders.update()
                .where(ft_orders.c.order_id == row.order_id)
                .where(ft_orders.c.outcome == "OPEN")
                .values(outcome=outcome, pnl=pnl, resolved_at=row.resolved_at or now)
            )
            report.settled += 1
            report.pnl += pnl
            setattr(report, outcome.lower(), getattr(report, outcome.lower()) + 1)
    return report
