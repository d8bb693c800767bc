"""The venue's past: markets that resolved in the weeks before it opened, and the simulated traders'
trades in them, so that a tracked trader arrives with a record (resolved count, win rate, ROI) that
reflects its skill. A past order walked the market maker's quotes of its day exactly as a live one
does (same levels, same slippage allowance, one row per level), so past and live rows look alike;
none of it touches today's books."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from lt_pipeline.emulator.catalog import random_markets
from lt_pipeline.emulator.fees import taker_fee
from lt_pipeline.emulator.ids import IdFactory
from lt_pipeline.emulator.listing import Listing
from lt_pipeline.emulator.simulator import (
    EXIT_SHARE,
    MARKET_TRIES,
    PRICE_BAND,
    SIGMA_PER_SQRT_HOUR,
    SIM_SLIPPAGE_TICKS,
    SimulatedMarket,
    SimulatedTrader,
    from_log_odds,
    information,
    log_odds,
    quote_levels,
    round_shares,
    stake,
    target_log_odds,
)
from lt_pipeline.emulator.types import MakerFill, Side, SimTrader, TradeRecord

TRADE_COUNT = (30, 120)  # past orders per trader (a row per level each crosses), scaled by activity
TRADES_PER_HOURLY_TRADE = 4  # past orders per unit of trades_per_hour, before the bounds
LATEST_END = timedelta(minutes=15)  # the most recent past market ended this long before the venue opened
TRADED_SHARE_OF_LIFE = 0.9  # nobody trades a decided market: past trades fall before its last tenth
PATH_VARIANCE = (0.5, 4.0)  # bounds of a market's total log-odds variance over its life
PATH_STEPS = 100  # grid points of a past market's price history
ONE = Decimal("1")
ZERO = Decimal("0")


class PastMarket:
    """A resolved market and its fair-price history: the first outcome's log-odds on an even grid
    over its life, a bridge from the opening price to the outcome in `information` time."""

    __slots__ = ("runtime", "_levels", "_quotes_drawn")

    def __init__(self, runtime: SimulatedMarket, start_price: float, rng: random.Random) -> None:
        self.runtime = runtime
        market = runtime.market
        life_hours = (market.end_date - market.created_at).total_seconds() / 3600
        variance = min(max(SIGMA_PER_SQRT_HOUR ** 2 * life_hours, PATH_VARIANCE[0]), PATH_VARIANCE[1])
        target = target_log_odds(runtime.winner_index)
        level, known = log_odds(start_price), 0.0
        levels = [level]
        for step in range(1, PATH_STEPS + 1):
            now_known = information(step / PATH_STEPS)
            share = (now_known - known) / (1 - known)
            spread = math.sqrt(max(variance * (now_known - known) * (1 - now_known) / (1 - known), 0.0))
            level += (target - level) * share + spread * rng.gauss(0.0, 1.0)
            levels.append(level)
            known = now_known
        self._levels = levels
        self._quotes_drawn = 0

    def fair(self, at: datetime) -> float:
        """The first outcome's fair price at `at`."""
        market = self.runtime.market
        share = (at - market.created_at) / (market.end_date - market.created_at) * PATH_STEPS
        low = min(int(share), PATH_STEPS - 1)
        return from_log_odds(self._levels[low] + (self._levels[low + 1] - self._levels[low]) * (share - low))

    def walk(self, at: datetime, token_index: int, side: Side, *, usd: Decimal = ZERO,
             shares: Decimal = ZERO) -> list[Fill]:
        """A taker order at `at` against the quotes of the moment: a BUY for `usd`, a SELL of
        `shares`, reaching SIM_SLIPPAGE_TICKS past the touch; one fill per level crossed."""
        market = self.runtime.market
        tick = market.tick_size
        self._quotes_drawn += 1
        bids, asks = quote_levels(self.fair(at), tick, self.runtime.depth, self.runtime.noise_key + self._quotes_drawn)
        taker_buys_first = (side == "BUY") == (token_index == 0)
        levels = asks if taker_buys_first else bids[::-1]  # best first
        if not levels:
            return []
        touch = levels[0][0] if token_index == 0 else ONE - levels[0][0]
        if side == "BUY":
            shares = max(round_shares(stake(usd, touch) / touch), market.min_order_size)
        reach = tick * SIM_SLIPPAGE_TICKS
        fills = []
        for level_price, size in levels:
            price = level_price if token_index == 0 else ONE - level_price
            if (side == "BUY" and price > touch + reach) or (side == "SELL" and price < touch - reach) or not shares:
                break
            taken = min(size, shares)
            fills.append(Fill(price, taken, level_price, "SELL" if taker_buys_first else "BUY"))
            shares -= taken
        return fills


@dataclass(frozen=True)
class Fill:
    """One level of a past order: the taker's price (its token's terms) and shares, and the market
    maker's price and side (first token's terms)."""

    price: Decimal
    shares: Decimal
    maker_price: Decimal
    maker_side: Side


@dataclass(frozen=True)
class _Order:
    """One past taker order: a bet (BUY) or the exit (SELL) of part of one."""

    at: datetime
    trader: SimTrader
    market: PastMarket
    token_index: int
    side: Side
    fills: list[Fill]


def past_markets(count: int, days: float, rng: random.Random, listing: Listing, start: datetime) -> list[PastMarket]:
    """`count` markets drawn like the opening ones, each ended in the `days` before `start` (markets
    of one event together) and resolved by then."""
    specs = random_markets(rng, count)
    window = timedelta(days=days) - LATEST_END
    ends: dict[str, datetime] = {}
    end_of = []
    for spec in specs:
        key = spec.event or spec.question
        if spec.event is None or key not in ends:
            ends[key] = (start - LATEST_END - window * rng.random()).replace(microsecond=0)
        end_of.append(ends[key])
    listed = listing.resolved(specs, rng, end_of, start - timedelta(minutes=1))
    return [PastMarket(sm, float(spec.start_price), rng) for sm, spec in zip(listed, specs)]


def past_trades(traders: list[SimTrader], markets: list[PastMarket], rng: random.Random, ids: IdFactory,
                market_maker: str, start: datetime, days: float) -> list[tuple[SimulatedMarket, TradeRecord]]:
    """Every trader's past orders in `markets` since `days` before `start`, as confirmed trades with
    the market maker, oldest first."""
    if not markets:
        return []
    since = start - timedelta(days=days)
    orders: list[_Order] = []
    for profile in traders:
        orders += _orders_of(SimulatedTrader(profile, random.Random(rng.getrandbits(64))), markets, since)
    orders.sort(key=lambda o: o.at)  # stable: a bet and its exit in the same second keep their order
    return [(order.market.runtime, trade) for order in orders for trade in _trades(order, ids, market_maker)]


def trade_count(profile: SimTrader, rng: random.Random) -> int:
    """How many orders a trader placed in the past: more for a more active one, within TRADE_COUNT."""
    low, high = TRADE_COUNT
    return min(high, max(low, round(TRADES_PER_HOURLY_TRADE * profile.trades_per_hour * rng.uniform(0.8, 1.2))))


def _orders_of(trader: SimulatedTrader, markets: list[PastMarket], since: datetime) -> list[_Order]:
    """A trader's bets (toward the winner with probability `skill`, where the price is inside the
    band it trades in, like today) and the occasional exit of part of one."""
    rng = trader.rng
    wanted = trade_count(trader.profile, rng)
    orders: list[_Order] = []
    for _ in range(wanted * MARKET_TRIES):
        if len(orders) >= wanted:
            break
        market = rng.choice(markets)
        sm = market.runtime
        first = max(sm.market.created_at, since)
        last = first + (sm.market.end_date - first) * TRADED_SHARE_OF_LIFE
        at = (first + (last - first) * rng.random()).replace(microsecond=0)
        token_index = trader.choose_token(sm.winner_index)
        fair = market.fair(at)
        usd = trader.choose_usd()
        if not PRICE_BAND[0] <= Decimal(repr(fair if token_index == 0 else 1 - fair)) <= PRICE_BAND[1]:
            continue  # too sure a thing, or too long a shot: it looks elsewhere
        fills = market.walk(at, token_index, "BUY", usd=usd)
        if not fills:
            continue
        orders.append(_Order(at, trader.profile, market, token_index, "BUY", fills))
        if len(orders) < wanted and rng.random() < EXIT_SHARE:
            exit_at = (at + (last - at) * rng.random()).replace(microsecond=0)
            held = sum((f.shares for f in fills), ZERO)
            part = round_shares(held / 2) if rng.random() < 0.5 else held
            part = part if part >= sm.market.min_order_size else held
            exits = market.walk(exit_at, token_index, "SELL", shares=part)
            if exits:
                orders.append(_Order(exit_at, trader.profile, market, token_index, "SELL", exits))
    return orders


def _trades(order: _Order, ids: IdFactory, market_maker: str) -> list[TradeRecord]:
    """The order's fills as the tape keeps them: one trade per level, one transaction for all."""
    market = order.market.runtime.market
    token = market.tokens[order.token_index]
    first = market.tokens[0]
    taker_order_id, transaction_hash = ids.hex32(), ids.hex32()
    trades = []
    for bucket, fill in enumerate(order.fills):
        trades.append(TradeRecord(
            id=ids.trade_id(),
            taker_order_id=taker_order_id,
            market=market.condition_id,
            asset_id=token.token_id,
            side=order.side,
            size=fill.shares,
            price=fill.price,
            fee_rate_bps=market.fee_rate_bps,
            status="CONFIRMED",
            match_time=order.at,
            last_update=order.at,
            outcome=token.outcome,
            bucket_index=bucket,
            owner="",
            taker_address=order.trader.address,
            transaction_hash=transaction_hash,
            maker_orders=[MakerFill(ids.hex32(), "", market_maker, fill.shares, fill.maker_price,
                                    0, first.token_id, first.outcome, fill.maker_side)],
            fee=taker_fee(fill.shares, fill.price, market.taker_fee_rate, market.fee_exponent),
        ))
    return trades
