"""Trader quality from past trades: resolved count, win rate, ROI and median notional per trader,
the figures the FT/LT quality and conviction filters compare against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HISTORY_COLUMNS = ("trader_address", "price", "size", "notional_usd", "won")
STATS_COLUMNS = ("resolved_count", "win_rate", "roi", "median_notional")


def lowercase_keys(column: pd.Series) -> pd.Series:
    """Addresses and category names as compared everywhere: trimmed, lowercase, "" when missing."""
    return column.astype(object).where(column.notna(), "").astype(str).str.strip().str.lower()


def _flag(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(known, true) for a column of True/False/missing values."""
    known = column.notna().to_numpy()
    true = column.where(column.notna(), False).astype(bool).to_numpy()
    return known, true


def trader_stats(history: pd.DataFrame) -> pd.DataFrame:
    """Per trader (index trader_address, lowercase): resolved_count, win_rate, roi, median_notional.

    `history` has one row per past trade: trader_address, price, size (shares), notional_usd (USD
    paid; price * size when missing) and won (True/False once the market resolved, missing while
    open). Optional `voided` (True = market voided) and `side` (only BUY rows count as resolved
    bets) columns refine it. A won BUY pays 1 per share, so PnL = size - notional, a lost one
    -notional; roi = total PnL / total notional of resolved bets. median_notional is over all the
    trader's trades, resolved or not. Rows with an unreadable notional or address are skipped.
    win_rate and roi are NaN for a trader with no resolved bets.
    """
    missing = [name for name in HISTORY_COLUMNS if name not in history.columns]
    if missing:
        raise ValueError(f"history: missing column(s) {', '.join(missing)}; expected {', '.join(HISTORY_COLUMNS)}")
    address = lowercase_keys(history["trader_address"]).to_numpy()
    price = pd.to_numeric(history["price"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    size = pd.to_numeric(history["size"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    notional = pd.to_numeric(history["notional_usd"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    notional = np.where(np.isnan(notional), price * size, notional)
    usable = (address != "") & np.isfinite(notional) & (notional >= 0)

    known, won = _flag(history["won"])
    resolved = usable & known & np.isfinite(size) & (size >= 0)
    if "voided" in history.columns:
        resolved &= ~_flag(history["voided"])[1]
    if "side" in history.columns:
        resolved &= history["side"].astype(str).str.strip().str.upper().to_numpy() == "BUY"

    pnl = np.where(won, size - notional, -notional)
    frame = pd.DataFrame(
        {
            "trader_address": address,
            "notional_usd": np.where(usable, notional, np.nan),
            "resolved": resolved,
            "won": resolved & won,
            "resolved_notional": np.where(resolved, notional, 0.0),
            "pnl": np.where(resolved, pnl, 0.0),
        }
    )[usable]
    grouped = frame.groupby("trader_address", sort=True)
    totals = grouped[["resolved", "won", "resolved_notional", "pnl"]].sum()
    resolved_count = totals["resolved"].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        stats = pd.DataFrame(
            {
                "resolved_count": resolved_count,
                "win_rate": (totals["won"] / resolved_count).where(resolved_count > 0),
                "roi": (totals["pnl"] / totals["resolved_notional"]).where(totals["resolved_notional"] > 0),
                "median_notional": grouped["notional_usd"].median(),
            }
        )
    stats.index.name = "trader_address"
    return stats
