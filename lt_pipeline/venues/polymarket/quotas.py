"""The Data API's published quotas, kept on our side: a sliding-window limiter per route that makes a
caller wait for room rather than spend requests on 429s.

Published limits (10-second sliding windows): the Data API as a whole 1,000 requests, `/trades` 200,
`/positions` 150. We plan at 90 % of each (`SAFETY`), and a caller takes a share of that: the
new-signals sensor and the execution job's per-trader reads run in different processes and hold half
each, so together they stay within the quota. One process's limiters are shared by every client it
builds.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 10.0
SAFETY = 0.9
PUBLISHED = {"": 1000, "/trades": 200, "/positions": 150}  # "" is the whole Data API


@dataclass(frozen=True)
class Quota:
    requests: int
    window_seconds: float = WINDOW_SECONDS

    @property
    def per_second(self) -> float:
        return self.requests / self.window_seconds


def planned(route: str, share: float = 1.0) -> Quota:
    """What a caller with `share` of a route's published quota (after the safety margin) may use."""
    return Quota(max(1, int(PUBLISHED.get(route, PUBLISHED[""]) * SAFETY * share)))


class SlidingWindow:
    """At most `quota.requests` starts in any `quota.window_seconds`; `acquire` waits for room."""

    def __init__(self, quota: Quota, *, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.quota = quota
        self._now, self._sleep = now, sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting for room, for the benchmark and the logs

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._now()
                while self._starts and now - self._starts[0] >= self.quota.window_seconds:
                    self._starts.popleft()
                if len(self._starts) < self.quota.requests:
                    self._starts.append(now)
                    return
                wait = self.quota.window_seconds - (now - self._starts[0])
            self._sleep(wait)
            self.waited += wait

    def forget(self) -> None:
        """Forget the requests started so far, as if their window had passed."""
        with self._lock:
            self._starts.clear()


_SHARED: dict[tuple[str, str, float], SlidingWindow] = {}
_SHARED_LOCK = threading.Lock()


def limiter(base_url: str, route: str, share: float = 1.0) -> SlidingWindow:
    """The process-wide limiter of one route of one host for callers holding `share` of its quota."""
    key = (base_url.rstrip("/"), route, share)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = SlidingWindow(planned(route, share))
        return _SHARED[key]


def forget_requests(base_url: str) -> int:
    """Empty the process-wide windows of `base_url` (every route and share), as if their time had
    passed: what a jump of a simulated clock means for them (tests). Returns how many were emptied."""
    host = base_url.rstrip("/")
    with _SHARED_LOCK:
        windows = [window for (url, _, _), window in _SHARED.items() if url == host]
    for window in windows:
        window.forget()
    return len(windows)
