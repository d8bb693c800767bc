"""Alerts kept in the ledger, so a breach is recorded and notified once, not once per tick: an open
breach is a `system_controls` row `alert:{strategy}:{kind}` (value "open", the sentence as its reason);
a recovery clears it and is notified once too."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select

from lt_pipeline.alerts.rules import Figures, breaches
from lt_pipeline.ledger.schema import lt_orders, system_controls
from lt_pipeline.ledger.writes import upsert
from lt_pipeline.model.orders import OrderState

log = logging.getLogger(__name__)
WINDOW = timedelta(days=1)
PREFIX = "alert:"
NOT_SENT = (OrderState.SKIPPED.value, OrderState.INTENT_STORED.value)


@dataclass
class AlertReport:
    opened: list[str] = field(default_factory=list)  # sentences of breaches new this time
    cleared: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)  # every breach open now


def strategy_figures(engine: Engine, since: datetime) -> list[Figures]:
    rows = defaultdict(lambda: {"sent": 0, "rejected": 0, "lat": []})
    with engine.connect() as connection:
        for row in connection.execute(
            select(lt_orders.c.strategy_id, lt_orders.c.status, lt_orders.c.execution_latency_ms)
            .where(lt_orders.c.decided_at >= since, lt_orders.c.status.not_in(NOT_SENT))
        ):
            figures = rows[row.strategy_id]
            figures["sent"] += 1
            figures["rejected"] += row.status == OrderState.REJECTED.value
            if row.execution_latency_ms is not None:
                figures["lat"].append(row.execution_latency_ms)
    return [Figures(sid, f["sent"], f["rejected"], tuple(f["lat"])) for sid, f in sorted(rows.items())]


def evaluate_alerts(engine: Engine, now: datetime, *, max_rejection_rate: float, max_p95_latency_seconds: float,
                    notify: Callable[[str, str], None]) -> AlertReport:
    """Open new breaches and clear recovered ones, notifying each change once (title, body)."""
    found = {b.key: b for b in breaches(strategy_figures(engine, now - WINDOW), max_rejection_rate=max_rejection_rate,
                                        max_p95_latency_seconds=max_p95_latency_seconds)}
    report = AlertReport()
    with engine.begin() as connection:
        known = dict(connection.execute(
            select(system_controls.c.name, system_controls.c.reason).where(system_controls.c.name.like(f"{PREFIX}%"))
        ).all())
        for key, breach in found.items():
            upsert(connection, system_controls, [{"name": key, "value": "open", "reason": breach.sentence(), "updated_at": now}],
                   ["name"], ["reason", "updated_at"] if key in known else ["value", "reason", "updated_at"])
            if key not in known:
                report.opened.append(breach.sentence())
        for key in set(known) - set(found):
            connection.execute(delete(system_controls).where(system_controls.c.name == key))
            report.cleared.append(f"recovered: {known[key]}")
        report.open = [b.sentence() for b in found.values()]
    for sentence in report.opened:
        notify("lt_pipeline alert", sentence)
    for sentence in report.cleared:
        notify("lt_pipeline alert cleared", sentence)
    return report


def open_alerts(connection) -> list[str]:
    return list(connection.execute(
        select(system_controls.c.reason).where(system_controls.c.name.like(f"{PREFIX}%")).order_by(system_controls.c.name)
    ).scalars())


def log_only(title: str, body: str) -> None:
    log.warning("%s: %s", title, body)


def notifier(urls: Iterable[str]) -> Callable[[str, str], None]:
    """Notifications through Apprise (webhook, Slack, Telegram, e-mail ... by URL); always a log line too.
    A notification that cannot be sent is logged, never raised: an alert never fails a run."""
    urls = [url for url in urls if url]
    if not urls:
        return log_only
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        sender.add(url)

    def send(title: str, body: str) -> None:
        log_only(title, body)
        try:
            if not sender.notify(title=title, body=body):
                log.warning("alert notification could not be delivered to every configured service")
        except Exception as error:  # a notifier's failure is reported, never raised
            log.warning("alert notification failed: %s", type(error).__name__)

    return send
