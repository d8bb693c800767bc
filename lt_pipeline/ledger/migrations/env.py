"""Alembic environment: runs the ledger's migrations on the connection `lt db upgrade` hands it."""

from alembic import context

from lt_pipeline.ledger.schema import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through lt_pipeline.ledger.migrate, which supplies the connection")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `lt db upgrade`")
run_migrations_online()
