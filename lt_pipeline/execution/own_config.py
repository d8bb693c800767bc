"""Strategies that do not follow FT changes keep deciding with their own copy of the FT wallet's
config: a signal the FT wallet now takes, but the copy would not, is skipped with the copy's reason,
and sizing follows the copy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, select

from lt_pipeline.forward_test.signals import _trader_history
from lt_pipeline.ledger.schema import ft_wallets, markets, source_trades
from lt_pipeline.strategy.config import FtWalletConfig, config_hash
from lt_pipeline.strategy.evaluate import explain
from lt_pipeline.strategy.trader_quality import STATS_COLUMNS, trader_stats


@dataclass(frozen=True)
class OwnVerdict:
    accepted: bool
    reason: str | None
    size_usd: Decimal | None
    detail: str


def own_config(connection: Connection, strategy: dict) -> FtWalletConfig | None:
    """The strategy's own FT config when it must be applied: sync off and the FT wallet has moved on."""
    if strategy["sync_ft_changes"] or not strategy.get("ft_config_json"):
        return None
    current = connection.execute(
        select(ft_wallets.c.config_hash).where(ft_wallets.c.wallet_id == strategy["ft_wallet_id"])
    ).scalar()
    copy = FtWalletConfig.model_validate_json(strategy["ft_config_json"])
    return None if current == config_hash(copy) else copy


def judge_signals(connection: Connection, config: FtWalletConfig, source_trade_ids: list[str], bankroll: Decimal) -> dict[str, OwnVerdict]:
    rows = connection.execute(
        select(
            source_trades.c.source_trade_id,
            source_trades.c.trader_address,
            source_trades.c.side,
            source_trades.c.price,
            source_trades.c.size,
            source_trades.c.notional_usd,
            source_trades.c.traded_at,
            markets.c.category,
            markets.c.end_date,
            markets.c.liquidity,
            markets.c.volume,
        )
        .select_from(source_trades.outerjoin(markets, markets.c.condition_id == source_trades.c.condition_id))
        .where(source_trades.c.source_trade_id.in_(source_trade_ids))
    ).mappings().all()
    if not rows:
        return {}
    stats = trader_stats(_trader_history(connection, sorted({r["trader_address"] for r in rows})))
    verdicts = {}
    for row in rows:
        trade = {
            **row,
            "price": float(row["price"]),
            "size": float(row["size"]),
            "notional_usd": float(row["notional_usd"]),
            "liquidity": float(row["liquidity"]) if row["liquidity"] is not None else float("nan"),
            "volume": float(row["volume"]) if row["volume"] is not None else float("nan"),
            "traded_at": pd.Timestamp(row["traded_at"]),
            "end_date": pd.Timestamp(row["end_date"]) if row["end_date"] is not None else pd.NaT,
        }
        trader = row["trader_address"].lower()
        stats_row = {name: stats.loc[trader, name] for name in STATS_COLUMNS} if trader in stats.index else None
        decision = explain(trade, config, stats_row, bankroll)
        verdicts[row["source_trade_id"]] = OwnVerdict(decision.accepted, decision.reason, decision.size_usd, decision.detail)
    return verdicts
