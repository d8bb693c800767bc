"""order journal, seed columns, CLOSED outcome, venue discrepancies

The decision log becomes the order journal (event words from the model, the states around each event);
lt_orders gets the seed's columns (executed_size, the renamed executed_usd; polymarket_order_id,
trader_address, market_slug, market_title, token_label, winning_label, ft_entry_price, ft_size), a
signal_fill_rate, settled_at, and the CLOSED outcome for orders that held no position when their market
resolved; lt_strategies gets last_sync_time and description and a filled wallet_address. Existing rows
are carried forward.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
import lt_pipeline.ledger.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

EVENTS = ('SKIPPED', 'INTENT_STORED', 'SUBMITTED', 'ACCEPTED', 'REJECTED', 'UNKNOWN', 'RECONCILED', 'NEVER_ARRIVED',
          'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'CANCEL_REQUESTED', 'FILL_FAILED', 'SETTLED')
STATES = ('SKIPPED', 'INTENT_STORED', 'SUBMITTED', 'LIVE', 'PARTIALLY_FILLED', 'FILLED', 'REJECTED', 'UNKNOWN',
          'NEVER_ARRIVED', 'CANCELLED')
OUTCOMES = ('OPEN', 'WON', 'LOST', 'VOID', 'CLOSED')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # --- the decision log becomes the order journal ---
    with op.batch_alter_table('signal_decisions') as batch:
        batch.drop_constraint(op.f('ck_signal_decisions_decision_known'), type_='check')
        batch.alter_column('decision', existing_type=sa.String(16), type_=sa.String(24), existing_nullable=False)
        batch.add_column(sa.Column('from_state', sa.String(16), nullable=True))
        batch.add_column(sa.Column('to_state', sa.String(16), nullable=True))
    op.execute("UPDATE signal_decisions SET decision = 'INTENT_STORED' WHERE decision = 'EXECUTED'")
    with op.batch_alter_table('signal_decisions') as batch:
        batch.create_check_constraint(op.f('ck_signal_decisions_decision_known'), _in('decision', EVENTS))

    # --- lt_orders: the seed's columns, CLOSED, settled_at ---
    with op.batch_alter_table('lt_orders') as batch:
        batch.drop_constraint(op.f('ck_lt_orders_outcome_known'), type_='check')
        batch.drop_constraint(op.f('ck_lt_orders_status_known'), type_='check')
        batch.drop_constraint(op.f('ck_lt_orders_executed_usd_non_negative'), type_='check')
        batch.alter_column('executed_usd', new_column_name='executed_size', existing_nullable=False)
        batch.add_column(sa.Column('trader_address', sa.String(42), nullable=True))
        batch.add_column(sa.Column('market_slug', sa.String(300), nullable=True))
        batch.add_column(sa.Column('market_title', sa.Text(), nullable=True))
        batch.add_column(sa.Column('token_label', sa.String(200), nullable=True))
        batch.add_column(sa.Column('ft_entry_price', lt_pipeline.ledger.types.ExactDecimal(), nullable=True))
        batch.add_column(sa.Column('ft_size', lt_pipeline.ledger.types.ExactDecimal(), nullable=True))
        batch.add_column(sa.Column('polymarket_order_id', sa.String(80), nullable=True))
        batch.add_column(sa.Column('signal_fill_rate', lt_pipeline.ledger.types.ExactDecimal(), nullable=True))
        batch.add_column(sa.Column('winning_label', sa.String(200), nullable=True))
        batch.add_column(sa.Column('settled_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True))
        batch.create_check_constraint(op.f('ck_lt_orders_outcome_known'), _in('outcome', OUTCOMES))
        batch.create_check_constraint(op.f('ck_lt_orders_status_known'), _in('status', STATES))
        batch.create_check_constraint(op.f('ck_lt_orders_executed_size_non_negative'), 'CAST(executed_size AS NUMERIC) >= 0')

    op.execute("""UPDATE lt_orders SET
        ft_entry_price = (SELECT entry_price FROM ft_orders WHERE ft_orders.order_id = lt_orders.ft_order_id),
        ft_size = (SELECT size FROM ft_orders WHERE ft_orders.order_id = lt_orders.ft_order_id),
        trader_address = (SELECT trader_address FROM source_trades WHERE source_trades.source_trade_id = lt_orders.source_trade_id),
        market_slug = (SELECT slug FROM markets WHERE markets.condition_id = lt_orders.condition_id),
        market_title = (SELECT question FROM markets WHERE markets.condition_id = lt_orders.condition_id),
        token_label = (SELECT token_label FROM market_tokens WHERE market_tokens.token_id = lt_orders.token_id)""")
    op.execute("UPDATE lt_orders SET polymarket_order_id = order_id WHERE lt_order_id IN (SELECT lt_order_id FROM orders)")
    op.execute("UPDATE lt_orders SET fill_rate = 0 WHERE fill_rate IS NULL AND lt_order_id IN (SELECT lt_order_id FROM orders)")
    # Settled with no position: OPEN with a resolution time was the old way of saying it.
    op.execute("UPDATE lt_orders SET outcome = 'CLOSED' WHERE outcome = 'OPEN' AND resolved_at IS NOT NULL")
    op.execute("UPDATE lt_orders SET settled_at = updated_at WHERE outcome <> 'OPEN'")
    op.execute("""UPDATE lt_orders SET winning_label = (
        SELECT market_tokens.token_label FROM market_tokens JOIN markets ON markets.condition_id = market_tokens.condition_id
        WHERE market_tokens.token_id = markets.winning_token_id AND markets.condition_id = lt_orders.condition_id)
        WHERE outcome <> 'OPEN'""")

    # --- lt_strategies: the seed's columns ---
    with op.batch_alter_table('lt_strategies') as batch:
        batch.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch.add_column(sa.Column('last_sync_time', lt_pipeline.ledger.types.UtcDateTime(), nullable=True))
    op.execute("""UPDATE lt_strategies SET wallet_address = (
        SELECT funder_address FROM users WHERE users.user_id = lt_strategies.user_id) WHERE wallet_address IS NULL""")

    # --- venue discrepancies, one sync cursor per user ---
    op.create_table('venue_discrepancies',
    sa.Column('discrepancy_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=96), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('order_id', sa.String(length=80), nullable=False),
    sa.Column('trade_id', sa.String(length=80), server_default='', nullable=False),
    sa.Column('repaired', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('found_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('last_seen_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=False),
    sa.Column('cleared_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('order', 'fill')", name=op.f('ck_venue_discrepancies_kind_known')),
    sa.PrimaryKeyConstraint('discrepancy_id', name=op.f('pk_venue_discrepancies')),
    sa.UniqueConstraint('kind', 'order_id', 'trade_id', name=op.f('uq_venue_discrepancies_kind_order_id_trade_id'))
    )
    op.execute("""INSERT INTO pipeline_cursors (name, value, updated_at)
        SELECT REPLACE(name, 'lt_fills.trades.', 'lt_sync.trades.'), value, updated_at FROM pipeline_cursors
        WHERE name LIKE 'lt_fills.trades.%'""")
    op.execute("DELETE FROM pipeline_cursors WHERE name LIKE 'lt_fills.trades.%' OR name LIKE 'lt_reconcile.trades.%'")


def downgrade() -> None:
    raise NotImplementedError("the order journal migration is one-way; restore a backup to go back")
