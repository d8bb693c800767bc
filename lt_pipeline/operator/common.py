"""What every read model shares: the one error for an id that names nothing, exact decimals shown
plainly, and the JSON form (decimals as strings, datetimes ISO 8601 in UTC)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any


class UnknownId(LookupError):
    """An id that names nothing in the ledger. The message names the kind of id, the value, and where
    to find the known ones, e.g. "no LT strategy 'abc' (see `lt strategy list`)"."""

    def __init__(self, kind: str, value: object, hint: str) -> None:
        super().__init__(f"no {kind} {value!r} ({hint})")
        self.kind = kind
        self.value = value


def plain(value: Decimal | None) -> Decimal | None:
    """An exact decimal without trailing zeros or exponent (DuckDB's DECIMAL(38, 18) 1.500000... -> 1.5)."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return Decimal(text)


def jsonable(value: Any) -> Any:
    """`value` with decimals as exact strings, datetimes as ISO UTC, dataclasses and enums unfolded."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat() + "+00:00"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


class JsonMixin:
    """`.as_json()` for a read model dataclass."""

    def as_json(self) -> dict[str, Any]:
        return jsonable(self)
