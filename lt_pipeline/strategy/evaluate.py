"""The one-pass FT/LT decision: which wallets copy which source trades, and for how much.

`evaluate` decides every wallet x trade pair of a batch at once (numpy broadcasting over chunks of
wallets, so memory stays bounded); `explain` decides one pair with the same filters and sizing and
says why in words. Float figures in the accepted table become the ledger's exact Decimals through
`accepted_order`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from lt_pipeline.money import cents, to_decimal, to_price
from lt_pipeline.strategy.config import SIZING_METHODS, FtWalletConfig
from lt_pipeline.strategy.filters import FILTER_REASONS, FILTERS, TradeColumns, WalletColumns
from lt_pipeline.strategy.sizing import SIZING_REASONS, SizingParams, exact_shares, shares_for, size_bets
from lt_pipeline.strategy.trader_quality import STATS_COLUMNS, lowercase_keys

REASONS = FILTER_REASONS + SIZING_REASONS  # reason code = position + 1; 0 = accepted
TRADE_COLUMNS = (
    "source_trade_id", "trader_address", "side", "price", "size", "notional_usd",
    "traded_at", "category", "end_date", "liquidity", "volume",
)  # the columns decisions read; others (condition_id, token_id, outcome, ...) pass through untouched
ACCEPTED_COLUMNS = (
    "wallet_id", "source_trade_id", "signal_price", "size_usd", "shares",
    "conviction", "trader_win_rate", "sizing_method",
)
DEFAULT_PAIRS_PER_CHUNK = 1 << 18  # ~256k pairs: the chunk's masks stay in cache-sized blocks


@dataclass(frozen=True)
class PreparedTrades:
    """A trades frame as the arrays the filters and sizing read."""

    columns: TradeColumns
    win_rate: np.ndarray  # NaN for a trader without resolved history
    conviction: np.ndarray  # NaN when the trader's median notional is unknown
    trade_ids: pd.Index  # distinct source_trade_id values
    trade_id_code: np.ndarray  # each trade's position in trade_ids
    traders: pd.Index
    categories: pd.Index


def _numbers(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _utc_times(column: pd.Series, name: str) -> pd.Series:
    """Aware UTC timestamps (NaT where missing or unreadable); naive datetimes are refused."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(column.dtype) and column.notna().any():
        raise ValueError(f"trades.{name}: expected timezone-aware UTC datetimes, got naive {column.dtype}")
    return pd.to_datetime(column, utc=True, errors="coerce")


def _trader_stats_for(trader_stats: pd.DataFrame | None, traders: pd.Index) -> dict[str, np.ndarray]:
    """STATS_COLUMNS aligned with `traders`; an unknown trader has 0 resolved trades and NaN elsewhere."""
    if trader_stats is None or trader_stats.empty:
        unknown = np.full(len(traders), np.nan)
        return {"resolved_count": np.zeros(len(traders)), "win_rate": unknown, "roi": unknown,
                "median_notional": unknown}
    frame = trader_stats.set_index("trader_address") if "trader_address" in trader_stats.columns else trader_stats
    missing = [name for name in STATS_COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"trader_stats: missing column(s) {', '.join(missing)}; expected {', '.join(STATS_COLUMNS)}")
    frame = frame.set_axis(lowercase_keys(frame.index.to_series()))
    frame = frame[~frame.index.duplicated(keep="last")].reindex(traders)
    stats = {name: _numbers(frame[name]) for name in STATS_COLUMNS}
    stats["resolved_count"] = np.nan_to_num(stats["resolved_count"], nan=0.0)
    return stats


def prepare_trades(trades: pd.DataFrame, trader_stats: pd.DataFrame | None) -> PreparedTrades:
    """Arrays for `trades`; a bad row is marked invalid (rejected later), never raised on."""
    missing = [name for name in TRADE_COLUMNS if name not in trades.columns]
    if missing:
        raise ValueError(f"trades: missing column(s) {', '.join(missing)}; expected {', '.join(TRADE_COLUMNS)}")
    price = _numbers(trades["price"])
    notional = _numbers(trades["notional_usd"])
    notional = np.where(np.isnan(notional), price * _numbers(trades["size"]), notional)
    side = lowercase_keys(trades["side"]).to_numpy()
    traded_at = _utc_times(trades["traded_at"], "traded_at")
    end_date = _utc_times(trades["end_date"], "end_date")
    ids = trades["source_trade_id"]
    ids = ids.astype(object).where(ids.notna(), "").astype(str).str.strip()
    addresses = lowercase_keys(trades["trader_address"])
    id_codes, distinct_ids = pd.factorize(ids)
    trader_codes, traders = pd.factorize(addresses)
    category_codes, categories = pd.factorize(lowercase_keys(trades["category"]))

    with np.errstate(invalid="ignore"):
        valid = (
            (price > 0) & (price <= 1)
            & ((side == "buy") | (side == "sell"))
            & traded_at.notna().to_numpy()
            & np.isfinite(notional) & (notional >= 0)
            & (addresses != "").to_numpy()
            & (ids != "").to_numpy()
        )
    minutes_to_end = ((end_date - traded_at).dt.total_seconds() / 60).to_numpy(dtype=float, na_value=np.nan)
    stats = _trader_stats_for(trader_stats, traders)
    win_rate = stats["win_rate"][trader_codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = notional / stats["median_notional"][trader_codes]

    def or_lowest(values: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(values), -np.inf, values)

    columns = TradeColumns(
        valid=valid,
        duplicate=ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy(),
        is_buy=side == "buy",
        trader_code=trader_codes,
        category_code=category_codes,
        price=price,
        minutes_to_end=minutes_to_end,
        end_unknown=np.isnan(minutes_to_end),
        liquidity=or_lowest(_numbers(trades["liquidity"])),
        volume=or_lowest(_numbers(trades["volume"])),
        resolved_count=stats["resolved_count"][trader_codes],
        win_rate=or_lowest(win_rate),
        roi=or_lowest(stats["roi"][trader_codes]),
        conviction=or_lowest(conviction),
    )
    return PreparedTrades(columns, win_rate, conviction, distinct_ids, id_codes, traders, categories)


@dataclass(frozen=True)
class Evaluation:
    """accepted: one row per (wallet, trade) to open, columns ACCEPTED_COLUMNS, floats for analytics
    (wallet_id, source_trade_id, sizing_method are categoricals); rows by wallet, then trade order.
    rejections: (wallet_id, reason, count) for every non-zero count, reasons in REASONS order."""

    accepted: pd.DataFrame
    rejections: pd.DataFrame

    def reason_counts(self, wallet_id: str) -> dict[str, int]:
        rows = self.rejections[self.rejections["wallet_id"] == wallet_id]
        return dict(zip(rows["reason"].astype(str), rows["count"].astype(int)))


def evaluate(
    trades: pd.DataFrame,
    wallets: Sequence[FtWalletConfig],
    trader_stats: pd.DataFrame | None,
    bankrolls: Mapping[str, Decimal],
    *,
    pairs_per_chunk: int = DEFAULT_PAIRS_PER_CHUNK,
) -> Evaluation:
    """Decide every wallet x trade pair. A wallet missing from `bankrolls` uses its starting balance;
    bankrolls are read once, so bets within one batch do not reduce each other's bankroll."""
    wallet_ids = [wallet.wallet_id for wallet in wallets]
    if len(set(wallet_ids)) != len(wallet_ids):
        raise ValueError("wallets: expected unique wallet_id values, got duplicates")
    prepared = prepare_trades(trades, trader_stats)
    bounds = WalletColumns.from_wallets(wallets, prepared.traders, prepared.categories)
    sizing = SizingParams.from_wallets(wallets, bankrolls)
    trade_row = prepared.columns.as_row()
    trade_count = len(trades)
    codes = len(REASONS) + 1
    counts = np.zeros((len(wallets), codes), np.int64)
    accepted_parts = []
    rows_per_chunk = max(1, pairs_per_chunk // max(trade_count, 1))

    for start in range(0, len(wallets), rows_per_chunk):
        stop = min(start + rows_per_chunk, len(wallets))
        chunk = bounds.chunk(start, stop)
        reason = np.zeros((stop - start, trade_count), np.int8)
        # Applied last-to-first so that where several filters fail, the first one's code remains.
        for code in range(len(FILTERS), 0, -1):
            rule = FILTERS[code - 1]
            if rule.used_by(chunk).any():
                np.copyto(reason, code, where=rule.fails(trade_row, chunk))
        local_wallet, trade = np.nonzero(reason == 0)
        wallet = local_wallet + start
        size_usd, failure = size_bets(
            sizing.take(wallet), prepared.columns.price[trade], prepared.win_rate[trade], prepared.conviction[trade]
        )
        refused = failure > 0
        reason[local_wallet[refused], trade[refused]] = failure[refused] + len(FILTERS)
        placed = ~refused
        accepted_parts.append((wallet[placed], trade[placed], size_usd[placed]))
        offsets = np.arange(stop - start, dtype=np.int64)[:, None] * codes
        counts[start:stop] = np.bincount((reason + offsets).ravel(), minlength=(stop - start) * codes).reshape(
            stop - start, codes
        )
    return Evaluation(
        _accepted_frame(accepted_parts, prepared, sizing, wallet_ids),
        _rejection_frame(counts, wallet_ids),
    )


def _accepted_frame(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    prepared: PreparedTrades,
    sizing: SizingParams,
    wallet_ids: list[str],
) -> pd.DataFrame:
    wallet = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.intp)
    trade = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.intp)
    size_usd = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
    price = prepared.columns.price[trade]
    return pd.DataFrame(
        {
            "wallet_id": pd.Categorical.from_codes(wallet, categories=wallet_ids),
            "source_trade_id": pd.Categorical.from_codes(
                prepared.trade_id_code[trade], categories=prepared.trade_ids
            ),
            "signal_price": price,
            "size_usd": size_usd,
            "shares": shares_for(size_usd, price),
            "conviction": prepared.conviction[trade],
            "trader_win_rate": prepared.win_rate[trade],
            "sizing_method": pd.Categorical.from_codes(sizing.method[wallet], categories=list(SIZING_METHODS)),
        }
    )


def _rejection_frame(counts: np.ndarray, wallet_ids: list[str]) -> pd.DataFrame:
    wallet, code = np.nonzero(counts[:, 1:])
    return pd.DataFrame(
        {
            "wallet_id": pd.Categorical.from_codes(wallet, categories=wallet_ids),
            "reason": pd.Categorical.from_codes(code, categories=list(REASONS)),
            "count": counts[wallet, code + 1],
        }
    )


@dataclass(frozen=True)
class AcceptedOrder:
    """One accepted row in the ledger's exact types."""

    wallet_id: str
    source_trade_id: str
    signal_price: Decimal
    size_usd: Decimal
    shares: Decimal
    conviction: Decimal | None
    trader_win_rate: Decimal | None
    sizing_method: str


def _plain(value: object) -> object:
    """numpy scalars as Python ones (money.to_decimal reads floats through their repr)."""
    return value.item() if isinstance(value, np.generic) else value


def _optional_decimal(value: object, field: str) -> Decimal | None:
    value = _plain(value)
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    return to_decimal(value, field)


def accepted_order(row: Mapping[str, object] | object) -> AcceptedOrder:
    """An `Evaluation.accepted` row (Series, mapping or itertuples row) as exact Decimals:
    size_usd to the cent, shares = size_usd / signal_price rounded down to 2 dp."""
    values = row._asdict() if hasattr(row, "_asdict") else row
    price = to_price(_plain(values["signal_price"]), "signal_price")
    size_usd = cents(to_decimal(_plain(values["size_usd"]), "size_usd"))
    return AcceptedOrder(
        wallet_id=str(values["wallet_id"]),
        source_trade_id=str(values["source_trade_id"]),
        signal_price=price,
        size_usd=size_usd,
        shares=exact_shares(size_usd, price),
        conviction=_optional_decimal(values["conviction"], "conviction"),
        trader_win_rate=_optional_decimal(values["trader_win_rate"], "trader_win_rate"),
        sizing_method=str(values["sizing_method"]),
    )


@dataclass(frozen=True)
class Decision:
    """One pair's outcome: accepted with size_usd, or refused with a REASONS entry; detail in words."""

    accepted: bool
    reason: str | None
    size_usd: Decimal | None
    detail: str


def explain(
    trade_row: Mapping[str, object],
    wallet: FtWalletConfig,
    trader_stats_row: Mapping[str, object] | None,
    bankroll: Decimal | None,
) -> Decision:
    """Decide one trade for one wallet exactly as `evaluate` would, saying why.

    `trader_stats_row` holds STATS_COLUMNS for the trade's trader (None: unknown trader);
    `bankroll` None means the wallet's starting balance."""
    trades = pd.DataFrame([dict(trade_row)])
    stats = None
    if trader_stats_row is not None:
        stats = pd.DataFrame([{name: trader_stats_row[name] for name in STATS_COLUMNS}])
        stats.index = lowercase_keys(trades["trader_address"])
    prepared = prepare_trades(trades, stats)
    trade = prepared.columns.as_row()
    bounds = WalletColumns.from_wallets([wallet], prepared.traders, prepared.categories).chunk(0, 1)
    for rule in FILTERS:
        if np.any(rule.fails(trade, bounds)):
            return Decision(False, rule.reason, None, rule.explain(trade, bounds))
    sizing = SizingParams.from_wallets([wallet], {} if bankroll is None else {wallet.wallet_id: bankroll})
    size_usd, failure = size_bets(sizing, prepared.columns.price, prepared.win_rate, prepared.conviction)
    if failure[0]:
        reason = SIZING_REASONS[failure[0] - 1]
        return Decision(False, reason, None, _sizing_words(reason, wallet, float(size_usd[0])))
    size = cents(to_decimal(float(size_usd[0]), "size_usd"))
    return Decision(True, None, size, f"copy for {size} USD ({wallet.sizing.method})")


def _sizing_words(reason: str, wallet: FtWalletConfig, size_usd: float) -> str:
    if reason == "no_edge":
        return "the trader's win rate is unknown or not above the price, so Kelly bets nothing"
    if reason == "no_conviction":
        return "the trader's median notional is unknown, so conviction sizing cannot scale the bet"
    return f"the bet of {size_usd:.2f} USD is under the wallet's minimum {wallet.sizing.min_bet_usd} USD"
