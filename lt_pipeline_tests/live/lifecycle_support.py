"""Builders for the lifecycle, credentials and CLI tests: FT wallets in the ledger, signals (a source
trade and its FT order), LT orders in a given state, settings pointed at an emulator, and a real
resting order placed at the emulator through a ClobTrader."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import insert, select

from lt_pipeline.execution.order_plan import OrderPlan, plan_order
from lt_pipeline.forward_test.wallets import sync_wallets
from lt_pipeline.ledger.schema import ft_orders, lt_orders, source_trades
from lt_pipeline.settings import load_settings
from lt_pipeline.strategy.config import FtWalletConfig

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
TRADER = "0x" + "a1" * 20


def ft_wallet(wallet_id: str = "FT_ALPHA", *, price_max: str = "0.9", bet: str = "10", name: str | None = None) -> FtWalletConfig:
    return FtWalletConfig.model_validate(
        {
            "wallet_id": wallet_id,
            "display_name": name or wallet_id.replace("_", " ").title(),
            "starting_balance": 1000,
            "filters": {"price_min": "0.05", "price_max": price_max},
            "sizing": {"method": "fixed_usd", "bet_size_usd": bet},
        }
    )


def add_ft_wallets(engine, *wallets: FtWalletConfig, now: datetime = T0) -> None:
    sync_wallets(engine, list(wallets), now)


def add_signal(engine, wallet_id: str, n: int, *, at: datetime = T0, token_id: str = "1001", condition_id: str | None = None) -> dict:
    """A source trade and the FT wallet's order for it; returns the FT order row."""
    source_trade_id = f"st-{wallet_id}-{n}"
    condition_id = condition_id or "0x" + f"{n:064x}"
    trade = {
        "source_trade_id": source_trade_id, "trader_address": TRADER, "condition_id": condition_id,
        "token_id": token_id, "side": "BUY", "price": Decimal("0.30"), "size": Decimal("33"),
        "notional_usd": Decimal("9.9"), "traded_at": at, "ingested_at": at,
    }
    order = {
        "order_id": str(uuid.uuid4()), "wallet_id": wallet_id, "source_trade_id": source_trade_id,
        "trader_address": TRADER, "condition_id": condition_id, "token_id": token_id, "side": "BUY",
        "entry_price": Decimal("0.30"), "size": Decimal("10"), "shares": Decimal("33.3333"),
        "sizing_method": "fixed_usd", "config_version": 1, "source_traded_at": at, "order_time": at,
    }
    with engine.begin() as connection:
        if connection.execute(select(source_trades.c.source_trade_id).where(source_trades.c.source_trade_id == source_trade_id)).first() is None:
            connection.execute(insert(source_trades).values(**trade))
        connection.execute(insert(ft_orders).values(**order))
    return order


def add_lt_order(
    engine, strategy_id: str, user_id: str, ft_order: dict, *, status: str, order_id: str | None = None,
    pnl: Decimal | None = None, resolved_at: datetime | None = None, at: datetime = T0,
) -> str:
    lt_order_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(
            insert(lt_orders).values(
                lt_order_id=lt_order_id, strategy_id=strategy_id, ft_order_id=ft_order["order_id"],
                source_trade_id=ft_order["source_trade_id"], user_id=user_id, condition_id=ft_order["condition_id"],
                token_id=ft_order["token_id"], side="BUY", signal_price=ft_order["entry_price"],
                signal_size_usd=ft_order["size"], signal_at=at, order_id=order_id, status=status,
                outcome="OPEN" if pnl is None else ("WON" if pnl > 0 else "LOST"), pnl=pnl, resolved_at=resolved_at,
                created_at=at, updated_at=at,
            )
        )
    return lt_order_id


def lt_order_status(engine, lt_order_id: str) -> str:
    with engine.connect() as connection:
        return connection.execute(select(lt_orders.c.status).where(lt_orders.c.lt_order_id == lt_order_id)).scalar_one()


def emulator_settings(emulator, tmp_path, **env: str):
    """Embedded settings whose CLOB host is this emulator (demo keys, server time)."""
    return replace(load_settings({"LT_STATE_DIR": str(tmp_path), **env}), clob_host=emulator.url)


def open_market(emulator):
    for market in emulator.venue.markets():
        if not market.closed and market.tick_size == Decimal("0.01") and not market.neg_risk:
            return market
    raise AssertionError("the default scenario lists no open 0.01-tick market")


def resting_plan(price: str = "0.30", usd: str = "6") -> OrderPlan:
    plan = plan_order(
        side="BUY", order_type="GTC", signal_price=Decimal(price), size_usd=Decimal(usd), tick_size="0.01",
        min_order_size=Decimal("1"), tolerance_pct=Decimal("0"),
    )
    assert isinstance(plan, OrderPlan), plan
    return plan


def place_resting(emulator, trader, market=None) -> str:
    """A BUY far below the pinned asks, so it rests on the book; returns its order id (hash)."""
    market = market or open_market(emulator)
    token = market.tokens[0].token_id
    emulator.admin("book", token_id=token, bids=[["0.20", "100"]], asks=[["0.60", "100"]])
    intent = trader.sign(token, resting_plan(), neg_risk=market.neg_risk)
    (result,) = trader.submit([intent])
    assert result.outcome == "accepted", result
    assert trader.order(intent.order_id).status == "LIVE"
    return intent.order_id
