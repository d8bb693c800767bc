"""The four pictures of every launched strategy, from the ledger (settled PnL live and paper, slippage,
latency) and the analytics file (the attribution of live minus paper): PNG bytes by strategy."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from lt_pipeline.ledger.schema import lt_execution_quality, lt_orders, lt_strategies
from lt_pipeline.reporting import plots
from lt_pipeline.reporting.report import _from_duckdb


def strategy_pictures(engine: Engine, duckdb_path: Path) -> dict[str, dict[str, bytes]]:
    pictures: dict[str, dict[str, bytes]] = {}
    with engine.connect() as connection:
        launched = connection.execute(
            select(lt_strategies.c.strategy_id, lt_strategies.c.launched_at).where(lt_strategies.c.launched_at.is_not(None))
            .order_by(lt_strategies.c.strategy_id)
        ).all()
        for strategy_id, launched_at in launched:
            settled = connection.execute(
                select(lt_orders.c.settled_at, lt_orders.c.pnl, lt_orders.c.ft_pnl)
                .where(lt_orders.c.strategy_id == strategy_id, lt_orders.c.outcome != "OPEN", lt_orders.c.settled_at.is_not(None))
                .order_by(lt_orders.c.settled_at)
            ).all()
            slippage = connection.execute(
                select(lt_execution_quality.c.slippage_cents)
                .where(lt_execution_quality.c.strategy_id == strategy_id, lt_execution_quality.c.slippage_cents.is_not(None))
            ).scalars().all()
            latency = connection.execute(
                select(lt_orders.c.execution_latency_ms)
                .where(lt_orders.c.strategy_id == strategy_id, lt_orders.c.execution_latency_ms.is_not(None))
            ).scalars().all()
            _, attribution = _from_duckdb(duckdb_path, strategy_id, launched_at)
            mine: dict[str, bytes] = {}
            if settled:
                mine["cumulative PnL, live against paper"] = plots.cumulative_pnl(
                    strategy_id, [r.settled_at for r in settled], [float(r.pnl or 0) for r in settled],
                    [float(r.ft_pnl or 0) for r in settled])
            if attribution:
                terms = {k: -float(v or 0) for k, v in attribution.items() if k != "paper_minus_live"}
                mine["live minus paper, attributed"] = plots.attribution_waterfall(
                    strategy_id, terms, -float(attribution["paper_minus_live"] or 0))
            if slippage:
                mine["slippage versus signal"] = plots.slippage_histogram(strategy_id, [float(c) for c in slippage])
            if latency:
                mine["latency CDF"] = plots.latency_cdf(strategy_id, [float(m) for m in latency])
            if mine:
                pictures[strategy_id] = mine
    return pictures
