"""`lt bench strategy`: time and measure evaluate() on 1,000 grid wallets x 10,000 synthetic trades.

Prints readable lines, then as the last line one JSON object with the figures and the targets
(<= 2 s best-of-3 after a warm-up, <= 500 MB peak). Exit status 0 when every wallet x trade pair was
decided (accepted or rejected with a reason), whatever the time (`target_met` says whether both
targets were met); when pairs are missing, 1 with one line on stderr naming what is missing.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
import tracemalloc
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from lt_pipeline.strategy.config import FtWalletConfig, parse_wallets
from lt_pipeline.strategy.evaluate import evaluate
from lt_pipeline.strategy.trader_quality import trader_stats

TARGET_SECONDS = 2
TARGET_MB = 500
CATEGORIES = ("Sports", "Politics", "Crypto", "Pop Culture", "Economics", "Science")
START = datetime(2025, 6, 1, tzinfo=timezone.utc)


def trader_addresses(count: int) -> list[str]:
    return [f"0x{index:040x}" for index in range(1, count + 1)]


def synthetic_wallets(count: int, traders: list[str]) -> list[FtWalletConfig]:
    """Up to 1,000 grid variations: price band x win rate x sizing method x followed traders."""
    document = {
        "grid": {
            "id_prefix": "FT_BENCH",
            "base": {
                "starting_balance": 1000,
                "filters": {"min_trader_resolved_count": 10, "min_minutes_to_end": 30, "min_market_liquidity": 1000},
                "sizing": {"method": "fixed_usd", "bet_size_usd": 10, "bankroll_pct": 1, "kelly_fraction": 0.25,
                           "conviction_cap": 3, "min_bet_usd": 1, "max_bet_usd": 50},
            },
            "vary": {
                "filters.price_min": [0.02, 0.1, 0.2, 0.3, 0.4],
                "filters.price_max": [0.6, 0.7, 0.8, 0.9, 0.98],
                "filters.min_trader_win_rate": [None, 0.5, 0.55, 0.6, 0.65],
                "sizing.method": ["fixed_usd", "bankroll_pct", "kelly", "conviction"],
                "filters.traders": ["all", traders[: len(traders) // 2]],
            },
        }
    }
    wallets = parse_wallets(document, "bench grid")
    if count > len(wallets):
        raise ValueError(f"--wallets: expected at most {len(wallets)}, got {count}")
    return wallets[:count]


def synthetic_history(traders: list[str], per_trader: int, rng: np.random.Generator) -> pd.DataFrame:
    """Past trades for all but the last tenth of `traders` (those stay unknown), 80% resolved."""
    known = traders[: len(traders) - len(traders) // 10]
    rows = len(known) * per_trader
    skill = np.repeat(rng.uniform(0.35, 0.75, len(known)), per_trader)
    price = rng.uniform(0.05, 0.95, rows)
    size = rng.lognormal(3.5, 1.0, rows)
    resolved = rng.random(rows) < 0.8
    won = pd.array(np.where(resolved, rng.random(rows) < skill, False), dtype="boolean")
    won[~resolved] = pd.NA
    return pd.DataFrame(
        {"trader_address": np.repeat(known, per_trader), "price": price, "size": size,
         "notional_usd": price * size, "won": won}
    )


def synthetic_trades(count: int, traders: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Source trades with the columns evaluate() reads; 5% without an end date, 2% invalid price."""
    price = np.round(rng.uniform(0.01, 0.99, count), 3)
    price[rng.random(count) < 0.02] = np.nan
    size = np.round(rng.lognormal(3.5, 1.2, count), 2)
    traded_at = pd.Series(START + pd.to_timedelta(rng.integers(0, 86_400 * 7, count), unit="s"))
    end_date = traded_at + pd.to_timedelta(rng.exponential(60 * 24 * 5, count).astype(int), unit="min")
    end_date[rng.random(count) < 0.05] = pd.NaT
    return pd.DataFrame(
        {
            "source_trade_id": [f"st-{index:07d}" for index in range(count)],
            "trader_address": rng.choice(traders, count),
            "condition_id": [f"0x{index % 997:064x}" for index in range(count)],
            "token_id": [str(10**20 + index % 1994) for index in range(count)],
            "outcome": rng.choice(["Yes", "No"], count),
            "side": np.where(rng.random(count) < 0.85, "BUY", "SELL"),
            "price": price,
            "size": size,
            "notional_usd": np.round(price * size, 2),
            "traded_at": traded_at,
            "category": rng.choice(CATEGORIES, count),
            "end_date": end_date,
            "liquidity": rng.lognormal(9, 1.5, count),
            "volume": rng.lognormal(11, 1.5, count),
        }
    )


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lt bench strategy", description=__doc__.splitlines()[0])
    parser.add_argument("--wallets", type=int, default=1000, help="grid wallets, at most 1000 (default 1000)")
    parser.add_argument("--trades", type=int, default=10_000, help="synthetic source trades (default 10000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    traders = trader_addresses(200)
    wallets = synthetic_wallets(args.wallets, traders)
    trades = synthetic_trades(args.trades, traders, rng)
    stats = trader_stats(synthetic_history(traders, 100, rng))
    bankrolls = {wallet.wallet_id: wallet.starting_balance for wallet in wallets}
    print(f"strategy bench: {len(wallets)} wallets x {len(trades)} trades = {len(wallets) * len(trades):,} pairs")

    gc.collect()
    rss_before = _max_rss_mb()
    result = evaluate(trades, wallets, stats, bankrolls)  # warm-up
    timings = []
    for _ in range(max(1, args.repeats)):
        started = time.perf_counter()
        result = evaluate(trades, wallets, stats, bankrolls)
        timings.append(time.perf_counter() - started)
    rss_delta = max(0.0, _max_rss_mb() - rss_before)
    del result
    gc.collect()
    tracemalloc.start()
    result = evaluate(trades, wallets, stats, bankrolls)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    seconds = min(timings)
    peak_mb = max(traced_peak, rss_delta)
    accepted = len(result.accepted)
    rejected = int(result.rejections["count"].sum())
    requested = args.wallets * args.trades
    top = result.rejections.groupby("reason", observed=True)["count"].sum().sort_values(ascending=False)
    print(f"evaluate: best {seconds:.3f} s of {', '.join(f'{t:.3f}' for t in timings)} s (target {TARGET_SECONDS} s)")
    print(f"memory: traced peak {traced_peak:.1f} MB, process RSS growth {rss_delta:.1f} MB (target {TARGET_MB} MB)")
    print(f"accepted {accepted:,} pairs; top rejections: "
          + ", ".join(f"{reason} {count:,}" for reason, count in top.head(5).items()))
    figures = {"wallets": len(wallets), "trades": len(trades), "requested_pairs": requested,
               "pairs_decided": accepted + rejected, "seconds": round(seconds, 4),
               "peak_mb": round(peak_mb, 1), "accepted": accepted, "rejected": rejected,
               "target_seconds": TARGET_SECONDS, "target_mb": TARGET_MB,
               "target_met": seconds <= TARGET_SECONDS and peak_mb <= TARGET_MB}
    print(json.dumps(figures))
    decided = accepted + rejected
    if requested == 0:
        print(f"bench strategy: no wallet x trade pairs to decide ({args.wallets} wallets x {args.trades} trades); "
              "expected at least one", file=sys.stderr)
        return 1
    if decided != requested:
        print(f"bench strategy: {decided} of {requested} wallet x trade pairs decided "
              f"({len(wallets)} wallets x {len(trades)} trades); expected all {requested}", file=sys.stderr)
        return 1
    return 0  # the work was done; whether the targets were met is in the figures


if __name__ == "__main__":
    raise SystemExit(main())
