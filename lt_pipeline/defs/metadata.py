"""Asset metadata from a plain-Python report: every count and amount, which the UI plots over time."""

import dataclasses
from decimal import Decimal

import dagster as dg


def report_metadata(report: object, **extra: object) -> dict[str, object]:
    """Numbers as they are, Decimals as floats (for plotting; the ledger keeps them exact),
    collections as their size; `extra` adds or overrides entries."""
    metadata: dict[str, object] = {}
    for field in dataclasses.fields(report):
        value = getattr(report, field.name)
        if isinstance(value, (bool, int, float)):
            metadata[field.name] = value
        elif isinstance(value, Decimal):
            metadata[field.name] = float(value)
        elif isinstance(value, (dict, list, tuple, set)):
            metadata[field.name] = len(value)
    metadata.update(extra)
    return metadata


def materialized(report: object, **extra: object) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=report_metadata(report, **extra))
