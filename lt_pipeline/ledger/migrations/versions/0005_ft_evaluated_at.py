"""source trades marked when the FT step decided them

source_trades gets `ft_evaluated_at` (NULL until the FT step has decided the trade) and a partial
index on the rows still NULL. The FT step used to read new trades by a cursor on ingested_at
(pipeline_cursors 'ft_orders.ingested_at'); with two writers ingesting at once a trade stamped earlier
but committed after another writer's read was passed by that cursor and never decided. Every trade
the cursor had passed (ingested_at <= cursor) is marked evaluated at the cursor's last move, so
nothing old is decided again; later trades (those still waiting for their market) stay NULL and are
decided by the next FT tick; the cursor row is dropped. On a ledger without that cursor (the FT step
never ran) every trade stays NULL, as the old code would have read them all. Going back recreates the
cursor just before the first trade still to be decided (or at the last trade decided).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

import lt_pipeline.ledger.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

CURSOR = 'ft_orders.ingested_at'
PENDING = sa.text('ft_evaluated_at IS NULL')

trades = sa.table(
    'source_trades',
    sa.column('ingested_at', lt_pipeline.ledger.types.UtcDateTime()),
    sa.column('ft_evaluated_at', lt_pipeline.ledger.types.UtcDateTime()),
)
cursors = sa.table(
    'pipeline_cursors',
    sa.column('name', sa.String()),
    sa.column('value', sa.Text()),
    sa.column('updated_at', lt_pipeline.ledger.types.UtcDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table('source_trades') as batch:
        batch.add_column(sa.Column('ft_evaluated_at', lt_pipeline.ledger.types.UtcDateTime(), nullable=True))
    op.create_index('ix_source_trades_ft_pending', 'source_trades', ['ingested_at'], unique=False,
                    sqlite_where=PENDING, postgresql_where=PENDING)

    bind = op.get_bind()
    cursor = bind.execute(sa.select(cursors.c.value, cursors.c.updated_at).where(cursors.c.name == CURSOR)).first()
    if cursor is not None:
        # The cursor read "ingested after": everything at or before it was decided by then.
        passed = datetime.fromisoformat(cursor.value)
        bind.execute(trades.update().where(trades.c.ingested_at <= passed).values(ft_evaluated_at=cursor.updated_at))
        bind.execute(cursors.delete().where(cursors.c.name == CURSOR))


def downgrade() -> None:
    bind = op.get_bind()
    first_pending = bind.execute(sa.select(sa.func.min(trades.c.ingested_at)).where(trades.c.ft_evaluated_at.is_(None))).scalar()
    last_decided = bind.execute(sa.select(sa.func.max(trades.c.ingested_at)).where(trades.c.ft_evaluated_at.is_not(None))).scalar()
    value = first_pending - timedelta(microseconds=1) if first_pending is not None else last_decided
    if value is not None:
        updated_at = bind.execute(sa.select(sa.func.max(trades.c.ft_evaluated_at))).scalar() or value
        bind.execute(cursors.insert().values(name=CURSOR, value=value.isoformat(), updated_at=updated_at))
    op.drop_index('ix_source_trades_ft_pending', table_name='source_trades',
                  sqlite_where=PENDING, postgresql_where=PENDING)
    with op.batch_alter_table('source_trades') as batch:
        batch.drop_column('ft_evaluated_at')
