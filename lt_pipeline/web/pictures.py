"""The analytics pictures of a strategy (lt_pipeline.reporting.pictures: cumulative PnL live against
paper, the attribution waterfall, slippage, latency) for the card, drawn at most once a minute.

matplotlib's pyplot is not thread-safe and the pages run in worker threads, so one lock draws. The
cache ages on the monotonic clock: it is about this process's work, not about market time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import Engine

FRESH_FOR_SECONDS = 60.0
NO_FILE = Path("/nonexistent/analytics.duckdb")  # the reporting module draws without attribution then


class PictureCache:
    def __init__(self, engine: Engine, duckdb_path: Path | None) -> None:
        self._engine = engine
        self._duckdb_path = duckdb_path or NO_FILE
        self._lock = threading.Lock()
        self._drawn_at: float | None = None
        self._pictures: dict[str, dict[str, bytes]] = {}

    def of(self, strategy_id: str) -> list[tuple[str, bytes]]:
        """(title, PNG) of every picture this strategy has, in the reporting module's order."""
        with self._lock:
            if self._drawn_at is None or time.monotonic() - self._drawn_at >= FRESH_FOR_SECONDS:
                from lt_pipeline.reporting.pictures import strategy_pictures  # matplotlib: only when drawn

                self._pictures = strategy_pictures(self._engine, self._duckdb_path)
                self._drawn_at = time.monotonic()
            return list(self._pictures.get(strategy_id, {}).items())

    def forget(self) -> None:
        """Draw again on the next look (after a change that moves the figures)."""
        with self._lock:
            self._drawn_at = None
