"""Refresh the analytics of a range of UTC days: read the ledger's signals of those days (ledger_read),
compute per signal (facts) and per group (figures) in an in-memory DuckDB, then replace those days in
the analytics file (store). Any range gives each day the figures of that day computed alone: rows are
selected by signal day and grouped by day."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from lt_pipeline.analytics import ledger_read, store
from lt_pipeline.analytics.facts import TERMS, build_facts
from lt_pipeline.analytics.figures import build_figures

TOTALS = ("signals", "placed", "skipped", "filled", "rejected", "settled", "invalid", "open_positions")
MONEY_TOTALS = ("paper_pnl", "live_pnl", "paper_minus_live", *TERMS)
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class RefreshReport:
    start: date
    end: date
    rows_read: dict[str, int]  # per staged ledger table
    signals: int  # signal_facts rows
    rows_written: dict[str, int]  # per analytics table, for the days of the range
    counts: dict[str, int]  # TOTALS over the range
    money: dict[str, Decimal]  # MONEY_TOTALS over the range, exact
    seconds: dict[str, float] = field(default_factory=dict)  # read, compute, write
    preview_markdown: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def compute(duck, tables, dialect: str, *, with_ids: bool = False) -> tuple[dict[str, int], int, dict[str, int]]:
    """Stage the Arrow tables, then signal_facts (with each signal's id when asked) and the fig_*
    results, in `duck`."""
    rows_read = ledger_read.stage(duck, tables, dialect)
    signals = build_facts(duck, with_ids=with_ids)
    return rows_read, signals, build_figures(duck)


def _totals(duck) -> tuple[dict[str, int], dict[str, Decimal]]:
    names = (*TOTALS, *MONEY_TOTALS)
    row = duck.execute(f"SELECT {', '.join(f'sum({n})' for n in names)} FROM fig_strategy").fetchone()
    values = dict(zip(names, row))
    counts = {n: int(values[n] or 0) for n in TOTALS}
    money = {n: Decimal(values[n] or 0) for n in MONEY_TOTALS}
    return counts, money


def preview_markdown(duck, limit: int = PREVIEW_ROWS) -> str:
    """The strategy table of the range, live next to paper, as markdown (the most recent days first)."""
    rows = duck.execute(
        f"""SELECT day, strategy_id, signals, placed, filled, skipped, rejected, open_positions,
                   paper_pnl_cents, live_pnl_cents, difference_cents, coverage_cents, sizing_cents,
                   delay_cents + impact_cents, opportunity_cents, fees_cents, residual_cents,
                   order_fill_rate, submit_latency_p95_ms
            FROM fig_strategy ORDER BY day DESC, strategy_id LIMIT {limit}"""
    ).fetchall()
    header = ("day", "strategy", "signals", "placed", "filled", "skipped", "rejected", "open", "paper $", "live $",
              "paper - live $", "coverage", "sizing", "delay+impact", "opportunity", "fees", "residual",
              "order fill rate", "submit p95 ms")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(v) if not isinstance(v, float) else f"{v:.3f}" for v in row[:-2]]
        cells.append("" if row[-2] is None else f"{row[-2]:.3f}")
        cells.append("" if row[-1] is None else f"{row[-1]:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    if not rows:
        lines.append("| " + " | ".join(["(no signals since launch in these days)"] + [""] * (len(header) - 1)) + " |")
    return "\n".join(lines)


def refresh_days(
    ledger_url: str,
    duckdb_path: str | Path,
    start: date,
    end: date,
    *,
    computed_at: datetime,
    duckdb_config: dict | None = None,
    lock_timeout: float = 600.0,
) -> RefreshReport:
    """Recompute days start..end (inclusive, UTC) from the ledger and replace them in the analytics file."""
    if end < start:
        raise ValueError(f"day range: expected start <= end, got {start} .. {end}")
    dialect = ledger_read.dialect_of(ledger_url)
    began = time.perf_counter()
    tables = ledger_read.read_ledger(ledger_url, start, end)
    read_at = time.perf_counter()
    duck = duckdb.connect(config=duckdb_config or {})
    try:
        rows_read, signals, _ = compute(duck, tables, dialect)
        counts, money = _totals(duck)
        preview = preview_markdown(duck)
        computed = time.perf_counter()
        with store.attached(duck, duckdb_path, write=True, timeout=lock_timeout):
            written = store.replace_days(duck, start, end, computed_at)
        written_at = time.perf_counter()
    finally:
        duck.close()
    return RefreshReport(
        start=start, end=end, rows_read=rows_read, signals=signals, rows_written=written, counts=counts,
        money=money, preview_markdown=preview,
        seconds={"read": read_at - began, "compute": computed - read_at, "write": written_at - computed},
    )
