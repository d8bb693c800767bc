"""Migration 0004 on SQLite and PostgreSQL: a ledger written under 0003 keeps its execution-quality rows,
each carried into the seed's columns where the figure is a copy, with `id` its LT order's id; and it
goes back to 0003 and forward again."""

from datetime import datetime, timezone
from decimal import Decimal

from alembic import command
from sqlalchemy import inspect, select, text

from lt_pipeline.ledger import migrate, schema
from lt_pipeline.ledger.engine import make_engine

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 24, 12, 0, 7, tzinfo=timezone.utc)
D = Decimal


def _downgrade(engine, revision: str) -> None:
    config = migrate.alembic_config()
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, revision)


def _ledger_at_0003(engine) -> None:
    migrate.upgrade(engine, "0003")
    naive = engine.dialect.name == "sqlite"
    now, later = (NOW.replace(tzinfo=None), LATER.replace(tzinfo=None)) if naive else (NOW, LATER)
    rows = [
        "INSERT INTO users (user_id, display_name, created_at) VALUES ('u1', 'U1', :now)",
        "INSERT INTO ft_wallets (wallet_id, display_name, starting_balance, config_json, config_hash, config_version,"
        " created_at, updated_at) VALUES ('FT_A', 'A', '1000', '{}', 'h', 1, :now, :now)",
        "INSERT INTO lt_strategies (strategy_id, user_id, ft_wallet_id, display_name, starting_capital,"
        " slippage_tolerance_pct, order_type, min_order_size_usd, max_order_size_usd, max_position_size_usd,"
        " max_total_exposure_usd, order_ttl_seconds, created_at, updated_at)"
        " VALUES ('LT_A', 'u1', 'FT_A', 'A', '500', '3', 'GTC', '1', '50', '100', '400', 300, :now, :now)",
        "INSERT INTO source_trades (source_trade_id, trader_address, condition_id, token_id, side, price, size,"
        " notional_usd, traded_at, ingested_at) VALUES ('st1', '0xa', '0xc1', '1', 'BUY', '0.5', '10', '5', :now, :now)",
        "INSERT INTO ft_orders (order_id, wallet_id, source_trade_id, trader_address, condition_id, token_id, side,"
        " entry_price, size, shares, sizing_method, config_version, source_traded_at, order_time)"
        " VALUES ('fo1', 'FT_A', 'st1', '0xa', '0xc1', '1', 'BUY', '0.5', '5', '10', 'fixed_usd', 1, :now, :now)",
        "INSERT INTO lt_orders (lt_order_id, strategy_id, ft_order_id, source_trade_id, user_id, condition_id, token_id,"
        " side, signal_price, signal_size_usd, signal_at, status, executed_size, submitted_at, first_fill_at,"
        " created_at, updated_at) VALUES ('L1', 'LT_A', 'fo1', 'st1', 'u1', '0xc1', '1', 'BUY', '0.5', '5', :now,"
        " 'FILLED', '5.1', :now, :later, :now, :now)",
        "INSERT INTO orders (order_id, lt_strategy_id, lt_order_id, signal_price, signal_size_usd, user_id, condition_id,"
        " token_id, side, order_type, price, original_size, status, created_at, updated_at)"
        " VALUES ('0xo1', 'LT_A', 'L1', '0.5', '5', 'u1', '0xc1', '1', 'BUY', 'GTC', '0.51', '10', 'MATCHED', :now, :now)",
        "INSERT INTO fills (fill_id, trade_id, order_id, lt_order_id, token_id, side, price, size, trader_side, status,"
        " matched_at, status_changed_at, created_at) VALUES"
        " ('f1', 't1', '0xo1', 'L1', '1', 'BUY', '0.51', '6', 'TAKER', 'CONFIRMED', :later, :later, :later),"
        " ('f2', 't2', '0xo1', 'L1', '1', 'BUY', '0.51', '4', 'TAKER', 'MINED', :later, :later, :later),"
        " ('f3', 't3', '0xo1', 'L1', '1', 'BUY', '0.51', '3', 'TAKER', 'FAILED', :later, :later, :later)",
        "INSERT INTO lt_execution_quality (lt_order_id, strategy_id, signal_price, best_bid, best_ask, mid_price, spread,"
        " volume_24h, estimated_fill_price, slippage_pct, execution_latency_ms, fill_latency_ms, created_at,"
        " updated_at) VALUES ('L1', 'LT_A', '0.5', '0.49', '0.51', '0.5', '0.02', '1234.56', '0.51', '0.02', 40,"
        " 7000, :now, :now)",
    ]
    with engine.begin() as connection:
        for statement in rows:
            connection.execute(text(statement), {"now": now, "later": later})


def test_0004_carries_the_copies_into_the_seeds_columns_and_goes_back(ledger_url):
    engine = make_engine(ledger_url)
    _ledger_at_0003(engine)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(select(schema.lt_execution_quality)).one()
    assert row.id == row.lt_order_id == "L1"
    assert (row.best_bid_at_signal, row.best_ask_at_signal, row.mid_price_at_signal) == (D("0.49"), D("0.51"), D("0.5"))
    assert row.expected_price == D("0.51")  # the book walk's estimate
    assert (row.slippage_vs_signal_pct, row.market_volume_24h) == (D("0.02"), D("1234.56"))
    assert (row.latency_order_ms, row.latency_fill_ms) == (40, 7000)
    assert (row.signal_timestamp, row.order_placed_timestamp, row.first_fill_timestamp) == (NOW, NOW, LATER)
    assert (row.filled_size_usd, row.partial_fill_count) == (D("5.1"), 2)  # the FAILED fill does not count
    # figures that need arithmetic wait for the order's next fill change
    assert (row.order_size_usd, row.market_spread_pct, row.execution_quality_score) == (None, None, None)
    assert inspect(engine).get_pk_constraint("lt_execution_quality")["constrained_columns"] == ["id"]

    _downgrade(engine, "0003")
    assert inspect(engine).get_pk_constraint("lt_execution_quality")["constrained_columns"] == ["lt_order_id"]
    assert "id" not in {c["name"] for c in inspect(engine).get_columns("lt_execution_quality")}
    assert migrate.upgrade(engine).up_to_date
    engine.dispose()
