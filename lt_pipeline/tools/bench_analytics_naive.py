"""The naive way, for `lt bench analytics` to compare against: pandas reading the ledger row by row
through SQLAlchemy (every decimal a Python Decimal, every time a datetime), joining in pandas and
attributing each signal with the Decimal functions of quality.attribution.

It computes only the per strategy-day comparison (paper PnL, live PnL and the seven terms), a fraction
of what the DuckDB path computes, and its totals must equal the DuckDB path's exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pandas as pd
from sqlalchemy import and_, select

from lt_pipeline.ledger import schema
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.quality.attribution import (
    AttributionTerms,
    LiveExecution,
    NotSent,
    SignalPair,
    attribute_signal,
)
from lt_pipeline.quality.measures import exact

TERMS = [f.name for f in fields(AttributionTerms)]


def _frames(engine, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    f, l, q, s, t = (schema.ft_orders, schema.lt_orders, schema.lt_execution_quality, schema.lt_strategies,
                     schema.market_tokens)
    low = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    high = datetime(end.year, end.month, end.day, tzinfo=timezone.utc) + timedelta(days=1)
    with engine.connect() as connection:
        strategies = pd.read_sql(select(s.c.strategy_id, s.c.ft_wallet_id, s.c.launched_at)
                                 .where(s.c.launched_at.is_not(None)), connection, coerce_float=False)
        ft = pd.read_sql(select(f.c.order_id, f.c.wallet_id, f.c.token_id, f.c.side, f.c.entry_price, f.c.shares,
                                f.c.order_time, f.c.outcome, f.c.pnl)
                         .where(f.c.order_time >= low, f.c.order_time < high), connection, coerce_float=False)
        lt = pd.read_sql(select(l.c.strategy_id, l.c.ft_order_id, l.c.status, l.c.decision_reason, l.c.intended_shares,
                                l.c.executed_shares, l.c.executed_price, l.c.fees_usd, l.c.outcome.label("live_outcome"),
                                l.c.pnl.label("live_pnl"), q.c.mid_price)
                         .select_from(l.outerjoin(q, q.c.lt_order_id == l.c.lt_order_id))
                         .where(and_(l.c.signal_at >= low, l.c.signal_at < high)), connection, coerce_float=False)
        tokens = pd.read_sql(select(t.c.token_id, t.c.payout), connection, coerce_float=False)
    return strategies, ft, lt, tokens


def _pair(row) -> tuple[SignalPair, Decimal]:
    claimed = isinstance(row.status, str)
    if not claimed or row.status == "SKIPPED":
        live = NotSent(row.decision_reason if claimed else "no_live_order")
    else:
        filled = row.executed_shares
        mid = row.mid_price if isinstance(row.mid_price, Decimal) else None
        live = LiveExecution(row.intended_shares, filled, row.executed_price if filled else None, mid, row.fees_usd)
    pair = SignalPair(row.order_id, row.side, row.shares, row.entry_price, row.payout, live)
    return pair, (row.live_pnl if claimed else Decimal(0))


def strategy_days(url: str, start: date, end: date) -> dict[tuple[str, date], dict[str, Decimal]]:
    """(strategy, day) -> paper_pnl, live_pnl and the seven terms, over settled signals since launch."""
    engine = make_engine(url)
    try:
        strategies, ft, lt, tokens = _frames(engine, start, end)
    finally:
        engine.dispose()
    signals = ft.merge(strategies, left_on="wallet_id", right_on="ft_wallet_id")
    signals = signals[signals["order_time"] >= signals["launched_at"]]
    signals = signals.merge(lt, how="left", left_on=["order_id", "strategy_id"], right_on=["ft_order_id", "strategy_id"])
    signals = signals.merge(tokens, how="left", on="token_id")
    claimed = signals["status"].notna()
    settled = (signals["outcome"] != "OPEN") & (~claimed | (signals["live_outcome"] != "OPEN"))
    totals: dict[tuple[str, date], dict[str, Decimal]] = defaultdict(lambda: {n: Decimal(0) for n in ("paper_pnl", "live_pnl", *TERMS)})
    for row in signals[settled].itertuples(index=False):
        pair, live_ledger = _pair(row)
        terms, paper_model, live_model = attribute_signal(pair)
        group = totals[(row.strategy_id, row.order_time.date())]
        with exact():
            group["paper_pnl"] += row.pnl
            group["live_pnl"] += live_ledger
            for name in TERMS[:-1]:
                group[name] += getattr(terms, name)
            group["residual"] += (row.pnl - paper_model) - (live_ledger - live_model)
    return dict(totals)
