"""initial ledger

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa
import lt_pipeline.ledger.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ft_wallets',
    sa.Column('wallet_id', sa.String(length=96), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('starting_balance', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('config_json', sa.Text(), nullable=False),
    sa.Column('config_hash', sa.String(length=64), nullable=False),
    sa.Column('config_version', sa.Integer(), nullable=False),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('updated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint('CAST(starting_balance AS NUMERIC) >= 0', name=op.f('ck_ft_wallets_starting_balance_non_negative')),
    sa.PrimaryKeyConstraint('wallet_id', name=op.f('pk_ft_wallets'))
    )
    op.create_table('ingest_cursors',
    sa.Column('trader_address', sa.String(length=42), nullable=False),
    sa.Column('last_traded_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('last_polled_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('trader_address', name=op.f('pk_ingest_cursors'))
    )
    op.create_table('markets',
    sa.Column('condition_id', sa.String(length=80), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('slug', sa.String(length=300), nullable=True),
    sa.Column('category', sa.String(length=100), server_default='uncategorised', nullable=False),
    sa.Column('end_date', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('neg_risk', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('tick_size', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('min_order_size', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('liquidity', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('volume', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('volume_24h', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('closed', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('accepting_orders', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('resolution_status', sa.String(length=8), nullable=True),
    sa.Column('winning_token_id', sa.String(length=96), nullable=True),
    sa.Column('resolved_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('updated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("resolution_status IS NULL OR resolution_status IN ('WON', 'VOID')", name=op.f('ck_markets_resolution_known')),
    sa.PrimaryKeyConstraint('condition_id', name=op.f('pk_markets'))
    )
    op.create_table('pipeline_cursors',
    sa.Column('name', sa.String(length=96), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_pipeline_cursors'))
    )
    op.create_table('signal_decisions',
    sa.Column('decision_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('strategy_id', sa.String(length=96), nullable=False),
    sa.Column('ft_order_id', sa.String(length=36), nullable=False),
    sa.Column('lt_order_id', sa.String(length=36), nullable=True),
    sa.Column('source_trade_id', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail_json', sa.Text(), nullable=True),
    sa.Column('decided_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("decision IN ('EXECUTED', 'SKIPPED', 'REJECTED', 'UNKNOWN', 'RECONCILED', 'CANCELLED', 'FILLED')", name=op.f('ck_signal_decisions_decision_known')),
    sa.PrimaryKeyConstraint('decision_id', name=op.f('pk_signal_decisions'))
    )
    op.create_index('ix_signal_decisions_lt_order', 'signal_decisions', ['lt_order_id'], unique=False)
    op.create_index('ix_signal_decisions_strategy_time', 'signal_decisions', ['strategy_id', 'decided_at'], unique=False)
    op.create_table('source_trade_rejections',
    sa.Column('rejection_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('raw_hash', sa.String(length=64), nullable=False),
    sa.Column('trader_address', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('seen_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('rejection_id', name=op.f('pk_source_trade_rejections')),
    sa.UniqueConstraint('raw_hash', name=op.f('uq_source_trade_rejections_raw_hash'))
    )
    op.create_table('source_trades',
    sa.Column('source_trade_id', sa.String(length=64), nullable=False),
    sa.Column('trader_address', sa.String(length=42), nullable=False),
    sa.Column('condition_id', sa.String(length=80), nullable=False),
    sa.Column('token_id', sa.String(length=96), nullable=False),
    sa.Column('token_label', sa.String(length=200), nullable=True),
    sa.Column('outcome_index', sa.Integer(), nullable=True),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('price', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('size', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('notional_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('traded_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('transaction_hash', sa.String(length=80), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('ingested_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f('ck_source_trades_side_known')),
    sa.CheckConstraint('CAST(notional_usd AS NUMERIC) >= 0', name=op.f('ck_source_trades_notional_usd_non_negative')),
    sa.CheckConstraint('CAST(price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_source_trades_price_in_0_1')),
    sa.CheckConstraint('CAST(size AS NUMERIC) >= 0', name=op.f('ck_source_trades_size_non_negative')),
    sa.PrimaryKeyConstraint('source_trade_id', name=op.f('pk_source_trades'))
    )
    op.create_index('ix_source_trades_ingested_at', 'source_trades', ['ingested_at'], unique=False)
    op.create_index('ix_source_trades_trader_traded', 'source_trades', ['trader_address', 'traded_at'], unique=False)
    op.create_table('system_controls',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('updated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_system_controls'))
    )
    op.create_table('tracked_traders',
    sa.Column('trader_address', sa.String(length=42), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('added_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("source IN ('config', 'discovery', 'emulator')", name=op.f('ck_tracked_traders_source_known')),
    sa.PrimaryKeyConstraint('trader_address', name=op.f('pk_tracked_traders'))
    )
    op.create_table('users',
    sa.Column('user_id', sa.String(length=96), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('funder_address', sa.String(length=42), nullable=True),
    sa.Column('signature_type', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_users'))
    )
    op.create_table('ft_orders',
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('wallet_id', sa.String(length=96), nullable=False),
    sa.Column('source_trade_id', sa.String(length=64), nullable=False),
    sa.Column('trader_address', sa.String(length=42), nullable=False),
    sa.Column('condition_id', sa.String(length=80), nullable=False),
    sa.Column('token_id', sa.String(length=96), nullable=False),
    sa.Column('token_label', sa.String(length=200), nullable=True),
    sa.Column('market_title', sa.Text(), nullable=True),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('entry_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('size', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('shares', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('trader_win_rate', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('conviction', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('sizing_method', sa.String(length=32), nullable=False),
    sa.Column('config_version', sa.Integer(), nullable=False),
    sa.Column('source_traded_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('order_time', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=8), server_default='OPEN', nullable=False),
    sa.Column('pnl', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('resolved_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.CheckConstraint("outcome IN ('OPEN', 'WON', 'LOST', 'VOID')", name=op.f('ck_ft_orders_outcome_known')),
    sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f('ck_ft_orders_side_known')),
    sa.CheckConstraint('CAST(entry_price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_ft_orders_entry_price_in_0_1')),
    sa.CheckConstraint('CAST(shares AS NUMERIC) >= 0', name=op.f('ck_ft_orders_shares_non_negative')),
    sa.CheckConstraint('CAST(size AS NUMERIC) >= 0', name=op.f('ck_ft_orders_size_non_negative')),
    sa.ForeignKeyConstraint(['source_trade_id'], ['source_trades.source_trade_id'], name=op.f('fk_ft_orders_source_trade_id_source_trades')),
    sa.ForeignKeyConstraint(['wallet_id'], ['ft_wallets.wallet_id'], name=op.f('fk_ft_orders_wallet_id_ft_wallets')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_ft_orders')),
    sa.UniqueConstraint('wallet_id', 'source_trade_id', name=op.f('uq_ft_orders_wallet_id_source_trade_id'))
    )
    op.create_index('ix_ft_orders_condition_outcome', 'ft_orders', ['condition_id', 'outcome'], unique=False)
    op.create_index('ix_ft_orders_wallet_time', 'ft_orders', ['wallet_id', 'order_time'], unique=False)
    op.create_table('ft_wallet_versions',
    sa.Column('version_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('wallet_id', sa.String(length=96), nullable=False),
    sa.Column('config_version', sa.Integer(), nullable=False),
    sa.Column('config_hash', sa.String(length=64), nullable=False),
    sa.Column('config_json', sa.Text(), nullable=False),
    sa.Column('changes_json', sa.Text(), nullable=False),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['wallet_id'], ['ft_wallets.wallet_id'], name=op.f('fk_ft_wallet_versions_wallet_id_ft_wallets')),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_ft_wallet_versions')),
    sa.UniqueConstraint('wallet_id', 'config_version', name=op.f('uq_ft_wallet_versions_wallet_id_config_version'))
    )
    op.create_table('lt_strategies',
    sa.Column('strategy_id', sa.String(length=96), nullable=False),
    sa.Column('user_id', sa.String(length=96), nullable=False),
    sa.Column('ft_wallet_id', sa.String(length=96), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('wallet_address', sa.String(length=42), nullable=True),
    sa.Column('starting_capital', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('slippage_tolerance_pct', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('order_type', sa.String(length=4), nullable=False),
    sa.Column('min_order_size_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('max_order_size_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('max_position_size_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('max_total_exposure_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('max_daily_loss_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('order_ttl_seconds', sa.Integer(), nullable=False),
    sa.Column('sync_ft_changes', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('is_paused', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('pause_reason', sa.Text(), nullable=True),
    sa.Column('paused_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('resumed_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('launched_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('ft_config_hash', sa.String(length=64), nullable=True),
    sa.Column('ft_config_json', sa.Text(), nullable=True),
    sa.Column('settings_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('updated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("order_type IN ('GTC', 'FOK', 'FAK')", name=op.f('ck_lt_strategies_order_type_known')),
    sa.CheckConstraint('CAST(max_order_size_usd AS NUMERIC) >= CAST(min_order_size_usd AS NUMERIC)', name=op.f('ck_lt_strategies_max_order_at_least_min')),
    sa.CheckConstraint('CAST(max_position_size_usd AS NUMERIC) >= 0', name=op.f('ck_lt_strategies_max_position_size_usd_non_negative')),
    sa.CheckConstraint('CAST(max_total_exposure_usd AS NUMERIC) >= 0', name=op.f('ck_lt_strategies_max_total_exposure_usd_non_negative')),
    sa.CheckConstraint('CAST(min_order_size_usd AS NUMERIC) >= 0', name=op.f('ck_lt_strategies_min_order_size_usd_non_negative')),
    sa.CheckConstraint('CAST(slippage_tolerance_pct AS NUMERIC) BETWEEN 0 AND 100', name=op.f('ck_lt_strategies_slippage_tolerance_pct_in_0_100')),
    sa.CheckConstraint('CAST(starting_capital AS NUMERIC) >= 0', name=op.f('ck_lt_strategies_starting_capital_non_negative')),
    sa.CheckConstraint('order_ttl_seconds > 0', name=op.f('ck_lt_strategies_order_ttl_positive')),
    sa.ForeignKeyConstraint(['ft_wallet_id'], ['ft_wallets.wallet_id'], name=op.f('fk_lt_strategies_ft_wallet_id_ft_wallets')),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_lt_strategies_user_id_users')),
    sa.PrimaryKeyConstraint('strategy_id', name=op.f('pk_lt_strategies')),
    sa.UniqueConstraint('user_id', 'ft_wallet_id', name=op.f('uq_lt_strategies_user_id_ft_wallet_id'))
    )
    op.create_table('market_tokens',
    sa.Column('token_id', sa.String(length=96), nullable=False),
    sa.Column('condition_id', sa.String(length=80), nullable=False),
    sa.Column('token_label', sa.String(length=200), nullable=False),
    sa.Column('outcome_index', sa.Integer(), nullable=False),
    sa.Column('payout', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.CheckConstraint('payout IS NULL OR CAST(payout AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_market_tokens_payout_in_0_1')),
    sa.ForeignKeyConstraint(['condition_id'], ['markets.condition_id'], name=op.f('fk_market_tokens_condition_id_markets')),
    sa.PrimaryKeyConstraint('token_id', name=op.f('pk_market_tokens'))
    )
    op.create_index(op.f('ix_market_tokens_condition_id'), 'market_tokens', ['condition_id'], unique=False)
    op.create_table('lt_orders',
    sa.Column('lt_order_id', sa.String(length=36), nullable=False),
    sa.Column('strategy_id', sa.String(length=96), nullable=False),
    sa.Column('ft_order_id', sa.String(length=36), nullable=False),
    sa.Column('source_trade_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=96), nullable=False),
    sa.Column('condition_id', sa.String(length=80), nullable=False),
    sa.Column('token_id', sa.String(length=96), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('signal_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('signal_size_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('signal_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('intended_size_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('intended_shares', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('limit_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('order_type', sa.String(length=4), nullable=True),
    sa.Column('order_id', sa.String(length=80), nullable=True),
    sa.Column('signed_order_json', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('executed_shares', lt_pipeline.ledger.types.ExactDecimal(), server_default='0', nullable=False),
    sa.Column('executed_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('executed_usd', lt_pipeline.ledger.types.ExactDecimal(), server_default='0', nullable=False),
    sa.Column('fees_usd', lt_pipeline.ledger.types.ExactDecimal(), server_default='0', nullable=False),
    sa.Column('slippage_pct', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('fill_rate', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('detected_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('decided_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('submitted_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('acked_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('first_fill_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('fully_filled_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('cancelled_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('execution_latency_ms', sa.Integer(), nullable=True),
    sa.Column('fill_latency_ms', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=8), server_default='OPEN', nullable=False),
    sa.Column('pnl', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('ft_pnl', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('performance_diff_pct', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('resolved_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('updated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('OPEN', 'WON', 'LOST', 'VOID')", name=op.f('ck_lt_orders_outcome_known')),
    sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f('ck_lt_orders_side_known')),
    sa.CheckConstraint("status IN ('DECIDED', 'SKIPPED', 'INTENT_STORED', 'SUBMITTED', 'LIVE', 'PARTIALLY_FILLED', 'FILLED', 'REJECTED', 'UNKNOWN', 'NEVER_ARRIVED', 'CANCELLED')", name=op.f('ck_lt_orders_status_known')),
    sa.CheckConstraint('CAST(executed_shares AS NUMERIC) >= 0', name=op.f('ck_lt_orders_executed_shares_non_negative')),
    sa.CheckConstraint('CAST(executed_usd AS NUMERIC) >= 0', name=op.f('ck_lt_orders_executed_usd_non_negative')),
    sa.CheckConstraint('CAST(signal_price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_lt_orders_signal_price_in_0_1')),
    sa.CheckConstraint('CAST(signal_size_usd AS NUMERIC) >= 0', name=op.f('ck_lt_orders_signal_size_usd_non_negative')),
    sa.CheckConstraint('executed_price IS NULL OR CAST(executed_price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_lt_orders_executed_price_in_0_1')),
    sa.CheckConstraint('limit_price IS NULL OR CAST(limit_price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_lt_orders_limit_price_in_0_1')),
    sa.ForeignKeyConstraint(['ft_order_id'], ['ft_orders.order_id'], name=op.f('fk_lt_orders_ft_order_id_ft_orders')),
    sa.ForeignKeyConstraint(['strategy_id'], ['lt_strategies.strategy_id'], name=op.f('fk_lt_orders_strategy_id_lt_strategies')),
    sa.PrimaryKeyConstraint('lt_order_id', name=op.f('pk_lt_orders')),
    sa.UniqueConstraint('order_id', name=op.f('uq_lt_orders_order_id')),
    sa.UniqueConstraint('strategy_id', 'source_trade_id', name=op.f('uq_lt_orders_strategy_id_source_trade_id'))
    )
    op.create_index('ix_lt_orders_status', 'lt_orders', ['status'], unique=False)
    op.create_index('ix_lt_orders_strategy_status', 'lt_orders', ['strategy_id', 'status'], unique=False)
    op.create_table('lt_strategy_versions',
    sa.Column('version_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('strategy_id', sa.String(length=96), nullable=False),
    sa.Column('settings_version', sa.Integer(), nullable=False),
    sa.Column('settings_json', sa.Text(), nullable=False),
    sa.Column('changes_json', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("source IN ('create', 'edit', 'ft_sync')", name=op.f('ck_lt_strategy_versions_source_known')),
    sa.ForeignKeyConstraint(['strategy_id'], ['lt_strategies.strategy_id'], name=op.f('fk_lt_strategy_versions_strategy_id_lt_strategies')),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_lt_strategy_versions')),
    sa.UniqueConstraint('strategy_id', 'settings_version', name=op.f('uq_lt_strategy_versions_strategy_id_settings_version'))
    )
    op.create_table('lt_execution_quality',
    sa.Column('lt_order_id', sa.String(length=36), nullable=False),
    sa.Column('strategy_id', sa.String(length=96), nullable=False),
    sa.Column('signal_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('best_bid', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('best_ask', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('mid_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('spread', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('volume_24h', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('estimated_fill_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('estimated_slippage_pct', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('executed_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('slippage_pct', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('slippage_cents', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('fill_rate', lt_pipeline.ledger.types.ExactDecimal(), nullable=True),
    sa.Column('execution_latency_ms', sa.Integer(), nullable=True),
    sa.Column('ack_latency_ms', sa.Integer(), nullable=True),
    sa.Column('fill_latency_ms', sa.Integer(), nullable=True),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('updated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint('CAST(signal_price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_lt_execution_quality_signal_price_in_0_1')),
    sa.ForeignKeyConstraint(['lt_order_id'], ['lt_orders.lt_order_id'], name=op.f('fk_lt_execution_quality_lt_order_id_lt_orders')),
    sa.PrimaryKeyConstraint('lt_order_id', name=op.f('pk_lt_execution_quality'))
    )
    op.create_table('orders',
    sa.Column('order_id', sa.String(length=80), nullable=False),
    sa.Column('lt_strategy_id', sa.String(length=96), nullable=False),
    sa.Column('lt_order_id', sa.String(length=36), nullable=False),
    sa.Column('signal_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('signal_size_usd', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('user_id', sa.String(length=96), nullable=False),
    sa.Column('condition_id', sa.String(length=80), nullable=False),
    sa.Column('token_id', sa.String(length=96), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('order_type', sa.String(length=4), nullable=False),
    sa.Column('price', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('original_size', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('size_matched', lt_pipeline.ledger.types.ExactDecimal(), server_default='0', nullable=False),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('last_seen_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('updated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f('ck_orders_side_known')),
    sa.CheckConstraint('CAST(original_size AS NUMERIC) >= 0', name=op.f('ck_orders_original_size_non_negative')),
    sa.CheckConstraint('CAST(price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_orders_price_in_0_1')),
    sa.CheckConstraint('CAST(signal_price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_orders_signal_price_in_0_1')),
    sa.CheckConstraint('CAST(signal_size_usd AS NUMERIC) >= 0', name=op.f('ck_orders_signal_size_usd_non_negative')),
    sa.CheckConstraint('CAST(size_matched AS NUMERIC) >= 0', name=op.f('ck_orders_size_matched_non_negative')),
    sa.ForeignKeyConstraint(['lt_order_id'], ['lt_orders.lt_order_id'], name=op.f('fk_orders_lt_order_id_lt_orders')),
    sa.ForeignKeyConstraint(['lt_strategy_id'], ['lt_strategies.strategy_id'], name=op.f('fk_orders_lt_strategy_id_lt_strategies')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_orders')),
    sa.UniqueConstraint('lt_order_id', name=op.f('uq_orders_lt_order_id'))
    )
    op.create_table('fills',
    sa.Column('fill_id', sa.String(length=160), nullable=False),
    sa.Column('trade_id', sa.String(length=80), nullable=False),
    sa.Column('order_id', sa.String(length=80), nullable=False),
    sa.Column('lt_order_id', sa.String(length=36), nullable=False),
    sa.Column('token_id', sa.String(length=96), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('price', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('size', lt_pipeline.ledger.types.ExactDecimal(), nullable=False),
    sa.Column('fee_rate_bps', sa.Integer(), server_default='0', nullable=False),
    sa.Column('fee_usd', lt_pipeline.ledger.types.ExactDecimal(), server_default='0', nullable=False),
    sa.Column('trader_side', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('transaction_hash', sa.String(length=80), nullable=True),
    sa.Column('matched_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('status_changed_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('created_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f('ck_fills_side_known')),
    sa.CheckConstraint("status IN ('MATCHED', 'MINED', 'CONFIRMED', 'RETRYING', 'FAILED')", name=op.f('ck_fills_status_known')),
    sa.CheckConstraint("trader_side IN ('TAKER', 'MAKER')", name=op.f('ck_fills_trader_side_known')),
    sa.CheckConstraint('CAST(fee_usd AS NUMERIC) >= 0', name=op.f('ck_fills_fee_usd_non_negative')),
    sa.CheckConstraint('CAST(price AS NUMERIC) BETWEEN 0 AND 1', name=op.f('ck_fills_price_in_0_1')),
    sa.CheckConstraint('CAST(size AS NUMERIC) >= 0', name=op.f('ck_fills_size_non_negative')),
    sa.ForeignKeyConstraint(['lt_order_id'], ['lt_orders.lt_order_id'], name=op.f('fk_fills_lt_order_id_lt_orders')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.order_id'], name=op.f('fk_fills_order_id_orders')),
    sa.PrimaryKeyConstraint('fill_id', name=op.f('pk_fills')),
    sa.UniqueConstraint('trade_id', 'order_id', name=op.f('uq_fills_trade_id_order_id'))
    )
    op.create_index('ix_fills_lt_order', 'fills', ['lt_order_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fills_lt_order', table_name='fills')
    op.drop_table('fills')
    op.drop_table('orders')
    op.drop_table('lt_execution_quality')
    op.drop_table('lt_strategy_versions')
    op.drop_index('ix_lt_orders_strategy_status', table_name='lt_orders')
    op.drop_index('ix_lt_orders_status', table_name='lt_orders')
    op.drop_table('lt_orders')
    op.drop_index(op.f('ix_market_tokens_condition_id'), table_name='market_tokens')
    op.drop_table('market_tokens')
    op.drop_table('lt_strategies')
    op.drop_table('ft_wallet_versions')
    op.drop_index('ix_ft_orders_wallet_time', table_name='ft_orders')
    op.drop_index('ix_ft_orders_condition_outcome', table_name='ft_orders')
    op.drop_table('ft_orders')
    op.drop_table('users')
    op.drop_table('tracked_traders')
    op.drop_table('system_controls')
    op.drop_index('ix_source_trades_trader_traded', table_name='source_trades')
    op.drop_index('ix_source_trades_ingested_at', table_name='source_trades')
    op.drop_table('source_trades')
    op.drop_table('source_trade_rejections')
    op.drop_index('ix_signal_decisions_strategy_time', table_name='signal_decisions')
    op.drop_index('ix_signal_decisions_lt_order', table_name='signal_decisions')
    op.drop_table('signal_decisions')
    op.drop_table('pipeline_cursors')
    op.drop_table('markets')
    op.drop_table('ingest_cursors')
    op.drop_table('ft_wallets')
