"""The headless demo, as a user runs it: paper per wallet, then live next to paper per twin, with the
ledger left at LT_LEDGER_URL for inspection."""

import os
import subprocess
import sys

from sqlalchemy import create_engine, func, select

from lt_pipeline.ledger import schema


def test_headless_demo_runs_paper_and_live_twins(tmp_path):
    ledger = tmp_path / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LT_")}
    env.update(LT_STATE_DIR=str(tmp_path), LT_LEDGER_URL=f"sqlite:///{ledger}")
    result = subprocess.run(
        [sys.executable, "-m", "lt_pipeline.tools.cli", "demo", "--headless", "--minutes", "8", "--seed", "7"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "FT wallet" in out and "LT strategy" in out and "launched live twins" in out

    engine = create_engine(f"sqlite:///{ledger}")
    with engine.connect() as connection:
        twins = connection.execute(select(schema.lt_strategies.c.strategy_id)).scalars().all()
        placed = connection.execute(
            select(func.count()).select_from(schema.lt_orders).where(schema.lt_orders.c.order_id.is_not(None))
        ).scalar()
        ft = connection.execute(select(func.count()).select_from(schema.ft_orders)).scalar()
        fills = connection.execute(select(func.count()).select_from(schema.fills)).scalar()
    assert twins and all(t.startswith("LT_FT_") for t in twins)
    assert ft > 0 and placed > 0 and fills > 0
    for twin in twins:
        assert twin in out


def test_demo_refuses_bad_arguments_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LT_")}
    env["LT_STATE_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "lt_pipeline.tools.cli", "demo", "--headless", "--minutes", "0"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "lt demo: --minutes: expected at least 1, got 0"
