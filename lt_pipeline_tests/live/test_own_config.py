"""A twin with FT sync off keeps deciding by its own copy of the FT config after the FT wallet changes;
a twin with sync on follows the change."""

from decimal import Decimal

from sqlalchemy import select

from lt_pipeline.defs.live.assets import lt_strategies
from lt_pipeline.defs.resources import StrategyConfigResource
from lt_pipeline.execution.executor import run_executor
from lt_pipeline.execution.strategies import create_strategy, ensure_user, launch
from lt_pipeline.ledger import schema
from lt_pipeline_tests.forward_test.harness import LOOSE_WALLETS
from lt_pipeline_tests.live.test_executor import live  # noqa: F401  (the fixture)


def test_sync_off_twin_keeps_its_own_filters_after_an_ft_change(live, tmp_path):
    engine, clock = live.harness.engine, live.harness.clock
    ensure_user(engine, "alice", "Alice", now=clock.now())
    ensure_user(engine, "bob", "Bob", now=clock.now())
    settings = {"max_total_exposure_usd": "5000", "max_position_size_usd": "1000"}
    frozen = create_strategy(engine, "alice", "FT_TEST_BAND", {**settings, "sync_ft_changes": False}, clock.now())
    following = create_strategy(engine, "bob", "FT_TEST_BAND", {**settings, "sync_ft_changes": True}, clock.now())
    launch(engine, frozen, clock.now())
    launch(engine, following, clock.now())

    widened = tmp_path / "wallets.yaml"
    widened.write_text(
        LOOSE_WALLETS.read_text().replace("price_min: 0.40", "price_min: 0.05").replace("price_max: 0.60", "price_max: 0.95")
        .replace("categories: [sports, politics]", "categories: []")
    )
    live.harness.resources["strategy_config"] = StrategyConfigResource(ft_wallets_file=str(widened), tracked_traders=[])
    for _ in range(3):
        live.harness.execution_tick(live=False)
        live.harness.materialize([lt_strategies])
        run_executor(engine, clock, live.books, lambda user: live.trader)

    with engine.connect() as connection:
        signals = {
            o.source_trade_id: o
            for o in connection.execute(select(schema.ft_orders).where(schema.ft_orders.c.wallet_id == "FT_TEST_BAND"))
        }
    outside = {t for t, o in signals.items() if not Decimal("0.40") <= o.entry_price <= Decimal("0.60")}
    frozen_orders = {o.source_trade_id: o for o in live.lt_orders(frozen)}
    following_orders = {o.source_trade_id: o for o in live.lt_orders(following)}
    seen_outside = outside & set(frozen_orders)
    assert seen_outside, "the widened FT wallet should have taken trades outside the old band"
    for trade_id in seen_outside:
        order = frozen_orders[trade_id]
        assert order.status == "SKIPPED" and order.order_id is None
        # The old copy's price band (or, checked before it, its category list) refuses the trade.
        assert order.decision_reason in {
            "own_ft_config: price_below_band", "own_ft_config: price_above_band", "own_ft_config: category_excluded"
        }
    assert any(following_orders[t].order_id for t in outside & set(following_orders)), "the syncing twin follows the change"
