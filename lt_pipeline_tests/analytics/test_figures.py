"""The analytics on the tiny ledger (tiny_ledger.py), figure by figure against hand computation, on
SQLite and on PostgreSQL: counts, rates, latencies, PnL, ROI, win rates, the attribution and its
cents, skip reasons and the cuts."""

from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from lt_pipeline.analytics import checks, store
from lt_pipeline.analytics.refresh import refresh_days
from lt_pipeline_tests.analytics import tiny_ledger
from lt_pipeline_tests.analytics.tiny_ledger import DAY1, DAY2

NOW = datetime(2026, 3, 12, tzinfo=timezone.utc)


@pytest.fixture
def analytics(ledger_engine, tmp_path):
    tiny_ledger.build(ledger_engine)
    path = tmp_path / "analytics.duckdb"
    report = refresh_days(ledger_engine.url.render_as_string(hide_password=False), path, DAY1, DAY2, computed_at=NOW)
    return path, report


def rows(path, sql, *params):
    with store.reader(path) as duck:
        cursor = duck.execute(sql, list(params))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def one(path, table, day, **where):
    extra = "".join(f" AND {k} = '{v}'" for k, v in where.items())
    found = rows(path, f"SELECT * FROM {table} WHERE day = ? AND strategy_id = 'LT_A'{extra}", day)
    assert len(found) == 1, found
    return found[0]


def test_day_one_counts_rates_and_latencies(analytics):
    path, _ = analytics
    q = one(path, "strategy_quality_daily", DAY1)
    counts = {k: q[k] for k in ("signals", "claimed", "unclaimed", "placed", "skipped", "denied", "stale", "filled",
                                "full_fills", "rejected", "unknown", "never_arrived", "in_flight", "open_positions",
                                "settled", "awaiting_settlement", "invalid", "live_positions_settled", "live_wins",
                                "paper_wins")}
    assert counts == dict(
        signals=8, claimed=8, unclaimed=0, placed=5, skipped=3, denied=1, stale=1, filled=3,  # S1 S4 S6
        full_fills=2, rejected=1, unknown=1, never_arrived=0, in_flight=1, open_positions=1,  # S6
        settled=6, awaiting_settlement=1, invalid=0,  # S7 waits for its live order; S6 is open
        live_positions_settled=2, live_wins=2, paper_wins=4,  # S1 S4 live; S1 S3 S4 S5 paper
    )
    assert q["skip_rate"] == pytest.approx(3 / 8) and q["stale_rate"] == pytest.approx(1 / 8)
    assert q["local_denial_rate"] == pytest.approx(1 / 8)
    assert q["rejection_rate"] == pytest.approx(1 / 5) and q["unknown_rate"] == pytest.approx(1 / 5)
    assert q["order_fill_rate"] == pytest.approx(3 / 5) and q["full_fill_ratio"] == pytest.approx(2 / 5)
    assert q["quantity_fill_rate"] == pytest.approx(80 / 125)  # (40 + 0 + 20 + 20 + 0) / (50 + 25 + 20 + 20 + 10)
    assert q["live_win_rate"] == 1.0 and q["paper_win_rate"] == pytest.approx(4 / 6)
    # signal -> submit over the five placed: 500 900 1200 1500 3000 (nearest rank); submit -> fill: 200 400 800
    assert (q["submit_latency_p50_ms"], q["submit_latency_p95_ms"], q["submit_latency_p99_ms"]) == (1200, 3000, 3000)
    assert (q["fill_latency_p50_ms"], q["fill_latency_p95_ms"], q["fill_latency_p99_ms"]) == (400, 800, 800)


def test_day_one_pnl_roi_and_attribution(analytics):
    path, _ = analytics
    q = one(path, "strategy_quality_daily", DAY1)
    # paper: S1 60 + S2 -15 + S3 2.5 + S4 12 + S5 12 + S8 -3; live: S1 23.00536 + S4 11.50256
    assert (q["paper_pnl"], q["live_pnl"]) == (D("68.5"), D("34.50792"))
    assert (q["live_invested"], q["paper_invested"], q["fees_paid"]) == (D("28.40"), D(88), D("0.29208"))
    assert q["open_usd"] == D(11)
    assert q["live_roi"] == pytest.approx(34.50792 / 28.40) and q["paper_roi"] == pytest.approx(68.5 / 88)
    c = one(path, "ft_vs_lt_daily", DAY1)
    assert c["paper_minus_live"] == D("33.99208")
    terms = {t: c[t] for t in ("coverage", "sizing", "delay", "impact", "opportunity", "fees", "residual")}
    assert terms == dict(
        coverage=D(-6),  # S2 -15, S5 +12, S8 -3
        sizing=D(30),  # S1 (100 - 50) x 0.60
        delay=D("0.4"),  # S1 40 x 0.005, S4 -20 x (0.59 - 0.60)
        impact=D("0.8"),  # S1 40 x 0.015, S4 -20 x (0.58 - 0.59)
        opportunity=D("8.5"),  # S1 (50 - 40) x 0.60, S3 25 x (0.5 - 0.4)
        fees=D("0.29208"),
        residual=D(0),
    )
    shown = {t: c[f"{t}_cents"] for t in terms}
    assert (c["paper_pnl_cents"], c["live_pnl_cents"], c["difference_cents"]) == (D("68.50"), D("34.51"), D("33.99"))
    assert shown == dict(coverage=D("-6.00"), sizing=D("30.00"), delay=D("0.40"), impact=D("0.80"),
                         opportunity=D("8.50"), fees=D("0.29"), residual=D("0.00"))


def test_day_two_never_arrived_unclaimed_and_the_paper_books_rounding(analytics):
    path, _ = analytics
    q = one(path, "strategy_quality_daily", DAY2)
    assert (q["signals"], q["placed"], q["unclaimed"], q["never_arrived"], q["filled"], q["settled"]) == (3, 2, 1, 1, 1, 3)
    assert q["unknown_rate"] == pytest.approx(1 / 2)
    c = one(path, "ft_vs_lt_daily", DAY2)
    assert (c["paper_pnl"], c["live_pnl"], c["paper_minus_live"]) == (D("22.33"), D("23.331"), D("-1.001"))
    assert (c["coverage"], c["opportunity"], c["residual"]) == (D(-6), D(5), D("-0.001"))
    assert c["sizing"] == c["delay"] == c["impact"] == c["fees"] == 0
    assert (c["difference_cents"], c["coverage_cents"], c["opportunity_cents"], c["residual_cents"]) == (
        D("-1.00"), D("-6.00"), D("5.00"), D("0.00"))


def test_skip_reasons_cuts_and_excluded_signals(analytics):
    path, report = analytics
    reasons = {(r["day"], r["reason"]): (r["signals"], r["coverage"]) for r in rows(
        path, "SELECT * FROM skip_reasons_daily ORDER BY day, reason")}
    assert reasons == {
        (DAY1, "exposure_cap"): (1, D(-15)), (DAY1, "paused"): (1, D(12)), (DAY1, "stale_signal"): (1, D(-3)),
        (DAY2, "no_live_order"): (1, D(-6)),
    }
    # S0 (before launch) and B1 (a twin never launched) are not signals; nothing else but LT_A appears.
    assert report.signals == 11 and report.counts["signals"] == 11
    assert {r["strategy_id"] for r in rows(path, "SELECT strategy_id FROM strategy_quality_daily")} == {"LT_A"}
    traders = {r["trader_address"][:3]: (r["signals"], r["paper_pnl"], r["live_pnl"], r["coverage"]) for r in rows(
        path, "SELECT * FROM ft_vs_lt_by_trader_daily WHERE day = ?", DAY1)}
    assert traders == {"0x1": (4, D("74.5"), D("23.00536"), D(12)),  # S1 S3 S5 S6
                       "0x2": (4, D(-6), D("11.50256"), D(-18))}  # S2 S4 S7 S8
    categories = {r["category"]: (r["signals"], r["sizing"]) for r in rows(
        path, "SELECT * FROM ft_vs_lt_by_category_daily WHERE day = ?", DAY1)}
    assert categories == {"politics": (5, D(30)), "sports": (2, D(0)), "crypto": (1, D(0))}  # S1 S4 S5 S6 S7
    buckets = {r["price_bucket"]: r["signals"] for r in rows(
        path, "SELECT * FROM ft_vs_lt_by_price_bucket_daily WHERE day = ?", DAY1)}
    assert buckets == {"0.3-0.4": 2, "0.4-0.5": 4, "0.5-0.6": 1, "0.6-0.7": 1}


def test_every_check_passes_on_what_was_written(analytics):
    path, _ = analytics
    with store.reader(path) as duck:
        outcomes = [o for found in checks.verify(duck, DAY1, DAY2).values() for o in found]
    assert outcomes and all(o.passed for o in outcomes), [o.describe() for o in outcomes if not o.passed]
