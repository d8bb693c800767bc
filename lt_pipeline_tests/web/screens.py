"""Screenshots of the dashboard's four screens over an existing ledger, for the docs (not a test):

    LT_STATE_DIR=/tmp/demo LT_LEDGER_URL=sqlite:////tmp/demo/ledger.db lt demo --headless --minutes 120
    LT_STATE_DIR=/tmp/demo LT_LEDGER_URL=sqlite:////tmp/demo/ledger.db \\
        .venv/bin/python -m lt_pipeline_tests.web.screens docs/screenshots

The app runs on a clock stopped just after the ledger's last signal, so "ago" reads as it did then.
Nothing is posted: the create screen is filled in but not submitted."""

from __future__ import annotations

import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import uvicorn
from sqlalchemy import func, select

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.ledger.schema import ft_orders, lt_execution_quality, lt_orders, lt_strategies
from lt_pipeline.settings import load_settings
from lt_pipeline.web.app import create_app

PORT = 3077
CHROMIUM = "/usr/bin/chromium"


def main(out: str) -> int:
    from playwright.sync_api import sync_playwright

    settings = load_settings()
    engine = make_engine(settings.ledger_url)
    with engine.connect() as connection:
        last = connection.execute(select(func.max(ft_orders.c.order_time))).scalar()
        busiest = connection.execute(  # the twin with the most filled orders
            select(lt_orders.c.strategy_id).where(lt_orders.c.executed_shares > 0)
            .group_by(lt_orders.c.strategy_id).order_by(func.count().desc()).limit(1)).scalar()
        order = connection.execute(
            select(lt_orders.c.lt_order_id).join(lt_execution_quality, lt_execution_quality.c.lt_order_id == lt_orders.c.lt_order_id)
            .where(lt_orders.c.strategy_id == busiest, lt_orders.c.executed_shares > 0)
            .order_by(lt_orders.c.signal_at.desc()).limit(1)).scalar()
        twinned = set(connection.execute(select(lt_strategies.c.ft_wallet_id)).scalars())
    app = create_app(settings, engine=engine, clock=SimulatedClock(last + timedelta(minutes=1)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base, folder = f"http://127.0.0.1:{PORT}", Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.goto(f"{base}/")
        page.screenshot(path=str(folder / "list.png"), full_page=True)
        page.goto(f"{base}/strategies/{busiest}")
        page.screenshot(path=str(folder / "card.png"), full_page=True)
        page.goto(f"{base}/orders/{order}")
        page.screenshot(path=str(folder / "order.png"), full_page=True)
        page.goto(f"{base}/strategies/new")
        free = [radio for radio in page.locator("table.wallets input[type=radio]").all()
                if radio.get_attribute("value") not in twinned]
        free[0].check()
        page.fill("#starting_capital", "1000")
        page.fill("#slippage_tolerance_pct", "0.5")
        page.fill("#max_position_size_usd", "100")
        page.screenshot(path=str(folder / "create.png"), full_page=False)
        browser.close()
    server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
