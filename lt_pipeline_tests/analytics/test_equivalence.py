"""The SQL attribution is quality.attribution's, signal by signal: on a generated ledger (every status,
caps, partial fills, fees, SELLs, voids, unresolved markets), the per-signal terms DuckDB computes equal
`attribute_signal`'s exact Decimal terms from the same rows read through SQLAlchemy, and per strategy-day
the totals equal `attribute(..., paper_pnl_total, live_pnl_total)` with the ledgers' own PnL."""

from collections import defaultdict
from dataclasses import fields
from datetime import date
from decimal import Decimal

import duckdb
from sqlalchemy import and_, select

from lt_pipeline.analytics import ledger_read, refresh
from lt_pipeline.ledger import schema
from lt_pipeline.quality.attribution import (
    AttributionTerms,
    LiveExecution,
    NotSent,
    SignalPair,
    attribute,
    attribute_signal,
)
from lt_pipeline.quality.measures import exact
from lt_pipeline.quality.score import price_bucket
from lt_pipeline.tools.bench_analytics_data import generate

TERMS = [f.name for f in fields(AttributionTerms)]


def decimal_pairs(engine):
    """(strategy, day) -> [(pair, ledger paper pnl, ledger live pnl)] for settled signals, read row by row."""
    s, f, l, q, t = (schema.lt_strategies, schema.ft_orders, schema.lt_orders, schema.lt_execution_quality,
                     schema.market_tokens)
    query = (
        select(s.c.strategy_id, f, l.c.status, l.c.decision_reason, l.c.intended_shares, l.c.executed_shares,
               l.c.executed_price, l.c.fees_usd, l.c.outcome.label("live_outcome"), l.c.pnl.label("live_pnl"),
               l.c.lt_order_id, q.c.mid_price, t.c.payout)
        .select_from(s.join(f, and_(f.c.wallet_id == s.c.ft_wallet_id, f.c.order_time >= s.c.launched_at))
                     .outerjoin(l, and_(l.c.ft_order_id == f.c.order_id, l.c.strategy_id == s.c.strategy_id))
                     .outerjoin(q, q.c.lt_order_id == l.c.lt_order_id)
                     .outerjoin(t, t.c.token_id == f.c.token_id))
    )
    groups = defaultdict(list)
    with engine.connect() as connection:
        for row in connection.execute(query).mappings():
            claimed = row["lt_order_id"] is not None
            if row["outcome"] == "OPEN" or (claimed and row["live_outcome"] == "OPEN"):
                continue
            if not claimed or row["status"] == "SKIPPED":
                live = NotSent(row["decision_reason"] or "no_live_order")
            else:
                filled = row["executed_shares"]
                live = LiveExecution(row["intended_shares"], filled, row["executed_price"] if filled else None,
                                     row["mid_price"], row["fees_usd"])
            pair = SignalPair(row["order_id"], row["side"], row["shares"], row["entry_price"], row["payout"], live)
            groups[(row["strategy_id"], row["order_time"].date())].append(
                (pair, row["pnl"], row["live_pnl"] if claimed else Decimal(0), price_bucket(row["entry_price"])))
    return groups


def test_sql_terms_equal_the_decimal_attribution_signal_by_signal(ledger_engine):
    url = ledger_engine.url.render_as_string(hide_password=False)
    generate(url, 3_000)
    duck = duckdb.connect()
    refresh.compute(duck, ledger_read.read_ledger(url, date(2026, 11, 1), date(2026, 11, 30)), ledger_read.dialect_of(url),
                    with_ids=True)
    cursor = duck.execute(f"SELECT signal_id, price_decile, invalid, {', '.join(TERMS)} FROM signal_facts WHERE settled")
    facts = {row[0]: row for row in cursor.fetchall()}

    groups = decimal_pairs(ledger_engine)
    compared = 0
    for (strategy, day), signals in groups.items():
        for pair, paper_ledger, live_ledger, bucket in signals:
            terms, paper_model, live_model = attribute_signal(pair)
            with exact():
                residual = (paper_ledger - paper_model) - (live_ledger - live_model)
            expected = [getattr(terms, name) for name in TERMS[:-1]] + [residual]
            row = facts[pair.signal_id]
            assert price_bucket(Decimal(row[1]) / 10) == bucket and row[2] is False, row  # the decile, and valid
            assert list(row[3:]) == expected, (pair, row)
            compared += 1
        # the strategy-day totals are attribute()'s with the ledgers' own PnL totals
        result = attribute([p for p, *_ in signals], paper_pnl_total=sum(p for _, p, _, _ in signals),
                           live_pnl_total=sum(lv for _, _, lv, _ in signals))
        totals = duck.execute(
            f"SELECT {', '.join(TERMS)}, paper_pnl, live_pnl FROM fig_strategy WHERE strategy_id = ? AND day = ?",
            [strategy, day]).fetchone()
        assert list(totals[:-2]) == [getattr(result.terms, name) for name in TERMS]
        assert (totals[-2], totals[-1]) == (result.paper_pnl, result.live_pnl)
    assert compared == len(facts) > 2_000
