"""Worked examples, every figure by hand: the ledger of examples_ledger.py (made by the real journal,
venue sync, settlement and markout code) on SQLite and on PostgreSQL, then the real analytics
(refresh_days) and `lt report`. Each expected number is written as the arithmetic a person would do.

Cases: a partial fill of an order capped below the paper size with fees (E1), a venue rejection (E2), a
void market (E3), a signal inside a pause (E4), a stale signal (E5), a signal never claimed (E6), a
SELL (E7), an order that never filled (E8), an open position (E9), a risk denial (E10), an unknown
outcome (E11), a never-arrived order (E13) and the paper book's and the VWAP's rounding (E14)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from lt_pipeline.analytics import store
from lt_pipeline.analytics.facts import TERMS
from lt_pipeline.analytics.figures import TABLES
from lt_pipeline.analytics.refresh import refresh_days
from lt_pipeline.ledger import migrate, schema
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.money import quantize_ratio
from lt_pipeline.reporting.report import build_report
from lt_pipeline_tests.analytics import examples_ledger as X
from lt_pipeline_tests.analytics.examples_ledger import DAY1, DAY2
from lt_pipeline_tests.conftest import PG_URL

NOW = datetime(2026, 5, 6, tzinfo=timezone.utc)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """The two days built once per backend (PostgreSQL: a scratch schema, dropped after), and the
    analytics of DAY1..DAY2 computed into a fresh DuckDB file."""
    folder = tmp_path_factory.mktemp(request.param)
    admin = schema_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'ledger.db'}"
    else:
        request.getfixturevalue("pg_available")  # fails, not skips, under CI=true
        schema_name = f"lt_examples_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema_name}"'))
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema_name}"}).render_as_string(
            hide_password=False)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        built = X.World(engine, url)
        built.day1()
        built.day2()
        path = folder / "analytics.duckdb"
        refresh_days(url, path, DAY1, DAY2, computed_at=NOW)
        yield built, path
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
            admin.dispose()


def table(path, name: str) -> list[dict]:
    with store.reader(path) as duck:
        cursor = duck.execute(f"SELECT * EXCLUDE (computed_at) FROM {name} ORDER BY ALL")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def by_key(path, name: str, key: str) -> dict:
    return {(row["day"], row[key]): row for row in table(path, name)}


# --- per order: what the venue sync, the executor and the markout job recorded -----------------------


def quality_rows(engine) -> dict[str, dict]:
    q, l = schema.lt_execution_quality, schema.lt_orders
    with engine.connect() as connection:
        rows = connection.execute(select(q, l.c.fees_usd, l.c.executed_size, l.c.executed_shares, l.c.status,
                                         l.c.outcome, l.c.pnl, l.c.ft_pnl, l.c.execution_latency_ms.label("exec_ms"),
                                         l.c.fill_latency_ms.label("lt_fill_ms"), l.c.signal_fill_rate)
                                  .join(l, l.c.lt_order_id == q.c.lt_order_id)).mappings().all()
    return {row["lt_order_id"].removeprefix("lt-"): dict(row) for row in rows}


def same(actual, expected) -> bool:
    """Decimal equality whatever the backend's scale (PostgreSQL NUMERIC keeps trailing zeros)."""
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, str) and not expected[:1].isdigit() and expected[:1] != "-":
        return actual == expected
    return D(actual) == D(expected)


def check(row: dict, **expected) -> None:
    wrong = {k: (row[k], v) for k, v in expected.items() if not same(row[k], v)}
    assert not wrong, wrong  # column: (actual, expected)


def test_per_order_partial_fill_capped_with_fees_and_markouts(world):
    built, _ = world
    e1 = quality_rows(built.engine)["E1"]
    check(
        e1,
        status="CANCELLED", executed_shares="25",  # q = 15 + 10 of Q_live = 40 ($20 cap / 0.50)
        executed_size="13.10",  # 15 x 0.52 + 10 x 0.53 = 7.80 + 5.30
        executed_price="0.524",  # P_x = 13.10 / 25
        fees_usd="0.07488",  # the taker fill: 15 x 0.02 x 0.52 x 0.48; the maker fill pays nothing
        slippage_cents="2.4",  # +1 x (0.524 - 0.50) x 100
        slippage_pct="0.048", slippage_vs_signal_pct="0.048",  # (0.524 - 0.50) / 0.50
        mid_price_at_signal="0.51",  # (0.50 + 0.52) / 2
        slippage_vs_mid_pct="0.0274509804",  # (0.524 - 0.51) / 0.51 = 0.027450980392..., 10 places
        slippage_vs_mid_cents="1.4",  # (0.524 - 0.51) x 100
        filled_size_usd="13.10", fill_rate="0.625",  # 25 / 40
        signal_fill_rate="0.262",  # $13.10 of the paper's $50
        partial_fill_count=2,
        order_size_usd="21.20",  # 40 sh x the 0.53 limit
        latency_order_ms=1500, exec_ms=1500,  # 09:00:00 -> submitted 09:00:01.5
        latency_fill_ms=2000, lt_fill_ms=2000,  # submitted 09:00:01.5 -> first fill 09:00:03.5
        # score: FR 0.625, |slip| 2.4 of 3 cents, signal -> last fill 9 500 of 10 000 ms, not rejected
        # 100 x (0.3 x 0.625 + 0.4 x (1 - 2.4/3) + 0.2 x (1 - 0.95) + 0.1 x 1) = 18.75 + 8 + 1 + 10
        execution_quality_score="37.75",
        # ours: (15 x (M - 0.52) + 10 x (M - 0.53)) / 25 x 100 with M at fill + h:
        # 1 min M = 0.55 (09:01 point): (0.45 + 0.20) / 25 = 0.026; 5 min 0.60: (1.2 + 0.7) / 25 = 0.076;
        # 30 min 0.58: (0.9 + 0.5) / 25 = 0.056
        markout_1m_cents="2.6", markout_5m_cents="7.6", markout_30m_cents="5.6",
        # the leader bought at 0.50 at 08:59:55: 1 min -> the 09:00 point 0.51; 5 min -> 0.55; 30 min -> 0.60
        leader_markout_1m_cents="1", leader_markout_5m_cents="5", leader_markout_30m_cents="10",
        outcome="WON", pnl="11.82512",  # 25 x 1 - 13.10 - 0.07488
        ft_pnl="50",  # 100 x 1 - 50
    )
    components = json.loads(e1["score_components_json"])
    assert components["inputs"] == {"fill_rate": "0.625", "abs_slippage_cents": "2.4", "signal_to_fill_ms": 9500,
                                    "rejected": False}
    assert components["components"] == {"fill": "0.625", "slippage": "0.2", "latency": "0.05", "rejection": "1"}
    assert components["score"] == "37.75"


def test_per_order_rejection_void_sell_unfilled_open_and_rounding(world):
    built, _ = world
    rows = quality_rows(built.engine)
    # E2 rejected: nothing filled, the score only has its rejection component and that is 0
    check(rows["E2"], status="REJECTED", executed_shares="0", latency_order_ms=900, execution_quality_score="0",
          partial_fill_count=0, fill_rate=None, outcome="CLOSED", pnl="0", ft_pnl="-8")  # paper 0 x 20 - 8
    # E3 on a void market: 20 @ 0.31, mid 0.305
    check(rows["E3"], status="FILLED", executed_price="0.31", slippage_cents="1",
          slippage_pct="0.0333333333",  # 0.01 / 0.30 = 0.0333...
          slippage_vs_mid_pct="0.0163934426",  # 0.005 / 0.305 = 0.016393442622...
          slippage_vs_mid_cents="0.5", fill_rate="1", partial_fill_count=1, latency_order_ms=700, latency_fill_ms=500,
          # 100 x (0.3 x 1 + 0.4 x (1 - 1/3) + 0.2 x (1 - 1200/10000) + 0.1) = 30 + 26.67 + 17.6 + 10 = 84.2667
          execution_quality_score="84.27",
          outcome="VOID", pnl="3.8",  # 20 x 0.5 - 6.20
          ft_pnl="4")  # 20 x 0.5 - 6
    # E7 the SELL: sold 20 @ 0.69 on a 0.70 signal, mid 0.695
    check(rows["E7"], executed_price="0.69",
          slippage_cents="1",  # -1 x (0.69 - 0.70) x 100: received a cent less a share
          slippage_pct="-0.0142857143",  # (0.69 - 0.70) / 0.70, not side-adjusted
          slippage_vs_mid_pct="-0.0071942446",  # (0.69 - 0.695) / 0.695
          slippage_vs_mid_cents="0.5",  # -1 x (0.69 - 0.695) x 100
          fees_usd="0.08556",  # 20 x 0.02 x 0.69 x 0.31
          latency_order_ms=1000, latency_fill_ms=1000,
          # 100 x (0.3 + 0.4 x (1 - 1/3) + 0.2 x (1 - 2000/10000) + 0.1) = 30 + 26.67 + 16 + 10 = 82.6667
          execution_quality_score="82.67",
          # ours, s = -1: 1 min -(0.68 - 0.69) = +1 cent; 5 min -(0.66 - 0.69) = 3; 30 min -(0.72 - 0.69) = -3
          markout_1m_cents="1", markout_5m_cents="3", markout_30m_cents="-3",
          # the leader sold at 0.70 at 14:29:55: 1 min the 14:30 point 0.695 -> 0.5; 5 min 0.68 -> 2; 30 min 0.66 -> 4
          leader_markout_1m_cents="0.5", leader_markout_5m_cents="2", leader_markout_30m_cents="4",
          outcome="LOST", pnl="13.71444",  # -(20 x 0 - 13.80) - 0.08556
          ft_pnl="14")  # -(20 x 0 - 14)
    # E8 accepted, never filled, cancelled: fill 0; only the rejection component scores: 100 x 0.1
    check(rows["E8"], status="CANCELLED", fill_rate="0", partial_fill_count=0, latency_fill_ms=None,
          execution_quality_score="10", outcome="CLOSED", pnl="0", ft_pnl="12")  # 20 x 1 - 8
    # E9 filled as maker at the signal price: no slippage, no fee; open
    check(rows["E9"], executed_price="0.55", slippage_cents="0", fees_usd="0", latency_fill_ms=1000,
          execution_quality_score="92",  # 100 x (0.3 + 0.4 + 0.2 x (1 - 4000/10000) + 0.1)
          outcome="OPEN", pnl=None)
    # E11 unknown and E13 never arrived: latency to the send, no score (no answer seen)
    check(rows["E11"], status="UNKNOWN", latency_order_ms=500, execution_quality_score=None, outcome="OPEN")
    check(rows["E13"], status="NEVER_ARRIVED", latency_order_ms=400, outcome="CLOSED", pnl="0", ft_pnl="-9")
    # E12: 10 @ 0.21 on 0.20, mid 0.205, fee 10 x 0.02 x 0.21 x 0.79
    check(rows["E12"], fees_usd="0.03318", slippage_cents="1", slippage_pct="0.05", slippage_vs_mid_pct="0.0243902439",
          execution_quality_score="84.67",  # 100 x (0.3 + 0.4 x 2/3 + 0.2 x (1 - 1000/10000) + 0.1) = 84.6667
          pnl="7.86682", ft_pnl="8")  # 10 - 2.10 - 0.03318; 10 - 2
    # E14: 1 @ 0.31 + 2 @ 0.32 = 0.95 for 3 shares; VWAP 0.31666... rounded to 10 places
    check(rows["E14"], executed_size="0.95", executed_price="0.3166666667",
          slippage_cents="1.66666667",  # (0.3166666667 - 0.30) x 100
          slippage_pct="0.0555555557",  # 0.0166666667 / 0.30 = 0.0555555556666...
          slippage_vs_mid_pct="0.0215053765",  # 0.0066666667 / 0.31 = 0.02150537645...
          slippage_vs_mid_cents="0.66666667", partial_fill_count=2, latency_fill_ms=300,
          # 100 x (0.3 + 0.4 x (1 - 1.66666667/3) + 0.2 x (1 - 1100/10000) + 0.1) = 30 + 17.7778 + 17.8 + 10
          execution_quality_score="75.58",
          pnl="2.05",  # settlement uses the exact cost: 3 x 1 - 0.95, not 3 x (1 - VWAP)
          ft_pnl="23.33")  # the paper book: 33.33 x 1 - $10


# --- per strategy and day -----------------------------------------------------------------------------

DAY1_QUALITY = dict(
    day=DAY1, strategy_id="LT_X",
    signals=11,  # E1..E11 (E0 is before the launch)
    claimed=10, unclaimed=1,  # E6
    placed=7,  # E1 E2 E3 E7 E8 E9 E11
    skipped=3, denied=1, stale=1,  # E4 paused, E10 exposure_cap (a risk rule), E5 stale_signal
    filled=4, full_fills=3,  # E1 E3 E7 E9; all but E1 (25 of 40)
    rejected=1, unknown=1, never_arrived=0, in_flight=1,  # E2; E11; E11
    open_positions=1,  # E9
    settled=9,  # all but E9 (MD open) and E11 (live answer unknown)
    awaiting_settlement=1,  # E11: paper settled, live not
    invalid=0,
    live_positions_settled=3, live_wins=3,  # E1 E3 E7, all > 0
    paper_wins=7,  # E1 50, E3 4, E4 4, E6 15, E7 14, E8 12, E10 11 (E2 -8, E5 -4)
    paper_pnl=D(98),  # 50 - 8 + 4 + 4 - 4 + 15 + 14 + 12 + 11
    live_pnl=D("29.33956"),  # E1 11.82512 + E3 3.80 + E7 13.71444
    live_invested=D("33.10"),  # 13.10 + 6.20 + 13.80
    paper_invested=D(110),  # 50 + 8 + 6 + 6 + 4 + 5 + 14 + 8 + 9
    fees_paid=D("0.16044"),  # 0.07488 + 0.08556
    open_usd=D(11),  # E9 20 x 0.55
    skip_rate=3 / 11, local_denial_rate=1 / 11, stale_rate=1 / 11,
    rejection_rate=1 / 7, unknown_rate=1 / 7, order_fill_rate=4 / 7, full_fill_ratio=3 / 7,
    live_win_rate=3 / 3, paper_win_rate=7 / 9,
    quantity_fill_rate=85 / 150,  # (25 + 0 + 20 + 20 + 0 + 20 + 0) / (40 + 20 + 20 + 20 + 20 + 20 + 10)
    live_roi=29.33956 / 33.10, paper_roi=98 / 110,
    # submit ms of the 7 placed, sorted: 500 700 900 1000 1500 2000 3000; nearest rank: p50 = 4th, p95 = p99 = 7th
    submit_latency_p50_ms=1000.0, submit_latency_p95_ms=3000.0, submit_latency_p99_ms=3000.0,
    # first-fill ms of the 4 filled: 500 1000 1000 2000; p50 = 2nd, p95 = p99 = 4th
    fill_latency_p50_ms=1000.0, fill_latency_p95_ms=2000.0, fill_latency_p99_ms=2000.0,
    # the paper book's fill error, 100 x s x (P_x - P_d) per filled signal, in cents a share: E1 52.4 - 50 =
    # 2.4; E3 31 - 30 = 1; E7 (a SELL) -(69 - 70) = 1; E9 55 - 55 = 0. Sorted 0 1 1 2.4, nearest rank of 4:
    # p5 and p25 the 1st, p50 the 2nd, p75 the 3rd, p95 the 4th; mean 4.4 / 4.
    paper_fill_error_p5_cents=0.0, paper_fill_error_p25_cents=0.0, paper_fill_error_p50_cents=1.0,
    paper_fill_error_p75_cents=1.0, paper_fill_error_p95_cents=2.4, paper_fill_error_mean_cents=pytest.approx(1.1),
)
DAY1_COMPARISON = dict(
    day=DAY1, strategy_id="LT_X", signals=11, settled=9, awaiting_settlement=1, invalid=0,
    paper_pnl=D(98), live_pnl=D("29.33956"), paper_minus_live=D("68.66044"),
    coverage=D(26),  # E4 10 x 0.40 + E5 20 x (0 - 0.20) + E6 20 x 0.75 + E10 20 x 0.55 = 4 - 4 + 15 + 11
    sizing=D(30),  # E1 (100 - 40) x (1 - 0.50)
    delay=D("0.45"),  # E1 25 x (0.51 - 0.50) + E3 20 x (0.305 - 0.30) + E7 -20 x (0.695 - 0.70) = 0.25 + 0.1 + 0.1
    impact=D("0.55"),  # E1 25 x (0.524 - 0.51) + E3 20 x (0.31 - 0.305) + E7 -20 x (0.69 - 0.695) = 0.35 + 0.1 + 0.1
    opportunity=D("11.5"),  # E1 (40 - 25) x 0.50 + E2 20 x (0 - 0.40) + E8 20 x (1 - 0.40) = 7.5 - 8 + 12
    fees=D("0.16044"),
    residual=D(0),  # every record agrees with its model: 26 + 30 + 0.45 + 0.55 + 11.5 + 0.16044 = 68.66044
    paper_pnl_cents=D("98.00"), live_pnl_cents=D("29.34"), difference_cents=D("68.66"),
    coverage_cents=D("26.00"), sizing_cents=D("30.00"), delay_cents=D("0.45"), impact_cents=D("0.55"),
    opportunity_cents=D("11.50"), fees_cents=D("0.16"), residual_cents=D("0.00"),  # 68.66 - 68.66
)
DAY2_QUALITY = dict(
    day=DAY2, strategy_id="LT_X", signals=3, claimed=3, unclaimed=0, placed=3, skipped=0, denied=0, stale=0,
    filled=2, full_fills=2,  # E12, E14
    rejected=0, unknown=0, never_arrived=1, in_flight=0, open_positions=0,  # E13
    settled=3, awaiting_settlement=0, invalid=0, live_positions_settled=2, live_wins=2,
    paper_wins=2,  # E12 8, E14 23.33; E13 -9
    paper_pnl=D("22.33"),  # 8 - 9 + 23.33
    live_pnl=D("9.91682"),  # 7.86682 + 0 + 2.05
    live_invested=D("3.05"), paper_invested=D(21),  # 2.10 + 0.95; 2 + 9 + 10
    fees_paid=D("0.03318"), open_usd=D(0),
    skip_rate=0.0, local_denial_rate=0.0, stale_rate=0.0, rejection_rate=0.0,
    unknown_rate=1 / 3,  # (unknown 0 + never arrived 1) / placed 3
    order_fill_rate=2 / 3, full_fill_ratio=2 / 3, live_win_rate=1.0, paper_win_rate=2 / 3,
    quantity_fill_rate=13 / 23,  # (10 + 0 + 3) / (10 + 10 + 3)
    live_roi=9.91682 / 3.05, paper_roi=22.33 / 21,
    submit_latency_p50_ms=600.0, submit_latency_p95_ms=800.0, submit_latency_p99_ms=800.0,  # 400 600 800
    fill_latency_p50_ms=200.0, fill_latency_p95_ms=300.0, fill_latency_p99_ms=300.0,  # 200 300
    # the paper book's fill error, 100 x s x (P_x - P_d) per filled signal: E12 21 - 20 = 1; E14 VWAP
    # 0.3166666667 - 0.30 -> 1.66666667. Nearest rank of 2: p5..p50 the 1st, p75 and p95 the 2nd.
    paper_fill_error_p5_cents=1.0, paper_fill_error_p25_cents=1.0, paper_fill_error_p50_cents=1.0,
    paper_fill_error_p75_cents=1.66666667, paper_fill_error_p95_cents=1.66666667,
    paper_fill_error_mean_cents=pytest.approx(1.333333335),  # (1 + 1.66666667) / 2
)
DAY2_COMPARISON = dict(
    day=DAY2, strategy_id="LT_X", signals=3, settled=3, awaiting_settlement=0, invalid=0,
    paper_pnl=D("22.33"), live_pnl=D("9.91682"), paper_minus_live=D("12.41318"),
    coverage=D(0),
    sizing=D("21.231"),  # E14 (33.33 - 3) x (1 - 0.30)
    delay=D("0.08"),  # E12 10 x 0.005 + E14 3 x (0.31 - 0.30)
    impact=D("0.0700000001"),  # E12 10 x 0.005 + E14 3 x (0.3166666667 - 0.31) = 0.05 + 0.0200000001
    opportunity=D(-9),  # E13 10 x (0 - 0.90)
    fees=D("0.03318"),
    # E14's records against its model: paper put in $10, not 33.33 x 0.30 = 9.999 (-0.001); live paid 0.95,
    # not 3 x 0.3166666667 = 0.9500000001 (live 0.0000000001 better than its model): -0.001 - 0.0000000001
    residual=D("-0.0010000001"),
    paper_pnl_cents=D("22.33"), live_pnl_cents=D("9.92"), difference_cents=D("12.41"),
    coverage_cents=D("0.00"), sizing_cents=D("21.23"), delay_cents=D("0.08"), impact_cents=D("0.07"),
    opportunity_cents=D("-9.00"), fees_cents=D("0.03"),
    residual_cents=D("0.00"),  # 12.41 - (21.23 + 0.08 + 0.07 - 9.00 + 0.03)
)


def test_strategy_day_tables_every_column(world):
    _, path = world
    assert table(path, "strategy_quality_daily") == [DAY1_QUALITY, DAY2_QUALITY]
    assert table(path, "ft_vs_lt_daily") == [DAY1_COMPARISON, DAY2_COMPARISON]
    assert table(path, "skip_reasons_daily") == [
        dict(day=DAY1, strategy_id="LT_X", reason="exposure_cap", signals=1, settled=1, coverage=D(11),
             coverage_cents=D("11.00")),  # E10 20 x (1 - 0.45)
        dict(day=DAY1, strategy_id="LT_X", reason="no_live_order", signals=1, settled=1, coverage=D(15),
             coverage_cents=D("15.00")),  # E6 20 x (1 - 0.25)
        dict(day=DAY1, strategy_id="LT_X", reason="paused", signals=1, settled=1, coverage=D(4),
             coverage_cents=D("4.00")),  # E4 10 x (1 - 0.60)
        dict(day=DAY1, strategy_id="LT_X", reason="stale_signal", signals=1, settled=1, coverage=D(-4),
             coverage_cents=D("-4.00")),  # E5 20 x (0 - 0.20)
    ]


# --- the cuts: each signal's hand figures, grouped --------------------------------------------------

# Per signal: (trader, category, price bucket) and the figures that are not 0 / False. `q`: (intended,
# filled) shares of a placed order; `ms`: (submit, first fill) latencies.
_T1, _T2 = X.T1, X.T2
FACTS = {
    "E1": (DAY1, _T1, "politics", "0.5-0.6", dict(claimed=1, placed=1, filled=1, settled=1, live_positions_settled=1,
           live_wins=1, paper_wins=1, q=(40, 25), ms=(1500, 2000), paper_pnl="50", live_pnl="11.82512",
           live_invested="13.10", paper_invested="50", fees_paid="0.07488", sizing="30", delay="0.25",
           impact="0.35", opportunity="7.5", fees="0.07488")),
    "E2": (DAY1, _T2, "sports", "0.4-0.5", dict(claimed=1, placed=1, rejected=1, settled=1, q=(20, 0), ms=(900, None),
           paper_pnl="-8", paper_invested="8", opportunity="-8")),
    "E3": (DAY1, _T1, "crypto", "0.3-0.4", dict(claimed=1, placed=1, filled=1, full_fills=1, settled=1,
           live_positions_settled=1, live_wins=1, paper_wins=1, q=(20, 20), ms=(700, 500), paper_pnl="4",
           live_pnl="3.8", live_invested="6.2", paper_invested="6", delay="0.1", impact="0.1")),
    "E4": (DAY1, _T1, "politics", "0.6-0.7", dict(claimed=1, skipped=1, settled=1, paper_wins=1, paper_pnl="4",
           paper_invested="6", coverage="4")),
    "E5": (DAY1, _T2, "sports", "0.2-0.3", dict(claimed=1, skipped=1, stale=1, settled=1, paper_pnl="-4",
           paper_invested="4", coverage="-4")),
    "E6": (DAY1, _T2, "sports", "0.2-0.3", dict(unclaimed=1, settled=1, paper_wins=1, paper_pnl="15",
           paper_invested="5", coverage="15")),
    "E7": (DAY1, _T2, "politics", "0.7-0.8", dict(claimed=1, placed=1, filled=1, full_fills=1, settled=1,
           live_positions_settled=1, live_wins=1, paper_wins=1, q=(20, 20), ms=(1000, 1000), paper_pnl="14",
           live_pnl="13.71444", live_invested="13.8", paper_invested="14", fees_paid="0.08556", delay="0.1",
           impact="0.1", fees="0.08556")),
    "E8": (DAY1, _T1, "sports", "0.4-0.5", dict(claimed=1, placed=1, settled=1, paper_wins=1, q=(20, 0),
           ms=(2000, None), paper_pnl="12", paper_invested="8", opportunity="12")),
    "E9": (DAY1, _T1, "politics", "0.5-0.6", dict(claimed=1, placed=1, filled=1, full_fills=1, open_positions=1,
           open_usd="11", q=(20, 20), ms=(3000, 1000))),
    "E10": (DAY1, _T2, "politics", "0.4-0.5", dict(claimed=1, skipped=1, denied=1, settled=1, paper_wins=1,
            paper_pnl="11", paper_invested="9", coverage="11")),
    "E11": (DAY1, _T1, "politics", "0.4-0.5", dict(claimed=1, placed=1, unknown=1, in_flight=1, awaiting_settlement=1,
            q=(10, 0), ms=(500, None))),
    "E12": (DAY2, _T1, "politics", "0.2-0.3", dict(claimed=1, placed=1, filled=1, full_fills=1, settled=1,
            live_positions_settled=1, live_wins=1, paper_wins=1, q=(10, 10), ms=(800, 200), paper_pnl="8",
            live_pnl="7.86682", live_invested="2.1", paper_invested="2", fees_paid="0.03318", delay="0.05",
            impact="0.05", fees="0.03318")),
    "E13": (DAY2, _T2, "sports", "0.9-1.0", dict(claimed=1, placed=1, never_arrived=1, settled=1, q=(10, 0),
            ms=(400, None), paper_pnl="-9", paper_invested="9", opportunity="-9")),
    "E14": (DAY2, _T1, "politics", "0.3-0.4", dict(claimed=1, placed=1, filled=1, full_fills=1, settled=1,
            live_positions_settled=1, live_wins=1, paper_wins=1, q=(3, 3), ms=(600, 300), paper_pnl="23.33",
            live_pnl="2.05", live_invested="0.95", paper_invested="10", sizing="21.231", delay="0.03",
            impact="0.0200000001", residual="-0.0010000001")),
}
COUNTS = ("claimed", "unclaimed", "placed", "skipped", "denied", "stale", "filled", "full_fills", "rejected",
          "unknown", "never_arrived", "in_flight", "open_positions", "settled", "awaiting_settlement", "invalid",
          "live_positions_settled", "live_wins", "paper_wins")
MONEY = ("paper_pnl", "live_pnl", "live_invested", "paper_invested", "fees_paid", "open_usd", *TERMS)


def _rank(values: list[int], pct: int) -> float | None:
    """Nearest rank: the smallest value with at least pct % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(1, -(-pct * len(ordered) // 100)) - 1])


def _ratio(numerator, denominator):
    return None if not denominator else float(numerator) / float(denominator)


def _cents(value: D) -> D:
    return value.quantize(D("0.01"))  # half-even, Decimal's default rounding


def expected_group(names: list[str]) -> dict:
    """The figures of a group of signals, summed from FACTS as the tables define them."""
    facts = [FACTS[name][4] for name in names]
    row = {"signals": len(facts), **{c: sum(f.get(c, 0) for f in facts) for c in COUNTS}}
    row.update({m: sum((D(f.get(m, "0")) for f in facts), D(0)) for m in MONEY})
    row["paper_minus_live"] = row["paper_pnl"] - row["live_pnl"]
    intended = sum(f["q"][0] for f in facts if "q" in f)
    filled = sum(f["q"][1] for f in facts if "q" in f)
    for rate, n, d in (("skip_rate", "skipped", "signals"), ("local_denial_rate", "denied", "signals"),
                       ("stale_rate", "stale", "signals"), ("rejection_rate", "rejected", "placed"),
                       ("order_fill_rate", "filled", "placed"), ("full_fill_ratio", "full_fills", "placed"),
                       ("live_win_rate", "live_wins", "live_positions_settled"), ("paper_win_rate", "paper_wins", "settled")):
        row[rate] = _ratio(row[n], row[d])
    row["unknown_rate"] = _ratio(row["unknown"] + row["never_arrived"], row["placed"])
    row["quantity_fill_rate"] = _ratio(filled, intended) if row["placed"] else None
    row["live_roi"] = _ratio(row["live_pnl"], row["live_invested"])
    row["paper_roi"] = _ratio(row["paper_pnl"], row["paper_invested"])
    submit = [f["ms"][0] for f in facts if "ms" in f]
    first_fill = [f["ms"][1] for f in facts if "ms" in f and f["ms"][1] is not None]
    for p in (50, 95, 99):
        row[f"submit_latency_p{p}_ms"] = _rank(submit, p)
        row[f"fill_latency_p{p}_ms"] = _rank(first_fill, p)
    shown = [t for t in TERMS if t != "residual"]
    row.update(paper_pnl_cents=_cents(row["paper_pnl"]), live_pnl_cents=_cents(row["live_pnl"]))
    row["difference_cents"] = row["paper_pnl_cents"] - row["live_pnl_cents"]
    row.update({f"{t}_cents": _cents(row[t]) for t in shown})
    row["residual_cents"] = row["difference_cents"] - sum(row[f"{t}_cents"] for t in shown)
    return row


@pytest.mark.parametrize("cut, key, index", [("ft_vs_lt_by_trader_daily", "trader_address", 1),
                                             ("ft_vs_lt_by_category_daily", "category", 2),
                                             ("ft_vs_lt_by_price_bucket_daily", "price_bucket", 3)])
def test_cut_tables_every_column(world, cut, key, index):
    _, path = world
    groups: dict = {}
    for name, fact in FACTS.items():
        groups.setdefault((fact[0], fact[index]), []).append(name)
    rows = by_key(path, cut, key)
    assert set(rows) == set(groups)
    columns = TABLES[cut][0]
    for group, names in groups.items():
        expected = {"day": group[0], "strategy_id": "LT_X", key: group[1], **expected_group(names)}
        assert set(expected) == {"day", *columns}
        assert rows[group] == expected, group


def test_cuts_written_out_by_hand(world):
    """A few cut rows in full arithmetic, beside the summed ones above."""
    _, path = world
    traders = by_key(path, "ft_vs_lt_by_trader_daily", "trader_address")
    t1 = traders[(DAY1, X.T1)]  # E1 E3 E4 E8 E9 E11
    assert (t1["signals"], t1["placed"], t1["filled"], t1["settled"]) == (6, 5, 3, 4)
    assert t1["paper_pnl"] == D(70)  # 50 + 4 + 4 + 12
    assert t1["live_pnl"] == D("15.62512")  # 11.82512 + 3.80
    assert [t1[t] for t in TERMS] == [D(4), D(30), D("0.35"), D("0.45"), D("19.5"), D("0.07488"), D(0)]
    # coverage E4 4; sizing E1 30; delay 0.25 + 0.1; impact 0.35 + 0.1; opportunity 7.5 + 12; fees E1
    assert (t1["fees_cents"], t1["live_pnl_cents"], t1["difference_cents"]) == (D("0.07"), D("15.63"), D("54.37"))
    t2 = traders[(DAY1, X.T2)]  # E2 E5 E6 E7 E10
    assert (t2["rejection_rate"], t2["skip_rate"], t2["unclaimed"]) == (1 / 2, 2 / 5, 1)
    assert [t2[t] for t in TERMS] == [D(22), D(0), D("0.1"), D("0.1"), D(-8), D("0.08556"), D(0)]
    # 14.29 = 0.00 coverage ... : 22.00 + 0.10 + 0.10 - 8.00 + 0.09 = 14.29, residual shown 0.00
    assert (t2["difference_cents"], t2["fees_cents"], t2["residual_cents"]) == (D("14.29"), D("0.09"), D("0.00"))
    buckets = by_key(path, "ft_vs_lt_by_price_bucket_daily", "price_bucket")
    assert buckets[(DAY2, "0.3-0.4")]["residual"] == D("-0.0010000001")  # E14 alone
    assert buckets[(DAY1, "0.6-0.7")]["skip_rate"] == 1.0 and buckets[(DAY1, "0.6-0.7")]["rejection_rate"] is None
    categories = by_key(path, "ft_vs_lt_by_category_daily", "category")
    assert categories[(DAY1, "crypto")]["paper_minus_live"] == D("0.2")  # the void E3: 4 - 3.80


def test_every_row_attributes_the_difference_exactly_and_to_the_cent(world):
    _, path = world
    for name in ("ft_vs_lt_daily", "ft_vs_lt_by_trader_daily", "ft_vs_lt_by_category_daily",
                 "ft_vs_lt_by_price_bucket_daily"):
        for row in table(path, name):
            assert sum(row[t] for t in TERMS) == row["paper_minus_live"] == row["paper_pnl"] - row["live_pnl"], row
            assert sum(row[f"{t}_cents"] for t in TERMS) == row["difference_cents"], row
            assert row["difference_cents"] == _cents(row["paper_pnl"]) - _cents(row["live_pnl"]), row


# --- lt report ----------------------------------------------------------------------------------------


def test_lt_report_per_order_shortfall_and_strategy_figures(world):
    built, path = world
    report = build_report(built.engine, path, "LT_X", None, NOW)
    lines = {o.lt_order_id.removeprefix("lt-"): o for o in report.orders}
    assert sorted(lines) == sorted(["E1", "E2", "E3", "E7", "E8", "E9", "E11", "E12", "E13", "E14"])  # sent orders
    shortfall = {name: {k: D(v) for k, v in o.shortfall.items()} if o.shortfall else None for name, o in lines.items()}
    # implementation shortfall at the live size Q_live: delay + impact + opportunity + fees
    assert shortfall["E1"] == dict(delay=D("0.25"), impact=D("0.35"), opportunity=D("7.5"), fees=D("0.07488"),
                                   total=D("8.17488"))  # 40 x 0.50 paper at live size - live 11.82512
    assert shortfall["E2"] == dict(delay=0, impact=0, opportunity=D(-8), fees=0, total=D(-8))  # 20 x (0 - 0.40)
    assert shortfall["E3"] == dict(delay=D("0.1"), impact=D("0.1"), opportunity=0, fees=0, total=D("0.2"))
    assert shortfall["E7"] == dict(delay=D("0.1"), impact=D("0.1"), opportunity=0, fees=D("0.08556"),
                                   total=D("0.28556"))
    assert shortfall["E8"] == dict(delay=0, impact=0, opportunity=D(12), fees=0, total=D(12))  # 20 x (1 - 0.40)
    assert shortfall["E9"] is None  # MD has no payout yet
    e1 = lines["E1"]
    assert (e1.slippage_cents, e1.fill_rate, e1.partial_fill_count, e1.latency_order_ms, e1.latency_fill_ms,
            e1.score) == (D("2.4"), D("0.625"), 2, 1500, 2000, D("37.75"))
    assert e1.markouts_cents == {"1m": D("2.6"), "5m": D("7.6"), "30m": D("5.6")}
    assert e1.leader_markouts_cents == {"1m": D(1), "5m": D(5), "30m": D(10)}
    f = report.figures
    assert (f["signals"], f["placed"], f["filled"], f["skipped"], f["stale"], f["rejected"]) == (14, 10, 6, 3, 1, 1)
    assert (D(f["paper_pnl"]), D(f["live_pnl"])) == (D("120.33"), D("39.25638"))  # 98 + 22.33; 29.33956 + 9.91682
    assert f["rejection_rate"] == D(1) / D(10) and f["order_fill_rate"] == D(6) / D(10)
    # invested 33.10 + 3.05; a ratio is kept at the ledger's ratio precision (10 places)
    assert f["live_win_rate"] == 1 and f["live_roi"] == quantize_ratio(D("39.25638") / D("36.15"))
    assert {k: D(v) for k, v in report.attribution.items()} == dict(
        paper_minus_live=D("81.07362"), coverage=D(26), sizing=D("51.231"), delay=D("0.53"), impact=D("0.6200000001"),
        opportunity=D("2.5"), fees=D("0.19362"), residual=D("-0.0010000001"))
    # signal -> submit over every LT order with one: 400 500 600 700 800 900 1000 1500 2000 3000
    assert report.latency_ms == {"p50": 800, "p95": 3000, "p99": 3000}
    assert report.open_positions == 1  # E9
    # available capital: 500 + realised 39.25638 - open exposure (E9 filled $11, E11 may still fill $4)
    assert report.available_capital == D("524.25638")


def test_lt_report_unknown_rate_counts_never_arrived_like_the_tables(world):
    """The tables' unknown_rate is (unknown + never_arrived) / placed (docs/tca.md section 4: sends whose
    outcome was unknown at the time), and `lt report` says the same: over both days (E11 + E13) / 10
    placed = 0.2."""
    built, path = world
    report = build_report(built.engine, path, "LT_X", None, NOW)
    assert report.figures["unknown_rate"] == D(2) / D(10)
