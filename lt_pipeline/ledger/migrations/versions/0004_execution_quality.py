"""the seed's execution-quality record, complete

lt_execution_quality gets every column of the seed's table (id, expected_price, the book at signal,
slippage versus mid and signal, order and filled size in dollars, partial fill count, the signal,
placement and first-fill times and latencies, 24 h volume, spread and volatility, the 0-100 score),
the score's components, the arrival slippage in cents and our and the leader's markouts. `id` (equal
to lt_order_id) becomes the key and lt_order_id stays unique. Existing rows are carried forward where
a figure is a copy (the book, volume, prices, latencies, times, filled dollars, fill count); figures
that need arithmetic are written for them the next time their fills change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
import lt_pipeline.ledger.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

DECIMALS = (
    'expected_price', 'best_bid_at_signal', 'best_ask_at_signal', 'mid_price_at_signal', 'slippage_vs_mid_pct',
    'slippage_vs_signal_pct', 'slippage_vs_mid_cents', 'order_size_usd', 'filled_size_usd', 'market_volume_24h',
    'market_spread_pct', 'volatility_pct', 'execution_quality_score', 'markout_1m_cents', 'markout_5m_cents',
    'markout_30m_cents', 'leader_markout_1m_cents', 'leader_markout_5m_cents', 'leader_markout_30m_cents',
)
TIMES = ('signal_timestamp', 'order_placed_timestamp', 'first_fill_timestamp')
INTEGERS = ('latency_order_ms', 'latency_fill_ms')


def upgrade() -> None:
    with op.batch_alter_table('lt_execution_quality') as batch:
        batch.add_column(sa.Column('id', sa.String(length=36), nullable=True))
        for name in DECIMALS:
            batch.add_column(sa.Column(name, lt_pipeline.ledger.types.ExactDecimal(), nullable=True))
        batch.add_column(sa.Column('partial_fill_count', sa.Integer(), server_default='0', nullable=False))
        for name in TIMES:
            batch.add_column(sa.Column(name, lt_pipeline.ledger.types.UtcDateTime(), nullable=True))
        for name in INTEGERS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch.add_column(sa.Column('score_components_json', sa.Text(), nullable=True))

    # Copies only: exact on both engines (SQLite keeps these decimals as text, so no arithmetic here).
    op.execute("""UPDATE lt_execution_quality SET
        id = lt_order_id,
        expected_price = COALESCE(estimated_fill_price, signal_price),
        best_bid_at_signal = best_bid,
        best_ask_at_signal = best_ask,
        mid_price_at_signal = mid_price,
        slippage_vs_signal_pct = slippage_pct,
        market_volume_24h = volume_24h,
        latency_order_ms = execution_latency_ms,
        latency_fill_ms = fill_latency_ms,
        signal_timestamp = (SELECT signal_at FROM lt_orders WHERE lt_orders.lt_order_id = lt_execution_quality.lt_order_id),
        order_placed_timestamp = (SELECT submitted_at FROM lt_orders WHERE lt_orders.lt_order_id = lt_execution_quality.lt_order_id),
        first_fill_timestamp = (SELECT first_fill_at FROM lt_orders WHERE lt_orders.lt_order_id = lt_execution_quality.lt_order_id),
        partial_fill_count = (SELECT COUNT(*) FROM fills
            WHERE fills.lt_order_id = lt_execution_quality.lt_order_id AND fills.status <> 'FAILED')""")
    op.execute("""UPDATE lt_execution_quality SET filled_size_usd = (
        SELECT executed_size FROM lt_orders WHERE lt_orders.lt_order_id = lt_execution_quality.lt_order_id)
        WHERE lt_order_id IN (SELECT lt_order_id FROM orders)""")

    with op.batch_alter_table('lt_execution_quality') as batch:
        batch.alter_column('id', existing_type=sa.String(length=36), nullable=False)
        batch.drop_constraint(op.f('pk_lt_execution_quality'), type_='primary')
        batch.create_primary_key(op.f('pk_lt_execution_quality'), ['id'])
        batch.create_unique_constraint(op.f('uq_lt_execution_quality_lt_order_id'), ['lt_order_id'])
        batch.create_check_constraint(op.f('ck_lt_execution_quality_partial_fill_count_non_negative'),
                                      'partial_fill_count >= 0')
        batch.create_index('ix_lt_execution_quality_strategy_created', ['strategy_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lt_execution_quality') as batch:
        batch.drop_index('ix_lt_execution_quality_strategy_created')
        batch.drop_constraint(op.f('ck_lt_execution_quality_partial_fill_count_non_negative'), type_='check')
        batch.drop_constraint(op.f('uq_lt_execution_quality_lt_order_id'), type_='unique')
        batch.drop_constraint(op.f('pk_lt_execution_quality'), type_='primary')
        batch.create_primary_key(op.f('pk_lt_execution_quality'), ['lt_order_id'])
    with op.batch_alter_table('lt_execution_quality') as batch:
        for name in ('score_components_json', 'partial_fill_count', *INTEGERS, *TIMES, *DECIMALS, 'id'):
            batch.drop_column(name)
