"""The simulated market: each market's hidden fair price path, the market maker's quotes around it
(refreshed on a fixed grid of simulated time, so consumed levels refill), and the choices a
simulated trader makes. Everything is a pure function of seeds and grid indices, so the venue can
apply it lazily, when a market is next touched, and still replay the same history for a seed."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from lt_pipeline.emulator.book import Book, Resting
from lt_pipeline.emulator.types import Market, Side, SimTrader

REFRESH_SECONDS = 60  # the market maker re-posts its quotes once per minute of simulated time
QUOTE_LEVELS = 5
SIGMA_PER_SQRT_HOUR = 0.1  # fair-price noise, in log-odds
SETTLED_LOG_ODDS = 5.3  # ~0.995: where a decided market's fair price heads
BUY_SHARE = 0.85  # simulated traders mostly buy the side they favour, sometimes sell the other one
_MASK64 = (1 << 64) - 1
ONE = Decimal("1")
CENT = Decimal("0.01")

Levels = list[tuple[Decimal, Decimal]]


class PricePath:
    """Fair price of a market's first outcome: a log-odds random walk pulled toward the hidden
    outcome, reaching it at the end date (a Brownian bridge on a fixed step grid)."""

    __slots__ = ("_rng", "_step", "_done", "_log_odds", "_target", "_life")

    def __init__(self, seed: int, start_price: float, target_price: float | None, life_seconds: float) -> None:
        self._rng = random.Random(seed)
        self._life = life_seconds
        self._step = min(300.0, max(5.0, life_seconds / 100))
        self._done = 0
        self._log_odds = math.log(start_price / (1 - start_price))
        if target_price is None:
            self._target = 0.0
        else:
            self._target = SETTLED_LOG_ODDS if target_price > 0.5 else -SETTLED_LOG_ODDS

    def at(self, elapsed_seconds: float) -> float:
        """The fair price after `elapsed_seconds` of simulated time (never called going backwards)."""
        steps = int(elapsed_seconds // self._step)
        dt = self._step
        noise = SIGMA_PER_SQRT_HOUR * math.sqrt(dt / 3600)
        while self._done < steps:
            remaining = max(self._life - self._done * dt, dt)
            pull = min(1.0, dt / remaining)
            self._log_odds += (self._target - self._log_odds) * pull + noise * self._rng.gauss(0.0, 1.0)
            self._done += 1
        return 1.0 / (1.0 + math.exp(-self._log_odds))


def _unit(key: int) -> float:
    """A well-mixed number in [0, 1) from an integer key (splitmix64), without touching any RNG."""
    z = (key + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return ((z ^ (z >> 31)) >> 11) / float(1 << 53)


def quote_levels(fair: float, tick: Decimal, depth: int, key: int) -> tuple[Levels, Levels]:
    """The market maker's bids and asks (first token's terms) around `fair`: two ticks wide,
    QUOTE_LEVELS deep, sizes growing away from the touch with a little deterministic variety."""
    ticks_per_one = int(ONE / tick)
    gap = 1 if tick >= CENT else 3
    mid = min(max(round(fair * ticks_per_one), 2), ticks_per_one - 2)
    bids: Levels = []
    asks: Levels = []
    for level in range(QUOTE_LEVELS):
        scale = depth * (1 + 0.6 * level)
        bid_ticks = mid - 1 - level * gap
        ask_ticks = mid + 1 + level * gap
        if bid_ticks >= 1:
            size = int(scale * (0.6 + 0.8 * _unit(key * 64 + 2 * level)))
            bids.append((tick * bid_ticks, Decimal(max(size, 1))))
        if ask_ticks <= ticks_per_one - 1:
            size = int(scale * (0.6 + 0.8 * _unit(key * 64 + 2 * level + 1)))
            asks.append((tick * ask_ticks, Decimal(max(size, 1))))
    return bids, asks


class SimulatedMarket:
    """One listed market's runtime: its book (shared by both tokens), hidden outcome, fair path and
    the market maker's currently posted quotes."""

    __slots__ = ("market", "book", "path", "winner_index", "depth", "noise_key", "slot", "quotes",
                 "pinned", "last_trade")

    def __init__(self, market: Market, path: PricePath, winner_index: int | None, depth: int, noise_key: int) -> None:
        self.market = market
        self.book = Book()
        self.path = path
        self.winner_index = winner_index  # 0 or 1; None = the market will be voided
        self.depth = depth
        self.noise_key = noise_key
        self.slot = -1  # the refresh-grid index the quotes belong to
        self.quotes: list[Resting] = []
        self.pinned: tuple[Levels, Levels] | None = None  # admin-set liquidity replaces the quotes
        self.last_trade: tuple[Decimal, Side] | None = None  # first token's terms

    def token_index(self, token_id: str) -> int:
        return 0 if self.market.tokens[0].token_id == token_id else 1

    def refresh(self, slot: int) -> None:
        """Re-post the market maker's liquidity for grid index `slot`, never crossing user orders."""
        self.slot = slot
        for entry in self.quotes:
            self.book.remove(entry)
        if self.pinned is not None:
            bids, asks = self.pinned
        else:
            fair = self.path.at(slot * REFRESH_SECONDS)
            bids, asks = quote_levels(fair, self.market.tick_size, self.depth, self.noise_key + slot * 7919)
        # what is left on the book now is users' orders only
        user_bid, user_ask = self.book.best_bid(), self.book.best_ask()
        quotes = [Resting(None, price, size, True) for price, size in bids if user_ask is None or price < user_ask]
        quotes += [Resting(None, price, size, False) for price, size in asks if user_bid is None or price > user_bid]
        for entry in quotes:
            self.book.add(entry)
        self.quotes = quotes
        self.market.liquidity = sum((q.price * q.remaining for q in quotes), Decimal("0"))

    def close(self) -> None:
        self.book = Book()
        self.quotes = []
        self.pinned = None


@dataclass(slots=True)
class SimulatedTrader:
    profile: SimTrader
    rng: random.Random

    def wait_seconds(self) -> float:
        return self.rng.expovariate(self.profile.trades_per_hour / 3600)

    def choose_side(self, winner_index: int | None) -> tuple[int, Side]:
        """Which token to trade and how: toward the eventual winner with probability `skill`."""
        right = self.rng.random() < self.profile.skill
        if winner_index is None:
            favoured = self.rng.randrange(2)
        else:
            favoured = winner_index if right else 1 - winner_index
        if self.rng.random() < BUY_SHARE:
            return favoured, "BUY"
        return 1 - favoured, "SELL"

    def choose_usd(self) -> Decimal:
        factor = Decimal(repr(round(self.rng.lognormvariate(0.0, 0.6), 4)))
        return (self.profile.typical_size_usd * factor).quantize(CENT, rounding=ROUND_DOWN)
