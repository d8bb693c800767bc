"""Small builders for strategy tests: a wallet from keyword filters, a trade row, trader stats, and
`decide`, which runs one pair through both evaluate() and explain() and insists they agree."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pandas as pd

from lt_pipeline.strategy.config import FtWalletConfig
from lt_pipeline.strategy.evaluate import Decision, evaluate, explain

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20
CAROL = "0x" + "c3" * 20  # never has stats: an unknown trader

ALICE_STATS = {"resolved_count": 40, "win_rate": 0.6, "roi": 0.1, "median_notional": 10.0}


def wallet(
    wallet_id: str = "FT_TEST",
    *,
    sizing: dict | None = None,
    starting_balance: object = 1000,
    is_active: bool = True,
    **filters: object,
) -> FtWalletConfig:
    return FtWalletConfig.model_validate(
        {
            "wallet_id": wallet_id,
            "display_name": wallet_id.title(),
            "starting_balance": starting_balance,
            "is_active": is_active,
            "filters": filters,
            "sizing": sizing or {"method": "fixed_usd", "bet_size_usd": 10},
        }
    )


def trade(**overrides: object) -> dict:
    """A BUY of 40 shares at 0.5 (20 USD) by ALICE in a liquid Sports market ending 2 days later."""
    row = {
        "source_trade_id": "st-1",
        "trader_address": ALICE,
        "condition_id": "0x" + "0" * 63 + "1",
        "token_id": "1001",
        "outcome": "Yes",
        "side": "BUY",
        "price": 0.5,
        "size": 40.0,
        "notional_usd": 20.0,
        "traded_at": T0,
        "category": "Sports",
        "end_date": T0 + timedelta(days=2),
        "liquidity": 10_000.0,
        "volume": 50_000.0,
    }
    row.update(overrides)
    return row


def trades_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("traded_at", "end_date"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def stats_frame(by_trader: dict[str, dict]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(by_trader, orient="index")


def decide(
    trade_row: dict,
    wallet_config: FtWalletConfig,
    stats_row: dict | None = ALICE_STATS,
    bankroll: Decimal | None = None,
) -> Decision:
    """explain()'s decision for one pair, after checking evaluate() reaches the same one."""
    decision = explain(trade_row, wallet_config, stats_row, bankroll)
    stats = None if stats_row is None else stats_frame({trade_row["trader_address"]: stats_row})
    bankrolls = {} if bankroll is None else {wallet_config.wallet_id: bankroll}
    result = evaluate(trades_frame([trade_row]), [wallet_config], stats, bankrolls)
    if decision.accepted:
        assert result.rejections.empty, result.rejections
        assert len(result.accepted) == 1
        assert Decimal(repr(float(result.accepted["size_usd"].iloc[0]))) == decision.size_usd
    else:
        assert result.accepted.empty
        assert result.reason_counts(wallet_config.wallet_id) == {decision.reason: 1}
    return decision
