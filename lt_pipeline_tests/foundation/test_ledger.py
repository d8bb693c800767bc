"""The ledger's migrations and constraints, on SQLite and on PostgreSQL."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, insert, select
from sqlalchemy.exc import IntegrityError, StatementError

from lt_pipeline.ledger import migrate, schema
from lt_pipeline.ledger.engine import make_engine

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def test_upgrade_brings_an_empty_database_to_the_latest_migration(ledger_url):
    engine = make_engine(ledger_url)
    before = migrate.status(engine)
    assert before.current is None and not before.up_to_date
    assert "lt db upgrade" in before.describe()
    with pytest.raises(migrate.LedgerNotReady, match="lt db upgrade"):
        migrate.require_up_to_date(engine)

    after = migrate.upgrade(engine)
    assert after.up_to_date
    migrate.require_up_to_date(engine)
    assert migrate.upgrade(engine).up_to_date  # a second upgrade is a no-op


def test_migrations_create_exactly_the_declared_schema(ledger_engine):
    with ledger_engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    assert diffs == []
    tables = set(inspect(ledger_engine).get_table_names()) - {"alembic_version"}
    assert tables == set(schema.metadata.tables)
    seed_columns = {c["name"] for c in inspect(ledger_engine).get_columns("orders")}
    assert {"lt_strategy_id", "lt_order_id", "signal_price", "signal_size_usd"} <= seed_columns


def _seed_strategy(connection):
    connection.execute(insert(schema.users).values(user_id="u1", display_name="U1", created_at=NOW))
    connection.execute(
        insert(schema.ft_wallets).values(
            wallet_id="FT_A", display_name="A", starting_balance=Decimal("1000"), config_json="{}",
            config_hash="h", config_version=1, created_at=NOW, updated_at=NOW,
        )
    )
    connection.execute(insert(schema.lt_strategies).values(**_strategy_row()))


def _strategy_row(**overrides):
    row = dict(
        strategy_id="LT_FT_A", user_id="u1", ft_wallet_id="FT_A", display_name="A (Live)",
        starting_capital=Decimal("500"), slippage_tolerance_pct=Decimal("3"), order_type="GTC",
        min_order_size_usd=Decimal("1"), max_order_size_usd=Decimal("50"), max_position_size_usd=Decimal("100"),
        max_total_exposure_usd=Decimal("400"), order_ttl_seconds=300, created_at=NOW, updated_at=NOW,
    )
    row.update(overrides)
    return row


def _source_trade(**overrides):
    row = dict(
        source_trade_id="st1", trader_address="0x" + "a" * 40, condition_id="0xc1", token_id="1",
        side="BUY", price=Decimal("0.55"), size=Decimal("10"), notional_usd=Decimal("5.5"),
        traded_at=NOW, ingested_at=NOW,
    )
    row.update(overrides)
    return row


def _ft_order(**overrides):
    row = dict(
        order_id="fo1", wallet_id="FT_A", source_trade_id="st1", trader_address="0x" + "a" * 40,
        condition_id="0xc1", token_id="1", side="BUY", entry_price=Decimal("0.55"), size=Decimal("10"),
        shares=Decimal("18.18"), sizing_method="fixed_usd", config_version=1, source_traded_at=NOW, order_time=NOW,
    )
    row.update(overrides)
    return row


def _lt_order(**overrides):
    row = dict(
        lt_order_id="lo1", strategy_id="LT_FT_A", ft_order_id="fo1", source_trade_id="st1", user_id="u1",
        condition_id="0xc1", token_id="1", side="BUY", signal_price=Decimal("0.55"),
        signal_size_usd=Decimal("10"), signal_at=NOW, status="SKIPPED", created_at=NOW, updated_at=NOW,
    )
    row.update(overrides)
    return row


def test_one_live_order_per_strategy_and_source_trade(ledger_engine):
    with ledger_engine.begin() as connection:
        _seed_strategy(connection)
        connection.execute(insert(schema.source_trades).values(**_source_trade()))
        connection.execute(insert(schema.ft_orders).values(**_ft_order()))
        connection.execute(insert(schema.lt_orders).values(**_lt_order()))
    with pytest.raises(IntegrityError):
        with ledger_engine.begin() as connection:
            connection.execute(insert(schema.lt_orders).values(**_lt_order(lt_order_id="lo2")))


def test_one_live_strategy_per_user_and_ft_wallet(ledger_engine):
    with ledger_engine.begin() as connection:
        _seed_strategy(connection)
    with pytest.raises(IntegrityError):
        with ledger_engine.begin() as connection:
            connection.execute(insert(schema.lt_strategies).values(**_strategy_row(strategy_id="LT_FT_A_2")))


@pytest.mark.parametrize(
    "table, row",
    [
        ("source_trades", _source_trade(price=Decimal("1.01"))),
        ("source_trades", _source_trade(price=Decimal("-0.01"))),
        ("source_trades", _source_trade(size=Decimal("-1"))),
        ("source_trades", _source_trade(side="HOLD")),
        ("lt_strategies", _strategy_row(slippage_tolerance_pct=Decimal("101"))),
        ("lt_strategies", _strategy_row(min_order_size_usd=Decimal("60"))),
        ("lt_strategies", _strategy_row(order_type="IOC")),
    ],
)
def test_range_checks_refuse_out_of_range_rows(ledger_engine, table, row):
    with ledger_engine.begin() as connection:
        connection.execute(insert(schema.users).values(user_id="u1", display_name="U1", created_at=NOW))
        connection.execute(
            insert(schema.ft_wallets).values(
                wallet_id="FT_A", display_name="A", starting_balance=Decimal("1000"), config_json="{}",
                config_hash="h", config_version=1, created_at=NOW, updated_at=NOW,
            )
        )
    with pytest.raises(IntegrityError):
        with ledger_engine.begin() as connection:
            connection.execute(insert(schema.metadata.tables[table]).values(**row))


def test_decimals_and_timestamps_round_trip_exactly(ledger_engine):
    odd_price = Decimal("0.123456789012345678")
    tokyo = timezone(timedelta(hours=9))
    with ledger_engine.begin() as connection:
        connection.execute(
            insert(schema.source_trades).values(
                **_source_trade(price=odd_price, size=Decimal("12345678.000001"), traded_at=datetime(2026, 11, 24, 21, 0, tzinfo=tokyo))
            )
        )
        row = connection.execute(select(schema.source_trades)).one()
    assert row.price == odd_price
    assert row.size == Decimal("12345678.000001")
    assert row.traded_at == datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
    assert row.traded_at.tzinfo is not None and row.traded_at.utcoffset() == timedelta(0)


def test_naive_timestamps_and_nan_are_refused(ledger_engine):
    with pytest.raises(StatementError, match="timezone-aware"):
        with ledger_engine.begin() as connection:
            connection.execute(insert(schema.source_trades).values(**_source_trade(traded_at=datetime(2026, 1, 1))))
    with pytest.raises(StatementError, match="finite"):
        with ledger_engine.begin() as connection:
            connection.execute(insert(schema.source_trades).values(**_source_trade(price=Decimal("NaN"))))


def test_an_existing_ledger_is_carried_forward_by_the_journal_migration(ledger_url):
    from sqlalchemy import text

    engine = make_engine(ledger_url)
    migrate.upgrade(engine, "0001")
    later = NOW + timedelta(hours=1)
    with engine.begin() as connection:
        connection.execute(insert(schema.users).values(user_id="u1", display_name="U1", funder_address="0x" + "f" * 40, created_at=NOW))
        connection.execute(insert(schema.ft_wallets).values(
            wallet_id="FT_A", display_name="A", starting_balance=Decimal("1000"), config_json="{}",
            config_hash="h", config_version=1, created_at=NOW, updated_at=NOW,
        ))
        connection.execute(text(
            "INSERT INTO lt_strategies (strategy_id, user_id, ft_wallet_id, display_name, starting_capital, "
            "slippage_tolerance_pct, order_type, min_order_size_usd, max_order_size_usd, max_position_size_usd, "
            "max_total_exposure_usd, order_ttl_seconds, sync_ft_changes, is_active, is_paused, settings_version, created_at, updated_at) "
            "VALUES ('LT_FT_A', 'u1', 'FT_A', 'A', '500', '3', 'GTC', '1', '50', '100', '400', 300, :t, :t, :f, 1, :now, :now)"
        ), {"t": True, "f": False, "now": NOW})
        connection.execute(insert(schema.markets).values(
            condition_id="0xc1", question="Will it?", slug="will-it", created_at=NOW, updated_at=NOW,
        ))
        connection.execute(insert(schema.market_tokens).values(token_id="1", condition_id="0xc1", token_label="Yes", outcome_index=0))
        for n in (1, 2):
            connection.execute(insert(schema.source_trades).values(**_source_trade(source_trade_id=f"st{n}")))
            connection.execute(insert(schema.ft_orders).values(**_ft_order(order_id=f"fo{n}", source_trade_id=f"st{n}")))
        lt_insert = text(
            "INSERT INTO lt_orders (lt_order_id, strategy_id, ft_order_id, source_trade_id, user_id, condition_id, token_id, "
            "side, signal_price, signal_size_usd, signal_at, status, executed_shares, executed_usd, fees_usd, outcome, pnl, "
            "resolved_at, order_id, created_at, updated_at) VALUES (:id, 'LT_FT_A', :fo, :st, 'u1', '0xc1', '1', 'BUY', "
            "'0.55', '10', :now, :status, :shares, :usd, '0', :outcome, :pnl, :resolved, :oid, :now, :now)"
        )
        # A filled order that won, and a skipped one the old code settled as OPEN with a resolution time.
        connection.execute(lt_insert, {"id": "lo1", "fo": "fo1", "st": "st1", "now": NOW, "status": "FILLED", "shares": "18",
                                       "usd": "9.9", "outcome": "WON", "pnl": "8.1", "resolved": later, "oid": "0xh1"})
        connection.execute(lt_insert, {"id": "lo2", "fo": "fo2", "st": "st2", "now": NOW, "status": "SKIPPED", "shares": "0",
                                       "usd": "0", "outcome": "OPEN", "pnl": "0", "resolved": later, "oid": None})
        connection.execute(insert(schema.orders).values(
            order_id="0xh1", lt_strategy_id="LT_FT_A", lt_order_id="lo1", signal_price=Decimal("0.55"),
            signal_size_usd=Decimal("10"), user_id="u1", condition_id="0xc1", token_id="1", side="BUY", order_type="GTC",
            price=Decimal("0.55"), original_size=Decimal("18"), size_matched=Decimal("18"), status="MATCHED",
            created_at=NOW, updated_at=NOW,
        ))
        connection.execute(text(
            "INSERT INTO signal_decisions (strategy_id, ft_order_id, lt_order_id, source_trade_id, decision, reason, decided_at) "
            "VALUES ('LT_FT_A', 'fo1', 'lo1', 'st1', 'EXECUTED', 'placed GTC BUY', :now)"
        ), {"now": NOW})
        connection.execute(insert(schema.pipeline_cursors).values(name="lt_fills.trades.u1", value=NOW.isoformat(), updated_at=NOW))

    assert migrate.upgrade(engine).up_to_date
    with engine.connect() as connection:
        won, skipped = connection.execute(select(schema.lt_orders).order_by(schema.lt_orders.c.lt_order_id)).all()
        [decision] = connection.execute(select(schema.signal_decisions)).all()
        [twin] = connection.execute(select(schema.lt_strategies)).all()
        cursors = dict(connection.execute(select(schema.pipeline_cursors.c.name, schema.pipeline_cursors.c.value)).all())
    assert (won.executed_size, won.outcome, won.polymarket_order_id, won.fill_rate) == (Decimal("9.9"), "WON", "0xh1", Decimal(0))
    assert (won.ft_entry_price, won.ft_size, won.token_label, won.market_title) == (Decimal("0.55"), Decimal("10"), "Yes", "Will it?")
    assert won.trader_address == "0x" + "a" * 40 and won.settled_at is not None
    assert (skipped.outcome, skipped.pnl, skipped.fill_rate) == ("CLOSED", Decimal(0), None)
    assert decision.decision == "INTENT_STORED"
    assert twin.wallet_address == "0x" + "f" * 40
    assert cursors == {"lt_sync.trades.u1": NOW.isoformat()}
    engine.dispose()
