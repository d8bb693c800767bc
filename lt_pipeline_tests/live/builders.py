"""Ledger rows for live-trading tests, made the way the executor makes them: a user, an FT wallet and
its LT twin, markets copied from the emulator, and LT orders whose intent (signed order and hash) is
stored before they are submitted with the real ClobTrader over HTTP and their answer recorded.

`LiveWorld` holds it together; `place(...)` is one signal from claim to recorded answer, and can stop
after storing the intent (a crash before submitting) or drop the answer (a crash after submitting).
The `emulator` and `world` fixtures (import them into a test module) give a paused emulator, so only
the test's own orders move the book, and a world on it with a known book.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from lt_pipeline.execution.executor import lt_order_id as make_lt_order_id
from lt_pipeline.execution.journal import Journal, OrderRef
from lt_pipeline.model.orders import OrderEvent, OrderState
from lt_pipeline.execution.order_plan import OrderDenial, OrderPlan, plan_order, tick_rules
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.trading import ClobTrader, Outcome, SubmitResult
from lt_pipeline_tests.emulator.fixtures import CHAIN_ID, EmulatorHandle, start_emulator, test_private_key, trader_address

_serial = itertools.count(1)


def long_lived_market(emulator: EmulatorHandle, *, tick: str = "0.01"):
    """An open binary market (not neg-risk) that resolves last, so advancing the clock never closes it."""
    candidates = [
        m for m in emulator.venue.markets()
        if not m.closed and not m.neg_risk and m.tick_size == Decimal(tick)
    ]
    return max(candidates, key=lambda m: m.end_date)


def make_trader(emulator: EmulatorHandle, seed: int) -> ClobTrader:
    return ClobTrader(emulator.url, CHAIN_ID, test_private_key(seed), use_server_time=True)


@dataclass
class LiveWorld:
    emulator: EmulatorHandle
    engine: object
    trader: ClobTrader
    user_id: str
    strategy_id: str
    wallet_id: str
    market: object  # the emulator's Market

    @property
    def clock(self):
        return self.emulator.clock

    @property
    def token_id(self) -> str:
        return self.market.tokens[0].token_id

    def trader_for_user(self, user_id: str) -> ClobTrader:
        assert user_id == self.user_id, f"no trader for {user_id}"
        return self.trader

    def lt_order(self, lt_order_id: str):
        with self.engine.connect() as connection:
            return connection.execute(select(schema.lt_orders).where(schema.lt_orders.c.lt_order_id == lt_order_id)).one()

    def rows(self, table, **where):
        query = select(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        with self.engine.connect() as connection:
            return connection.execute(query).all()


def make_world(
    engine, emulator: EmulatorHandle, *, user_id: str = "alice", key_seed: int = 1, order_type: str = "GTC",
    ttl_seconds: int = 300, market=None,
) -> LiveWorld:
    """A user with one launched LT strategy mirroring one FT wallet, and the market's rows in the ledger."""
    now = emulator.clock.now()
    if market is None:
        # A fee-free market, so the arithmetic of tests about fills and PnL stays the shares' own; the
        # fee tests turn a schedule on themselves (live/test_fees.py).
        market = long_lived_market(emulator)
        emulator.admin("fee-schedule", condition_id=market.condition_id, enabled=False)
        market = emulator.venue.market(market.condition_id)
    wallet_id = f"FT_{user_id.upper()}_{next(_serial)}"
    strategy_id = f"LT_{wallet_id}"
    with engine.begin() as connection:
        add_market(connection, market, now)
        if connection.execute(select(schema.users).where(schema.users.c.user_id == user_id)).first() is None:
            connection.execute(insert(schema.users).values(
                user_id=user_id, display_name=user_id, funder_address=trader_address(key_seed).lower(), created_at=now,
            ))
        connection.execute(insert(schema.ft_wallets).values(
            wallet_id=wallet_id, display_name=wallet_id, starting_balance=Decimal(10000), config_json="{}",
            config_hash="0" * 64, config_version=1, created_at=now, updated_at=now,
        ))
        connection.execute(insert(schema.lt_strategies).values(
            strategy_id=strategy_id, user_id=user_id, ft_wallet_id=wallet_id, display_name=f"{wallet_id} (Live)",
            starting_capital=Decimal(1000), slippage_tolerance_pct=Decimal(5), order_type=order_type,
            min_order_size_usd=Decimal(1), max_order_size_usd=Decimal(100), max_position_size_usd=Decimal(500),
            max_total_exposure_usd=Decimal(1000), order_ttl_seconds=ttl_seconds, launched_at=now - timedelta(hours=1),
            created_at=now, updated_at=now,
        ))
    return LiveWorld(emulator, engine, make_trader(emulator, key_seed), user_id, strategy_id, wallet_id, market)


def pin_book(world: LiveWorld, *, asks=(("0.60", "100"), ("0.62", "100"))) -> None:
    """Bids at 0.40, asks from 0.60: our bids between them rest until a counterparty sells into them."""
    world.emulator.admin("book", token_id=world.token_id, bids=[["0.40", "100"]], asks=[list(level) for level in asks])


@pytest.fixture
def emulator():
    handle = start_emulator(seed=5)
    handle.admin("pause")  # no simulated traders: only the test's orders move the book
    try:
        yield handle
    finally:
        handle.stop(wait=False)


@pytest.fixture
def world(ledger_engine, emulator) -> LiveWorld:
    world = make_world(ledger_engine, emulator)
    pin_book(world)
    return world


def add_market(connection, market, now) -> None:
    if connection.execute(select(schema.markets).where(schema.markets.c.condition_id == market.condition_id)).first():
        return
    connection.execute(insert(schema.markets).values(
        condition_id=market.condition_id, question=market.question, slug=market.slug, category=market.category,
        end_date=market.end_date, neg_risk=market.neg_risk, tick_size=market.tick_size,
        min_order_size=market.min_order_size, closed=market.closed, accepting_orders=market.accepting_orders,
        fees_enabled=market.fees_enabled, fee_rate=market.fee_rate, fee_exponent=market.fee_exponent,
        created_at=now, updated_at=now,
    ))
    for token in market.tokens:
        connection.execute(insert(schema.market_tokens).values(
            token_id=token.token_id, condition_id=market.condition_id, token_label=token.outcome,
            outcome_index=token.index,
        ))


def limit_plan(side: str, price: str, shares: str, tick: str = "0.01") -> OrderPlan:
    """The plan of a GTC for exactly `shares` at `price`."""
    p, q = Decimal(price), Decimal(shares)
    usd = p * q
    maker, taker = (usd, q) if side == "BUY" else (q, usd)
    return OrderPlan(side, "GTC", p, q, None, tick_rules(tick).label, maker, taker, q)


def market_plan(side: str, order_type: str, signal_price: str, size_usd: str, tolerance_pct: str = "5") -> OrderPlan:
    plan = plan_order(side=side, order_type=order_type, signal_price=Decimal(signal_price), size_usd=Decimal(size_usd),
                      tick_size="0.01", min_order_size=Decimal(0), tolerance_pct=Decimal(tolerance_pct))
    assert not isinstance(plan, OrderDenial), plan
    return plan


def place(
    world: LiveWorld, plan: OrderPlan, *, signal_price: str | None = None, ft_shares: str | None = None,
    token_id: str | None = None, submit: bool = True, record: bool = True,
) -> str:
    """Claim one signal, store its intent (status INTENT_STORED with signed order and hash), then unless
    told otherwise submit it and record the venue's answer as the executor does. Returns the lt_order_id.

    `submit=False` is a crash before submitting; `record=False` a crash after submitting, before the
    answer was written. The FT order is the paper twin: `ft_shares` at `signal_price` (default: the
    plan's intended shares at its price)."""
    now = world.clock.now()
    token_id = token_id or world.token_id
    signal = Decimal(signal_price) if signal_price is not None else plan.price
    shares = Decimal(ft_shares) if ft_shares is not None else plan.intended_shares
    source_trade_id = uuid.uuid4().hex
    ft_order_id = str(uuid.uuid4())
    lt_id = make_lt_order_id(world.strategy_id, source_trade_id)
    intent = world.trader.sign(token_id, plan, neg_risk=False)
    with world.engine.begin() as connection:
        connection.execute(insert(schema.source_trades).values(
            source_trade_id=source_trade_id, trader_address="0x" + "b" * 40, condition_id=world.market.condition_id,
            token_id=token_id, side=plan.side, price=signal, size=shares, notional_usd=signal * shares, traded_at=now,
            ingested_at=now,
        ))
        connection.execute(insert(schema.ft_orders).values(
            order_id=ft_order_id, wallet_id=world.wallet_id, source_trade_id=source_trade_id,
            trader_address="0x" + "b" * 40, condition_id=world.market.condition_id, token_id=token_id,
            side=plan.side, entry_price=signal, size=signal * shares, shares=shares, sizing_method="fixed_usd",
            config_version=1, source_traded_at=now, order_time=now,
        ))
        Journal(connection, now).open(dict(
            lt_order_id=lt_id, strategy_id=world.strategy_id, ft_order_id=ft_order_id,
            source_trade_id=source_trade_id, user_id=world.user_id, condition_id=world.market.condition_id,
            token_id=token_id, side=plan.side, signal_price=signal, signal_size_usd=signal * shares,
            signal_at=now, detected_at=now, decided_at=now, intended_size_usd=plan.price * plan.intended_shares,
            intended_shares=plan.intended_shares, limit_price=plan.price, order_type=plan.order_type,
            order_id=intent.order_id, signed_order_json=intent.to_json(), decision_reason="placed",
        ), OrderEvent.INTENT_STORED, reason="placed (test)")
        connection.execute(insert(schema.lt_execution_quality).values(
            lt_order_id=lt_id, strategy_id=world.strategy_id, signal_price=signal, created_at=now, updated_at=now,
        ))
    if not submit:
        return lt_id
    with world.engine.begin() as connection:  # as the executor: marked just before the post
        Journal(connection, now).apply(OrderRef(lt_id, world.strategy_id, ft_order_id, source_trade_id, OrderState.INTENT_STORED),
                                       OrderEvent.SUBMITTED, reason="posting (test)")
    [result] = world.trader.submit([intent])
    if record:
        record_answer(world, lt_id, plan, result)
    return lt_id


def record_answer(world: LiveWorld, lt_id: str, plan: OrderPlan, result: SubmitResult) -> None:
    """Write the venue's answer through the journal as the executor does: ACCEPTED (with the `orders` row
    and the state the answer shows), REJECTED with its reason, or UNKNOWN. As the executor, only an
    order still SUBMITTED takes it (a slow answer loses to reconciliation)."""
    now = world.clock.now()
    row = world.lt_order(lt_id)
    values = {"submitted_at": now, "acked_at": now}
    if row.status != OrderState.SUBMITTED.value:
        return
    with world.engine.begin() as connection:
        journal = Journal(connection, now)
        submitted = OrderRef(row.lt_order_id, row.strategy_id, row.ft_order_id, row.source_trade_id, OrderState.SUBMITTED)
        if result.outcome == Outcome.ACCEPTED:
            values.update(fill_rate=Decimal(0), polymarket_order_id=result.order_id)
            journal.apply(submitted, OrderEvent.ACCEPTED, to=_accepted_state(plan, result), reason="venue accepted", values=values)
            connection.execute(insert(schema.orders).values(
                order_id=result.order_id, lt_strategy_id=world.strategy_id, lt_order_id=lt_id,
                signal_price=row.signal_price, signal_size_usd=row.signal_size_usd, user_id=world.user_id,
                condition_id=row.condition_id, token_id=row.token_id, side=plan.side, order_type=plan.order_type,
                price=plan.price, original_size=plan.order_shares, size_matched=Decimal(0),
                status=result.status.upper() or "LIVE", last_seen_at=now, created_at=now, updated_at=now,
            ))
        elif result.outcome == Outcome.REJECTED:
            journal.apply(submitted, OrderEvent.REJECTED, reason=f"venue rejected: {result.reason}",
                          values={**values, "rejection_reason": result.reason})
        else:
            journal.apply(submitted, OrderEvent.UNKNOWN, reason=f"outcome unknown: {result.reason}", values=values)


def _accepted_state(plan: OrderPlan, result: SubmitResult) -> OrderState:
    if result.status != "matched":
        return OrderState.LIVE
    filled = (result.taking_amount if plan.side == "BUY" else result.making_amount) or Decimal(0)
    if filled >= plan.order_shares:
        return OrderState.FILLED
    return OrderState.PARTIALLY_FILLED if plan.order_type == "GTC" else OrderState.CANCELLED


def decisions(world: LiveWorld, lt_id: str) -> list[tuple[str, str]]:
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(schema.signal_decisions.c.decision, schema.signal_decisions.c.reason)
            .where(schema.signal_decisions.c.lt_order_id == lt_id)
            .order_by(schema.signal_decisions.c.decision_id)
        ).all()
    return [(row.decision, row.reason) for row in rows]


def counterparty(world: LiveWorld, seed: int = 2, shares: str = "1000") -> ClobTrader:
    """Another trader holding `shares` of the world's token (to sell into our bids) and collateral."""
    trader = make_trader(world.emulator, seed)
    world.emulator.admin("fund", address=trader_address(seed), amount=shares, token_id=world.token_id)
    return trader


def cross(world: LiveWorld, trader: ClobTrader, side: str, price: str, shares: str, order_type: str = "FAK") -> SubmitResult:
    """The counterparty trades `shares` at `price` against the book (FAK: takes what crosses, rests nothing)."""
    plan = limit_plan(side, price, shares)
    if order_type != "GTC":
        plan = OrderPlan(side, order_type, plan.price, plan.size, plan.size if side == "SELL" else plan.maker_amount,
                         plan.tick_size, plan.maker_amount, plan.taker_amount, plan.intended_shares)
    [result] = trader.submit([trader.sign(world.token_id, plan, neg_risk=False)])
    assert result.outcome == Outcome.ACCEPTED, result
    return result

