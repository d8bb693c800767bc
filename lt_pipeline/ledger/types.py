"""Column types that keep the ledger exact on both engines: decimals and UTC timestamps.

SQLite has no decimal type (SQLAlchemy would round-trip NUMERIC through floats) and no time zones, so
there decimals are stored as canonical text and timestamps as naive UTC; PostgreSQL gets NUMERIC and
TIMESTAMPTZ. Either way Python sees Decimal and aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator

from lt_pipeline.clock import ensure_utc
from lt_pipeline.money import to_decimal


class ExactDecimal(TypeDecorator):
    """A Decimal stored exactly: NUMERIC on PostgreSQL, canonical text on SQLite."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(38, 18))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        number = to_decimal(value, "decimal column")
        if dialect.name == "sqlite":
            return format(number.normalize(), "f") if number != 0 else "0"
        return number

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        number = Decimal(value) if not isinstance(value, Decimal) else value
        return number.normalize() if number != 0 else Decimal(0)


class UtcDateTime(TypeDecorator):
    """An aware UTC datetime; naive datetimes are refused on the way in."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(DateTime(timezone=False))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        value = ensure_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
