"""The FT/LT trade filters: one ordered table of checks, applied by broadcasting wallet columns
(shape wallets x 1) against trade columns (shape 1 x trades).

A rejected pair's reason is the FIRST failing filter in this order (cheap, static checks first):

   1 wallet_inactive       the wallet is switched off
   2 invalid_trade         price missing or outside (0, 1], side not BUY/SELL, no time, bad notional
   3 duplicate_trade       a source_trade_id seen earlier in the same batch
   4 sell_side             a SELL, and the wallet copies buys only
   5 trader_not_followed   the trader is not in the wallet's list
   6 category_excluded     the market's category is not in the wallet's allow-list
   7 price_below_band      price < price_min
   8 price_above_band      price > price_max
   9 no_end_date           the wallet bounds time to end, and the market has no end date
  10 too_close_to_end      minutes from trade to market end < min_minutes_to_end
  11 too_far_from_end      minutes from trade to market end > max_minutes_to_end
  12 low_liquidity         market liquidity < min_market_liquidity (unknown fails a set minimum)
  13 low_volume            market volume < min_market_volume (likewise)
  14 few_resolved_trades   trader's resolved trades < min_trader_resolved_count (unknown trader = 0)
  15 low_trader_win_rate   trader win rate < min_trader_win_rate (unknown fails a set minimum)
  16 low_trader_roi        trader ROI < min_trader_roi (likewise)
  17 low_conviction        notional / trader's median notional < min_conviction (likewise)
then sizing may refuse the bet: no_edge, no_conviction, below_minimum_bet (see sizing.py).
Every bound is inclusive; an unset bound never rejects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from lt_pipeline.strategy.config import FOLLOW_ALL, FtWalletConfig


@dataclass(frozen=True)
class TradeColumns:
    """Per-trade values the filters read. Values checked against a minimum hold -inf where unknown
    (resolved_count holds 0), so a set minimum rejects them and an unset one (-inf) does not."""

    valid: np.ndarray  # bool
    duplicate: np.ndarray  # bool
    is_buy: np.ndarray  # bool
    trader_code: np.ndarray  # index into the batch's trader list
    category_code: np.ndarray  # index into the batch's category list
    price: np.ndarray
    minutes_to_end: np.ndarray  # NaN when the market has no end date
    end_unknown: np.ndarray  # bool
    liquidity: np.ndarray
    volume: np.ndarray
    resolved_count: np.ndarray
    win_rate: np.ndarray
    roi: np.ndarray
    conviction: np.ndarray

    def as_row(self) -> TradeColumns:
        """Every array as shape (1, trades), to broadcast against wallet columns."""
        return TradeColumns(**{f.name: getattr(self, f.name).reshape(1, -1) for f in fields(self)})


@dataclass(frozen=True)
class WalletColumns:
    """Per-wallet filter bounds; an unset minimum is -inf and an unset maximum +inf."""

    active: np.ndarray
    buy_only: np.ndarray
    follows_all: np.ndarray
    follows: np.ndarray  # (wallets, traders in the batch) bool
    all_categories: np.ndarray
    allows: np.ndarray  # (wallets, categories in the batch) bool
    price_min: np.ndarray
    price_max: np.ndarray
    has_time_bound: np.ndarray
    min_minutes: np.ndarray
    max_minutes: np.ndarray
    min_liquidity: np.ndarray
    min_volume: np.ndarray
    min_resolved: np.ndarray
    min_win_rate: np.ndarray
    min_roi: np.ndarray
    min_conviction: np.ndarray

    @classmethod
    def from_wallets(
        cls, wallets: Sequence[FtWalletConfig], traders: Sequence[str], categories: Sequence[str]
    ) -> WalletColumns:
        """Bounds of `wallets`, with membership matrices over the batch's traders and categories."""
        count = len(wallets)

        def column(read, unset: float) -> np.ndarray:
            values = (read(wallet.filters) for wallet in wallets)
            return np.fromiter((unset if v is None else float(v) for v in values), float, count)

        def flags(read) -> np.ndarray:
            return np.fromiter((bool(read(wallet)) for wallet in wallets), bool, count)

        follows_all = flags(lambda w: w.filters.traders == FOLLOW_ALL)
        all_categories = flags(lambda w: not w.filters.categories)
        return cls(
            active=flags(lambda w: w.is_active),
            buy_only=flags(lambda w: w.filters.side == "BUY"),
            follows_all=follows_all,
            follows=_membership(follows_all, [w.filters.traders for w in wallets], traders),
            all_categories=all_categories,
            allows=_membership(all_categories, [w.filters.categories for w in wallets], categories),
            price_min=column(lambda f: f.price_min, 0.0),
            price_max=column(lambda f: f.price_max, 1.0),
            has_time_bound=flags(
                lambda w: w.filters.min_minutes_to_end is not None or w.filters.max_minutes_to_end is not None
            ),
            min_minutes=column(lambda f: f.min_minutes_to_end, -np.inf),
            max_minutes=column(lambda f: f.max_minutes_to_end, np.inf),
            min_liquidity=column(lambda f: f.min_market_liquidity, -np.inf),
            min_volume=column(lambda f: f.min_market_volume, -np.inf),
            min_resolved=column(lambda f: f.min_trader_resolved_count, -np.inf),
            min_win_rate=column(lambda f: f.min_trader_win_rate, -np.inf),
            min_roi=column(lambda f: f.min_trader_roi, -np.inf),
            min_conviction=column(lambda f: f.min_conviction, -np.inf),
        )

    def chunk(self, start: int, stop: int) -> WalletColumns:
        """Wallets start..stop as shape (n, 1) columns (matrices keep their trader/category axis)."""
        sliced = {}
        for f in fields(self):
            values = getattr(self, f.name)[start:stop]
            sliced[f.name] = values if values.ndim == 2 else values.reshape(-1, 1)
        return replace(self, **sliced)


def _membership(
    unrestricted: np.ndarray, allow_lists: Sequence[object], universe: Sequence[str]
) -> np.ndarray:
    """(wallets, universe) bool: True where the wallet admits that trader/category."""
    matrix = np.zeros((len(allow_lists), len(universe)), bool)
    matrix[unrestricted] = True
    position = {name: index for index, name in enumerate(universe)}
    for row, allowed in enumerate(allow_lists):
        if not unrestricted[row]:
            matrix[row, [position[name] for name in allowed if name in position]] = True
    return matrix


Fails = Callable[[TradeColumns, WalletColumns], np.ndarray]
Explains = Callable[[TradeColumns, WalletColumns], str]


@dataclass(frozen=True)
class Filter:
    reason: str
    used_by: Callable[[WalletColumns], np.ndarray]  # wallets that set it (lets a batch skip it)
    fails: Fails  # (wallets, trades) bool, or broadcastable to it
    explain: Explains  # one trade and one wallet -> why it failed, in words


def _one(values: np.ndarray) -> float:
    return float(np.ravel(values)[0])


def _everyone(w: WalletColumns) -> np.ndarray:
    return np.ones_like(w.active)


def _is_set(bound: str, unset: float) -> Callable[[WalletColumns], np.ndarray]:
    return lambda w: getattr(w, bound) != unset


def _below(value: str, bound: str, reason: str, words: str) -> Filter:
    """A filter rejecting trades whose `value` is below the wallet's minimum `bound`."""

    def explain(t: TradeColumns, w: WalletColumns) -> str:
        found, minimum = _one(getattr(t, value)), _one(getattr(w, bound))
        if found == -np.inf:
            return f"{words} is unknown and the wallet requires at least {minimum:g}"
        return f"{words} {found:g} is below the wallet's minimum {minimum:g}"

    return Filter(
        reason, _is_set(bound, -np.inf), lambda t, w: getattr(t, value) < getattr(w, bound), explain
    )


FILTERS: tuple[Filter, ...] = (
    Filter(
        "wallet_inactive",
        lambda w: ~w.active,
        lambda t, w: ~w.active,
        lambda t, w: "the wallet is not active",
    ),
    Filter(
        "invalid_trade",
        _everyone,
        lambda t, w: ~t.valid,
        lambda t, w: "the trade has a missing or out-of-range price, side, time, trader or notional",
    ),
    Filter(
        "duplicate_trade",
        _everyone,
        lambda t, w: t.duplicate,
        lambda t, w: "the same source_trade_id appeared earlier in this batch",
    ),
    Filter(
        "sell_side",
        lambda w: w.buy_only,
        lambda t, w: w.buy_only & ~t.is_buy,
        lambda t, w: "the trade is a SELL and the wallet copies buys only",
    ),
    Filter(
        "trader_not_followed",
        lambda w: ~w.follows_all,
        lambda t, w: ~np.take(w.follows, np.ravel(t.trader_code), axis=1),
        lambda t, w: "the trader is not in the wallet's list of traders",
    ),
    Filter(
        "category_excluded",
        lambda w: ~w.all_categories,
        lambda t, w: ~np.take(w.allows, np.ravel(t.category_code), axis=1),
        lambda t, w: "the market's category is not in the wallet's categories",
    ),
    Filter(
        "price_below_band",
        _is_set("price_min", 0.0),
        lambda t, w: t.price < w.price_min,
        lambda t, w: f"price {_one(t.price):g} is below price_min {_one(w.price_min):g}",
    ),
    Filter(
        "price_above_band",
        _is_set("price_max", 1.0),
        lambda t, w: t.price > w.price_max,
        lambda t, w: f"price {_one(t.price):g} is above price_max {_one(w.price_max):g}",
    ),
    Filter(
        "no_end_date",
        lambda w: w.has_time_bound,
        lambda t, w: w.has_time_bound & t.end_unknown,
        lambda t, w: "the market has no end date and the wallet bounds the time to end",
    ),
    Filter(
        "too_close_to_end",
        _is_set("min_minutes", -np.inf),
        lambda t, w: t.minutes_to_end < w.min_minutes,
        lambda t, w: f"{_one(t.minutes_to_end):g} minutes to the market's end is under the minimum "
        f"{_one(w.min_minutes):g}",
    ),
    Filter(
        "too_far_from_end",
        _is_set("max_minutes", np.inf),
        lambda t, w: t.minutes_to_end > w.max_minutes,
        lambda t, w: f"{_one(t.minutes_to_end):g} minutes to the market's end is over the maximum "
        f"{_one(w.max_minutes):g}",
    ),
    _below("liquidity", "min_liquidity", "low_liquidity", "market liquidity"),
    _below("volume", "min_volume", "low_volume", "market volume"),
    _below("resolved_count", "min_resolved", "few_resolved_trades", "the trader's resolved trade count"),
    _below("win_rate", "min_win_rate", "low_trader_win_rate", "the trader's win rate"),
    _below("roi", "min_roi", "low_trader_roi", "the trader's ROI"),
    _below("conviction", "min_conviction", "low_conviction", "conviction (notional / the trader's median)"),
)

FILTER_REASONS = tuple(f.reason for f in FILTERS)
