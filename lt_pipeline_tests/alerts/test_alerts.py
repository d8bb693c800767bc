"""Alerts on SQLite and PostgreSQL: a strategy over its rejection-rate or p95-latency threshold is
flagged and notified once per breach (not once per tick), the warning check shows it, and it clears
when the strategy recovers; notifications go through Apprise to a real webhook."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
from sqlalchemy import insert, update

from lt_pipeline.alerts.ledger import evaluate_alerts, notifier, open_alerts
from lt_pipeline.alerts.rules import Figures, breaches
from lt_pipeline.defs.live.checks import no_open_alerts
from lt_pipeline.defs.resources import LedgerResource
from lt_pipeline.ledger import schema
from lt_pipeline_tests.foundation.test_ledger import _ft_order, _seed_strategy, _source_trade

NOW = datetime(2026, 11, 24, 12, tzinfo=timezone.utc)


def test_the_rules_need_a_sample_and_compare_with_the_thresholds():
    quiet = Figures("A", sent=4, rejected=4, latencies_ms=(9000,) * 4)
    assert breaches([quiet], max_rejection_rate=0.2, max_p95_latency_seconds=5) == []  # too few to say
    busy = Figures("B", sent=10, rejected=3, latencies_ms=(1000,) * 9 + (9000,))
    found = breaches([busy], max_rejection_rate=0.2, max_p95_latency_seconds=5)
    assert [(b.kind, b.value) for b in found] == [("rejection_rate", 0.3), ("p95_latency", 9.0)]
    assert "rejected 30% of its orders" in found[0].sentence() and "9.0 s" in found[1].sentence()


def seed_orders(engine, statuses: list[str], latency_ms: int = 1000) -> None:
    with engine.begin() as connection:
        _seed_strategy(connection)
        for n, status in enumerate(statuses):
            connection.execute(insert(schema.source_trades).values(**_source_trade(source_trade_id=f"st{n}")))
            connection.execute(insert(schema.ft_orders).values(**_ft_order(order_id=f"fo{n}", source_trade_id=f"st{n}")))
            connection.execute(insert(schema.lt_orders).values(
                lt_order_id=f"lo{n}", strategy_id="LT_FT_A", ft_order_id=f"fo{n}", source_trade_id=f"st{n}", user_id="u1",
                condition_id="0xc1", token_id="1", side="BUY", signal_price=Decimal("0.55"), signal_size_usd=Decimal("10"),
                signal_at=NOW, decided_at=NOW, status=status, execution_latency_ms=latency_ms, order_id=f"0xh{n}",
                created_at=NOW, updated_at=NOW,
            ))


def test_a_breach_is_notified_once_shown_by_the_check_and_cleared_on_recovery(ledger_engine, ledger_url):
    seed_orders(ledger_engine, ["REJECTED"] * 3 + ["FILLED"] * 7)
    sent: list[tuple[str, str]] = []
    notify = lambda title, body: sent.append((title, body))  # noqa: E731
    limits = dict(max_rejection_rate=0.2, max_p95_latency_seconds=5.0)

    first = evaluate_alerts(ledger_engine, NOW, notify=notify, **limits)
    again = evaluate_alerts(ledger_engine, NOW + timedelta(minutes=2), notify=notify, **limits)
    assert len(first.opened) == 1 and again.opened == [] and len(again.open) == 1
    assert sent == [("lt_pipeline alert", "LT_FT_A: the venue rejected 30% of its orders over the last day (threshold 20%)")]
    check = no_open_alerts(dg.build_asset_check_context(), LedgerResource(url=ledger_url))
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN and "rejected 30%" in check.description

    with ledger_engine.begin() as connection:  # the venue stops refusing: the rejections are accepted after all
        connection.execute(update(schema.lt_orders).values(status="FILLED"))
    recovered = evaluate_alerts(ledger_engine, NOW + timedelta(minutes=4), notify=notify, **limits)
    assert len(recovered.cleared) == 1 and sent[-1][0] == "lt_pipeline alert cleared"
    with ledger_engine.connect() as connection:
        assert open_alerts(connection) == []


def test_notifications_go_out_through_apprise_to_a_webhook():
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        notifier([f"json://127.0.0.1:{server.server_port}/hook"])("lt_pipeline alert", "LT_X: p95 latency 9.0 s")
    finally:
        server.shutdown()
    assert received and received[0]["title"] == "lt_pipeline alert" and "p95 latency" in received[0]["message"]
