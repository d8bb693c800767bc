"""The FT (paper) wallets a user can mirror: each wallet's recent activity and paper PnL, and the live
twins it already has, from the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, func, select

from lt_pipeline.clock import ensure_utc
from lt_pipeline.ledger.schema import ft_orders, lt_strategies
from lt_pipeline.ledger.schema import ft_wallets as ft_wallets_table
from lt_pipeline.money import ZERO, quantize_ratio
from lt_pipeline.operator.common import JsonMixin, UnknownId, plain


@dataclass(frozen=True)
class WalletSummary(JsonMixin):
    wallet_id: str
    display_name: str
    description: str | None
    is_active: bool
    starting_balance: Decimal
    trades_24h: int  # paper orders made in the last 24 hours
    trades_7d: int
    trades_total: int
    last_trade_at: datetime | None
    open_positions: int
    resolved: int
    wins: int
    paper_pnl_usd: Decimal  # resolved paper orders, all time
    win_rate: Decimal | None  # wins / resolved, a fraction
    live_twins: list[str] = field(default_factory=list)


def ft_wallets(engine: Engine, now: datetime) -> list[WalletSummary]:
    """Every FT wallet in the ledger, most recently active first."""
    now = ensure_utc(now, "now")
    o = ft_orders.c
    with engine.connect() as connection:
        wallets = connection.execute(select(ft_wallets_table).order_by(ft_wallets_table.c.wallet_id)).mappings().all()
        activity = {
            row.wallet_id: row
            for row in connection.execute(
                select(
                    o.wallet_id,
                    func.count().label("total"),
                    func.count().filter(o.order_time >= now - timedelta(hours=24)).label("day"),
                    func.count().filter(o.order_time >= now - timedelta(days=7)).label("week"),
                    func.max(o.order_time).label("last"),
                    func.count().filter(o.outcome == "OPEN").label("open"),
                ).group_by(o.wallet_id)
            )
        }
        pnl: dict[str, list[Decimal]] = {}
        # Summed in Python: SQLite keeps exact decimals as text, which SUM() would turn into floats.
        for wallet_id, value in connection.execute(select(o.wallet_id, o.pnl).where(o.outcome != "OPEN", o.pnl.is_not(None))):
            pnl.setdefault(wallet_id, []).append(value)
        twins: dict[str, list[str]] = {}
        for wallet_id, strategy_id in connection.execute(
            select(lt_strategies.c.ft_wallet_id, lt_strategies.c.strategy_id).order_by(lt_strategies.c.strategy_id)
        ):
            twins.setdefault(wallet_id, []).append(strategy_id)
    summaries = [_summary(w, activity.get(w["wallet_id"]), pnl.get(w["wallet_id"], []), twins.get(w["wallet_id"], [])) for w in wallets]
    return sorted(summaries, key=lambda s: (s.last_trade_at is None, -(s.last_trade_at or now).timestamp(), s.wallet_id))


def ft_wallet(engine: Engine, wallet_id: str, now: datetime) -> WalletSummary:
    """One FT wallet's summary; UnknownId when the ledger has no such wallet."""
    for summary in ft_wallets(engine, now):
        if summary.wallet_id == wallet_id:
            return summary
    raise UnknownId("FT wallet", wallet_id, "see `lt wallets`")


def _summary(wallet, activity, pnls: list[Decimal], twins: list[str]) -> WalletSummary:
    wins = sum(1 for value in pnls if value > 0)
    return WalletSummary(
        wallet_id=wallet["wallet_id"],
        display_name=wallet["display_name"],
        description=wallet["description"] or None,
        is_active=bool(wallet["is_active"]),
        starting_balance=plain(wallet["starting_balance"]),
        trades_24h=int(activity.day) if activity else 0,
        trades_7d=int(activity.week) if activity else 0,
        trades_total=int(activity.total) if activity else 0,
        last_trade_at=activity.last if activity else None,
        open_positions=int(activity.open) if activity else 0,
        resolved=len(pnls),
        wins=wins,
        paper_pnl_usd=plain(sum(pnls, ZERO)),
        win_rate=plain(quantize_ratio(Decimal(wins) / Decimal(len(pnls)))) if pnls else None,
        live_twins=twins,
    )
