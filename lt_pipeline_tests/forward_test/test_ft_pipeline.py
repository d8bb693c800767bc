"""The paper side end to end against the emulator: source trades arrive, FT orders obey their
wallets' filters, resolutions settle them exactly, and a repeated tick adds nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lt_pipeline.ledger import schema
from lt_pipeline.strategy.config import load_wallets
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.forward_test.harness import LOOSE_WALLETS, make_harness


@pytest.fixture
def harness(ledger_url, tmp_path):
    emulator = start_emulator(seed=11)
    try:
        yield make_harness(emulator, ledger_url, tmp_path)
    finally:
        emulator.stop(wait=False)


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


def rows(engine, table):
    with engine.connect() as connection:
        return connection.execute(select(table)).all()


def test_source_trades_arrive_and_ft_orders_obey_their_wallets(harness):
    for _ in range(5):
        harness.execution_tick()

    tracked = {r.trader_address for r in rows(harness.engine, schema.tracked_traders)}
    assert tracked == {t.address.lower() for t in harness.emulator.venue.traders()}
    venue_trades = [
        t for t in harness.emulator.venue.public_trades(taker_only=False) if t.proxy_wallet.lower() in tracked
    ]
    stored = rows(harness.engine, schema.source_trades)
    assert len(stored) == len(venue_trades) > 0
    assert {(r.transaction_hash, r.side, r.price) for r in stored} == {
        (t.transaction_hash, t.side, t.price) for t in venue_trades
    }

    orders = rows(harness.engine, schema.ft_orders)
    assert orders, "the loose test wallets should copy some of the emulator's trades"
    wallets = {w.wallet_id: w for w in load_wallets(LOOSE_WALLETS)}
    trades = {r.source_trade_id: r for r in stored}
    for order in orders:
        wallet = wallets[order.wallet_id]
        trade = trades[order.source_trade_id]
        assert order.side == "BUY" == trade.side
        assert order.entry_price == trade.price
        assert wallet.filters.price_min <= order.entry_price <= wallet.filters.price_max
        assert order.shares == (order.size / order.entry_price).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        if wallet.sizing.method == "fixed_usd":
            assert order.size == Decimal("10")
        else:
            assert Decimal("1") <= order.size <= Decimal("15")
    # Every BUY in the band made since its trader was tracked was taken by the fixed-size wallet;
    # trades from before (history, kept for trader quality) were not.
    since = {r.trader_address: r.added_at for r in rows(harness.engine, schema.tracked_traders)}
    in_band = {
        r.source_trade_id
        for r in stored
        if r.side == "BUY" and Decimal("0.05") <= r.price <= Decimal("0.95") and r.traded_at >= since[r.trader_address]
    }
    assert any(r.traded_at < since[r.trader_address] for r in stored), "the first poll brings the traders' history"
    taken = {o.source_trade_id for o in orders if o.wallet_id == "FT_TEST_FIXED"}
    assert taken == in_band


def test_a_repeated_tick_adds_nothing(harness):
    harness.execution_tick()
    harness.execution_tick()
    before = (count(harness.engine, schema.source_trades), count(harness.engine, schema.ft_orders))
    result = harness.execution_tick(minutes=0)
    assert (count(harness.engine, schema.source_trades), count(harness.engine, schema.ft_orders)) == before
    assert harness.metadata(result, "ft_orders")["orders_created"] == 0


def test_resolution_settles_ft_orders_exactly(harness):
    for _ in range(4):
        harness.execution_tick()
    orders = rows(harness.engine, schema.ft_orders)
    markets = sorted({o.condition_id for o in orders})
    assert len(markets) >= 2
    won_market, void_market = markets[0], markets[1]
    won_token = next(o.token_id for o in orders if o.condition_id == won_market)
    venue_market = harness.emulator.venue.market(won_market)
    winner = next(t.outcome for t in venue_market.tokens if t.token_id == won_token)
    harness.emulator.admin("resolve", condition_id=won_market, winner=winner)
    harness.emulator.admin("resolve", condition_id=void_market, winner=None)

    result = harness.resolution_tick()
    assert harness.metadata(result, "market_resolutions")["markets_resolved"] == 2
    settled = {o.order_id: o for o in rows(harness.engine, schema.ft_orders)}
    for order in settled.values():
        if order.condition_id == won_market:
            expected_outcome = "WON" if order.token_id == won_token else "LOST"
            payout = Decimal(1) if order.token_id == won_token else Decimal(0)
        elif order.condition_id == void_market:
            expected_outcome, payout = "VOID", Decimal("0.5")
        else:
            assert order.outcome == "OPEN" and order.pnl is None
            continue
        assert order.outcome == expected_outcome
        assert order.shares * order.entry_price <= order.size  # shares are rounded down, the size is what went in
        assert order.pnl == order.shares * payout - order.size  # a lost order loses exactly what it invested
    total = sum(o.pnl for o in settled.values() if o.pnl is not None)
    assert total == total.quantize(Decimal("0.001"))  # shares (2 dp) x payout (1, 0.5, 0) minus cents

    again = harness.resolution_tick()
    assert harness.metadata(again, "ft_outcomes")["settled"] == 0
