"""Strategies that do not follow FT changes keep deciding with their own copy of the FT wallet's
config: a signal the FT wallet now takes, but the copy would not, is skipped with the copy's reason,
and sizing follows the copy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, select

from lt_pipeline.forward_test.signals import trade_frame, trader_history
from lt_pipeline.ledger.schema import ft_wallets, source_trades
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
    trades = trade_frame(connection, source_trades.c.source_trade_id.in_(source_trade_ids))
    if trades.empty:
        return {}
    stats = trader_stats(trader_history(connection, sorted(trades["trader_address"].unique())))
    verdicts = {}
    for _, trade in trades.iterrows():
        trader = trade["trader_address"].lower()
        stats_row = stats.loc[trader, list(STATS_COLUMNS)].to_dict() if trader in stats.index else None
        decision = explain(trade.to_dict(), config, stats_row, bankroll)
        verdicts[trade["source_trade_id"]] = OwnVerdict(decision.accepted, decision.reason, decision.size_usd, decision.detail)
    return verdicts
