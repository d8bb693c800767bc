"""The operator's read models on the tiny hand-worked ledger (lt_pipeline_tests/analytics/tiny_ledger.py),
on SQLite and PostgreSQL: the card's figures a user reads, worked out by hand; the card agrees with the
analytics tables and follows the ledger when the analytics file is stale; order detail, order lists,
"why", the FT wallets, and one error naming any unknown id."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from sqlalchemy import update

from lt_pipeline import operator as op
from lt_pipeline.analytics import store
from lt_pipeline.analytics.refresh import refresh_days
from lt_pipeline.execution.controls import halt, resume_trading
from lt_pipeline.execution.strategies import create_strategy, ensure_user, launch, pause, resume
from lt_pipeline.ledger.schema import lt_orders
from lt_pipeline_tests.analytics import tiny_ledger
from lt_pipeline_tests.analytics.tiny_ledger import DAY1, DAY2, LAUNCH
from lt_pipeline_tests.live.lifecycle_support import add_ft_wallets, ft_wallet

NOW = datetime(2026, 3, 12, tzinfo=timezone.utc)


@pytest.fixture
def tiny(ledger_engine):
    tiny_ledger.build(ledger_engine)
    return ledger_engine


def test_the_card_shows_the_hand_worked_figures_of_the_tiny_ledger(tiny):
    card = op.strategy_card(tiny, None, "LT_A", NOW)
    assert (card.status, card.launched_at, card.display_name) == ("live", LAUNCH, "LT_A")
    # settled signals S1..S5, S8..S11 (S6 open, S7 awaiting its answer): live 23.00536 + 11.50256 + 23.331
    assert card.pnl_usd == D("57.83892") and card.ft_pnl_usd == D("90.83")
    assert card.difference_usd == D("-32.99108")
    assert card.roi == D("1.5062611005")  # 57.83892 / (16.80 + 11.60 + 9.999) invested in settled positions
    assert card.win_rate == D("1") and card.ft_win_rate == D("0.6666666667")  # 3 of 3 live, 6 of 9 paper
    assert card.difference_roi == card.roi - card.ft_roi
    # slippage over the filled S1 (+2c x 40), S4 (SELL 2c under, a cost, x 20), S6 and S10 (0): 1.2 / 113.33
    assert card.avg_slippage_cents == D("1.0588546722")
    assert card.avg_slippage_fraction == D("0.0244902957")  # 1.2 / (40 x 0.40 + 20 x 0.60 + 20 x 0.55 + 33.33 x 0.30)
    assert card.rejection_rate == D("0.1428571429")  # S3 of 7 placed
    assert card.order_fill_rate == D("0.5714285714")  # S1, S4, S6, S10 of 7 placed
    assert card.fill_rate == D("0.6732608567")  # 113.33 of 168.33 shares ordered
    assert card.avg_latency_ms == D("1200") and card.p95_latency_ms == D("3000")  # 8,400 ms over 7; nearest rank
    assert (card.open_positions, card.open_usd, card.total_trades) == (1, D("11"), 4)
    assert card.available_capital == D("546.83892")  # 500 + 57.83892 realised - 11 open
    assert card.counts["signals"] == 11 and card.counts["skipped"] == 3 and card.counts["unclaimed"] == 1
    assert sum(v for k, v in card.attribution.items() if k != "paper_minus_live") == card.attribution["paper_minus_live"]
    assert card.attribution["paper_minus_live"] == -card.difference_usd
    assert [(w.paused_at.hour, w.resumed_at.hour) for w in card.pause_windows] == [(12, 14)]
    as_json = card.as_json()
    assert as_json["pnl_usd"] == "57.83892" and as_json["launched_at"] == "2026-03-10T08:00:00+00:00"
    assert as_json["p95_latency_ms"] == "3000" and as_json["counts"]["placed"] == 7


def test_a_never_launched_twin_has_an_empty_card(tiny):
    card = op.strategy_card(tiny, None, "LT_B", NOW)
    assert card.status == "not launched" and card.pnl_usd == 0 and card.counts["signals"] == 0
    assert card.roi is None and card.win_rate is None and card.avg_slippage_cents is None
    assert card.available_capital == D("500")


def test_the_card_agrees_with_the_analytics_tables_and_follows_the_ledger_when_they_are_stale(tiny, tmp_path):
    path = tmp_path / "analytics.duckdb"
    url = tiny.url.render_as_string(hide_password=False)
    refresh_days(url, path, DAY1, DAY2, computed_at=NOW)
    with store.reader(path) as duck:
        signals, placed, rejected, live, paper = duck.execute(
            "SELECT sum(signals), sum(placed), sum(rejected), sum(live_pnl), sum(paper_pnl) "
            "FROM strategy_quality_daily WHERE strategy_id = 'LT_A'").fetchone()
    card = op.strategy_card(tiny, path, "LT_A", NOW)
    assert (card.counts["signals"], card.counts["placed"], card.counts["rejected"]) == (signals, placed, rejected)
    assert card.pnl_usd == live and card.ft_pnl_usd == paper
    assert card.analytics_computed_at == NOW

    # S6's market resolves: the ledger moves on, the analytics file has not been refreshed.
    with tiny.begin() as connection:
        connection.execute(update(lt_orders).where(lt_orders.c.lt_order_id == "lt-S6").values(outcome="WON", pnl=D("9")))
    later = op.strategy_card(tiny, path, "LT_A", NOW)
    assert later.pnl_usd == D("57.83892")  # paper S6 is still open, so the signal is not settled yet
    assert later.open_positions == 0 and later.available_capital == D("566.83892")  # 500 + 66.83892


def test_status_and_pause_windows_follow_launch_pause_resume_and_the_global_halt(ledger_engine):
    engine, t0 = ledger_engine, datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    add_ft_wallets(engine, ft_wallet("FT_ALPHA", name="Alpha"))
    ensure_user(engine, "alice", "Alice", now=t0)
    sid = create_strategy(engine, "alice", "FT_ALPHA", {"starting_capital": "250"}, t0)
    assert op.strategy_card(engine, None, sid, t0).status == "not launched"
    launch(engine, sid, t0)
    pause(engine, sid, "earnings call", t0 + timedelta(hours=1))
    resume(engine, sid, t0 + timedelta(hours=2))
    pause(engine, sid, "venue incident", t0 + timedelta(hours=3))
    card = op.strategy_card(engine, None, sid, t0 + timedelta(hours=4))
    assert card.status == "paused" and card.pause_reason == "venue incident"
    assert [(w.paused_at - t0, w.resumed_at and w.resumed_at - t0, w.reason) for w in card.pause_windows] == [
        (timedelta(hours=1), timedelta(hours=2), "earnings call"), (timedelta(hours=3), None, "venue incident")]
    resume(engine, sid, t0 + timedelta(hours=5))
    halt(engine, "drill", t0 + timedelta(hours=6), traders={})
    card = op.strategy_card(engine, None, sid, t0 + timedelta(hours=6))
    assert card.status == "halted" and card.halt_reason == "drill" and card.available_capital == D("250")
    resume_trading(engine, t0 + timedelta(hours=7))
    assert op.strategy_card(engine, None, sid, t0 + timedelta(hours=7)).status == "live"


def test_order_detail_puts_signal_execution_quality_outcome_and_twin_side_by_side(tiny):
    detail = op.order_detail(tiny, "lt-S1")
    assert (detail.signal.price, detail.signal.size_usd, detail.signal.side) == (D("0.4"), D("40"), "BUY")
    assert (detail.execution.status, detail.execution.executed_price, detail.execution.executed_shares) == (
        "CANCELLED", D("0.42"), D("40"))
    assert detail.execution.venue_order_id == "h-S1" and detail.execution.execution_latency_ms == 1200
    assert detail.quality["mid_price"] == D("0.405")
    assert (detail.outcome.outcome, detail.outcome.pnl, detail.outcome.ft_pnl) == ("WON", D("23.00536"), D("60"))
    assert detail.outcome.difference_usd == D("-36.99464")
    assert detail.ft_twin.pnl == D("60") and detail.ft_twin.shares == D("100")
    assert op.order_detail(tiny, "h-S1").lt_order_id == "lt-S1"  # by venue order id too
    assert detail.as_json()["execution"]["fees_usd"] == "0.19464"


def test_orders_list_filters_by_strategy_status_time_and_market(tiny):
    assert [o.lt_order_id for o in op.list_orders(tiny, status="FILLED")] == ["lt-S10", "lt-S6", "lt-S4"]
    day2 = datetime.combine(DAY2, datetime.min.time(), tzinfo=timezone.utc)
    assert [o.lt_order_id for o in op.list_orders(tiny, since=day2)] == ["lt-S10", "lt-S9"]
    assert [o.lt_order_id for o in op.list_orders(tiny, until=day2, market="M3")] == ["lt-S3"]
    assert len(op.list_orders(tiny, strategy_id="LT_A", limit=3)) == 3
    assert op.list_orders(tiny, strategy_id="LT_B") == []
    with pytest.raises(ValueError, match="status: expected one of SKIPPED"):
        op.list_orders(tiny, status="DONE")


def test_why_gives_every_strategy_s_decision_about_one_trade(tiny):
    paper, live, other = op.decisions_about(tiny, "st-S2")
    assert (paper.kind, paper.wallet_id, paper.decision) == ("ft", "FT_A", "paper order")
    assert (live.strategy_id, live.decision, live.reason) == ("LT_A", "skipped", "exposure_cap")
    assert (other.strategy_id, other.decision) == ("LT_B", "no signal") and "FT_B did not take" in other.reason
    [_, undecided, _] = op.decisions_about(tiny, "st-S11")
    assert undecided.decision == "not decided"
    [_, before] = op.decisions_about(tiny, "st-S0")[:2]
    assert before.decision == "not decided" and before.reason.startswith("before_launch")


def test_ft_wallets_show_recent_activity_and_paper_pnl(tiny):
    alpha, beta = op.ft_wallets(tiny, NOW)
    assert (alpha.wallet_id, alpha.trades_24h, alpha.trades_7d, alpha.trades_total) == ("FT_A", 3, 12, 12)
    assert alpha.last_trade_at == datetime(2026, 3, 11, 11, tzinfo=timezone.utc) and alpha.live_twins == ["LT_A"]
    assert alpha.paper_pnl_usd == D("102.83") and alpha.open_positions == 1 and alpha.win_rate == D("0.7272727273")
    assert (beta.wallet_id, beta.trades_24h, beta.paper_pnl_usd) == ("FT_B", 0, D("6"))


@pytest.mark.parametrize(("read", "message"), [
    (lambda e: op.strategy_card(e, None, "LT_NOPE", NOW), "no LT strategy 'LT_NOPE' (see `lt strategy list`)"),
    (lambda e: op.order_detail(e, "nope"), "no LT order 'nope' (see `lt orders list`)"),
    (lambda e: op.list_orders(e, strategy_id="LT_NOPE"), "no LT strategy 'LT_NOPE'"),
    (lambda e: op.decisions_about(e, "st-nope"), "no source trade 'st-nope'"),
    (lambda e: op.ft_wallet(e, "FT_NOPE", NOW), "no FT wallet 'FT_NOPE' (see `lt wallets`)"),
])
def test_an_unknown_id_is_one_error_naming_its_kind_and_value(tiny, read, message):
    with pytest.raises(op.UnknownId) as raised:
        read(tiny)
    assert str(raised.value).startswith(message) and isinstance(raised.value, LookupError)
