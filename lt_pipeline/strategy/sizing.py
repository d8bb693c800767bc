"""Bet sizing shared by FT and LT: the dollars a wallet puts on a trade that passed its filters.

One vectorised implementation serves the batch evaluation and the one-pair explanation, so both
produce the same floats; `exact_shares` gives the ledger's exact Decimal share count.

Rules (price = the signal price, bankroll = the wallet's bankroll when the batch started):
  fixed_usd     bet = bet_size_usd
  bankroll_pct  bet = bankroll * bankroll_pct / 100
  kelly         bet = bankroll * kelly_fraction * ((win_rate - price) / (1 - price));
                no bet ("no_edge") unless the trader's win rate is known and above the price
  conviction    bet = bet_size_usd * min(conviction, conviction_cap); no bet ("no_conviction")
                when the trader's median notional is unknown
then bet = min(bet, max_bet_usd, bankroll), rounded to cents; a bet under min_bet_usd (or of zero)
is not placed ("below_minimum_bet").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

import numpy as np

from lt_pipeline.money import CENT, round_down
from lt_pipeline.strategy.config import SIZING_METHODS, FtWalletConfig

FIXED_USD, BANKROLL_PCT, KELLY, CONVICTION = (
    SIZING_METHODS.index(name) for name in ("fixed_usd", "bankroll_pct", "kelly", "conviction")
)
SIZING_REASONS = ("no_edge", "no_conviction", "below_minimum_bet")
NO_EDGE, NO_CONVICTION, BELOW_MINIMUM_BET = 1, 2, 3  # 0 = the bet is placed


@dataclass(frozen=True)
class SizingParams:
    """Sizing settings as arrays aligned with a list of wallets (or of wallet x trade pairs).

    Unset parameters are NaN (only the method's own ones are read); an unset max_bet_usd is +inf.
    """

    method: np.ndarray  # int8 index into SIZING_METHODS
    bet_size_usd: np.ndarray
    bankroll_pct: np.ndarray
    kelly_fraction: np.ndarray
    conviction_cap: np.ndarray
    min_bet_usd: np.ndarray
    max_bet_usd: np.ndarray
    bankroll: np.ndarray

    @classmethod
    def from_wallets(
        cls, wallets: Sequence[FtWalletConfig], bankrolls: Mapping[str, Decimal]
    ) -> SizingParams:
        """A wallet missing from `bankrolls` bets from its starting balance."""

        def column(read, unset: float = np.nan) -> np.ndarray:
            values = (read(wallet) for wallet in wallets)
            return np.fromiter((unset if v is None else float(v) for v in values), float, len(wallets))

        return cls(
            method=np.fromiter((SIZING_METHODS.index(w.sizing.method) for w in wallets), np.int8, len(wallets)),
            bet_size_usd=column(lambda w: w.sizing.bet_size_usd),
            bankroll_pct=column(lambda w: w.sizing.bankroll_pct),
            kelly_fraction=column(lambda w: w.sizing.kelly_fraction),
            conviction_cap=column(lambda w: w.sizing.conviction_cap),
            min_bet_usd=column(lambda w: w.sizing.min_bet_usd),
            max_bet_usd=column(lambda w: w.sizing.max_bet_usd, np.inf),
            bankroll=column(lambda w: bankrolls.get(w.wallet_id, w.starting_balance)),
        )

    def take(self, index: np.ndarray) -> SizingParams:
        """The settings repeated for each position in `index` (e.g. the wallet of each pair)."""
        return SizingParams(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def size_bets(
    params: SizingParams, price: np.ndarray, win_rate: np.ndarray, conviction: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(size_usd rounded to cents, failure) per pair; failure 0 = bet placed, else NO_EDGE,
    NO_CONVICTION or BELOW_MINIMUM_BET. `params` holds one row per pair, like the other arrays."""
    stake = np.full(price.shape, np.nan)
    failure = np.zeros(price.shape, np.int8)
    method = params.method

    chosen = method == FIXED_USD
    stake[chosen] = params.bet_size_usd[chosen]

    chosen = method == BANKROLL_PCT
    stake[chosen] = params.bankroll[chosen] * params.bankroll_pct[chosen] / 100

    chosen = np.flatnonzero(method == KELLY)
    if chosen.size:
        p, q = price[chosen], win_rate[chosen]
        has_edge = q > p  # an unknown (NaN) win rate has no edge; q <= 1 so p = 1 never divides
        with np.errstate(divide="ignore", invalid="ignore"):
            edge = (q - p) / (1 - p)
        stake[chosen] = params.bankroll[chosen] * params.kelly_fraction[chosen] * edge
        failure[chosen[~has_edge]] = NO_EDGE

    chosen = np.flatnonzero(method == CONVICTION)
    if chosen.size:
        c = conviction[chosen]
        stake[chosen] = params.bet_size_usd[chosen] * np.minimum(c, params.conviction_cap[chosen])
        failure[chosen[np.isnan(c)]] = NO_CONVICTION

    stake = np.minimum(np.minimum(stake, params.max_bet_usd), params.bankroll)
    size_usd = np.round(stake, 2)
    too_small = ~((size_usd >= params.min_bet_usd) & (size_usd > 0))
    failure[(failure == 0) & too_small] = BELOW_MINIMUM_BET
    return size_usd, failure


def shares_for(size_usd: np.ndarray, price: np.ndarray) -> np.ndarray:
    """size_usd / price rounded down to 2 dp, as floats for analytics (the nudge absorbs float
    error on exact quotients such as 10.00 / 0.5; the exact figure is `exact_shares`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor(size_usd / price * 100 + 1e-9) / 100


def exact_shares(size_usd: Decimal, price: Decimal) -> Decimal:
    """The shares an FT order holds: size_usd / price rounded DOWN to the cent of a share."""
    return round_down(size_usd / price, CENT)
