"""FT orders: every source trade not yet evaluated, decided for every active wallet in one pass,
the accepted ones opened as paper positions at the signal price. Running a tick twice adds nothing."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from lt_pipeline.clock import Clock
from lt_pipeline.forward_test.wallets import active_wallets
from lt_pipeline.ledger.schema import (
    ft_orders,
    market_tokens,
    markets,
    source_trade_rejections,
    source_trades,
    tracked_traders,
)
from lt_pipeline.ledger.writes import insert_missing
from lt_pipeline.strategy.evaluate import accepted_order, evaluate
from lt_pipeline.strategy.trader_quality import trader_stats

log = logging.getLogger(__name__)

CLAIM_CHUNK = 5000  # trade ids per claiming UPDATE (SQLite binds at most 32766 parameters)
MARKET_GRACE = timedelta(minutes=10)
FT_ORDER_NAMESPACE = uuid.UUID("6f1c1d2e-9a53-4c38-9a43-0d3f5f2d7a10")


@dataclass
class SignalReport:
    trades_evaluated: int = 0
    waiting_for_market: int = 0
    unknown_market: int = 0  # market still unknown after MARKET_GRACE: reported in source_trade_rejections
    before_tracking: int = 0  # history: made before we tracked the trader, used for quality only
    market_closed: int = 0
    orders_created: int = 0
    rejection_counts: dict[str, int] = field(default_factory=dict)
    orders_by_wallet: dict[str, int] = field(default_factory=dict)


def ft_order_id(wallet_id: str, source_trade_id: str) -> str:
    """Deterministic, so that a retried tick collides with what it already wrote."""
    return str(uuid.uuid5(FT_ORDER_NAMESPACE, f"{wallet_id}|{source_trade_id}"))


def create_ft_orders(engine: Engine, clock: Clock) -> SignalReport:
    report = SignalReport()
    now = clock.now()
    with engine.begin() as connection:
        wallets = active_wallets(connection)
        trades = _pending_trades(connection)
        if trades.empty or not wallets:
            return report
        # A trade whose market is not loaded yet waits for a later tick: it stays undecided (NULL).
        unknown = trades[~trades["market_known"]]
        # A market the venue never describes cannot be judged: after a grace it is reported and let go.
        given_up = unknown[unknown["ingested_at"] <= pd.Timestamp(now - MARKET_GRACE)]
        waiting = unknown.drop(given_up.index)
        report.waiting_for_market = len(waiting)
        # Decide only the trades this writer claims: another writer deciding the same trades at this
        # moment keeps the ones it claimed first, so each trade is decided (and counted) once.
        decidable = trades.drop(waiting.index)
        claimed = _claim(connection, decidable["source_trade_id"].tolist(), now)
        trades = decidable[decidable["source_trade_id"].isin(claimed)]
        if trades.empty:
            return report
        given_up = trades[~trades["market_known"]]
        report.unknown_market = _report_unknown_markets(connection, given_up, now)
        known = trades[trades["market_known"]]
        # A trade made before we tracked its trader is history (it feeds trader quality), and one in a
        # market already closed cannot be copied: neither is a signal.
        history = known["traded_at"] < known["tracked_since"]
        closed = known["closed"].fillna(False).astype(bool) & ~history
        report.before_tracking = int(history.sum())
        report.market_closed = int(closed.sum())
        ready = known[~history & ~closed]
        if ready.empty:
            return report
        stats = trader_stats(trader_history(connection, ready["trader_address"].unique().tolist()))
        configs = [wallet for wallet, _ in wallets]
        versions = {wallet.wallet_id: version for wallet, version in wallets}
        evaluation = evaluate(ready, configs, stats, _bankrolls(connection, configs))
        report.trades_evaluated = len(ready)
        report.rejection_counts = (
            evaluation.rejections.groupby("reason", observed=True)["count"].sum().astype(int).to_dict()
        )
        by_id = ready.set_index("source_trade_id")
        rows = []
        for row in evaluation.accepted.itertuples(index=False):
            order = accepted_order(row)
            trade = by_id.loc[order.source_trade_id]
            rows.append(
                {
                    "order_id": ft_order_id(order.wallet_id, order.source_trade_id),
                    "wallet_id": order.wallet_id,
                    "source_trade_id": order.source_trade_id,
                    "trader_address": trade["trader_address"],
                    "condition_id": trade["condition_id"],
                    "token_id": trade["token_id"],
                    "token_label": trade["outcome"],
                    "market_title": trade["title"],
                    "side": trade["side"],
                    "entry_price": trade["exact_price"],
                    "size": order.size_usd,
                    "shares": order.shares,
                    "trader_win_rate": order.trader_win_rate,
                    "conviction": order.conviction,
                    "sizing_method": order.sizing_method,
                    "config_version": versions[order.wallet_id],
                    "source_traded_at": trade["traded_at"].to_pydatetime(),
                    "order_time": now,
                }
            )
            report.orders_by_wallet[order.wallet_id] = report.orders_by_wallet.get(order.wallet_id, 0) + 1
        report.orders_created = insert_missing(connection, ft_orders, rows, ["wallet_id", "source_trade_id"])
    return report


def _claim(connection: Connection, trade_ids: list[str], now: datetime) -> set[str]:
    """Mark these trades decided (ft_evaluated_at = now) in this transaction and return the ones this
    call marked: not those another writer already marked, nor, on PostgreSQL, those another writer is
    marking right now (row-locked; SKIP LOCKED, so neither waits on the other and they cannot deadlock).
    If this transaction rolls back, the marks go with its FT orders and the trades are read again.
    On SQLite the UPDATE is the transaction's first write, so it waits for another writer to commit and
    then sees its marks."""
    claimed: set[str] = set()
    pending = source_trades.c.ft_evaluated_at.is_(None)
    for start in range(0, len(trade_ids), CLAIM_CHUNK):
        chunk = source_trades.c.source_trade_id.in_(trade_ids[start : start + CLAIM_CHUNK])
        if connection.dialect.name == "postgresql":
            # FOR NO KEY UPDATE: does not wait on the key-share locks that inserting FT orders takes.
            free = select(source_trades.c.source_trade_id).where(chunk, pending).with_for_update(key_share=True, skip_locked=True)
            chunk = source_trades.c.source_trade_id.in_(free.scalar_subquery())
        statement = (
            update(source_trades).where(chunk, pending).values(ft_evaluated_at=now).returning(source_trades.c.source_trade_id)
        )
        claimed.update(connection.execute(statement).scalars())
    return claimed


def _report_unknown_markets(connection: Connection, trades: pd.DataFrame, now: datetime) -> int:
    rows = [
        {
            "raw_hash": hashlib.sha256(f"unknown_market|{row.source_trade_id}".encode()).hexdigest(),
            "trader_address": row.trader_address,
            "reason": f"market {row.condition_id}: not described by the venue within {MARKET_GRACE}; trade not copied",
            "raw": json.dumps({"source_trade_id": row.source_trade_id, "condition_id": row.condition_id}),
            "seen_at": now,
        }
        for row in trades.itertuples()
    ]
    return insert_missing(connection, source_trade_rejections, rows, ["raw_hash"])


def _pending_trades(connection: Connection) -> pd.DataFrame:
    """The trades not decided yet (read through the partial index on ft_evaluated_at IS NULL)."""
    return trade_frame(connection, source_trades.c.ft_evaluated_at.is_(None))


def trade_frame(connection: Connection, condition=None) -> pd.DataFrame:
    """Source trades with their market's facts, in the shape strategy.evaluate reads (floats and UTC
    timestamps); `exact_price` keeps the ledger's Decimal."""
    query = (
        select(
            source_trades.c.source_trade_id,
            source_trades.c.trader_address,
            source_trades.c.condition_id,
            source_trades.c.token_id,
            source_trades.c.token_label.label("outcome"),
            source_trades.c.side,
            source_trades.c.price,
            source_trades.c.size,
            source_trades.c.notional_usd,
            source_trades.c.traded_at,
            source_trades.c.title,
            source_trades.c.ingested_at,
            markets.c.condition_id.label("known_market"),
            markets.c.category,
            markets.c.end_date,
            markets.c.liquidity,
            markets.c.volume,
            markets.c.closed,
            tracked_traders.c.added_at.label("tracked_since"),
        )
        .select_from(
            source_trades.outerjoin(markets, markets.c.condition_id == source_trades.c.condition_id).outerjoin(
                tracked_traders, tracked_traders.c.trader_address == source_trades.c.trader_address
            )
        )
        .order_by(source_trades.c.ingested_at, source_trades.c.source_trade_id)
    )
    if condition is not None:
        query = query.where(condition)
    frame = pd.DataFrame(connection.execute(query).mappings().all())
    if frame.empty:
        return frame
    frame["market_known"] = frame["known_market"].notna()
    frame["exact_price"] = frame["price"]
    for name in ("price", "size", "notional_usd", "liquidity", "volume"):
        frame[name] = pd.to_numeric(frame[name].astype(object).where(frame[name].notna(), None), errors="coerce").astype(float)
    for name in ("traded_at", "end_date", "ingested_at", "tracked_since"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def trader_history(connection: Connection, traders: list[str]) -> pd.DataFrame:
    """Every stored trade of these traders, with won/voided once its market resolved."""
    rows = connection.execute(
        select(
            source_trades.c.trader_address,
            source_trades.c.side,
            source_trades.c.price,
            source_trades.c.size,
            source_trades.c.notional_usd,
            market_tokens.c.payout,
        )
        .select_from(source_trades.outerjoin(market_tokens, market_tokens.c.token_id == source_trades.c.token_id))
        .where(source_trades.c.trader_address.in_(traders))
    ).all()
    frame = pd.DataFrame(rows, columns=["trader_address", "side", "price", "size", "notional_usd", "payout"])
    payout = frame["payout"]
    frame["won"] = payout.map(lambda p: None if p is None or p == Decimal("0.5") else p == 1).astype(object)
    frame["voided"] = payout.map(lambda p: p == Decimal("0.5") if p is not None else False)
    for name in ("price", "size", "notional_usd"):
        frame[name] = frame[name].astype(float)
    return frame.drop(columns=["payout"])


def _bankrolls(connection: Connection, wallets) -> dict[str, Decimal]:
    """Virtual bankroll per wallet: starting balance + realised PnL - open exposure (exact decimals)."""
    pnl: dict[str, Decimal] = {}
    exposure: dict[str, Decimal] = {}
    rows = connection.execute(select(ft_orders.c.wallet_id, ft_orders.c.outcome, ft_orders.c.size, ft_orders.c.pnl))
    for row in rows:
        if row.outcome == "OPEN":
            exposure[row.wallet_id] = exposure.get(row.wallet_id, Decimal(0)) + row.size
        elif row.pnl is not None:
            pnl[row.wallet_id] = pnl.get(row.wallet_id, Decimal(0)) + row.pnl
    return {
        wallet.wallet_id: max(
            Decimal(0),
            wallet.starting_balance + pnl.get(wallet.wallet_id, Decimal(0)) - exposure.get(wallet.wallet_id, Decimal(0)),
        )
        for wallet in wallets
    }
