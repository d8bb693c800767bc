"""The batch decision: agreement with explain() pair by pair, chunking, bad rows, counts, bench."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from lt_pipeline.tools import bench_strategy as bench
from lt_pipeline.strategy.config import load_wallets
from lt_pipeline.strategy.evaluate import ACCEPTED_COLUMNS, REASONS, evaluate, explain
from lt_pipeline.strategy.trader_quality import trader_stats
from lt_pipeline_tests.strategy.factories import ALICE, ALICE_STATS, BOB, stats_frame, trade, trades_frame, wallet


@pytest.fixture(scope="module")
def market() -> dict:
    """80 synthetic trades (some invalid, duplicated, sells, unknown traders) and 14 varied wallets."""
    rng = np.random.default_rng(11)
    traders = bench.trader_addresses(12)
    trades = bench.synthetic_trades(80, traders, rng)
    trades.loc[5, "source_trade_id"] = trades.loc[4, "source_trade_id"]
    trades.loc[6, "price"] = 1.7
    trades.loc[7, "traded_at"] = pd.NaT
    shipped = {w.wallet_id: w for w in load_wallets()}
    wallets = [shipped[i] for i in ("FT_HIGH_CONVICTION", "FT_SHARP_SHOOTER", "FT_UNDERDOG_HUNTER",
                                    "FT_FAST_RESOLVERS", "FT_SPORTS_SPECIALIST", "FT_GRID_007")]
    wallets += [
        wallet("FT_OPEN_FIXED"),
        wallet("FT_OPEN_PCT", sizing={"method": "bankroll_pct", "bankroll_pct": 3, "max_bet_usd": 20}),
        wallet("FT_OPEN_KELLY", sizing={"method": "kelly", "kelly_fraction": 0.3, "min_bet_usd": 2}),
        wallet("FT_OPEN_CONVICTION", side="ANY",
               sizing={"method": "conviction", "bet_size_usd": 4, "conviction_cap": 2.5}),
        wallet("FT_FEW_TRADERS", traders=traders[:4], categories=["Crypto", "Sports"]),
        wallet("FT_BAND", price_min=0.3, price_max=0.6, max_minutes_to_end=2000, min_market_volume=60_000),
        wallet("FT_QUALITY", min_trader_resolved_count=70, min_trader_roi=0.0, min_conviction=0.8),
        wallet("FT_OFF", is_active=False),
    ]
    stats = trader_stats(bench.synthetic_history(traders, 100, rng))
    bankrolls = {"FT_OPEN_PCT": Decimal("321.45"), "FT_OPEN_KELLY": Decimal("80")}
    return {"trades": trades, "wallets": wallets, "stats": stats, "bankrolls": bankrolls}


def test_evaluate_and_explain_agree_on_every_pair(market):
    trades, wallets, stats, bankrolls = market["trades"], market["wallets"], market["stats"], market["bankrolls"]
    result = evaluate(trades, wallets, stats, bankrolls, pairs_per_chunk=3 * len(trades))  # several chunks
    accepted = {(str(r.wallet_id), str(r.source_trade_id)): r.size_usd for r in result.accepted.itertuples()}
    explained_counts: dict[tuple[str, str], int] = {}
    trades_by_id = trades.drop_duplicates("source_trade_id")  # the duplicate row is explained below
    for row in trades_by_id.to_dict("records"):
        address = str(row["trader_address"]).lower()
        stats_row = stats.loc[address].to_dict() if address in stats.index else None
        for config in wallets:
            decision = explain(row, config, stats_row, bankrolls.get(config.wallet_id))
            key = (config.wallet_id, row["source_trade_id"])
            if decision.accepted:
                assert Decimal(repr(accepted.pop(key))) == decision.size_usd, key
            else:
                counted = (config.wallet_id, decision.reason)
                explained_counts[counted] = explained_counts.get(counted, 0) + 1
    assert accepted == {}
    for config in wallets:  # the second copy of the duplicated trade
        counted = (config.wallet_id, "wallet_inactive" if not config.is_active else "duplicate_trade")
        explained_counts[counted] = explained_counts.get(counted, 0) + 1
    batch_counts = {(str(r.wallet_id), str(r.reason)): r.count for r in result.rejections.itertuples()}
    assert batch_counts == explained_counts
    assert len({reason for _, reason in batch_counts}) >= 14  # the data really exercises the filters


def test_chunk_size_does_not_change_the_result(market):
    args = (market["trades"], market["wallets"], market["stats"], market["bankrolls"])
    whole = evaluate(*args)
    for pairs in (1, 80, 500):
        chunked = evaluate(*args, pairs_per_chunk=pairs)
        pd.testing.assert_frame_equal(chunked.accepted, whole.accepted)
        pd.testing.assert_frame_equal(chunked.rejections, whole.rejections)


def test_every_trade_is_either_accepted_or_counted_once_per_wallet(market):
    result = evaluate(market["trades"], market["wallets"], market["stats"], market["bankrolls"])
    assert list(result.accepted.columns) == list(ACCEPTED_COLUMNS)
    per_wallet = result.rejections.groupby("wallet_id", observed=False)["count"].sum()
    per_wallet = per_wallet.add(result.accepted.groupby("wallet_id", observed=False).size(), fill_value=0)
    assert set(per_wallet) == {len(market["trades"])}
    assert set(result.rejections["reason"].astype(str)) <= set(REASONS)
    assert result.reason_counts("FT_OFF") == {"wallet_inactive": len(market["trades"])}


def test_bad_rows_are_rejected_and_the_good_ones_still_copied():
    rows = [
        trade(source_trade_id="good-1"),
        trade(source_trade_id="bad-price", price=float("nan")),
        trade(source_trade_id="bad-range", price=2.0),
        trade(source_trade_id="bad-side", side=None),
        trade(source_trade_id=None),
        trade(source_trade_id="good-1", price=0.4),  # same id polled twice
        trade(source_trade_id="good-2", trader_address=BOB),
    ]
    result = evaluate(trades_frame(rows), [wallet()], stats_frame({ALICE: ALICE_STATS}), {})
    assert list(result.accepted["source_trade_id"].astype(str)) == ["good-1", "good-2"]
    assert result.reason_counts("FT_TEST") == {"invalid_trade": 4, "duplicate_trade": 1}


def test_empty_inputs_give_empty_results():
    empty = trades_frame([trade()]).iloc[0:0]
    result = evaluate(empty, [wallet()], None, {})
    assert result.accepted.empty and result.rejections.empty
    result = evaluate(trades_frame([trade()]), [], None, {})
    assert result.accepted.empty and result.rejections.empty


def test_contract_breaches_are_named():
    with pytest.raises(ValueError, match="trades: missing column.s. price"):
        evaluate(trades_frame([trade()]).drop(columns=["price"]), [wallet()], None, {})
    naive = trades_frame([trade()])
    naive["traded_at"] = naive["traded_at"].dt.tz_localize(None)
    with pytest.raises(ValueError, match="trades.traded_at: expected timezone-aware UTC"):
        evaluate(naive, [wallet()], None, {})
    with pytest.raises(ValueError, match="trader_stats: missing column.s. roi"):
        evaluate(trades_frame([trade()]), [wallet()], stats_frame({ALICE: ALICE_STATS}).drop(columns=["roi"]), {})
    with pytest.raises(ValueError, match="unique wallet_id"):
        evaluate(trades_frame([trade()]), [wallet(), wallet()], None, {})


def test_bench_prints_its_figures_as_a_last_json_line(capsys):
    code = bench.main(["--wallets", "40", "--trades", "300", "--repeats", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == {"wallets", "trades", "requested_pairs", "pairs_decided", "seconds", "peak_mb", "accepted",
                            "rejected", "target_seconds", "target_mb", "target_met"}
    assert (figures["wallets"], figures["trades"], figures["target_seconds"], figures["target_mb"]) == (40, 300, 2, 500)
    assert figures["accepted"] > 0 and code == 0
