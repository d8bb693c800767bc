"""The simulated market: each market's hidden fair price path, the market maker's quotes around it
(refreshed on a fixed grid of simulated time, so consumed levels refill), the liquidity and volume
figures the venue reports, and the choices a simulated trader makes. Everything is a pure function
of seeds and grid indices, so the venue can apply it lazily, when a market is next touched, and
still replay the same history for a seed."""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from lt_pipeline.emulator.book import Book, Resting
from lt_pipeline.emulator.types import Market, Side, SimTrader

REFRESH_SECONDS = 60  # the market maker re-posts its quotes once per minute of simulated time
QUOTE_LEVELS = 5
SIGMA_PER_SQRT_HOUR = 0.1  # fair-price noise, in log-odds
SETTLED_LOG_ODDS = 5.3  # ~0.995: where a decided market's fair price heads
INFORMATION_POWER = 3  # the outcome shows in the price late: the pull toward it follows (time share)^3
EXIT_SHARE = 0.12  # of a simulated trader's turns, when it holds something: sell (part of) a position
CONVICTION_SHARE = 0.06  # of its bets: a high-conviction one at 3-5x its typical size
CONVICTION_FACTOR = (3.0, 5.0)
SIZE_SPREAD = 0.45  # lognormal sigma of an ordinary bet around the typical size
PRICE_BAND = (Decimal("0.05"), Decimal("0.95"))  # traders look for another market rather than pay outside this
MARKET_TRIES = 4
SIM_SLIPPAGE_TICKS = 2  # how far past the touch a simulated trader's order may walk the book
SHORT_MARKET_WEIGHT = 4  # short markets (crypto Up/Down) draw more of the traders' attention
DAY = timedelta(days=1)
_MASK64 = (1 << 64) - 1
ONE = Decimal("1")
ZERO = Decimal("0")
CENT = Decimal("0.01")

Levels = list[tuple[Decimal, Decimal]]


def information(share_of_life: float) -> float:
    """How much of the outcome the price has taken in after this share of a market's life: little
    at first, nearly all at the end, so prices spend most of a market's life away from 0 and 1."""
    return min(max(share_of_life, 0.0), 1.0) ** INFORMATION_POWER


def target_log_odds(winner_index: int | None) -> float:
    """Where the first outcome's log-odds head: a decided market to ~0.995 or ~0.005, a void one to 0.5."""
    if winner_index is None:
        return 0.0
    return SETTLED_LOG_ODDS if winner_index == 0 else -SETTLED_LOG_ODDS


def log_odds(price: float) -> float:
    return math.log(price / (1 - price))


def from_log_odds(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


class PricePath:
    """Fair price of a market's first outcome: a log-odds random walk pulled toward the hidden
    outcome, reaching it at the end date (a Brownian bridge in `information` time on a fixed step
    grid). `offset_seconds` is the simulated time at which the market was listed."""

    __slots__ = ("_rng", "_step", "_done", "_log_odds", "_target", "_life", "_offset")

    def __init__(self, seed: int, start_price: float, target_price: float | None, life_seconds: float,
                 offset_seconds: float = 0.0) -> None:
        self._rng = random.Random(seed)
        self._life = life_seconds
        self._offset = offset_seconds
        self._step = min(300.0, max(5.0, life_seconds / 100))
        self._done = 0
        self._log_odds = log_odds(start_price)
        self._target = target_log_odds(None if target_price is None else (0 if target_price > 0.5 else 1))

    def at(self, elapsed_seconds: float) -> float:
        """The fair price `elapsed_seconds` of simulated time after the venue started (never called
        going backwards)."""
        steps = int(max(elapsed_seconds - self._offset, 0.0) // self._step)
        dt = self._step
        noise = SIGMA_PER_SQRT_HOUR * math.sqrt(dt / 3600)
        while self._done < steps:
            known = information(self._done * dt / self._life)
            pull = 1.0 if known >= 1.0 else (information((self._done + 1) * dt / self._life) - known) / (1 - known)
            self._log_odds += (self._target - self._log_odds) * pull + noise * self._rng.gauss(0.0, 1.0)
            self._done += 1
        return from_log_odds(self._log_odds)


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
    """One listed market's runtime: its book (shared by both tokens), hidden outcome, fair path, the
    market maker's currently posted quotes, and what the venue reports about it (liquidity, volume).

    Reported volume is the crowd's, traded at a steady `crowd_rate` since the market was created,
    plus every trade on this venue's tape; volume_24h is the same over the last day (a real rolling
    window for the tape's trades). Reported liquidity is the crowd's resting depth plus the quotes."""

    __slots__ = ("market", "book", "path", "winner_index", "depth", "noise_key", "slot", "quotes",
                 "pinned", "last_trade", "relist", "short", "base_liquidity", "crowd_rate", "traded",
                 "window", "window_sum", "quoted")

    def __init__(self, market: Market, path: PricePath | None, winner_index: int | None, depth: int,
                 noise_key: int, *, base_liquidity: Decimal = ZERO, crowd_per_day: float = 0.0,
                 relist: bool = False, short: bool = False) -> None:
        self.market = market
        self.book = Book()
        self.path = path  # None for a market listed already resolved
        self.winner_index = winner_index  # 0 or 1; None = the market will be voided
        self.depth = depth
        self.noise_key = noise_key
        self.slot = -1  # the refresh-grid index the quotes belong to
        self.quotes: list[Resting] = []
        self.pinned: tuple[Levels, Levels] | None = None  # admin-set liquidity replaces the quotes
        self.last_trade: tuple[Decimal, Side] | None = None  # first token's terms
        self.relist = relist  # a drawn market: when it resolves, the venue lists another like it
        self.short = short
        self.base_liquidity = base_liquidity
        self.crowd_rate = crowd_per_day / DAY.total_seconds()  # USD per second
        self.traded = ZERO  # notional on this venue's tape
        self.window: deque[tuple[datetime, Decimal]] = deque()  # the tape's (time, notional), oldest first
        self.window_sum = ZERO
        self.quoted = ZERO  # notional of the quotes now posted

    @property
    def weight(self) -> int:
        """How much of the simulated traders' attention the market draws."""
        return SHORT_MARKET_WEIGHT if self.short else 1

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
        self.quoted = sum((q.price * q.remaining for q in quotes), ZERO)

    def close(self) -> None:
        self.book = Book()
        self.quotes = []
        self.pinned = None
        self.quoted = ZERO

    def record(self, at: datetime, notional: Decimal) -> None:
        """A trade on the tape (in time order)."""
        self.traded += notional
        self.window.append((at, notional))
        self.window_sum += notional

    def figures(self, now: datetime) -> tuple[Decimal, Decimal, Decimal]:
        """(liquidity, volume, volume_24h) as the venue reports them at `now`."""
        market = self.market
        day_ago = now - DAY
        while self.window and self.window[0][0] < day_ago:
            self.window_sum -= self.window.popleft()[1]
        last = min(now, market.resolved_at) if market.resolved_at is not None else now
        crowd = self.crowd_rate * max((last - market.created_at).total_seconds(), 0.0)
        crowd_24h = self.crowd_rate * max((last - max(market.created_at, day_ago)).total_seconds(), 0.0)
        liquidity = ZERO if market.closed else self.base_liquidity + self.quoted
        return liquidity.quantize(CENT), (_usd(crowd) + self.traded).quantize(CENT), \
            (_usd(crowd_24h) + self.window_sum).quantize(CENT)


def _usd(amount: float) -> Decimal:
    return Decimal(f"{amount:.2f}")


@dataclass(slots=True)
class Holding:
    """Shares of one token a simulated trader bought, and may sell again before resolution."""

    market: SimulatedMarket
    token_index: int
    shares: Decimal


@dataclass(slots=True)
class SimulatedTrader:
    """A tracked trader's habits: mostly buys toward the outcome it believes in (right with
    probability `skill`), sometimes sells part of a position it holds, bets around its typical size
    with the odd high-conviction bet, and avoids paying extreme prices."""

    profile: SimTrader
    rng: random.Random
    holdings: dict[str, Holding] = field(default_factory=dict)  # token id -> position, oldest first

    def wait_seconds(self) -> float:
        return self.rng.expovariate(self.profile.trades_per_hour / 3600)

    def wants_to_exit(self) -> Holding | None:
        """A position to sell now, or None to bet instead; positions in closed markets are forgotten."""
        for token_id in [t for t, h in self.holdings.items() if h.market.market.closed or not h.shares]:
            del self.holdings[token_id]
        if not self.holdings or self.rng.random() >= EXIT_SHARE:
            return None
        return self.rng.choice(list(self.holdings.values()))

    def exit_shares(self, holding: Holding, min_size: Decimal) -> Decimal:
        """All of a position, or half of it (when both halves stay tradable)."""
        half = round_shares(holding.shares / 2)
        return half if half >= min_size and self.rng.random() < 0.5 else holding.shares

    def choose_token(self, winner_index: int | None) -> int:
        """The token it believes in: the eventual winner with probability `skill`."""
        right = self.rng.random() < self.profile.skill
        if winner_index is None:
            return self.rng.randrange(2)
        return winner_index if right else 1 - winner_index

    def choose_usd(self) -> Decimal:
        """An ordinary bet scattered around the typical size, or now and then one at 3-5x it."""
        if self.rng.random() < CONVICTION_SHARE:
            factor = self.rng.uniform(*CONVICTION_FACTOR)
        else:
            factor = self.rng.lognormvariate(0.0, SIZE_SPREAD)
        return (self.profile.typical_size_usd * Decimal(repr(round(factor, 4)))).quantize(CENT, rounding=ROUND_DOWN)

    def bought(self, market: SimulatedMarket, token_id: str, token_index: int, shares: Decimal) -> None:
        holding = self.holdings.get(token_id)
        if holding is None:
            self.holdings[token_id] = Holding(market, token_index, shares)
        else:
            holding.shares += shares

    def sold(self, token_id: str, shares: Decimal) -> None:
        holding = self.holdings.get(token_id)
        if holding is not None:
            holding.shares = max(holding.shares - shares, ZERO)


def stake(usd: Decimal, price: Decimal) -> Decimal:
    """What a bet of `usd` puts on a token at `price`: all of it on an even chance or a favourite,
    less on a long shot (half at 0.25), so long shots do not dominate a trader's rows."""
    return (usd * min(ONE, 2 * price)).quantize(CENT, rounding=ROUND_DOWN)


def round_shares(shares: Decimal) -> Decimal:
    return shares.quantize(CENT, rounding=ROUND_DOWN)
