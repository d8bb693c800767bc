"""Request quotas as Polymarket publishes them, on sliding windows: a caller that has made `limit`
requests matching a rule within the last `window_seconds` is refused with 429
`{"error": "Too Many Requests"}` and a `Retry-After` header (whole seconds until its oldest
counted request leaves the window). Refused requests are not counted, so a caller that waits as told
gets through.

The default policy is the Data API's (docs.polymarket.com rate limits, API.md §8.5): 1000 requests /
10 s over the whole Data API, 200 / 10 s on `/trades`, 150 / 10 s on `/positions` and on
`/closed-positions`. `/activity` has no limit of its own there, so it counts only toward the 1000.
Production throttles (queues) past a limit rather than refusing; the emulator refuses, which is what
a client must be ready for anyway.

Callers are told apart by their address (the real limits are per IP; on loopback every client shares
one). Time is the monotonic clock; when the emulator runs on a simulated clock, simulated time that
passes counts too, so a simulated run polling once per simulated minute is never throttled, and a
caller that sleeps as told in real time still gets through on a frozen simulated clock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..clock import Clock, SimulatedClock

DEFAULT_WINDOW_SECONDS = 10.0


@dataclass(frozen=True)
class QuotaRule:
    """`limit` requests per window on every path equal to `prefix` or under it (`prefix/...`)."""

    name: str
    prefix: str
    limit: int

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            raise ValueError(f"quota {self.name!r}: limit must be a whole number of requests >= 1, got {self.limit!r}")
        if not self.prefix.startswith("/"):
            raise ValueError(f"quota {self.name!r}: prefix must start with '/', got {self.prefix!r}")

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix.rstrip("/") + "/")


DATA_API_RULES: tuple[QuotaRule, ...] = (
    QuotaRule("data-api", "/data-api", 1000),
    QuotaRule("data-api /trades", "/data-api/trades", 200),
    QuotaRule("data-api /positions", "/data-api/positions", 150),
    QuotaRule("data-api /closed-positions", "/data-api/closed-positions", 150),
)


@dataclass(frozen=True)
class QuotaPolicy:
    """The rules and the window they share. `WireOptions.quotas = None` turns quotas off."""

    rules: tuple[QuotaRule, ...] = DATA_API_RULES
    window_seconds: float = DEFAULT_WINDOW_SECONDS

    def __post_init__(self) -> None:
        if not (isinstance(self.window_seconds, (int, float)) and math.isfinite(self.window_seconds)
                and self.window_seconds > 0):
            raise ValueError(f"quota window: expected a number of seconds above 0, got {self.window_seconds!r}")

    def with_limits(self, **limits: int) -> QuotaPolicy:
        """The same policy with some limits changed, by rule name with spaces, '-' and '/' as '_'
        (`data_api=50`, `data_api_trades=5`)."""
        by_key = {_key(rule.name): rule for rule in self.rules}
        unknown = set(limits) - set(by_key)
        if unknown:
            raise ValueError(f"quota limits: unknown {sorted(unknown)}; expected some of {sorted(by_key)}")
        return replace(self, rules=tuple(replace(r, limit=limits.get(_key(r.name), r.limit)) for r in self.rules))

    def to_json(self) -> dict[str, Any]:
        return {"window_seconds": self.window_seconds, "rules": {r.name: r.limit for r in self.rules}}


def _key(name: str) -> str:
    return "_".join(name.replace("-", " ").replace("/", " ").split())


def quota_time(clock: Clock | None) -> Callable[[], float]:
    """Seconds on the monotonic clock, plus the simulated time that has passed on a simulated clock."""
    if not isinstance(clock, SimulatedClock):
        return time.monotonic
    origin = clock.now()

    def now() -> float:
        return time.monotonic() + max((clock.now() - origin).total_seconds(), 0.0)

    return now


@dataclass
class QuotaEnforcer:
    """Sliding-window counts per (rule, caller); thread-safe. `check` admits (and counts) a request
    or returns the seconds the caller must wait."""

    policy: QuotaPolicy
    now: Callable[[], float] = time.monotonic
    _windows: dict[tuple[str, str], deque[float]] = field(default_factory=dict, repr=False)
    _refused: Counter[str] = field(default_factory=Counter, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, path: str, caller: str = "") -> int | None:
        """None when the request is admitted (it is counted against every matching rule), else the
        whole seconds (>= 1) until the first full rule has room again."""
        rules = [r for r in self.policy.rules if r.matches(path)]
        if not rules:
            return None
        window = self.policy.window_seconds
        with self._lock:
            now = self.now()
            horizon = now - window
            wait = 0.0
            full: list[QuotaRule] = []
            queues = []
            for rule in rules:
                queue = self._windows.setdefault((rule.name, caller), deque())
                while queue and queue[0] <= horizon:
                    queue.popleft()
                queues.append(queue)
                if len(queue) >= rule.limit:
                    full.append(rule)
                    # room again once enough of the oldest requests have left the window
                    wait = max(wait, queue[len(queue) - rule.limit] + window - now)
            if full:
                for rule in full:
                    self._refused[rule.name] += 1
                return max(1, math.ceil(wait))
            for queue in queues:
                queue.append(now)
            return None

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return {**self.policy.to_json(), "refused": dict(sorted(self._refused.items()))}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
