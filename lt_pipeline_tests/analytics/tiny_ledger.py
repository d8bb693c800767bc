"""A tiny ledger with figures worked out by hand, inserted through SQLAlchemy into the real tables.

One live strategy LT_A (twin of FT_A), launched 2026-03-10 08:00 UTC, paused 12:00-14:00 that day.
A second wallet FT_B has a twin that was never launched (its signals never count). Markets:
M1 politics resolved YES (Y1 pays 1, N1 0), M2 sports resolved NO for Y2, M3 crypto void (0.5 each),
M4 politics unresolved.

Day 1 (2026-03-10), signals S1..S8 (S0 is before launch and does not count):

  S1 BUY Y1 @ 0.40, paper $40 = 100 sh; live capped to 50 sh, filled 40 (30 @ 0.41 + 10 @ 0.45,
     $16.80, fees 0.19464), mid 0.405, cancelled after a partial fill; WON.     tca.md section 7, signal 1
  S2 BUY Y2 @ 0.30, paper $15 = 50 sh; skipped exposure_cap; LOST.              tca.md section 7, signal 2
  S3 BUY Y3 @ 0.40, paper $10 = 25 sh; live 25 sh REJECTED by the venue; VOID
  S4 SELL N1 @ 0.60, paper $12 = 20 sh; live sold 20 @ 0.58 (fees 0.09744), mid 0.59; N1 pays 0
  S5 BUY Y1 @ 0.40, paper $8 = 20 sh; made inside the pause window: skipped paused; WON
  S6 BUY Y4 @ 0.55, paper $11 = 20 sh; filled 20 @ 0.55; market open: an open position
  S7 BUY Y1 @ 0.40, paper $4 = 10 sh; live UNKNOWN (answer never seen): awaiting settlement
  S8 BUY Y2 @ 0.30, paper $3 = 10 sh; skipped stale_signal; LOST

Day 2 (2026-03-11):

  S9  BUY Y1 @ 0.50, paper $5 = 10 sh; live NEVER_ARRIVED; WON
  S10 BUY Y1 @ 0.30, paper $10 = 33.33 sh (rounded down); filled 33.33 @ 0.30; WON. The paper book put
      in $10, not 33.33 x 0.30 = 9.999, so 0.001 is residual
  S11 BUY Y2 @ 0.30, paper $6 = 20 sh; live never claimed it (no LT order); LOST
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

from sqlalchemy import insert

from lt_pipeline.ledger import schema

DAY1, DAY2 = date(2026, 3, 10), date(2026, 3, 11)
LAUNCH = datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)
CREATED = datetime(2026, 3, 1, tzinfo=timezone.utc)

MARKETS = {  # condition -> (category, {token: payout})
    "M1": ("politics", {"Y1": D(1), "N1": D(0)}),
    "M2": ("sports", {"Y2": D(0), "N2": D(1)}),
    "M3": ("crypto", {"Y3": D("0.5"), "N3": D("0.5")}),
    "M4": ("politics", {"Y4": None, "N4": None}),
}
TOKEN_MARKET = {token: condition for condition, (_, tokens) in MARKETS.items() for token in tokens}

T1, T2 = "0x" + "1" * 40, "0x" + "2" * 40


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


# id: (time, wallet, trader, side, token, price, paper size, paper shares, paper outcome, paper pnl, live or None)
# live: dict of lt_orders values (status, decision_reason, intended_shares, executed..., pnl, latencies, mid)
SIGNALS = {
    "S0": (_at(DAY1, 7), "FT_A", T1, "BUY", "Y1", "0.40", "4", "10", "WON", "6", None),
    "S1": (_at(DAY1, 9), "FT_A", T1, "BUY", "Y1", "0.40", "40", "100", "WON", "60", dict(
        status="CANCELLED", intended_shares="50", executed_shares="40", executed_price="0.42", executed_size="16.80",
        fees_usd="0.19464", outcome="WON", pnl="23.00536", execution_latency_ms=1200, fill_latency_ms=800,
        mid_price="0.405")),
    "S2": (_at(DAY1, 9, 30), "FT_A", T2, "BUY", "Y2", "0.30", "15", "50", "LOST", "-15", dict(
        status="SKIPPED", decision_reason="exposure_cap", outcome="CLOSED", pnl="0", mid_price="0.30")),
    "S3": (_at(DAY1, 10), "FT_A", T1, "BUY", "Y3", "0.40", "10", "25", "VOID", "2.5", dict(
        status="REJECTED", intended_shares="25", outcome="CLOSED", pnl="0", execution_latency_ms=900)),
    "S4": (_at(DAY1, 11), "FT_A", T2, "SELL", "N1", "0.60", "12", "20", "LOST", "12", dict(
        status="FILLED", intended_shares="20", executed_shares="20", executed_price="0.58", executed_size="11.60",
        fees_usd="0.09744", outcome="LOST", pnl="11.50256", execution_latency_ms=1500, fill_latency_ms=400,
        mid_price="0.59")),
    "S5": (_at(DAY1, 13), "FT_A", T1, "BUY", "Y1", "0.40", "8", "20", "WON", "12", dict(
        status="SKIPPED", decision_reason="paused", outcome="CLOSED", pnl="0")),
    "S6": (_at(DAY1, 15), "FT_A", T1, "BUY", "Y4", "0.55", "11", "20", "OPEN", None, dict(
        status="FILLED", intended_shares="20", executed_shares="20", executed_price="0.55", executed_size="11.00",
        outcome="OPEN", execution_latency_ms=3000, fill_latency_ms=200, mid_price="0.55")),
    "S7": (_at(DAY1, 16), "FT_A", T2, "BUY", "Y1", "0.40", "4", "10", "WON", "6", dict(
        status="UNKNOWN", intended_shares="10", outcome="OPEN", execution_latency_ms=500)),
    "S8": (_at(DAY1, 17), "FT_A", T2, "BUY", "Y2", "0.30", "3", "10", "LOST", "-3", dict(
        status="SKIPPED", decision_reason="stale_signal", outcome="CLOSED", pnl="0")),
    "S9": (_at(DAY2, 9), "FT_A", T2, "BUY", "Y1", "0.50", "5", "10", "WON", "5", dict(
        status="NEVER_ARRIVED", intended_shares="10", outcome="CLOSED", pnl="0", execution_latency_ms=700)),
    "S10": (_at(DAY2, 10), "FT_A", T1, "BUY", "Y1", "0.30", "10", "33.33", "WON", "23.33", dict(
        status="FILLED", intended_shares="33.33", executed_shares="33.33", executed_price="0.30",
        executed_size="9.999", outcome="WON", pnl="23.331", execution_latency_ms=600, fill_latency_ms=100,
        mid_price="0.30")),
    "S11": (_at(DAY2, 11), "FT_A", T1, "BUY", "Y2", "0.30", "6", "20", "LOST", "-6", None),
    "B1": (_at(DAY1, 9), "FT_B", T1, "BUY", "Y1", "0.40", "4", "10", "WON", "6", None),
}


def _ts(engine_values: dict, signal_at: datetime) -> dict:
    """Submit and first-fill times that agree with the stored latencies."""
    out = {}
    if engine_values.get("execution_latency_ms") is not None:
        out["submitted_at"] = signal_at + timedelta(milliseconds=engine_values["execution_latency_ms"])
        if engine_values.get("fill_latency_ms") is not None:
            out["first_fill_at"] = out["submitted_at"] + timedelta(milliseconds=engine_values["fill_latency_ms"])
    return out


def build(engine) -> None:
    """Insert the tiny ledger into a migrated, empty ledger."""
    with engine.begin() as connection:
        connection.execute(insert(schema.users).values(user_id="u1", display_name="U1", created_at=CREATED))
        for wallet in ("FT_A", "FT_B"):
            connection.execute(insert(schema.ft_wallets).values(
                wallet_id=wallet, display_name=wallet, starting_balance=D(1000), config_json="{}", config_hash="h",
                config_version=1, created_at=CREATED, updated_at=CREATED))
        for strategy, wallet, launched in (("LT_A", "FT_A", LAUNCH), ("LT_B", "FT_B", None)):
            connection.execute(insert(schema.lt_strategies).values(
                strategy_id=strategy, user_id="u1", ft_wallet_id=wallet, display_name=strategy,
                starting_capital=D(500), slippage_tolerance_pct=D(3), order_type="GTC", min_order_size_usd=D(1),
                max_order_size_usd=D(20), max_position_size_usd=D(100), max_total_exposure_usd=D(400),
                order_ttl_seconds=300, launched_at=launched, paused_at=_at(DAY1, 12) if launched else None,
                resumed_at=_at(DAY1, 14) if launched else None, created_at=CREATED, updated_at=CREATED))
        for condition, (category, tokens) in MARKETS.items():
            connection.execute(insert(schema.markets).values(
                condition_id=condition, question=f"market {condition}", category=category,
                created_at=CREATED, updated_at=CREATED))
            for index, (token, payout) in enumerate(tokens.items()):
                connection.execute(insert(schema.market_tokens).values(
                    token_id=token, condition_id=condition, token_label=token, outcome_index=index, payout=payout))
        for signal_id, row in SIGNALS.items():
            _signal(connection, signal_id, *row)


def _signal(connection, signal_id, at, wallet, trader, side, token, price, size, shares, outcome, pnl, live) -> None:
    condition = TOKEN_MARKET[token]
    connection.execute(insert(schema.source_trades).values(
        source_trade_id=f"st-{signal_id}", trader_address=trader, condition_id=condition, token_id=token, side=side,
        price=D(price), size=D(shares), notional_usd=D(size), traded_at=at, ingested_at=at))
    connection.execute(insert(schema.ft_orders).values(
        order_id=signal_id, wallet_id=wallet, source_trade_id=f"st-{signal_id}", trader_address=trader,
        condition_id=condition, token_id=token, side=side, entry_price=D(price), size=D(size), shares=D(shares),
        sizing_method="fixed_usd", config_version=1, source_traded_at=at, order_time=at, outcome=outcome,
        pnl=None if pnl is None else D(pnl)))
    if live is None:
        return
    live = dict(live)
    mid = live.pop("mid_price", None)
    decimals = {k: D(live.pop(k)) for k in ("intended_shares", "executed_shares", "executed_price", "executed_size",
                                            "fees_usd", "pnl") if k in live}
    lt_id = f"lt-{signal_id}"
    connection.execute(insert(schema.lt_orders).values(
        lt_order_id=lt_id, strategy_id="LT_A", ft_order_id=signal_id, source_trade_id=f"st-{signal_id}", user_id="u1",
        trader_address=trader, condition_id=condition, token_id=token, side=side, signal_price=D(price),
        signal_size_usd=D(size), signal_at=at, decided_at=at, order_id=None if live["status"] == "SKIPPED" else f"h-{signal_id}",
        decision_reason=live.pop("decision_reason", "placed"), ft_pnl=None if live.get("outcome") == "OPEN" else D(pnl),
        created_at=at, updated_at=at, **decimals, **live, **_ts(live, at)))
    connection.execute(insert(schema.lt_execution_quality).values(
        lt_order_id=lt_id, strategy_id="LT_A", signal_price=D(price), mid_price=None if mid is None else D(mid),
        created_at=at, updated_at=at))
