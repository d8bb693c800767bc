"""The executor against the emulator over HTTP, on SQLite and PostgreSQL: what it places, what it
refuses and why, and that nothing is ever placed twice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from lt_pipeline.execution.executor import BookSource, run_executor
from lt_pipeline.execution.journal import history
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.trading import ClobTrader
from lt_pipeline_tests.emulator.fixtures import start_emulator, test_private_key
from lt_pipeline_tests.forward_test.harness import make_harness
from lt_pipeline_tests.live.lifecycle_support import open_market, resting_plan


def add_strategy(engine, now, wallet="FT_TEST_FIXED", user="u1", strategy_id=None, **settings):
    values = dict(
        starting_capital=Decimal(1000), slippage_tolerance_pct=Decimal(3), order_type="GTC",
        min_order_size_usd=Decimal(1), max_order_size_usd=Decimal(50), max_position_size_usd=Decimal(100),
        max_total_exposure_usd=Decimal(500), order_ttl_seconds=300,
    )
    values.update(settings)
    with engine.begin() as connection:
        if not connection.execute(select(schema.users).where(schema.users.c.user_id == user)).first():
            connection.execute(insert(schema.users).values(user_id=user, display_name=user, created_at=now))
        connection.execute(
            insert(schema.lt_strategies).values(
                strategy_id=strategy_id or f"LT_{wallet}", user_id=user, ft_wallet_id=wallet, display_name=f"{wallet} (Live)",
                launched_at=now, created_at=now, updated_at=now, **values,
            )
        )
    return strategy_id or f"LT_{wallet}"


class Live:
    def __init__(self, harness, key_seed=1):
        self.harness = harness
        self.trader = ClobTrader(harness.emulator.url, 137, test_private_key(key_seed), use_server_time=True)
        self.books = BookSource(ClobReader(harness.emulator.url).book)

    def tick(self, minutes=2):
        self.harness.execution_tick(minutes)
        return run_executor(self.harness.engine, self.harness.clock, self.books, lambda user: self.trader)

    def lt_orders(self, strategy_id=None):
        query = select(schema.lt_orders)
        if strategy_id:
            query = query.where(schema.lt_orders.c.strategy_id == strategy_id)
        with self.harness.engine.connect() as connection:
            return connection.execute(query).all()


@pytest.fixture
def live(ledger_url, tmp_path):
    emulator = start_emulator(seed=11)
    try:
        harness = make_harness(emulator, ledger_url, tmp_path)
        harness.execution_tick()  # traders tracked from now; their earlier trades are history
        harness.execution_tick()  # the first paper orders, all before any strategy launches
        yield Live(harness)
    finally:
        emulator.stop(wait=False)


def ft_orders_of(engine, wallet):
    with engine.connect() as connection:
        return connection.execute(select(schema.ft_orders).where(schema.ft_orders.c.wallet_id == wallet)).all()


def test_signals_since_launch_are_placed_once_and_older_ones_never(live):
    engine = live.harness.engine
    launched_at = live.harness.clock.now()
    earlier = ft_orders_of(engine, "FT_TEST_FIXED")
    # The seed's rule, order_time >= launched_at: a signal stamped at the very launch instant counts.
    at_launch = {o.source_trade_id for o in earlier if o.order_time == launched_at}
    before_launch = {o.source_trade_id for o in earlier if o.order_time < launched_at}
    assert at_launch
    strategy = add_strategy(engine, launched_at)
    for _ in range(3):
        live.tick()
    orders = live.lt_orders(strategy)
    signals = {o.source_trade_id for o in ft_orders_of(engine, "FT_TEST_FIXED") if o.order_time >= launched_at}
    assert {o.source_trade_id for o in orders} == signals
    assert at_launch <= signals and not before_launch & {o.source_trade_id for o in orders}
    placed = [o for o in orders if o.order_id]
    assert placed and all(o.status in {"LIVE", "FILLED", "PARTIALLY_FILLED"} for o in placed)
    venue_orders = {o.id for o in live.harness.emulator.venue.orders(live.trader.api_key)} | {
        t.taker_order_id for t in live.harness.emulator.venue.trades(live.trader.funder)
    }
    assert {o.order_id for o in placed} <= venue_orders
    again = run_executor(engine, live.harness.clock, live.books, lambda user: live.trader)
    assert again.claimed == 0 and again.submitted == 0


def test_every_skip_and_placement_is_explained(live):
    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now(), max_total_exposure_usd=Decimal(25))
    for _ in range(3):
        live.tick()
    orders = live.lt_orders(strategy)
    with engine.connect() as connection:
        decisions = connection.execute(select(schema.signal_decisions)).all()
    explained = {d.lt_order_id for d in decisions}
    assert {o.lt_order_id for o in orders} <= explained
    skipped = [o for o in orders if o.status == "SKIPPED"]
    # the signals stamped at launch are older than the book they meet: some break the slippage estimate
    assert skipped and {o.decision_reason for o in skipped} <= {"exposure_cap", "slippage_over_tolerance"}
    assert any(o.decision_reason == "exposure_cap" for o in skipped)
    committed = sum(o.intended_size_usd for o in orders if o.order_id)
    assert committed <= Decimal(25)


def test_paused_signals_are_skipped_and_never_placed_late(live):
    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now())
    with engine.begin() as connection:
        connection.execute(
            update(schema.lt_strategies).where(schema.lt_strategies.c.strategy_id == strategy).values(is_paused=True, pause_reason="operator")
        )
    live.tick()
    live.tick()
    paused_orders = live.lt_orders(strategy)
    assert paused_orders and all(o.status == "SKIPPED" and o.decision_reason == "paused" for o in paused_orders)
    with engine.begin() as connection:
        connection.execute(update(schema.lt_strategies).where(schema.lt_strategies.c.strategy_id == strategy).values(is_paused=False))
    live.tick()
    after = {o.lt_order_id: o for o in live.lt_orders(strategy)}
    for order in paused_orders:
        assert after[order.lt_order_id].status == "SKIPPED" and after[order.lt_order_id].order_id is None


def test_global_halt_places_nothing(live):
    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now())
    with engine.begin() as connection:
        connection.execute(
            insert(schema.system_controls).values(name="global_halt", value="on", reason="drill", updated_at=live.harness.clock.now())
        )
    report = live.tick()
    assert report.submitted == 0
    assert all(o.status == "SKIPPED" and o.decision_reason == "halted" for o in live.lt_orders(strategy))


def test_slippage_estimate_over_tolerance_is_refused_locally(live):
    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now(), slippage_tolerance_pct=Decimal(0))
    live.harness.execution_tick()
    live.harness.execution_tick()
    live.harness.emulator.admin("pause")  # freeze the simulated traders so books stay as set
    signals = ft_orders_of(engine, "FT_TEST_FIXED")
    # Move every traded token's asks far above the signal: the estimate breaks a 0% tolerance.
    for token in {s.token_id for s in signals}:
        live.harness.emulator.admin("book", token_id=token, bids=[["0.01", "100"]], asks=[["0.99", "1000"]])
    report = run_executor(engine, live.harness.clock, live.books, lambda user: live.trader)
    orders = live.lt_orders(strategy)
    assert orders and report.submitted == 0
    # (signals from the earlier tick are older than the 5 minutes a strategy copies by default: stale)
    assert {o.decision_reason for o in orders} <= {"slippage_over_tolerance", "price_out_of_range", "market_closed", "stale_signal"}
    assert any(o.decision_reason == "slippage_over_tolerance" for o in orders)


class SpentJustBeforePosting:
    """A trader whose wallet another order drains just before a tick's first post, after the executor
    read its balance: the venue, not the executor's own balance check, refuses what no longer fits."""

    def __init__(self, trader: ClobTrader, market, leave: Decimal) -> None:
        self._trader, self._market, self._leave = trader, market, leave
        self.drained = False

    def __getattr__(self, name):
        return getattr(self._trader, name)

    def submit(self, intents):
        if not self.drained and intents:
            self.drained = True
            usd = self._trader.collateral_balance() - self._leave  # a bid far below the market: it rests
            bid = self._trader.sign(self._market.tokens[0].token_id, resting_plan(price="0.01", usd=str(usd)),
                                    neg_risk=self._market.neg_risk)
            assert [r.outcome for r in self._trader.submit([bid])] == ["accepted"]
        return self._trader.submit(intents)


def test_a_venue_rejection_fails_that_signal_only(live):
    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now(), max_order_size_usd=Decimal(50))
    wallet = ClobTrader(live.harness.emulator.url, 137, test_private_key(99), use_server_time=True)
    trader = SpentJustBeforePosting(wallet, open_market(live.harness.emulator), leave=Decimal(5))
    for _ in range(4):
        live.harness.execution_tick()
        run_executor(engine, live.harness.clock, live.books, lambda user: trader)
    assert trader.drained
    orders = live.lt_orders(strategy)
    rejected = [o for o in orders if o.status == "REJECTED"]
    accepted = [o for o in orders if o.status in {"LIVE", "FILLED", "PARTIALLY_FILLED"}]
    assert rejected, "orders beyond what the venue still holds are refused by the venue"
    assert all("not enough balance" in o.rejection_reason for o in rejected)
    assert accepted, "orders within the balance still go through, in the same tick and after"
    assert {o.status for o in orders} <= {"REJECTED", "LIVE", "FILLED", "PARTIALLY_FILLED", "SKIPPED"}, \
        "every signal ends placed, refused or skipped: none is left in flight by another's rejection"


def test_missing_credentials_fail_the_strategy_not_the_tick(live):
    engine = live.harness.engine
    now = live.harness.clock.now()
    good = add_strategy(engine, now, wallet="FT_TEST_FIXED", user="alice")
    bad = add_strategy(engine, now, wallet="FT_TEST_FIXED", user="bob", strategy_id="LT_FT_TEST_FIXED_BOB")

    def trader_for(user):
        if user == "bob":
            raise LookupError("user bob: environment variable LT_PRIVATE_KEY_BOB is not set")
        return live.trader

    live.harness.execution_tick()
    live.harness.execution_tick()
    report = run_executor(engine, live.harness.clock, live.books, trader_for)
    assert "LT_PRIVATE_KEY_BOB" in report.failed[bad]
    assert live.lt_orders(good) and not live.lt_orders(bad)


def test_signals_of_a_pause_that_ended_between_ticks_are_still_skipped(live):
    from lt_pipeline.execution.strategies import pause, resume

    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now())
    pause(engine, strategy, "operator break", live.harness.clock.now())
    live.harness.execution_tick()  # signals arrive while paused; no executor run sees them yet
    during = {o.source_trade_id for o in ft_orders_of(engine, "FT_TEST_FIXED") if o.order_time > live.harness.clock.now() - timedelta(minutes=1)}
    resume(engine, strategy, live.harness.clock.now())
    live.harness.execution_tick()
    run_executor(engine, live.harness.clock, live.books, lambda user: live.trader)
    orders = {o.source_trade_id: o for o in live.lt_orders(strategy)}
    assert during and during <= set(orders)
    for trade_id in during:
        assert orders[trade_id].status == "SKIPPED" and orders[trade_id].order_id is None
    assert any(o.order_id for o in orders.values()), "signals after the resume are placed"


def test_every_placed_order_has_its_whole_history_in_the_journal(live):
    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now())
    for _ in range(2):
        live.tick()
    placed = [o for o in live.lt_orders(strategy) if o.order_id]
    assert placed
    with engine.connect() as connection:
        for order in placed:
            events = history(connection, order.lt_order_id)
            # SUBMITTED is really reached: marked before the post, then the venue's answer.
            assert [e.event.value for e in events[:3]] == ["INTENT_STORED", "SUBMITTED", "ACCEPTED"]
            assert events[0].from_state is None and events[-1].to_state.value == order.status
            assert all(e.at.tzinfo is not None for e in events)
            assert [(a.to_state, b.from_state) for a, b in zip(events, events[1:])] == [
                (a.to_state, a.to_state) for a in events[:-1]
            ]  # each event starts where the one before it ended


def test_a_placed_order_reads_on_its_own_with_the_seeds_columns(live):
    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now())
    live.tick()
    placed = [o for o in live.lt_orders(strategy) if o.order_id]
    assert placed
    with engine.connect() as connection:
        quality = {q.lt_order_id: q for q in connection.execute(select(schema.lt_execution_quality))}
        twin = connection.execute(select(schema.lt_strategies).where(schema.lt_strategies.c.strategy_id == strategy)).one()
        ft = {f.order_id: f for f in connection.execute(select(schema.ft_orders))}
    for order in placed:
        assert order.polymarket_order_id == order.order_id and order.trader_address and order.market_title
        assert order.token_label and order.market_slug is not None
        assert (order.ft_entry_price, order.ft_size) == (ft[order.ft_order_id].entry_price, ft[order.ft_order_id].size)
        # Placed with no fill yet is a fill rate of 0, not NULL.
        assert order.fill_rate is not None and (order.executed_shares > 0 or order.fill_rate == 0)
        estimate = quality[order.lt_order_id].estimated_fill_price
        assert estimate is not None and estimate == estimate.quantize(Decimal("0.000001"))  # fixed precision
    assert twin.last_sync_time == live.harness.clock.now() and twin.wallet_address == live.trader.funder.lower()


def test_signals_older_than_the_strategys_age_limit_are_skipped_as_stale(live):
    engine = live.harness.engine
    strategy = add_strategy(engine, live.harness.clock.now(), max_signal_age_seconds=30)
    live.tick()
    now = live.harness.clock.now()
    traded = {f.order_id: f.source_traded_at for f in ft_orders_of(engine, "FT_TEST_FIXED")}
    orders = live.lt_orders(strategy)
    old = [o for o in orders if (now - traded[o.ft_order_id]).total_seconds() > 30]
    assert old and all(o.status == "SKIPPED" and o.decision_reason == "stale_signal" for o in old)
    assert all(o.decision_reason != "stale_signal" for o in orders if o not in old)
    with engine.connect() as connection:
        entry = history(connection, old[0].lt_order_id)[0]
    assert "over the 30 s this strategy copies" in entry.reason and entry.detail["traded_at"]
    fresh = add_strategy(engine, live.harness.clock.now(), wallet="FT_TEST_FIXED", user="u2", strategy_id="LT_FRESH")
    live.tick()
    assert any(o.order_id for o in live.lt_orders(fresh))  # the default 5 minutes lets them through
