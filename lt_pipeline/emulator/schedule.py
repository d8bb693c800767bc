"""The venue's timeline: a heap of due events in (time, insertion order), so that the simulation
replays identically however often it is advanced, and checking for nothing-due is O(1)."""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any


class EventQueue:
    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, str, Any]] = []
        self._seq = 0

    def push(self, when: datetime, kind: str, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, kind, payload))

    def pop_due(self, now: datetime) -> tuple[datetime, str, Any] | None:
        """The earliest event at or before `now`, removed from the queue; None when nothing is due."""
        if not self._heap or self._heap[0][0] > now:
            return None
        when, _, kind, payload = heapq.heappop(self._heap)
        return when, kind, payload

    def next_time(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
