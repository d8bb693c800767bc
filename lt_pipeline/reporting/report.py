"""`lt report`'s figures: per order (slippage, fill, latency, implementation shortfall split, score with
components, markouts) from the ledger, and per strategy since a date (PnL, ROI, win rate, counts, rates,
latency percentiles, open positions, available capital, and the live-minus-paper attribution) from the
analytics DuckDB file plus the ledger for what only it knows now (open positions, capital, latency
percentiles over the exact period)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from lt_pipeline.analytics import store
from lt_pipeline.analytics.facts import TERMS
from lt_pipeline.analytics.figures import COUNTS, FILL_ERROR_COLUMNS, MONEY, exact_rates, group_sql
from lt_pipeline.execution.strategy_book import read_strategy_book
from lt_pipeline.ledger.schema import lt_execution_quality, lt_orders, lt_strategies, market_tokens
from lt_pipeline.operator.card import pause_windows
from lt_pipeline.quality.measures import implementation_shortfall, percentile


@dataclass
class OrderLine:
    lt_order_id: str
    status: str
    side: str
    signal_price: Decimal
    executed_price: Decimal | None
    slippage_cents: Decimal | None
    slippage_vs_signal_pct: Decimal | None
    slippage_vs_mid_pct: Decimal | None
    fill_rate: Decimal | None
    partial_fill_count: int | None
    latency_order_ms: int | None
    latency_fill_ms: int | None
    score: Decimal | None
    score_components: dict | None
    markouts_cents: dict
    leader_markouts_cents: dict
    shortfall: dict | None  # delay, impact, opportunity, fees, total (USD), once settled


@dataclass
class StrategyReport:
    strategy_id: str
    launched_at: datetime | None
    since: datetime | None
    figures: dict = field(default_factory=dict)
    attribution: dict = field(default_factory=dict)
    latency_ms: dict = field(default_factory=dict)
    open_positions: int = 0
    available_capital: Decimal | None = None
    pause_windows: list[dict] = field(default_factory=list)  # paused_at, resumed_at (None: still paused), reason
    orders: list[OrderLine] = field(default_factory=list)


def strategy_ids(engine: Engine, only: str | None) -> list[str]:
    with engine.connect() as connection:
        ids = list(connection.execute(select(lt_strategies.c.strategy_id).order_by(lt_strategies.c.strategy_id)).scalars())
    if only is not None and only not in ids:
        raise KeyError(f"strategy: no LT strategy {only!r} (known: {', '.join(ids) or 'none'})")
    return [only] if only else ids


def build_report(engine: Engine, duckdb_path: Path, strategy_id: str, since: datetime | None, now: datetime) -> StrategyReport:
    with engine.connect() as connection:
        strategy = connection.execute(select(lt_strategies).where(lt_strategies.c.strategy_id == strategy_id)).mappings().one()
        book = read_strategy_book(connection, dict(strategy), now)
        pauses = [asdict(window) for window in pause_windows(connection, strategy_id, dict(strategy))]
        start = max(filter(None, (since, strategy["launched_at"])), default=None)
        report = StrategyReport(strategy_id, strategy["launched_at"], start, available_capital=book.available,
                                pause_windows=pauses)
        q = lt_execution_quality.c
        quality = [q.slippage_cents, q.slippage_vs_signal_pct, q.slippage_vs_mid_pct, q.partial_fill_count,
                   q.latency_order_ms, q.latency_fill_ms, q.execution_quality_score, q.score_components_json,
                   q.mid_price_at_signal, *(getattr(q, f"{who}markout_{h}_cents") for who in ("", "leader_")
                                            for h in ("1m", "5m", "30m"))]
        rows = connection.execute(
            select(lt_orders, *quality, market_tokens.c.payout)
            .outerjoin(lt_execution_quality, lt_execution_quality.c.lt_order_id == lt_orders.c.lt_order_id)
            .outerjoin(market_tokens, market_tokens.c.token_id == lt_orders.c.token_id)
            .where(lt_orders.c.strategy_id == strategy_id)
            .where(lt_orders.c.signal_at >= start if start is not None else True)
            .order_by(lt_orders.c.signal_at)
        ).mappings().all()
    report.orders = [_order_line(row) for row in rows if row["order_id"]]
    report.open_positions = sum(1 for row in rows if row["outcome"] == "OPEN" and row["executed_shares"])
    latencies = sorted(Decimal(row["execution_latency_ms"]) for row in rows if row["execution_latency_ms"] is not None)
    report.latency_ms = {f"p{p}": percentile(latencies, p) for p in (50, 95, 99)} if latencies else {}
    report.figures, report.attribution = _from_duckdb(duckdb_path, strategy_id, start)
    return report


def _order_line(row) -> OrderLine:
    shortfall = None
    if row["payout"] is not None and row["intended_shares"]:
        parts = implementation_shortfall(
            side=row["side"], intended_shares=row["intended_shares"], filled_shares=row["executed_shares"],
            signal_price=row["signal_price"], executed_price=row["executed_price"],
            arrival_mid=row["mid_price_at_signal"], terminal_price=row["payout"], fees=row["fees_usd"],
        )
        shortfall = {"delay": parts.delay, "impact": parts.impact, "opportunity": parts.opportunity, "fees": parts.fees,
                     "total": parts.total}
    return OrderLine(
        lt_order_id=row["lt_order_id"], status=row["status"], side=row["side"], signal_price=row["signal_price"],
        executed_price=row["executed_price"], slippage_cents=row["slippage_cents"],
        slippage_vs_signal_pct=row["slippage_vs_signal_pct"], slippage_vs_mid_pct=row["slippage_vs_mid_pct"],
        fill_rate=row["fill_rate"], partial_fill_count=row["partial_fill_count"], latency_order_ms=row["latency_order_ms"],
        latency_fill_ms=row["latency_fill_ms"], score=row["execution_quality_score"],
        score_components=json.loads(row["score_components_json"]) if row["score_components_json"] else None,
        markouts_cents={h: row[f"markout_{h}_cents"] for h in ("1m", "5m", "30m")},
        leader_markouts_cents={h: row[f"leader_markout_{h}_cents"] for h in ("1m", "5m", "30m")},
        shortfall=shortfall,
    )


def _from_duckdb(path: Path, strategy_id: str, start: datetime | None) -> tuple[dict, dict]:
    """The strategy's figures since `start` (its launch, or --since): one aggregation over the signal facts
    the analytics file keeps, so every count, sum, rate and term is the period's own (figures.group_sql,
    the daily tables' definitions); rates exact."""
    if not Path(path).exists():
        return {}, {}
    day = start.date() if start is not None else date.min
    with store.reader(path) as duck:
        if not duck.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [store.FACTS]).fetchone()[0]:
            return {}, {}
        source = f"(SELECT * FROM {store.FACTS} WHERE strategy_id = ? AND day >= ?)"
        cursor = duck.execute(group_sql(("strategy_id",), source), [strategy_id, day])
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    if row is None:
        return {}, {}
    group = dict(zip(names, row))
    figures = {name: group[name] for name in (*(n for n, _ in COUNTS), *MONEY, *FILL_ERROR_COLUMNS)}
    figures.update({name: rate for name, rate in exact_rates(group).items() if rate is not None})
    attribution = {name: group[name] for name in ("paper_minus_live", *TERMS)}
    return figures, attribution


def as_json(reports: list[StrategyReport]) -> str:
    return json.dumps([asdict(r) for r in reports], default=str, indent=1)


def as_text(reports: list[StrategyReport]) -> str:
    lines = []
    for r in reports:
        f = r.figures
        lines.append(f"{r.strategy_id}  since {r.since:%Y-%m-%d %H:%M} UTC" if r.since else f"{r.strategy_id}  (not launched)")
        lines.append(f"  live PnL ${_money(f.get('live_pnl'))} vs paper ${_money(f.get('paper_pnl'))}; ROI {_pct(f.get('live_roi'))}; "
                     f"win rate {_pct(f.get('live_win_rate'))}; available capital ${_money(r.available_capital)}; "
                     f"open positions {r.open_positions}")
        lines.append(f"  signals {f.get('signals', 0)}, placed {f.get('placed', 0)}, filled {f.get('filled', 0)}, skipped "
                     f"{f.get('skipped', 0)} (stale {f.get('stale', 0)}), rejected {f.get('rejected', 0)}; rejection rate "
                     f"{_pct(f.get('rejection_rate'))}, fill rate {_pct(f.get('order_fill_rate'))}")
        for window in r.pause_windows:
            until = f"{window['resumed_at']:%Y-%m-%d %H:%M} UTC" if window["resumed_at"] else "now"
            lines.append(f"  paused {window['paused_at']:%Y-%m-%d %H:%M} UTC .. {until}: {window['reason'] or '-'}")
        if f.get("paper_fill_error_p50_cents") is not None:
            lines.append("  paper book's fill error (cents a share, live price - paper price): p5 {:.2f}, p50 {:.2f}, "
                         "p95 {:.2f}, mean {:.2f}".format(*(f[f"paper_fill_error_{k}_cents"] for k in ("p5", "p50", "p95", "mean"))))
        if r.latency_ms:
            lines.append(f"  signal to submit p50 {r.latency_ms.get('p50')} ms, p95 {r.latency_ms.get('p95')} ms, "
                         f"p99 {r.latency_ms.get('p99')} ms")
        if r.attribution:
            parts = ", ".join(f"{t} ${_money(r.attribution.get(t))}" for t in TERMS)
            lines.append(f"  paper - live ${_money(r.attribution['paper_minus_live'])} = {parts}")
        for o in r.orders[-10:]:
            lines.append(f"    {o.lt_order_id[:8]} {o.side} {o.status:<16} signal {o.signal_price} exec {o.executed_price} "
                         f"slip {o.slippage_cents}c fill {o.fill_rate} score {o.score}")
    return "\n".join(lines) or "no LT strategies yet"


def _money(value) -> str:
    return "-" if value is None else f"{Decimal(value):.2f}"


def _pct(value) -> str:
    return "-" if value is None else f"{Decimal(value) * 100:.1f}%"
