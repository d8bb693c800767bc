"""The engine's work in Dagster: runless asset events of the same assets the execution job
materializes, so lineage, the asset pages and their metadata plots show every order the engine placed.
The one module of the engine that imports Dagster (lazily, on the reporter's own thread, so a tick
never waits for it).

What the engine wrote in full is a materialization (`source_trades`, `ft_orders`, `lt_orders`: the
engine wrote those rows exactly as the assets do); fills recorded on the fast path are an observation
of `lt_fills`, since only the scheduled venue sync reconciles and runs its blocking ledger check.
Events are tagged `lt/writer: engine` and batched: at most one per asset every `flush_seconds`, and
none when nothing happened (the event log has no retention; see DAGSTER.md).
"""

from __future__ import annotations

import logging
import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lt_pipeline.engine.fills import FillReport
from lt_pipeline.engine.lane import TickReport

log = logging.getLogger(__name__)

WRITER_TAG = {"lt/writer": "engine"}


@dataclass
class _Window:
    ticks: int = 0
    failed_ticks: int = 0
    traders_read: int = 0
    trades_new: int = 0
    ft_orders_created: int = 0
    signals: int = 0
    claimed: int = 0
    submitted: int = 0
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    skipped: int = 0
    tick_ms: list[int] = field(default_factory=list)
    signal_to_ack_ms: list[int] = field(default_factory=list)
    via: dict[str, int] = field(default_factory=dict)
    fills_new: int = 0
    fills_changed: int = 0
    lt_orders_updated: int = 0

    def add(self, report: TickReport) -> None:
        self.ticks += 1
        self.failed_ticks += bool(report.error)
        for name, count in report.via.items():
            self.via[name] = self.via.get(name, 0) + count
        if report.ingest:
            self.traders_read += report.ingest.traders_polled
            self.trades_new += report.ingest.trades_new
        if report.signals:
            self.ft_orders_created += report.signals.orders_created
        if report.execution:
            execution = report.execution
            self.signals += execution.signals
            self.claimed += execution.claimed
            self.submitted += execution.submitted
            self.accepted += execution.accepted
            self.rejected += execution.rejected
            self.unknown += execution.unknown
            self.skipped += sum(execution.skipped.values())
        self.tick_ms.append(round(report.seconds * 1000))
        self.signal_to_ack_ms += report.signal_to_ack_ms

    def add_fills(self, report: FillReport) -> None:
        self.fills_new += report.fills_new
        self.fills_changed += report.fills_changed
        self.lt_orders_updated += report.lt_orders_updated


def _percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))] if ordered else 0


def asset_events(window: _Window) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, asset, metadata) for what the window holds: nothing for an idle window."""
    events: list[tuple[str, str, dict[str, Any]]] = []
    common = {"engine_ticks": window.ticks, "engine_failed_ticks": window.failed_ticks}
    if window.trades_new:
        events.append(("materialization", "source_trades", {
            **common, "trades_new": window.trades_new, "traders_polled": window.traders_read,
            "sightings_by_source": ", ".join(f"{k}: {v}" for k, v in sorted(window.via.items())) or "none",
        }))
    if window.ft_orders_created:
        events.append(("materialization", "ft_orders", {**common, "orders_created": window.ft_orders_created}))
    if window.claimed or window.submitted:
        latency = window.signal_to_ack_ms
        events.append(("materialization", "lt_orders", {
            **common, "signals": window.signals, "claimed": window.claimed, "submitted": window.submitted,
            "accepted": window.accepted, "rejected": window.rejected, "unknown": window.unknown, "skipped": window.skipped,
            "signal_to_ack_p50_ms": statistics.median(latency) if latency else 0,
            "signal_to_ack_p99_ms": _percentile(latency, 0.99), "signal_to_ack_max_ms": max(latency, default=0),
            "tick_p50_ms": statistics.median(window.tick_ms) if window.tick_ms else 0,
        }))
    if window.fills_new or window.fills_changed:
        events.append(("observation", "lt_fills", {
            "fills_new": window.fills_new, "fills_changed": window.fills_changed,
            "lt_orders_updated": window.lt_orders_updated, "path": "engine fast path (the scheduled sync reconciles)",
        }))
    return events


class DagsterReporter:
    """Collects tick and fill reports and, every `flush_seconds`, reports them to the Dagster instance
    `open_instance()` returns (opened on first use, on this reporter's thread). A failure to report is
    logged and the window kept for the next try, so Dagster being away never stops trading."""

    def __init__(self, open_instance: Callable[[], Any], *, flush_seconds: float = 10.0) -> None:
        self._open_instance = open_instance
        self.flush_seconds = flush_seconds
        self._instance: Any = None
        self._window = _Window()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reported = 0
        self.failures = 0

    def add(self, report: TickReport) -> None:
        with self._lock:
            self._window.add(report)

    def add_fills(self, report: FillReport) -> None:
        with self._lock:
            self._window.add_fills(report)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="engine-dagster", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()

    def flush(self) -> int:
        """Report what the window holds now; returns the number of events written."""
        with self._lock:
            window, self._window = self._window, _Window()
        events = asset_events(window)
        if not events:
            return 0
        try:
            import dagster as dg

            if self._instance is None:
                self._instance = self._open_instance()
            for kind, asset, metadata in events:
                event_class = dg.AssetMaterialization if kind == "materialization" else dg.AssetObservation
                self._instance.report_runless_asset_event(
                    event_class(asset_key=asset, metadata=metadata, tags=WRITER_TAG,
                                description="written by the live engine (lt engine)")
                )
        except Exception as error:
            self.failures += 1
            log.warning("engine events not reported to Dagster (kept for the next try): %s: %s", type(error).__name__, error)
            with self._lock:
                self._merge_back(window)
            return 0
        self.reported += len(events)
        return len(events)

    def _merge_back(self, window: _Window) -> None:
        current = self._window
        for name, value in vars(window).items():
            mine = getattr(current, name)
            if isinstance(value, list):
                setattr(current, name, value + mine)
            elif isinstance(value, dict):
                setattr(current, name, {k: value.get(k, 0) + mine.get(k, 0) for k in set(value) | set(mine)})
            else:
                setattr(current, name, value + mine)

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()


def instance_opener(dagster_home: Path) -> Callable[[], Any]:
    """Opens the Dagster instance whose dagster.yaml is in `dagster_home` (the same one the daemon and
    webserver use)."""

    def open_instance():
        import dagster as dg

        return dg.DagsterInstance.from_config(str(dagster_home))

    return open_instance
