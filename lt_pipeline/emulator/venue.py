"""The emulated Polymarket venue: markets, books, matching, balances, settlement and resolution,
driven by an injected clock. Pure Python; the wire layer calls it from several threads.

Everything time-driven (simulated traders, trade settlement, GTD expiry, resolution at end date,
and the new listing that replaces a resolved drawn market) is an event on one heap processed in
time order, and the market maker's quotes are a function of a fixed refresh grid, so a seed and the
same user actions replay the same history however often `sync()` is called. A scenario with
`history_markets` also gives the venue a past: resolved markets and the traders' trades in them.

Venue rules a real-money client meets here as on Polymarket:
* Fees (emulator/fees.py): each trade's taker pays C * rate * (p(1-p)) ** exponent in collateral, on
  top of a BUY's amount or out of a SELL's proceeds; makers pay nothing. A BUY needs available
  collateral of at least price x size plus the taker fee of the part that can match on arrival.
* Self-trade prevention: a taker never matches a resting order of its own funder address. Polymarket
  documents no rule for its CLOB (its documented STP, cancel-the-maker, is for Polymarket Perps), so
  the venue steps over the own order, which stays on the book, and matches the next one; a FOK/FAK
  counts only what others offer.
* A marketable order (FOK/FAK, or a GTC/GTD that would trade on arrival) must be worth at least $1
  (a BUY's collateral amount, a SELL's proceeds); post-only orders never take, so never count.
* GTD: refused unless it expires more than 60 s ahead, and taken off the book 60 s before its
  stated expiration (the venue's safety margin).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from lt_pipeline.clock import Clock, ensure_utc, from_unix
from lt_pipeline.emulator.accounts import Accounts
from lt_pipeline.emulator.book import Resting
from lt_pipeline.emulator.catalog import replacement_market
from lt_pipeline.emulator.fees import check_exponent, check_rate, taker_fee
from lt_pipeline.emulator.history import past_markets, past_trades
from lt_pipeline.emulator.ids import IdFactory
from lt_pipeline.emulator.listing import Listing, list_traders, opening_markets
from lt_pipeline.emulator.scenario import Scenario
from lt_pipeline.emulator.schedule import EventQueue
from lt_pipeline.emulator.settlement import TERMINAL_STATUSES, SettlementConfig, next_status
from lt_pipeline.emulator.simulator import (
    MARKET_TRIES,
    PRICE_BAND,
    REFRESH_SECONDS,
    SIM_SLIPPAGE_TICKS,
    Holding,
    SimulatedMarket,
    SimulatedTrader,
    stake,
)
from lt_pipeline.emulator.tape import Tape
from lt_pipeline.emulator.types import (
    AssetType,
    BookView,
    IncomingOrder,
    Market,
    MakerFill,
    OrderRecord,
    PlacementResult,
    PublicTrade,
    Side,
    SimTrader,
    TradeRecord,
    VenueError,
)
from lt_pipeline.money import round_down

ZERO = Decimal("0")
ONE = Decimal("1")
HALF = Decimal("0.5")
SHARE_STEP = Decimal("0.01")
GTD_SAFETY_MARGIN = timedelta(seconds=60)

NO_BOOK = "No orderbook exists for the requested token id"
NOT_READY = "the market is not yet ready to process new orders"
NO_BALANCE = "not enough balance / allowance"
POST_ONLY_CROSSES = "invalid post-only order: order crosses book"
FOK_NOT_FILLED = "order couldn't be fully filled. FOK orders are fully filled or killed."
FAK_NO_MATCH = ("no orders found to match with FAK order. FAK orders are partially filled or killed if no "
                "match is found.")
NOT_FOUND = "order not found"
ALREADY_DONE = "order can't be found - already canceled or matched"
INVALID_EXPIRATION = "invalid expiration"
# A marketable order (FOK/FAK, or a limit order that would trade on arrival) must be worth $1 or more.
# The text is the venue's, as py-clob-client users quote its 400 answers
# (e.g. "invalid amount for a marketable BUY order ($0.9982), min size: $1").
MIN_MARKETABLE_NOTIONAL = Decimal("1")
MIN_NOTIONAL = "invalid amount for a marketable {side} order (${amount}), min size: $1"
MARKET_ORDER_TYPES = ("FOK", "FAK")


def _plain(value: Decimal) -> str:
    """A dollar amount as the venue's texts print it: no exponent, no trailing zeros ('0.5', '1')."""
    return format(value.normalize(), "f")


def _canonical(token_index: int, side: Side, price: Decimal) -> tuple[bool, Decimal]:
    """An order in the shared book's terms (first token): BUY second token at p = SELL first at 1-p."""
    if token_index == 0:
        return side == "BUY", price
    return side == "SELL", ONE - price


class Venue:
    """One emulated venue: every public method takes the one lock, and reading methods first bring
    the simulation up to the clock."""

    # The tape's trades by market, for the price history, indexed as the tape grows. Class defaults, so
    # a venue saved before the index existed resumes and builds it on first use.
    _trades_by_market: dict[str, list[TradeRecord]] | None = None
    _trades_indexed: int = 0

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        scenario: Scenario | None = None,
        faucet: Decimal = Decimal("1000"),
        settlement: SettlementConfig | None = None,
        paused: bool = False,
    ) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._started = ensure_utc(clock.now(), "clock.now()")
        scenario = scenario or Scenario.default()
        root = random.Random(seed)
        listing_rng = random.Random(root.getrandbits(64))
        listing_ids = IdFactory(random.Random(root.getrandbits(64)))
        self._ids = IdFactory(random.Random(root.getrandbits(64)))
        self._settle_rng = random.Random(root.getrandbits(64))
        self._settlement = settlement or scenario.settlement or SettlementConfig()
        self._faucet = faucet

        # drawn after the four above, so turning the past on or off moves none of their draws
        history_rng = random.Random(root.getrandbits(64))
        history_ids = IdFactory(random.Random(root.getrandbits(64)))
        self._relist_rng = random.Random(root.getrandbits(64))

        self._listing = Listing(listing_ids)
        opening = opening_markets(scenario, listing_rng, self._listing, self._started)
        self._traders = list_traders(scenario, listing_rng, listing_ids)
        self._market_maker = listing_ids.address()
        past = past_markets(scenario.history_markets, scenario.history_days, history_rng,
                            Listing(history_ids, slugs_of=self._listing), self._started)
        self._markets: list[SimulatedMarket] = []
        self._by_condition: dict[str, SimulatedMarket] = {}
        self._by_token: dict[str, SimulatedMarket] = {}
        self._open_markets: list[SimulatedMarket] = []  # the ones simulated traders pick from, in listing order
        self._open_weights: list[int] = []  # cumulative attention weights of _open_markets

        self._accounts = Accounts()
        self._orders: dict[str, OrderRecord] = {}
        self._open: dict[str, dict[str, OrderRecord]] = {}  # owner -> live orders, oldest first
        self._resting: dict[str, tuple[SimulatedMarket, Resting]] = {}
        self._tape = Tape({}, (t.profile for t in self._traders))
        self._failing: set[str] = set()
        self._counters: Counter[str] = Counter()

        self._paused_since: datetime | None = self._started if paused else None
        self._paused_total = timedelta(0)
        self._events = EventQueue()
        self._handlers = {"trader": self._on_trader, "settle": self._on_settle, "expire": self._on_expire,
                          "resolve": self._on_resolve}
        for sm in opening:
            self._add_market(sm, self._started)
        for past_market in past:
            self._add_market(past_market.runtime, self._started)
        self._remember(past_trades([t.profile for t in self._traders], past, history_rng, history_ids,
                                   self._market_maker, self._started, scenario.history_days))
        for index, trader in enumerate(self._traders):
            self._events.push(self._started + timedelta(seconds=trader.wait_seconds()), "trader", index)

    def _add_market(self, sm: SimulatedMarket, at: datetime) -> None:
        """List a market: open ones get quotes, a resolution at their end date and traders' attention."""
        self._markets.append(sm)
        self._by_condition[sm.market.condition_id] = sm
        self._by_token.update((token.token_id, sm) for token in sm.market.tokens)
        self._tape.add_market(sm.market)
        if sm.market.closed:
            return
        sm.refresh(self._slot(at))
        self._events.push(sm.market.end_date, "resolve", sm.market.condition_id)
        self._open_markets.append(sm)
        self._open_weights.append((self._open_weights[-1] if self._open_weights else 0) + sm.weight)

    def _remember(self, history: list[tuple[SimulatedMarket, TradeRecord]]) -> None:
        """Put the venue's past trades (already settled, oldest first) on the tape."""
        for sm, trade in history:
            self._tape.add(trade)
            sm.record(trade.match_time, trade.size * trade.price)
            maker = trade.maker_orders[0]
            sm.last_trade = (maker.price, "SELL" if maker.side == "BUY" else "BUY")
        self._counters["history_trades"] += len(history)

    # ---- time ------------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The clock this venue reads (the wire layer serves /time from it)."""
        return self._clock

    def sync(self) -> None:
        """Bring the simulation up to the clock; O(1) when nothing is due."""
        with self._lock:
            self._advance(self._clock.now())

    def _advance(self, now: datetime) -> None:
        while (due := self._events.pop_due(now)) is not None:
            when, kind, payload = due
            self._handlers[kind](when, payload)
            self._counters["events_processed"] += 1

    def _sim_seconds(self, at: datetime) -> float:
        """Simulated market time at `at`: wall time since start, minus time spent paused."""
        if self._paused_since is not None:
            at = min(at, self._paused_since)
        return (at - self._started - self._paused_total).total_seconds()

    def _slot(self, at: datetime) -> int:
        return int(self._sim_seconds(at) // REFRESH_SECONDS)

    def _touch(self, sm: SimulatedMarket, at: datetime) -> None:
        """Bring a market's quotes to the refresh grid index of `at`; called before any book change,
        so a lazily applied refresh is indistinguishable from one applied on time."""
        if sm.market.closed:
            return
        slot = self._slot(at)
        if slot != sm.slot:
            sm.refresh(slot)
            self._counters["quote_refreshes"] += 1

    def pause(self) -> None:
        """Stop simulated traders and price drift (settlement, expiry and resolution go on)."""
        with self._lock:
            now = self._clock.now()
            self._advance(now)
            if self._paused_since is None:
                self._paused_since = now

    def resume(self) -> None:
        with self._lock:
            now = self._clock.now()
            self._advance(now)
            if self._paused_since is not None:
                self._paused_total += now - self._paused_since
                self._paused_since = None

    @property
    def paused(self) -> bool:
        return self._paused_since is not None

    # ---- markets and books -------------------------------------------------------------------

    def markets(self) -> list[Market]:
        """Every market ever listed (open ones first as listed, then past ones, then later listings)."""
        with self._lock:
            now = self._clock.now()
            return [self._reported(sm, now) for sm in self._markets]

    def market(self, condition_id: str) -> Market | None:
        with self._lock:
            sm = self._by_condition.get(condition_id)
            return self._reported(sm, self._clock.now()) if sm else None

    def market_for_token(self, token_id: str) -> Market | None:
        with self._lock:
            sm = self._by_token.get(token_id)
            return self._reported(sm, self._clock.now()) if sm else None

    @staticmethod
    def _reported(sm: SimulatedMarket, now: datetime) -> Market:
        """A copy of the market with its liquidity and volume figures as of `now`."""
        liquidity, volume, volume_24h = sm.figures(now)
        return replace(sm.market, liquidity=liquidity, volume=volume, volume_24h=volume_24h)

    def book(self, token_id: str) -> BookView:
        with self._lock:
            now = self._clock.now()
            self._advance(now)
            sm = self._open_book(token_id)
            self._touch(sm, now)
            bids, asks = sm.book.levels(bids=True), sm.book.levels(bids=False)
            if sm.token_index(token_id) == 0:
                bids_view, asks_view = bids, asks[::-1]
            else:
                bids_view = [(ONE - price, size) for price, size in reversed(asks)]
                asks_view = [(ONE - price, size) for price, size in bids]
            last = self._last_trade(sm, token_id)
            return BookView(
                condition_id=sm.market.condition_id,
                token_id=token_id,
                timestamp=now,
                bids=tuple(bids_view),
                asks=tuple(asks_view),
                tick_size=sm.market.tick_size,
                min_order_size=sm.market.min_order_size,
                neg_risk=sm.market.neg_risk,
                last_trade_price=last[0] if last else None,
            )

    def last_trade(self, token_id: str) -> tuple[Decimal, Side] | None:
        with self._lock:
            sm = self._by_token.get(token_id)
            return self._last_trade(sm, token_id) if sm else None

    def _last_trade(self, sm: SimulatedMarket, token_id: str) -> tuple[Decimal, Side] | None:
        if sm.last_trade is None:
            return None
        price, side = sm.last_trade
        if sm.token_index(token_id) == 0:
            return price, side
        return ONE - price, "SELL" if side == "BUY" else "BUY"

    def _open_book(self, token_id: str) -> SimulatedMarket:
        sm = self._by_token.get(token_id)
        if sm is None or sm.market.closed:
            raise VenueError(404, NO_BOOK)
        return sm

    def set_book(self, token_id: str, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]) -> None:
        """Admin: replace the simulated liquidity on this token's market with these levels (in this
        token's terms); they refill like the simulated quotes. Users' orders stay."""
        with self._lock:
            now = self._clock.now()
            self._advance(now)
            sm = self._open_book(token_id)
            tick = sm.market.tick_size
            for name, levels in (("bids", bids), ("asks", asks)):
                for i, (price, size) in enumerate(levels):
                    if not (ZERO < price < ONE) or price % tick:
                        raise VenueError(400, f"{name}[{i}].price: expected a price on the {tick} grid strictly "
                                              f"between 0 and 1, got {price}")
                    if size <= ZERO:
                        raise VenueError(400, f"{name}[{i}].size: expected a size above 0, got {size}")
            if sm.token_index(token_id) == 0:
                first_bids, first_asks = bids, asks
            else:
                first_bids, first_asks = [(ONE - p, s) for p, s in asks], [(ONE - p, s) for p, s in bids]
            sm.pinned = (sorted((p.quantize(tick), s) for p, s in first_bids),
                         sorted((p.quantize(tick), s) for p, s in first_asks))
            sm.refresh(self._slot(now))

    def set_fee_schedule(self, condition_id: str, *, rate: Decimal | None = None, exponent: Decimal | None = None,
                         enabled: bool | None = None) -> Market:
        """Admin: change a market's fee schedule for trades from now on (what is not given stays);
        setting a rate above 0 without `enabled` turns fees on, a rate of 0 turns them off."""
        with self._lock:
            self._advance(self._clock.now())
            sm = self._by_condition.get(condition_id)
            if sm is None:
                raise VenueError(404, "market not found")
            market = sm.market
            try:
                new_rate = market.fee_rate if rate is None else check_rate(rate)
                new_exponent = market.fee_exponent if exponent is None else check_exponent(exponent)
            except ValueError as exc:
                raise VenueError(400, str(exc)) from None
            if enabled is None:
                enabled = market.fees_enabled if rate is None else new_rate > ZERO
            market.fees_enabled, market.fee_rate, market.fee_exponent = enabled, new_rate, new_exponent
            return replace(market)

    # ---- accounts ----------------------------------------------------------------------------

    def open_account(self, address: str) -> None:
        with self._lock:
            self._accounts.pay_faucet(address, self._faucet)

    def fund(self, address: str, amount: Decimal, token_id: str | None = None) -> None:
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= ZERO:
            raise VenueError(400, f"amount: expected a positive decimal amount, got {amount!r}")
        with self._lock:
            if token_id is not None and token_id not in self._by_token:
                raise VenueError(400, f"token_id: expected a listed token id, got {token_id!r}")
            self._accounts.credit(address, amount, token_id)

    def balance(self, address: str, asset_type: AssetType, token_id: str | None = None) -> Decimal:
        """Available balance: total minus what open orders reserve."""
        with self._lock:
            self._advance(self._clock.now())
            if asset_type == "COLLATERAL":
                return self._accounts.available(address)
            if not token_id:
                raise VenueError(400, "token_id: expected a token id for a CONDITIONAL balance")
            return self._accounts.available(address, token_id)

    def holdings(self, address: str) -> dict[str, Decimal]:
        """Token balances (total, including what open orders reserve) by token id."""
        with self._lock:
            self._advance(self._clock.now())
            return self._accounts.holdings(address)

    # ---- orders ------------------------------------------------------------------------------

    def place(self, order: IncomingOrder) -> PlacementResult:
        with self._lock:
            now = self._clock.now()
            self._advance(now)
            try:
                result = self._place(order, now)
            except VenueError:
                self._counters["orders_rejected"] += 1
                raise
            self._counters["orders_placed"] += 1
            return result

    def _refuse(self, order: IncomingOrder, message: str) -> VenueError:
        return VenueError(400, message, order.order_id)

    def _place(self, incoming: IncomingOrder, now: datetime) -> PlacementResult:
        sm = self._by_token.get(incoming.token_id)
        if sm is None:
            raise self._refuse(incoming, f"order {incoming.order_id} is invalid. Unknown token id {incoming.token_id}")
        market = sm.market
        if incoming.order_id in self._orders:
            raise self._refuse(incoming, f"order {incoming.order_id} is invalid. Duplicated.")
        if market.closed or not market.accepting_orders:
            raise self._refuse(incoming, NOT_READY)
        if incoming.order_type == "GTD" and from_unix(incoming.expiration) <= now + GTD_SAFETY_MARGIN:
            raise self._refuse(incoming, INVALID_EXPIRATION)

        self._touch(sm, now)
        token_index = sm.token_index(incoming.token_id)
        buy, limit = _canonical(token_index, incoming.side, incoming.price)
        limit = limit.quantize(market.tick_size)  # one spelling per price level, like the quotes
        own = incoming.maker.lower()  # self-trade prevention: never matched against its own resting orders
        takeable = ZERO if incoming.post_only else sm.book.crossing_size(buy, limit, incoming.size, own)
        marketable = incoming.order_type in MARKET_ORDER_TYPES or takeable > ZERO
        notional = incoming.maker_amount if incoming.side == "BUY" else incoming.taker_amount
        if marketable and not incoming.post_only and notional < MIN_MARKETABLE_NOTIONAL:
            raise self._refuse(incoming, MIN_NOTIONAL.format(side=incoming.side, amount=_plain(notional)))
        if incoming.side == "BUY":
            # the amount at the limit price plus the most the part that can take may pay in fees; a
            # fill at a better price costs less in amount and fee together (p + fee(p) rises with p)
            fee = taker_fee(takeable, incoming.price, market.taker_fee_rate, market.fee_exponent)
            enough = self._accounts.available(incoming.maker) >= incoming.price * incoming.size + fee
        else:
            enough = self._accounts.available(incoming.maker, incoming.token_id) >= incoming.size
        if not enough:
            raise self._refuse(incoming, NO_BALANCE)
        if incoming.post_only and sm.book.crosses(buy, limit):
            raise self._refuse(incoming, POST_ONLY_CROSSES)
        if incoming.order_type == "FOK" and takeable < incoming.size:
            raise self._refuse(incoming, FOK_NOT_FILLED)
        if incoming.order_type == "FAK" and takeable == ZERO:
            raise self._refuse(incoming, FAK_NO_MATCH)

        order = OrderRecord(
            id=incoming.order_id,
            owner=incoming.owner,
            maker_address=incoming.maker,
            market=market.condition_id,
            asset_id=incoming.token_id,
            side=incoming.side,
            original_size=incoming.size,
            size_matched=ZERO,
            price=incoming.price,
            outcome=market.tokens[token_index].outcome,
            created_at=now,
            expiration=incoming.expiration,
            order_type=incoming.order_type,
            status="LIVE",
        )
        self._orders[order.id] = order
        self._accounts.reserve(order.maker_address, order.asset_id, order.side, order.price, order.original_size)
        trades = self._match(sm, now, order_id=order.id, owner=order.owner, address=order.maker_address,
                             token_index=token_index, side=order.side, price=order.price, size=order.original_size,
                             order=order)
        remaining = order.original_size - order.size_matched
        if remaining and order.order_type in ("GTC", "GTD"):
            entry = Resting(order, limit, remaining, buy)
            sm.book.add(entry)
            self._resting[order.id] = (sm, entry)
            self._open.setdefault(order.owner, {})[order.id] = order
            if order.order_type == "GTD":  # the venue takes GTD orders off a minute before they expire
                self._events.push(from_unix(order.expiration) - GTD_SAFETY_MARGIN, "expire", order.id)
        else:
            self._accounts.reserve(order.maker_address, order.asset_id, order.side, order.price, -remaining)
            order.status = "MATCHED" if order.size_matched else "CANCELED"
        return self._placement_result(order, trades)

    @staticmethod
    def _placement_result(order: OrderRecord, trades: list[TradeRecord]) -> PlacementResult:
        if not trades:
            return PlacementResult(order.id, "live", None, None, (), ())
        shares = sum((t.size for t in trades), ZERO)
        cash = sum((t.size * t.price for t in trades), ZERO)
        making, taking = (cash, shares) if order.side == "BUY" else (shares, cash)
        return PlacementResult(
            order_id=order.id,
            status="matched",
            making_amount=making,
            taking_amount=taking,
            trade_ids=tuple(t.id for t in trades),
            transaction_hashes=tuple(dict.fromkeys(t.transaction_hash for t in trades)),
        )

    def _match(self, sm: SimulatedMarket, at: datetime, *, order_id: str, owner: str, address: str,
               token_index: int, side: Side, price: Decimal, size: Decimal,
               order: OrderRecord | None) -> list[TradeRecord]:
        """Cross a taker against the book: one trade per price level crossed, at the makers' price.
        `order` is None for a simulated trader (no account, nothing reserved)."""
        market = sm.market
        token = market.tokens[token_index]
        buy, limit = _canonical(token_index, side, price)
        trades = []
        transaction_hash = ""
        for bucket, (level_price, fills) in enumerate(sm.book.take(buy, limit, size, address.lower())):
            # one on-chain match transaction settles all of a taker order's fills
            transaction_hash = transaction_hash or self._ids.hex32()
            trade_id = self._ids.trade_id()
            quantity = sum((q for _, q in fills), ZERO)
            taker_price = level_price if token_index == 0 else ONE - level_price
            fee = taker_fee(quantity, taker_price, market.taker_fee_rate, market.fee_exponent)
            trade = TradeRecord(
                id=trade_id,
                taker_order_id=order_id,
                market=market.condition_id,
                asset_id=token.token_id,
                side=side,
                size=quantity,
                price=taker_price,
                fee_rate_bps=market.fee_rate_bps,
                status="MATCHED",
                match_time=at,
                last_update=at,
                outcome=token.outcome,
                bucket_index=bucket,
                owner=owner,
                taker_address=address,
                transaction_hash=transaction_hash,
                maker_orders=[self._maker_fill(sm, entry, q, trade_id) for entry, q in fills],
                fee=fee,
            )
            if order is not None:
                order.size_matched += quantity
                order.associate_trades.append(trade_id)
                self._accounts.reserve(address, token.token_id, side, order.price, -quantity)
                self._accounts.move(address, token.token_id, side, taker_price, quantity)
                self._accounts.credit(address, -fee)  # the taker's fee, in collateral, either side
            self._record(sm, trade, level_price, buy)
            trades.append(trade)
        return trades

    def _maker_fill(self, sm: SimulatedMarket, entry: Resting, quantity: Decimal, trade_id: str) -> MakerFill:
        market = sm.market
        maker = entry.order
        if maker is None:  # the simulated market maker, quoting the first token
            first = market.tokens[0]
            return MakerFill(self._ids.hex32(), "", self._market_maker, quantity, entry.price, 0,
                             first.token_id, first.outcome, "BUY" if entry.is_bid else "SELL")
        maker.size_matched += quantity
        maker.associate_trades.append(trade_id)
        self._accounts.reserve(maker.maker_address, maker.asset_id, maker.side, maker.price, -quantity)
        self._accounts.move(maker.maker_address, maker.asset_id, maker.side, maker.price, quantity)
        if not entry.remaining:
            maker.status = "MATCHED"
            del self._resting[maker.id]
            self._open[maker.owner].pop(maker.id, None)
        return MakerFill(maker.id, maker.owner, maker.maker_address, quantity, maker.price, 0,
                         maker.asset_id, maker.outcome, maker.side)

    def _record(self, sm: SimulatedMarket, trade: TradeRecord, level_price: Decimal, buy: bool) -> None:
        self._tape.add(trade)
        sm.last_trade = (level_price, "BUY" if buy else "SELL")
        sm.record(trade.match_time, trade.size * trade.price)
        self._counters["trades"] += 1
        config = self._settlement
        if config.failure_rate and self._settle_rng.random() < config.failure_rate:
            self._failing.add(trade.id)
        self._events.push(trade.match_time + config.mined_after, "settle", trade.id)

    def cancel(self, owner: str, order_ids: list[str]) -> tuple[list[str], dict[str, str]]:
        with self._lock:
            now = self._clock.now()
            self._advance(now)
            canceled: list[str] = []
            not_canceled: dict[str, str] = {}
            for order_id in order_ids:
                order = self._orders.get(order_id)
                if order is None or order.owner != owner:
                    not_canceled[order_id] = NOT_FOUND
                elif order.status != "LIVE":
                    not_canceled[order_id] = ALREADY_DONE
                else:
                    self._close_order(order, now, "CANCELED")
                    canceled.append(order_id)
            self._counters["orders_cancelled"] += len(canceled)
            return canceled, not_canceled

    def cancel_all(self, owner: str) -> tuple[list[str], dict[str, str]]:
        with self._lock:
            return self.cancel(owner, list(self._open.get(owner, {})))

    def cancel_market(self, owner: str, market: str, asset_id: str) -> tuple[list[str], dict[str, str]]:
        with self._lock:
            ids = [o.id for o in self._open.get(owner, {}).values()
                   if (not market or o.market == market) and (not asset_id or o.asset_id == asset_id)]
            return self.cancel(owner, ids)

    def _close_order(self, order: OrderRecord, at: datetime, status: str) -> None:
        """Take a live order off the book and release what it reserved."""
        sm, entry = self._resting.pop(order.id)
        self._touch(sm, at)
        left = sm.book.remove(entry)
        self._accounts.reserve(order.maker_address, order.asset_id, order.side, order.price, -left)
        order.status = status
        self._open[order.owner].pop(order.id, None)

    def get_order(self, order_id: str) -> OrderRecord | None:
        with self._lock:
            self._advance(self._clock.now())
            order = self._orders.get(order_id)
            return _copy_order(order) if order else None

    def orders(self, owner: str, *, market: str | None = None, asset_id: str | None = None,
               order_id: str | None = None) -> list[OrderRecord]:
        """The owner's open (LIVE) orders, oldest first."""
        with self._lock:
            self._advance(self._clock.now())
            return [_copy_order(o) for o in self._open.get(owner, {}).values()
                    if (not market or o.market == market) and (not asset_id or o.asset_id == asset_id)
                    and (not order_id or o.id == order_id)]

    # ---- trades ------------------------------------------------------------------------------

    def trades(self, address: str, *, trade_id: str | None = None, market: str | None = None,
               asset_id: str | None = None, before: datetime | None = None,
               after: datetime | None = None) -> list[TradeRecord]:
        """Trades where this funder address is the taker or a maker, oldest first (time bounds inclusive)."""
        with self._lock:
            self._advance(self._clock.now())
            return [_copy_trade(t) for t in self._tape.involving(address)
                    if (not trade_id or t.id == trade_id) and (not market or t.market == market)
                    and (not asset_id or t.asset_id == asset_id or any(f.asset_id == asset_id for f in t.maker_orders))
                    and (before is None or t.match_time <= before) and (after is None or t.match_time >= after)]

    def get_trade(self, trade_id: str) -> TradeRecord | None:
        with self._lock:
            self._advance(self._clock.now())
            trade = self._tape.get(trade_id)
            return _copy_trade(trade) if trade else None

    def public_trades(self, *, user: str | None = None, market: list[str] | None = None, side: Side | None = None,
                      taker_only: bool = True, start: datetime | None = None, end: datetime | None = None,
                      limit: int | None = None, offset: int = 0) -> list[PublicTrade]:
        """The Data API's view, newest first: one row per side of each fill (taker rows only by default)."""
        with self._lock:
            self._advance(self._clock.now())
            return self._tape.public(user=user, markets=set(market) if market else None, side=side,
                                     taker_only=taker_only, start=start, end=end, limit=limit, offset=offset)

    def trade_prices(self, token_id: str) -> list[tuple[datetime, Decimal]] | None:
        """(match time, price in this token's terms) of every trade in the token's market up to now,
        oldest first, what the price history is drawn from; None for a token the venue does not know.
        A trade in the other outcome token at p is one in this token at 1 - p; FAILED trades never
        reached the chain, so they are left out."""
        with self._lock:
            now = self._clock.now()
            self._advance(now)
            sm = self._by_token.get(token_id)
            if sm is None:
                return None
            if self._trades_by_market is None:
                self._trades_by_market, self._trades_indexed = {}, 0
            for trade in self._tape.since(self._trades_indexed):
                self._trades_by_market.setdefault(trade.market, []).append(trade)
            self._trades_indexed = len(self._tape)
            return [
                (trade.match_time, trade.price if trade.asset_id == token_id else ONE - trade.price)
                for trade in self._trades_by_market.get(sm.market.condition_id, ())
                if trade.match_time <= now and trade.status != "FAILED"
            ]

    def traders(self) -> list[SimTrader]:
        return [t.profile for t in self._traders]

    # ---- settlement --------------------------------------------------------------------------

    def _on_settle(self, at: datetime, trade_id: str) -> None:
        trade = self._tape.get(trade_id)
        status = next_status(trade.status, trade_id in self._failing)
        trade.status = status
        trade.last_update = at
        if status == "FAILED":
            self._reverse(trade)
            self._failing.discard(trade_id)
            self._counters["trades_failed"] += 1
        elif status == "CONFIRMED":
            self._counters["trades_confirmed"] += 1
        else:
            config = self._settlement
            self._events.push(at + (config.confirmed_after - config.mined_after), "settle", trade_id)

    def _reverse(self, trade: TradeRecord) -> None:
        """Undo a failed trade: every user's balance movement, and the matched size on its orders."""
        legs = [(trade.taker_address, trade.taker_order_id, trade.asset_id, trade.side, trade.price, trade.size)]
        legs += [(f.maker_address, f.order_id, f.asset_id, f.side, f.price, f.matched_amount) for f in trade.maker_orders]
        for address, order_id, token_id, side, price, quantity in legs:
            self._accounts.move(address, token_id, side, price, -quantity)
            order = self._orders.get(order_id)
            if order is not None:
                order.size_matched -= quantity
        if trade.owner:  # a user's taker fee comes back with the failed trade (simulated traders have no account)
            self._accounts.credit(trade.taker_address, trade.fee)

    def set_settlement(self, config: SettlementConfig) -> None:
        """Admin: settlement timing and failure share for trades matched from now on."""
        with self._lock:
            self._settlement = config

    def fail_trade(self, trade_id: str) -> TradeRecord:
        """Admin: make a trade that has not settled yet go RETRYING -> FAILED at its next step."""
        with self._lock:
            self._advance(self._clock.now())
            trade = self._tape.get(trade_id)
            if trade is None:
                raise VenueError(404, f"trade {trade_id} not found")
            if trade.status in TERMINAL_STATUSES:
                raise VenueError(400, f"trade {trade_id} is already {trade.status}")
            self._failing.add(trade_id)
            if trade.status == "MINED":
                trade.status = "RETRYING"
            return _copy_trade(trade)

    # ---- resolution --------------------------------------------------------------------------

    def resolve(self, condition_id: str, winner_outcome: str | None) -> Market:
        """Admin: resolve now to `winner_outcome`, or void (0.5 each) when None."""
        with self._lock:
            now = self._clock.now()
            self._advance(now)
            sm = self._by_condition.get(condition_id)
            if sm is None:
                raise VenueError(404, "market not found")
            if sm.market.closed:
                raise VenueError(400, f"market {condition_id} is already resolved")
            winner = None
            if winner_outcome is not None:
                labels = [t.outcome for t in sm.market.tokens]
                matches = [t.index for t in sm.market.tokens if t.outcome.lower() == winner_outcome.lower()]
                if not matches:
                    raise VenueError(400, f"winner_outcome: expected one of {labels} or null for void, "
                                          f"got {winner_outcome!r}")
                winner = matches[0]
            self._resolve(sm, winner, now)
            return replace(sm.market)

    def _on_resolve(self, at: datetime, condition_id: str) -> None:
        sm = self._by_condition[condition_id]
        if not sm.market.closed:
            self._resolve(sm, sm.winner_index, at)

    def _resolve(self, sm: SimulatedMarket, winner: int | None, at: datetime) -> None:
        """Close the market, cancel its open orders, and pay holders: 1 per winning share, 0.5 if void."""
        for order in [e.order for e in sm.book.entries() if e.order is not None]:
            self._close_order(order, at, "CANCELED_MARKET_RESOLVED")
            self._counters["orders_cancelled_by_resolution"] += 1
        market = sm.market
        market.closed = True
        market.accepting_orders = False
        market.resolved_at = at
        market.voided = winner is None
        market.winner_token_id = None if winner is None else market.tokens[winner].token_id
        sm.close()
        self._open_markets.remove(sm)
        self._open_weights = list(accumulate(m.weight for m in self._open_markets))
        payouts = {t.token_id: HALF if winner is None else (ONE if t.index == winner else ZERO) for t in market.tokens}
        self._accounts.redeem(payouts)
        self._counters["resolutions"] += 1
        if sm.relist:
            self._list_replacement(sm, at)

    def _list_replacement(self, resolved: SimulatedMarket, at: datetime) -> None:
        """A drawn market resolved: list a new one of the same kind, so the venue never runs dry."""
        spec = replacement_market(self._relist_rng, resolved.short)
        [sm] = self._listing.open([spec], self._relist_rng, at, relist=[True], new=True,
                                  offset_seconds=self._sim_seconds(at))
        self._add_market(sm, at)
        self._counters["markets_listed"] += 1

    def _on_expire(self, at: datetime, order_id: str) -> None:
        order = self._orders[order_id]
        if order.status == "LIVE":
            self._close_order(order, at, "CANCELED")
            self._counters["orders_expired"] += 1

    # ---- simulated traders -------------------------------------------------------------------

    def _on_trader(self, at: datetime, index: int) -> None:
        trader = self._traders[index]
        if self._paused_since is None and self._open_markets:
            self._simulated_trade(trader, at)
        self._events.push(at + timedelta(seconds=trader.wait_seconds()), "trader", index)

    def _simulated_trade(self, trader: SimulatedTrader, at: datetime) -> None:
        """A tracked trader's taker order: now and then the exit of a position it holds, otherwise a
        bet on the outcome it believes in, in a market where that costs neither almost nothing nor
        almost everything; either walks a couple of ticks into the book."""
        holding = trader.wants_to_exit()
        if holding is not None:
            self._simulated_exit(trader, holding, at)
            return
        for _ in range(MARKET_TRIES):
            sm = trader.rng.choices(self._open_markets, cum_weights=self._open_weights)[0]
            token_index = trader.choose_token(sm.winner_index)
            self._touch(sm, at)
            touch_price = self._touch_price(sm, token_index, "BUY")
            mid = self._token_mid(sm, token_index)
            if touch_price is not None and mid is not None and PRICE_BAND[0] <= mid <= PRICE_BAND[1]:
                break
        else:
            return  # nothing worth buying this turn
        market = sm.market
        shares = max(round_down(stake(trader.choose_usd(), touch_price) / touch_price, SHARE_STEP),
                     market.min_order_size)
        limit = min(touch_price + market.tick_size * SIM_SLIPPAGE_TICKS, ONE - market.tick_size)
        filled = self._simulated_order(trader, sm, at, token_index, "BUY", limit, shares)
        if filled:
            trader.bought(sm, market.tokens[token_index].token_id, token_index, filled)

    def _simulated_exit(self, trader: SimulatedTrader, holding: Holding, at: datetime) -> None:
        sm = holding.market
        self._touch(sm, at)
        touch_price = self._touch_price(sm, holding.token_index, "SELL")
        if touch_price is None:
            return
        market = sm.market
        limit = max(touch_price - market.tick_size * SIM_SLIPPAGE_TICKS, market.tick_size)
        shares = trader.exit_shares(holding, market.min_order_size)
        filled = self._simulated_order(trader, sm, at, holding.token_index, "SELL", limit, shares)
        trader.sold(market.tokens[holding.token_index].token_id, filled)

    def _simulated_order(self, trader: SimulatedTrader, sm: SimulatedMarket, at: datetime, token_index: int,
                         side: Side, limit: Decimal, shares: Decimal) -> Decimal:
        """Match a simulated trader's order (no account, nothing rests); returns the shares filled."""
        trades = self._match(sm, at, order_id=self._ids.hex32(), owner="", address=trader.profile.address,
                             token_index=token_index, side=side, price=limit, size=shares, order=None)
        self._counters["simulated_trades"] += len(trades)
        return sum((t.size for t in trades), ZERO)

    @staticmethod
    def _token_mid(sm: SimulatedMarket, token_index: int) -> Decimal | None:
        """The token's midpoint (the same test for either token, so skill is not bent by it)."""
        bid, ask = sm.book.best_bid(), sm.book.best_ask()
        if bid is None or ask is None:
            return None
        mid = (bid + ask) / 2
        return mid if token_index == 0 else ONE - mid

    @staticmethod
    def _touch_price(sm: SimulatedMarket, token_index: int, side: Side) -> Decimal | None:
        """The best price this token trades at now for a taker on `side`, in the token's terms."""
        buy = (side == "BUY") == (token_index == 0)
        best = sm.book.best_ask() if buy else sm.book.best_bid()
        if best is None:
            return None
        return best if token_index == 0 else ONE - best

    def counters(self) -> dict[str, int]:
        with self._lock:
            counts = dict(self._counters)
            counts.update(markets=len(self._markets), open_markets=len(self._open_markets),
                          open_orders=len(self._resting), pending_events=len(self._events))
            return counts


def _copy_order(order: OrderRecord) -> OrderRecord:
    return replace(order, associate_trades=list(order.associate_trades))


def _copy_trade(trade: TradeRecord) -> TradeRecord:
    return replace(trade, maker_orders=list(trade.maker_orders))
