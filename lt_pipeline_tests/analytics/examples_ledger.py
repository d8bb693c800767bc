"""A hand-worked ledger made the way the live engine makes it, for the worked examples
(test_examples_*.py): decisions and answers through the order journal, fills written as the venue sync
reads them and turned into execution figures by the real `fills.update_lt_orders`, payouts recorded
and both books settled by the real settlement code, markouts by `quality_record.record_markouts`.

One live strategy LT_X (twin of FT_X, user u1, $500 capital), launched DAY1 08:00 UTC and paused
12:00-13:00 that day. Fees: 200 bps taker on the fee markets (MA, MB, ME, MF), none on MC; makers pay
nothing. Market payouts once resolved: MA politics YA 1 / NA 0; MB sports YB 0 / NB 1; MC crypto void
(0.5 each); MD politics unresolved (YD); day 2: ME politics YE 1; MF sports YF 0.

Day 1 (signals E1..E11; E0 at 07:30 is before the launch and is no signal):

  E1  T1 BUY  YA @ 0.50, paper $50 = 100 sh. Live capped at $20: 40 sh GTC at 0.53; book 0.50/0.52,
      mid 0.51. Fills 15 @ 0.52 (taker, fee 15 x 0.02 x 0.52 x 0.48 = 0.07488) at 09:00:03.5 and
      10 @ 0.53 (maker, no fee) at 09:00:09.5, then cancelled: a partial fill, cap and fees.
  E2  T2 BUY  YB @ 0.40, paper $8 = 20 sh. Live 20 sh, REJECTED by the venue.
  E3  T1 BUY  YC @ 0.30, paper $6 = 20 sh. Live 20 sh, book 0.30/0.31, mid 0.305; filled 20 @ 0.31
      (fee-free market); the market is VOID (0.5 a share).
  E4  T1 BUY  YA @ 0.60, paper $6 = 10 sh, at 12:30 inside the pause: skipped `paused`.
  E5  T2 BUY  YB @ 0.20, paper $4 = 20 sh: skipped `stale_signal`.
  E6  T2 BUY  NB @ 0.25, paper $5 = 20 sh: live never claimed it (no LT order).
  E7  T2 SELL NA @ 0.70, paper $14 = 20 sh. Live 20 sh, book 0.69/0.70, mid 0.695; sold 20 @ 0.69
      (taker, fee 20 x 0.02 x 0.69 x 0.31 = 0.08556).
  E8  T1 BUY  NB @ 0.40, paper $8 = 20 sh. Live 20 sh GTC at 0.40, book 0.39/0.41; rests, never fills,
      cancelled at its time-to-live: an unfilled order.
  E9  T1 BUY  YD @ 0.55, paper $11 = 20 sh. Live filled 20 @ 0.55 (maker); MD is unresolved: open.
  E10 T2 BUY  YA @ 0.45, paper $9 = 20 sh: skipped `exposure_cap` (a risk denial).
  E11 T1 BUY  YA @ 0.40, paper $4 = 10 sh. Live sent, answer never seen: UNKNOWN.

Day 2 (E12..E14):

  E12 T1 BUY  YE @ 0.20, paper $2 = 10 sh. Live filled 10 @ 0.21 (taker, fee 10 x 0.02 x 0.21 x 0.79
      = 0.03318), mid 0.205.
  E13 T2 BUY  YF @ 0.90, paper $9 = 10 sh. Live sent; the venue never had it: NEVER_ARRIVED.
  E14 T1 BUY  YE @ 0.30, paper $10 = 33.33 sh (the paper book rounds shares down to the cent, so it put
      in $10, not 33.33 x 0.30 = 9.999). Live 3 sh, mid 0.31, filled 1 @ 0.31 and 2 @ 0.32 (makers):
      VWAP 0.95 / 3 = 0.31666... stored rounded as 0.3166666667.

The leader's trade is 5 s before the signal; the executor submits `submit_ms` after the signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

from sqlalchemy import insert, update

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.execution.fills import update_lt_orders
from lt_pipeline.execution.journal import Journal, OrderRef
from lt_pipeline.execution.outcomes import settle_lt_orders
from lt_pipeline.execution.quality_record import record_markouts, submit_values
from lt_pipeline.forward_test.resolution import settle_ft_orders
from lt_pipeline.ledger import schema
from lt_pipeline.model.orders import OrderEvent, OrderState
from lt_pipeline.model.reports import Resting
from lt_pipeline.venues.polymarket.models import PricePoint

DAY1, DAY2 = date(2026, 5, 4), date(2026, 5, 5)
STRATEGY, WALLET, USER = "LT_X", "FT_X", "u1"
T1, T2 = "0x" + "a1" * 20, "0x" + "b2" * 20
CREATED = datetime(2026, 5, 1, tzinfo=timezone.utc)


def at(day: date, hour: int, minute: int = 0, second: float = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc) + timedelta(seconds=second)


LAUNCH, PAUSED, RESUMED = at(DAY1, 8), at(DAY1, 12), at(DAY1, 13)
# condition -> (category, fee bps, {token: payout once resolved}); MD never resolves
MARKETS = {
    "MA": ("politics", 200, {"YA": D(1), "NA": D(0)}),
    "MB": ("sports", 200, {"YB": D(0), "NB": D(1)}),
    "MC": ("crypto", 0, {"YC": D("0.5"), "NC": D("0.5")}),
    "MD": ("politics", 200, {"YD": None, "ND": None}),
    "ME": ("politics", 200, {"YE": D(1), "NE": D(0)}),
    "MF": ("sports", 200, {"YF": D(0), "NF": D(1)}),
}
TOKEN_MARKET = {token: c for c, (_, _, tokens) in MARKETS.items() for token in tokens}


@dataclass(frozen=True)
class Fill:
    shares: str
    price: str
    fee: str  # USD, as the venue sync computes it: size x feeRate x p x (1 - p) for a taker, 0 for a maker
    at_ms: int  # after the signal
    taker: bool


@dataclass(frozen=True)
class Live:
    """What live did: skipped (`skip` reason) or sent with an answer (`answer`: LIVE, REJECTED, UNKNOWN,
    NEVER_ARRIVED), then fills and where the order ends (`resting`)."""

    skip: str | None = None
    shares: str | None = None  # intended shares Q_live
    limit: str | None = None
    book: tuple[str, str] | None = None  # best bid, best ask at decision
    submit_ms: int | None = None
    answer: str = "LIVE"
    fills: tuple[Fill, ...] = ()
    resting: Resting | None = None


@dataclass(frozen=True)
class Signal:
    day: date
    time: tuple[int, int]
    trader: str
    side: str
    token: str
    price: str
    size: str  # the paper order's dollars
    shares: str  # the paper order's shares (dollars / price, rounded down to 0.01)
    live: Live | None = None  # None: never claimed
    counts: bool = True  # False: before the launch

    @property
    def signal_at(self) -> datetime:
        return at(self.day, *self.time)


SIGNALS: dict[str, Signal] = {
    "E0": Signal(DAY1, (7, 30), T1, "BUY", "YA", "0.50", "5", "10", counts=False),
    "E1": Signal(DAY1, (9, 0), T1, "BUY", "YA", "0.50", "50", "100", Live(
        shares="40", limit="0.53", book=("0.50", "0.52"), submit_ms=1500, resting=Resting.CANCELLED,
        fills=(Fill("15", "0.52", "0.07488", 3500, True), Fill("10", "0.53", "0", 9500, False)))),
    "E2": Signal(DAY1, (10, 0), T2, "BUY", "YB", "0.40", "8", "20", Live(
        shares="20", limit="0.41", book=("0.39", "0.41"), submit_ms=900, answer="REJECTED")),
    "E3": Signal(DAY1, (10, 30), T1, "BUY", "YC", "0.30", "6", "20", Live(
        shares="20", limit="0.31", book=("0.30", "0.31"), submit_ms=700, resting=Resting.FINISHED,
        fills=(Fill("20", "0.31", "0", 1200, True),))),
    "E4": Signal(DAY1, (12, 30), T1, "BUY", "YA", "0.60", "6", "10", Live(skip="paused")),
    "E5": Signal(DAY1, (13, 30), T2, "BUY", "YB", "0.20", "4", "20", Live(skip="stale_signal")),
    "E6": Signal(DAY1, (14, 0), T2, "BUY", "NB", "0.25", "5", "20"),
    "E7": Signal(DAY1, (14, 30), T2, "SELL", "NA", "0.70", "14", "20", Live(
        shares="20", limit="0.69", book=("0.69", "0.70"), submit_ms=1000, resting=Resting.FINISHED,
        fills=(Fill("20", "0.69", "0.08556", 2000, True),))),
    "E8": Signal(DAY1, (15, 0), T1, "BUY", "NB", "0.40", "8", "20", Live(
        shares="20", limit="0.40", book=("0.39", "0.41"), submit_ms=2000, resting=Resting.CANCELLED)),
    "E9": Signal(DAY1, (16, 0), T1, "BUY", "YD", "0.55", "11", "20", Live(
        shares="20", limit="0.55", book=("0.54", "0.56"), submit_ms=3000, resting=Resting.FINISHED,
        fills=(Fill("20", "0.55", "0", 4000, False),))),
    "E10": Signal(DAY1, (17, 0), T2, "BUY", "YA", "0.45", "9", "20", Live(skip="exposure_cap")),
    "E11": Signal(DAY1, (18, 0), T1, "BUY", "YA", "0.40", "4", "10", Live(
        shares="10", limit="0.40", book=("0.39", "0.41"), submit_ms=500, answer="UNKNOWN")),
    "E12": Signal(DAY2, (9, 0), T1, "BUY", "YE", "0.20", "2", "10", Live(
        shares="10", limit="0.21", book=("0.20", "0.21"), submit_ms=800, resting=Resting.FINISHED,
        fills=(Fill("10", "0.21", "0.03318", 1000, True),))),
    "E13": Signal(DAY2, (10, 0), T2, "BUY", "YF", "0.90", "9", "10", Live(
        shares="10", limit="0.91", book=("0.89", "0.91"), submit_ms=400, answer="NEVER_ARRIVED")),
    "E14": Signal(DAY2, (11, 0), T1, "BUY", "YE", "0.30", "10", "33.33", Live(
        shares="3", limit="0.32", book=("0.30", "0.32"), submit_ms=600, resting=Resting.FINISHED,
        fills=(Fill("1", "0.31", "0", 900, False), Fill("2", "0.32", "0", 1100, False)))),
}

# The tokens' minute price history (the venue's /prices-history), for the markouts.
HISTORY = {
    "YA": [(at(DAY1, 9, 0), "0.51"), (at(DAY1, 9, 1), "0.55"), (at(DAY1, 9, 5), "0.60"), (at(DAY1, 9, 30), "0.58")],
    "NA": [(at(DAY1, 14, 30), "0.695"), (at(DAY1, 14, 31), "0.68"), (at(DAY1, 14, 35), "0.66"), (at(DAY1, 15, 0), "0.72")],
}


def leader_at(signal: Signal) -> datetime:
    return signal.signal_at - timedelta(seconds=5)


def lt_id(name: str) -> str:
    return f"lt-{name}"


def order_hash(name: str) -> str:
    return f"0xh{name}"


def base_rows(engine) -> None:
    """The user, the wallet, the launched and paused strategy, and the markets (unresolved)."""
    with engine.begin() as c:
        c.execute(insert(schema.users).values(user_id=USER, display_name="U1", created_at=CREATED))
        c.execute(insert(schema.ft_wallets).values(
            wallet_id=WALLET, display_name=WALLET, starting_balance=D(1000), config_json="{}", config_hash="h",
            config_version=1, created_at=CREATED, updated_at=CREATED))
        c.execute(insert(schema.lt_strategies).values(
            strategy_id=STRATEGY, user_id=USER, ft_wallet_id=WALLET, display_name=STRATEGY, starting_capital=D(500),
            slippage_tolerance_pct=D(3), order_type="GTC", min_order_size_usd=D(1), max_order_size_usd=D(20),
            max_position_size_usd=D(100), max_total_exposure_usd=D(400), order_ttl_seconds=300, launched_at=LAUNCH,
            paused_at=PAUSED, resumed_at=RESUMED, created_at=CREATED, updated_at=CREATED))
        for condition, (category, bps, tokens) in MARKETS.items():
            c.execute(insert(schema.markets).values(
                condition_id=condition, question=f"market {condition}", category=category, fees_enabled=bps > 0,
                fee_rate=D(bps) / 10_000, created_at=CREATED, updated_at=CREATED))
            for index, token in enumerate(tokens):
                c.execute(insert(schema.market_tokens).values(
                    token_id=token, condition_id=condition, token_label=token, outcome_index=index))


def place_signals(engine, day: date) -> None:
    """The day's signals as the ingest, the paper book and the executor write them."""
    for name, signal in SIGNALS.items():
        if signal.day == day:
            _signal(engine, name, signal)


def _signal(engine, name: str, s: Signal) -> None:
    condition = TOKEN_MARKET[s.token]
    source = f"st-{name}"
    with engine.begin() as c:
        c.execute(insert(schema.source_trades).values(
            source_trade_id=source, trader_address=s.trader, condition_id=condition, token_id=s.token, side=s.side,
            price=D(s.price), size=D(s.shares), notional_usd=D(s.size), traded_at=leader_at(s), ingested_at=s.signal_at))
        c.execute(insert(schema.ft_orders).values(
            order_id=name, wallet_id=WALLET, source_trade_id=source, trader_address=s.trader, condition_id=condition,
            token_id=s.token, side=s.side, entry_price=D(s.price), size=D(s.size), shares=D(s.shares),
            sizing_method="fixed_usd", config_version=1, source_traded_at=leader_at(s), order_time=s.signal_at))
        live = s.live
        if live is None:
            return
        journal = Journal(c, s.signal_at)
        row = dict(lt_order_id=lt_id(name), strategy_id=STRATEGY, ft_order_id=name, source_trade_id=source,
                   user_id=USER, trader_address=s.trader, condition_id=condition, token_id=s.token, side=s.side,
                   signal_price=D(s.price), signal_size_usd=D(s.size), signal_at=s.signal_at,
                   detected_at=s.signal_at, decided_at=s.signal_at)
        if live.skip:
            journal.open({**row, "decision_reason": live.skip}, OrderEvent.SKIPPED, reason=live.skip)
            return
        shares, limit = D(live.shares), D(live.limit)
        row.update(decision_reason="placed", intended_shares=shares, intended_size_usd=shares * D(s.price),
                   limit_price=limit, order_type="GTC", order_id=order_hash(name))
        journal.open(row, OrderEvent.INTENT_STORED, reason="placed")
        bid, ask = (D(p) for p in live.book)
        mid = (bid + ask) / 2
        c.execute(insert(schema.lt_execution_quality).values(
            lt_order_id=lt_id(name), strategy_id=STRATEGY, signal_price=D(s.price), best_bid=bid, best_ask=ask,
            mid_price=mid, spread=ask - bid, best_bid_at_signal=bid, best_ask_at_signal=ask, mid_price_at_signal=mid,
            expected_price=ask if s.side == "BUY" else bid, order_size_usd=shares * limit,
            signal_timestamp=s.signal_at, created_at=s.signal_at, updated_at=s.signal_at))
        ref = OrderRef(lt_id(name), STRATEGY, name, source, OrderState.INTENT_STORED)
        journal.apply(ref, OrderEvent.SUBMITTED, reason="submitting")
        ref = OrderRef(lt_id(name), STRATEGY, name, source, OrderState.SUBMITTED)
        submitted = s.signal_at + timedelta(milliseconds=live.submit_ms)
        values = {"submitted_at": submitted, "acked_at": submitted, "execution_latency_ms": live.submit_ms}
        answer = live.answer
        if answer == "LIVE":
            journal.apply(ref, OrderEvent.ACCEPTED, to=OrderState.LIVE, reason="venue accepted: live",
                          values={**values, "fill_rate": D(0), "signal_fill_rate": D(0)})
            c.execute(insert(schema.orders).values(
                order_id=order_hash(name), lt_strategy_id=STRATEGY, lt_order_id=lt_id(name), signal_price=D(s.price),
                signal_size_usd=D(s.size), user_id=USER, condition_id=condition, token_id=s.token, side=s.side,
                order_type="GTC", price=limit, original_size=shares, size_matched=D(0), status="LIVE",
                last_seen_at=submitted, created_at=submitted, updated_at=submitted))
        elif answer == "REJECTED":
            journal.apply(ref, OrderEvent.REJECTED, reason="venue rejected: not enough balance",
                          values={**values, "rejection_reason": "not enough balance"})
        else:
            journal.apply(ref, OrderEvent.UNKNOWN, reason="outcome unknown: timeout", values=values)
            if answer == "NEVER_ARRIVED":
                ref = OrderRef(lt_id(name), STRATEGY, name, source, OrderState.UNKNOWN)
                journal.apply(ref, OrderEvent.NEVER_ARRIVED, reason="not at the venue by its hash")
        c.execute(update(schema.lt_execution_quality).where(schema.lt_execution_quality.c.lt_order_id == lt_id(name))
                  .values(execution_latency_ms=live.submit_ms, ack_latency_ms=0,
                          **submit_values(s.signal_at, submitted, accepted=answer == "LIVE",
                                          rejected=answer == "REJECTED")))
        for index, f in enumerate(live.fills):
            matched = s.signal_at + timedelta(milliseconds=f.at_ms)
            c.execute(insert(schema.fills).values(
                fill_id=f"fill-{name}-{index}", trade_id=f"trade-{name}-{index}", order_id=order_hash(name),
                lt_order_id=lt_id(name), token_id=s.token, side=s.side, price=D(f.price), size=D(f.shares),
                fee_rate_bps=MARKETS[condition][1] if f.taker else 0, fee_usd=D(f.fee),
                trader_side="TAKER" if f.taker else "MAKER", status="CONFIRMED", matched_at=matched,
                status_changed_at=matched, created_at=matched))


def sync_fills(engine, day: date, now: datetime) -> None:
    """The venue sync: each placed order of the day recomputed from its fills and where it rests."""
    resting = {lt_id(n): s.live.resting for n, s in SIGNALS.items()
               if s.day == day and s.live and s.live.answer == "LIVE"}
    with engine.begin() as c:
        update_lt_orders(Journal(c, now), list(resting), resting)


def resolve(engine, conditions: list[str], when: datetime) -> None:
    """The resolution job's record of each market's payouts (1 / 0, or 0.5 each when void)."""
    with engine.begin() as c:
        for condition in conditions:
            tokens = MARKETS[condition][2]
            winner = next((t for t, payout in tokens.items() if payout == 1), None)
            for token, payout in tokens.items():
                c.execute(update(schema.market_tokens).where(schema.market_tokens.c.token_id == token)
                          .values(payout=payout))
            c.execute(update(schema.markets).where(schema.markets.c.condition_id == condition).values(
                closed=True, resolution_status="WON" if winner else "VOID", winning_token_id=winner, resolved_at=when, updated_at=when))


def history(token_id: str, interval, *, start=None, end=None, fidelity_minutes=None) -> list[PricePoint]:
    return [PricePoint(t, D(p)) for t, p in HISTORY.get(token_id, [])]


@dataclass
class World:
    engine: object
    url: str
    clock: SimulatedClock = field(default_factory=lambda: SimulatedClock(at(DAY1, 7)))

    def day1(self) -> None:
        """Day 1 as it happens: signals, the venue sync at 20:00, MA MB MC resolved and settled at 21:00,
        markouts at 23:00 (MD stays open)."""
        base_rows(self.engine)
        place_signals(self.engine, DAY1)
        self.clock.set(at(DAY1, 20))
        sync_fills(self.engine, DAY1, self.clock.now())
        self.clock.set(at(DAY1, 21))
        resolve(self.engine, ["MA", "MB", "MC"], self.clock.now())
        settle_ft_orders(self.engine, self.clock)
        settle_lt_orders(self.engine, self.clock)
        self.clock.set(at(DAY1, 23))
        record_markouts(self.engine, history, self.clock)

    def day2(self) -> None:
        """Day 2: its signals, the sync at 20:00, ME MF resolved and settled at 21:00."""
        place_signals(self.engine, DAY2)
        self.clock.set(at(DAY2, 20))
        sync_fills(self.engine, DAY2, self.clock.now())
        self.clock.set(at(DAY2, 21))
        resolve(self.engine, ["ME", "MF"], self.clock.now())
        settle_ft_orders(self.engine, self.clock)
        settle_lt_orders(self.engine, self.clock)
