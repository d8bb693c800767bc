"""The executor: every active strategy's new signals decided, their intents stored, submitted
concurrently, and the venue's answers recorded.

Crash safety (docs/order-lifecycle.md): a signal is claimed and, when it is to be placed, its signed order and
hash are stored in one committed insert before anything is sent; the unique key (strategy, source
trade) makes a second claim of the same signal insert nothing, so no run ever submits it twice. An
order whose answer is lost stays UNKNOWN (or INTENT_STORED after a crash) until reconciliation finds
it by its hash. Per strategy, decisions are made under a write lock on the strategy's row, so two
runs at once (PostgreSQL) see each other's exposure instead of both spending the same room.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, and_, func, insert, select, update

from lt_pipeline.clock import Clock
from lt_pipeline.execution.book_walk import estimate_fill
from lt_pipeline.execution.fees import (
    VENUE_MIN_MARKETABLE_USD,
    buy_fee_per_dollar,
    fee_schedule_of,
    is_marketable,
    reserved_fee,
)
from lt_pipeline.execution.controls import current_halt
from lt_pipeline.execution.journal import Journal, OrderRef
from lt_pipeline.execution.limits import daily_loss_breached, size_signal
from lt_pipeline.execution.order_plan import plan_order
from lt_pipeline.execution.own_config import judge_signals, own_config
from lt_pipeline.execution.placement_rule import Halt, StrategyGate, placement_block
from lt_pipeline.execution.quality_record import ConditionsSource, MarketConditions, placement_values, submit_values
from lt_pipeline.execution.shards import EVERY_STRATEGY, Shard
from lt_pipeline.execution.strategy_book import StrategyBook, Wallets, read_strategy_book
from lt_pipeline.ledger.writes import insert_missing
from lt_pipeline.ledger.schema import (
    ft_orders,
    lt_execution_quality,
    lt_orders,
    lt_strategies,
    market_tokens,
    markets,
    orders,
    source_trades,
)
from lt_pipeline.model.orders import OrderEvent, OrderState
from lt_pipeline.model.plan import OrderDenial, OrderPlan, Signal
from lt_pipeline.model.reports import SignedIntent, SubmitOutcome, SubmitResult
from lt_pipeline.model.trading import SkipReason
from lt_pipeline.money import quantize_price, quantize_ratio
from lt_pipeline.venues.polymarket.models import BookSnapshot, VenueError
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

LT_ORDER_NAMESPACE = uuid.UUID("0b7f3a52-4f7e-4b0e-9d7c-2f1f6f3c8a11")
SUBMIT_WORKERS = 8
RESEND_ATTEMPTS = 5  # sends after the first, for orders the venue did not receive
RESEND_WAIT_SECONDS = 10.0  # at most this long waiting on Retry-After within one tick


def lt_order_id(strategy_id: str, source_trade_id: str) -> str:
    return str(uuid.uuid5(LT_ORDER_NAMESPACE, f"{strategy_id}|{source_trade_id}"))


@dataclass
class ExecutionReport:
    strategies: int = 0
    signals: int = 0
    claimed: int = 0
    already_claimed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    submitted: int = 0
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # strategy or user -> why its signals failed
    submit_seconds: float = 0.0
    # Users with an order the venue took (or may have: its answer is unknown): their fills may follow.
    users_in_play: set[str] = field(default_factory=set)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


@dataclass
class PendingSubmit:
    lt_order_id: str
    strategy_id: str
    user_id: str
    intent: SignedIntent
    plan: OrderPlan
    signal: Signal


@dataclass
class MarketView:
    """What the executor knows of each traded token this tick: the market row and the live book."""

    markets: dict[str, dict]
    books: dict[str, BookSnapshot | None]
    errors: dict[str, str]
    conditions: dict[str, MarketConditions] = field(default_factory=dict)  # 24 h volume, volatility


class BookSource:
    """Books fetched once per token per tick, concurrently; with `conditions`, each token's market
    conditions (volume, volatility) are read beside them, also once per token per tick."""

    def __init__(self, fetch: Callable[[str], BookSnapshot | None], workers: int = SUBMIT_WORKERS,
                 conditions: ConditionsSource | None = None) -> None:
        self._fetch = fetch
        self._workers = workers
        self.conditions = conditions

    def load(self, token_ids: Iterable[str]) -> tuple[dict[str, BookSnapshot | None], dict[str, str]]:
        tokens = sorted(set(token_ids))
        books: dict[str, BookSnapshot | None] = {}
        errors: dict[str, str] = {}

        def one(token: str):
            try:
                return token, self._fetch(token), None
            except VenueError as error:
                return token, None, error.message

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            for token, book, error in pool.map(one, tokens):
                if error is None:
                    books[token] = book
                else:
                    errors[token] = error
        return books, errors


def run_executor(
    engine: Engine,
    clock: Clock,
    books: BookSource,
    trader_for_user: Callable[[str], ClobTrader],
    shard: Shard = EVERY_STRATEGY,
) -> ExecutionReport:
    """Execute the new signals of the launched strategies in `shard` (every strategy by default). Runs of
    other shards may execute at the same time; the unique keys and row locks keep each signal placed once
    even when two runs cover the same strategy."""
    report = ExecutionReport()
    halt = current_halt(engine)
    strategies = [s for s in _launched_strategies(engine) if shard.covers(s["strategy_id"])]
    report.strategies = len(strategies)
    signals = _pending_signals(engine, [s["strategy_id"] for s in strategies])
    report.signals = sum(len(v) for v in signals.values())
    if not report.signals:
        return report

    view = _market_view(engine, books, {sig.token_id for sigs in signals.values() for sig in sigs})
    wallets = Wallets()
    pending: list[PendingSubmit] = []
    for strategy in strategies:
        strategy_signals = signals.get(strategy["strategy_id"], [])
        if not strategy_signals:
            continue
        try:
            trader = None if halt.on or strategy["is_paused"] else trader_for_user(strategy["user_id"])
        except Exception as error:  # missing credentials fail this strategy's signals, not the tick
            report.failed[strategy["strategy_id"]] = str(error)
            log.error("strategy %s not executed: %s", strategy["strategy_id"], error)
            continue
        if trader is not None and not wallets.known(strategy["user_id"]):
            wallets.set(strategy["user_id"], _collateral(trader))
        pending += _decide_strategy(engine, clock, strategy, strategy_signals, view, trader, halt, wallets, report)

    pending = _mark_submitted(engine, clock, pending)
    if pending:
        started = time.perf_counter()
        results = _submit_all(pending, trader_for_user, clock)
        report.submit_seconds = time.perf_counter() - started
        _record_results(engine, clock, results, report)
    return report


def _collateral(trader: ClobTrader) -> Decimal | None:
    """The user's collateral the venue lets new orders use; None when it cannot be read this tick."""
    try:
        return trader.collateral_balance()
    except VenueError as error:
        log.warning("collateral balance unreadable, the venue alone will refuse what it cannot cover: %s", error.message)
        return None


# --- reading the ledger --------------------------------------------------------------------------


def _launched_strategies(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(lt_strategies)
            .where(lt_strategies.c.is_active)
            .where(lt_strategies.c.launched_at.is_not(None))
            .order_by(lt_strategies.c.strategy_id)
        ).mappings()
        return [dict(row) for row in rows]


def _pending_signals(engine: Engine, strategy_ids: list[str]) -> dict[str, list[Signal]]:
    """FT orders of each strategy's wallet created since launch that have no LT order yet."""
    if not strategy_ids:
        return {}
    claimed = select(lt_orders.c.lt_order_id).where(
        and_(lt_orders.c.strategy_id == lt_strategies.c.strategy_id, lt_orders.c.source_trade_id == ft_orders.c.source_trade_id)
    )
    query = (
        select(
            lt_strategies.c.strategy_id,
            ft_orders.c.order_id,
            ft_orders.c.source_trade_id,
            ft_orders.c.condition_id,
            ft_orders.c.token_id,
            ft_orders.c.side,
            ft_orders.c.entry_price,
            ft_orders.c.size,
            ft_orders.c.order_time,
            ft_orders.c.source_traded_at,
            source_trades.c.trader_address,
        )
        .select_from(
            ft_orders.join(lt_strategies, lt_strategies.c.ft_wallet_id == ft_orders.c.wallet_id)
            .outerjoin(source_trades, source_trades.c.source_trade_id == ft_orders.c.source_trade_id)
        )
        .where(lt_strategies.c.strategy_id.in_(strategy_ids))
        # The seed's rule: a signal stamped at launched_at counts (order_time >= launched_at).
        .where(ft_orders.c.order_time >= lt_strategies.c.launched_at)
        .where(~claimed.exists())
        .order_by(lt_strategies.c.strategy_id, ft_orders.c.order_time, ft_orders.c.source_trade_id)
    )
    grouped: dict[str, list[Signal]] = defaultdict(list)
    with engine.connect() as connection:
        for row in connection.execute(query):
            grouped[row.strategy_id].append(
                Signal(
                    ft_order_id=row.order_id,
                    source_trade_id=row.source_trade_id,
                    condition_id=row.condition_id,
                    token_id=row.token_id,
                    side=row.side,
                    price=row.entry_price,
                    size_usd=row.size,
                    detected_at=row.order_time,
                    trader_address=row.trader_address,
                    traded_at=row.source_traded_at,
                )
            )
    return grouped


def _market_view(engine: Engine, books: BookSource, token_ids: set[str]) -> MarketView:
    with engine.connect() as connection:
        rows = connection.execute(
            select(market_tokens.c.token_id, market_tokens.c.token_label, markets)
            .select_from(market_tokens.join(markets, markets.c.condition_id == market_tokens.c.condition_id))
            .where(market_tokens.c.token_id.in_(sorted(token_ids)))
        ).mappings()
        by_token = {row["token_id"]: dict(row) for row in rows}
    open_tokens = [t for t, m in by_token.items() if not m["closed"] and m["accepting_orders"] and m["resolution_status"] is None]
    pending = books.conditions.begin({t: by_token[t]["condition_id"] for t in open_tokens}) if books.conditions else None
    loaded, errors = books.load(open_tokens)
    return MarketView(by_token, loaded, errors, pending.result() if pending else {})


# --- deciding ------------------------------------------------------------------------------------


@dataclass
class Decision:
    event: OrderEvent  # SKIPPED or INTENT_STORED
    reason: str
    detail: dict = field(default_factory=dict)
    size_usd: Decimal | None = None
    plan: OrderPlan | None = None
    intent: SignedIntent | None = None
    book: BookSnapshot | None = None
    estimate_price: Decimal | None = None
    fee_usd: Decimal = Decimal(0)


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _skip(reason: str, why: str, **detail) -> Decision:
    return Decision(OrderEvent.SKIPPED, reason, {"why": why, **detail})


def _decide_strategy(
    engine: Engine,
    clock: Clock,
    strategy: dict,
    signals: list[Signal],
    view: MarketView,
    trader: ClobTrader | None,
    halt: Halt,
    wallets: Wallets,
    report: ExecutionReport,
) -> list[PendingSubmit]:
    pending: list[PendingSubmit] = []
    strategy_id = strategy["strategy_id"]
    gate = StrategyGate.of(strategy)
    with engine.begin() as connection:
        # Take the strategy's row lock first (PostgreSQL row lock; SQLite's write lock): a second run
        # waits here and then sees this run's commitments.
        now = clock.now()
        connection.execute(
            update(lt_strategies).where(lt_strategies.c.strategy_id == strategy_id)
            .values(last_sync_time=now, wallet_address=func.coalesce(lt_strategies.c.wallet_address, trader.funder.lower() if trader else None))
        )
        book = read_strategy_book(connection, strategy, now)
        loss_limit = None
        if not halt.on and not strategy["is_paused"] and daily_loss_breached(book.realised_today, limit=book.settings.max_daily_loss_usd):
            loss_limit = f"daily loss limit reached: lost ${-book.realised_today:f} of ${book.settings.max_daily_loss_usd:f} today"
            connection.execute(
                update(lt_strategies)
                .where(lt_strategies.c.strategy_id == strategy_id)
                .values(is_paused=True, pause_reason=loss_limit, paused_at=now, updated_at=now)
            )
        own = own_config(connection, strategy)
        verdicts = (
            judge_signals(connection, own, [s.source_trade_id for s in signals], book.available) if own is not None else {}
        )
        journal = Journal(connection, now)
        for signal in signals:
            verdict = verdicts.get(signal.source_trade_id)
            ft_size = signal.size_usd
            if verdict is not None and verdict.accepted:
                signal = replace(signal, size_usd=verdict.size_usd)
            block = placement_block(gate, signal.detected_at, now, halt=halt, daily_loss_breached=loss_limit)
            if block is not None:
                decision = _skip(block.reason, block.why)
            elif own is not None and (verdict is None or not verdict.accepted):
                decision = _skip(
                    f"own_ft_config: {verdict.reason if verdict else 'trade unknown'}",
                    f"FT changes are not followed; the strategy's own copy says: {verdict.detail if verdict else 'no such trade'}",
                )
            else:
                decision = _decide_signal(signal, book, view, trader, wallets.room(strategy["user_id"]), now)
            lt_id = lt_order_id(strategy_id, signal.source_trade_id)
            if not _claim(journal, strategy, signal, ft_size, lt_id, decision, view):
                report.already_claimed += 1
                continue
            report.claimed += 1
            if decision.intent is not None:
                book.commit(signal.token_id, decision.size_usd, decision.fee_usd)
                if decision.plan.side == "BUY":
                    wallets.spend(strategy["user_id"], decision.plan.maker_amount + decision.fee_usd)
                pending.append(PendingSubmit(lt_id, strategy_id, strategy["user_id"], decision.intent, decision.plan, signal))
            else:
                report.skip(str(decision.reason))
    return pending


def _decide_signal(signal: Signal, book: StrategyBook, view: MarketView, trader: ClobTrader, wallet: Decimal | None,
                   now: datetime) -> Decision:
    settings = book.settings
    age = now - (signal.traded_at or signal.detected_at)
    if age > timedelta(seconds=settings.max_signal_age_seconds):
        return _skip(SkipReason.STALE_SIGNAL, f"the trader's fill is {_age(age)} old, over the {settings.max_signal_age_seconds} s "
                                              "this strategy copies", traded_at=str(signal.traded_at))
    market = view.markets.get(signal.token_id)
    if market is None or market["closed"] or not market["accepting_orders"] or market["resolution_status"]:
        return _skip(SkipReason.MARKET_CLOSED, "the market is closed or not accepting orders")
    schedule = fee_schedule_of(market)
    # A BUY's taker fee is paid on top of its amount: size it so amount + fee fit the capital.
    fee_share = buy_fee_per_dollar(signal.price, schedule) if signal.side == "BUY" else Decimal(0)
    sizing = size_signal(
        signal.size_usd,
        signal.price,
        settings=settings,
        position_usd=book.by_token.get(signal.token_id, Decimal(0)),
        open_exposure_usd=book.exposure,
        available_capital=book.available / (1 + fee_share),
        side=signal.side,
        held_shares=None,
    )
    if not sizing.approved:
        return _skip(sizing.reason, f"sized below the minimum after {', '.join(sizing.clamped_by) or 'no clamp'}",
                     ft_size_usd=str(signal.size_usd))
    if signal.token_id in view.errors:
        return _skip(SkipReason.NO_LIQUIDITY, f"book unavailable: {view.errors[signal.token_id]}")
    snapshot = view.books.get(signal.token_id)
    if snapshot is None:
        return _skip(SkipReason.MARKET_CLOSED, "the venue has no book for this token")
    levels = [(level.price, level.size) for level in (snapshot.asks if signal.side == "BUY" else snapshot.bids)]
    estimate = (
        estimate_fill(levels, signal.side, usd=sizing.size_usd)
        if signal.side == "BUY"
        else estimate_fill(levels, signal.side, shares=sizing.size_usd / signal.price)
    )
    if estimate.avg_price is None:
        return Decision(OrderEvent.SKIPPED, SkipReason.NO_LIQUIDITY, {"why": "nothing on the book to trade against"}, book=snapshot)
    estimated_price = quantize_price(estimate.avg_price)
    plan = plan_order(
        side=signal.side,
        order_type=settings.order_type,
        signal_price=signal.price,
        size_usd=sizing.size_usd,
        tick_size=market["tick_size"] or snapshot.tick_size,
        min_order_size=market["min_order_size"] or snapshot.min_order_size or Decimal(0),
        tolerance_pct=settings.slippage_tolerance_pct,
        estimate=estimate,
    )
    detail = {"estimated_price": str(estimated_price), "clamped_by": sizing.clamped_by}
    if isinstance(plan, OrderDenial):
        return Decision(
            OrderEvent.SKIPPED, plan.reason, {**detail, "why": plan.detail}, book=snapshot, estimate_price=estimated_price
        )
    notional = plan.maker_amount if plan.side == "BUY" else plan.taker_amount
    if is_marketable(plan, snapshot) and notional < VENUE_MIN_MARKETABLE_USD:
        return Decision(OrderEvent.SKIPPED, SkipReason.BELOW_VENUE_MIN_NOTIONAL,
                        {**detail, "why": f"a marketable order of ${notional:f} is under the venue's ${VENUE_MIN_MARKETABLE_USD} minimum"},
                        book=snapshot, estimate_price=estimated_price)
    fee = reserved_fee(plan, schedule)
    if plan.side == "BUY" and wallet is not None and plan.maker_amount + fee > wallet:
        return Decision(OrderEvent.SKIPPED, SkipReason.INSUFFICIENT_BALANCE,
                        {**detail, "why": f"the wallet has ${wallet:f} left this tick; the order needs ${plan.maker_amount + fee:f} "
                                          "with its fee"}, book=snapshot, estimate_price=estimated_price)
    intent = trader.sign(signal.token_id, plan, neg_risk=bool(market["neg_risk"]))
    return Decision(
        OrderEvent.INTENT_STORED,
        "placed",
        {**detail, "fee_reserved": str(fee)} if fee else detail,
        size_usd=sizing.size_usd,
        fee_usd=fee,
        plan=plan,
        intent=intent,
        book=snapshot,
        estimate_price=estimated_price,
    )


def _claim(journal: Journal, strategy: dict, signal: Signal, ft_size: Decimal, lt_id: str, decision: Decision,
           view: MarketView) -> bool:
    """Insert the signal's one LT order row through the journal; False when another run already claimed
    the signal."""
    market = view.markets.get(signal.token_id) or {}
    row = {
        "lt_order_id": lt_id,
        "strategy_id": strategy["strategy_id"],
        "ft_order_id": signal.ft_order_id,
        "source_trade_id": signal.source_trade_id,
        "user_id": strategy["user_id"],
        "trader_address": signal.trader_address,
        "condition_id": signal.condition_id,
        "market_slug": market.get("slug"),
        "market_title": market.get("question"),
        "token_id": signal.token_id,
        "token_label": market.get("token_label"),
        "side": signal.side,
        "signal_price": signal.price,
        "signal_size_usd": signal.size_usd,
        "signal_at": signal.detected_at,
        "ft_entry_price": signal.price,
        "ft_size": ft_size,
        "detected_at": signal.detected_at,
        "decided_at": journal.now,
        "decision_reason": str(decision.reason),
        "order_type": strategy["order_type"],
    }
    if decision.intent is not None:
        row.update(
            intended_size_usd=decision.size_usd,
            intended_shares=decision.plan.intended_shares,
            intended_fee_usd=decision.fee_usd,
            limit_price=decision.plan.price,
            order_id=decision.intent.order_id,
            signed_order_json=decision.intent.to_json(),
        )
    if journal.open(row, decision.event, reason=_sentence(decision), detail=decision.detail) is None:
        return False
    if decision.book is not None:
        snapshot = decision.book
        journal.connection.execute(
            insert(lt_execution_quality).values(
                lt_order_id=lt_id,
                strategy_id=strategy["strategy_id"],
                signal_price=signal.price,
                best_bid=snapshot.best_bid,
                best_ask=snapshot.best_ask,
                mid_price=snapshot.mid,
                spread=snapshot.spread,
                estimated_fill_price=decision.estimate_price,
                estimated_slippage_pct=quantize_ratio((decision.estimate_price - signal.price) / signal.price)
                if decision.estimate_price is not None
                else None,
                **placement_values(signal, snapshot, decision.estimate_price, decision.plan, view.conditions.get(signal.token_id)),
                created_at=journal.now,
                updated_at=journal.now,
            )
        )
    return True


def _sentence(decision: Decision) -> str:
    if decision.intent is not None:
        plan = decision.plan
        return f"placed {plan.order_type} {plan.side} at {plan.price} for ${decision.size_usd:f}"
    why = decision.detail.get("why")
    return f"skipped ({decision.reason}): {why}" if why else f"skipped ({decision.reason})"


# --- submitting and recording --------------------------------------------------------------------


@dataclass
class Submitted:
    pending: PendingSubmit
    result: SubmitResult
    submitted_at: datetime
    acked_at: datetime


def _mark_submitted(engine: Engine, clock: Clock, pending: list[PendingSubmit]) -> list[PendingSubmit]:
    """Move every stored intent to SUBMITTED in one committed write just before posting; only the ones
    this run moved are posted (another writer that got to an order first keeps it)."""
    if not pending:
        return []
    with engine.begin() as connection:
        journal = Journal(connection, clock.now())
        return [
            item for item in pending
            if journal.apply(_ref(item, OrderState.INTENT_STORED), OrderEvent.SUBMITTED,
                             reason=f"posting {item.plan.order_type} {item.plan.side} to the venue",
                             detail={"order_id": item.intent.order_id}) is not None
        ]


def _ref(item: PendingSubmit, status: OrderState) -> OrderRef:
    return OrderRef(item.lt_order_id, item.strategy_id, item.signal.ft_order_id, item.signal.source_trade_id, status)


def _submit_all(pending: list[PendingSubmit], trader_for_user, clock: Clock, sleep: Callable[[float], None] = time.sleep) -> list[Submitted]:
    by_user: dict[str, list[PendingSubmit]] = defaultdict(list)
    for item in pending:
        by_user[item.user_id].append(item)
    batches = [(user, items[i : i + 15]) for user, items in by_user.items() for i in range(0, len(items), 15)]

    def post(user: str, items: list[PendingSubmit]) -> list[SubmitResult]:
        try:
            return trader_for_user(user).submit([item.intent for item in items])
        except Exception as error:  # never lose the batch: its outcome is unknown until reconciled
            return [SubmitResult(item.intent.order_id, SubmitOutcome.UNKNOWN, reason=f"{type(error).__name__}: {error}") for item in items]

    def send(batch: tuple[str, list[PendingSubmit]]) -> list[Submitted]:
        user, items = batch
        sent_at = clock.now()
        results = post(user, items)
        waited = 0.0
        for attempt in range(2, RESEND_ATTEMPTS + 2):
            # Not received (throttled, refused before placement, connection dropped): the same stored
            # signed order again after the venue's Retry-After. Its hash is the venue's id, so a copy
            # that did arrive meanwhile is refused as a duplicate, never placed twice.
            again = [i for i, result in enumerate(results) if result.retry_after is not None]
            wait = max((results[i].retry_after for i in again), default=0.0)
            if not again or waited + wait > RESEND_WAIT_SECONDS:
                break
            sleep(wait)
            waited += wait
            for i, result in zip(again, post(user, [items[i] for i in again])):
                results[i] = replace(result, attempts=attempt)
        acked_at = clock.now()
        return [Submitted(item, result, sent_at, acked_at) for item, result in zip(items, results)]

    out: list[Submitted] = []
    with ThreadPoolExecutor(max_workers=SUBMIT_WORKERS) as pool:
        for chunk in pool.map(send, batches):
            out += chunk
    return out


def _accepted_status(submitted: Submitted) -> OrderState:
    result, plan = submitted.result, submitted.pending.plan
    if result.status != "matched":
        return OrderState.LIVE
    filled = (result.taking_amount if plan.side == "BUY" else result.making_amount) or Decimal(0)
    if filled >= plan.order_shares:
        return OrderState.FILLED
    # A FAK's unfilled rest is cancelled by the venue; a GTC's rests on the book.
    return OrderState.PARTIALLY_FILLED if plan.order_type == "GTC" else OrderState.CANCELLED


def _record_results(engine: Engine, clock: Clock, submitted: list[Submitted], report: ExecutionReport) -> None:
    now = clock.now()
    with engine.begin() as connection:
        journal = Journal(connection, now)
        for item in submitted:
            result, pending = item.result, item.pending
            report.submitted += 1
            values = {
                "submitted_at": item.submitted_at,
                "acked_at": item.acked_at,
                "execution_latency_ms": _ms(item.submitted_at - pending.signal.detected_at),
            }
            detail = {"order_id": result.order_id, "venue_status": result.status, "attempts": result.attempts}
            to = None
            if result.outcome != SubmitOutcome.REJECTED:
                report.users_in_play.add(pending.user_id)
            if result.outcome == SubmitOutcome.ACCEPTED:
                report.accepted += 1
                event, to, reason = OrderEvent.ACCEPTED, _accepted_status(item), f"venue accepted: {result.status or 'ok'}"
                values.update(polymarket_order_id=result.order_id, fill_rate=Decimal(0), signal_fill_rate=Decimal(0))
            elif result.outcome == SubmitOutcome.REJECTED:
                report.rejected += 1
                event, reason = OrderEvent.REJECTED, f"venue rejected: {result.reason}"
                values["rejection_reason"] = result.reason
            else:
                report.unknown += 1
                event, reason = OrderEvent.UNKNOWN, f"outcome unknown, to reconcile by hash: {result.reason}"
            if journal.apply(_ref(pending, OrderState.SUBMITTED), event, to=to, reason=reason, detail=detail, values=values) is None:
                # Reconciliation got there first (a slow answer): its record stands.
                continue
            if result.outcome == SubmitOutcome.ACCEPTED:
                insert_missing(connection, orders, [_order_row(pending, result, item.acked_at, now)], ["order_id"])
            connection.execute(
                update(lt_execution_quality)
                .where(lt_execution_quality.c.lt_order_id == pending.lt_order_id)
                .values(execution_latency_ms=values["execution_latency_ms"], ack_latency_ms=_ms(item.acked_at - item.submitted_at), updated_at=now,
                        **submit_values(pending.signal.detected_at, item.submitted_at, accepted=event == OrderEvent.ACCEPTED,
                                        rejected=event == OrderEvent.REJECTED))
            )


def _order_row(pending: PendingSubmit, result: SubmitResult, acked_at: datetime, now: datetime) -> dict:
    return {
        "order_id": result.order_id,
        "lt_strategy_id": pending.strategy_id,
        "lt_order_id": pending.lt_order_id,
        "signal_price": pending.signal.price,
        "signal_size_usd": pending.signal.size_usd,
        "user_id": pending.user_id,
        "condition_id": pending.signal.condition_id,
        "token_id": pending.signal.token_id,
        "side": pending.plan.side,
        "order_type": pending.plan.order_type,
        "price": pending.plan.price,
        "original_size": pending.plan.order_shares,
        "size_matched": Decimal(0),
        "status": result.status.upper() or "LIVE",
        "last_seen_at": acked_at,
        "created_at": now,
        "updated_at": now,
    }


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))
