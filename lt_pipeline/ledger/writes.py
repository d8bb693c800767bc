"""Portable idempotent writes: insert-if-absent and upsert on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from lt_pipeline.ledger.schema import pipeline_cursors


def _insert(connection: Connection, table: Table):
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_missing(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> int:
    """Insert the rows whose `keys` are not there yet; returns how many were new."""
    if not rows:
        return 0
    statement = _insert(connection, table).on_conflict_do_nothing(index_elements=list(keys))
    result = connection.execute(statement, list(rows))
    return max(result.rowcount, 0)


def upsert(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert rows, or update the `update` columns where `keys` already exist."""
    if not rows:
        return
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
    )
    connection.execute(statement, list(rows))


def read_cursor(connection: Connection, name: str) -> str | None:
    return connection.execute(select(pipeline_cursors.c.value).where(pipeline_cursors.c.name == name)).scalar()


def write_cursor(connection: Connection, name: str, value: str, now: datetime) -> None:
    upsert(connection, pipeline_cursors, [{"name": name, "value": value, "updated_at": now}], ["name"], ["value", "updated_at"])
