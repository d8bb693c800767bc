"""LT orders indexed by their signal time

The analytics refresh of today's partition (every 10 minutes) reads one day's signals; without an index
on lt_orders.signal_at it read every LT order (and every execution-quality row) the ledger holds. The
column never changes after the order's row is written, so the index costs inserts only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_lt_orders_signal_at', 'lt_orders', ['signal_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_lt_orders_signal_at', table_name='lt_orders')
