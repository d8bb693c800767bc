"""taker fee schedules, fee reserves, stale-signal age

markets get their taker fee schedule (fees_enabled, fee_rate, fee_exponent); lt_orders the fee a
taker BUY reserved with its amount (intended_fee_usd); lt_strategies the age after which a signal is
too old to copy (max_signal_age_seconds, 300 s by default).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
import lt_pipeline.ledger.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('markets') as batch:
        batch.add_column(sa.Column('fees_enabled', sa.Boolean(), server_default='0', nullable=False))
        batch.add_column(sa.Column('fee_rate', lt_pipeline.ledger.types.ExactDecimal(), server_default='0', nullable=False))
        batch.add_column(sa.Column('fee_exponent', lt_pipeline.ledger.types.ExactDecimal(), server_default='1', nullable=False))
    with op.batch_alter_table('lt_orders') as batch:
        batch.add_column(sa.Column('intended_fee_usd', lt_pipeline.ledger.types.ExactDecimal(), server_default='0', nullable=False))
    with op.batch_alter_table('lt_strategies') as batch:
        batch.add_column(sa.Column('max_signal_age_seconds', sa.Integer(), server_default='300', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('lt_strategies') as batch:
        batch.drop_column('max_signal_age_seconds')
    with op.batch_alter_table('lt_orders') as batch:
        batch.drop_column('intended_fee_usd')
    with op.batch_alter_table('markets') as batch:
        batch.drop_column('fee_exponent')
        batch.drop_column('fee_rate')
        batch.drop_column('fees_enabled')
