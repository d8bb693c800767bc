"""A small ledger for the dashboard's tests: the analytics' tiny ledger (user u1, FT wallets FT_A and
FT_B, the launched twin LT_A with skipped, rejected, filled and settled orders), a few FT wallets from
the project's YAML file, the user `demo`, and a journal for LT order lt-S1. Times are those of the
tiny ledger; the dashboard runs on a clock stopped at NOW."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from lt_pipeline.execution.strategies import ensure_user
from lt_pipeline.forward_test.wallets import sync_wallets
from lt_pipeline.ledger import schema
from lt_pipeline.strategy.config import load_wallets
from lt_pipeline_tests import ledger_template
from lt_pipeline_tests.analytics import tiny_ledger

NOW = datetime(2026, 3, 11, 18, 0, tzinfo=timezone.utc)
YAML_WALLETS = ("FT_HIGH_CONVICTION", "FT_FAST_RESOLVERS", "FT_KELLY_ALPHA")
ORDER_WITH_JOURNAL = "lt-S1"

# lt-S1: placed, partly filled (30 then 10 shares), the rest cancelled at its time-to-live.
S1_JOURNAL = (
    (0, "INTENT_STORED", None, "INTENT_STORED", "placed", {"intended_shares": "50", "limit_price": "0.42"}),
    (1.2, "SUBMITTED", "INTENT_STORED", "SUBMITTED", "posting to the venue", {}),
    (1.5, "ACCEPTED", "SUBMITTED", "LIVE", "venue status live", {"venue_status": "live"}),
    (2.0, "PARTIALLY_FILLED", "LIVE", "PARTIALLY_FILLED", "matched 30 of 50", {"price": "0.41", "shares": "30"}),
    (40.0, "PARTIALLY_FILLED", "PARTIALLY_FILLED", "PARTIALLY_FILLED", "matched 40 of 50", {"price": "0.45", "shares": "10"}),
    (300.0, "CANCELLED", "PARTIALLY_FILLED", "CANCELLED", "time-to-live of 300 s passed", {"trigger": "ttl"}),
)


def build_world(engine) -> None:
    """Migrate an empty ledger (a copy of a migrated template) and fill it as the module docstring says."""
    ledger_template.upgrade(engine)
    tiny_ledger.build(engine)
    wanted = [wallet for wallet in load_wallets() if wallet.wallet_id in YAML_WALLETS]
    sync_wallets(engine, wanted, tiny_ledger.CREATED)
    ensure_user(engine, "demo", "Demo user", now=tiny_ledger.CREATED)
    signal_at = tiny_ledger.SIGNALS["S1"][0]
    with engine.begin() as connection:
        for seconds, event, before, after, reason, detail in S1_JOURNAL:
            connection.execute(insert(schema.signal_decisions).values(
                strategy_id="LT_A", ft_order_id="S1", lt_order_id=ORDER_WITH_JOURNAL, source_trade_id="st-S1",
                decision=event, from_state=before, to_state=after, reason=reason,
                detail_json=json.dumps(detail, sort_keys=True), decided_at=signal_at + timedelta(seconds=seconds)))
