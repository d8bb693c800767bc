"""The one injectable clock: every module reads time through a Clock, never datetime.now()."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class SimulatedClock:
    """A clock that moves only when told to; tests and the headless demo run on it."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start, "start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError(f"cannot move a clock backwards (delta {delta})")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> datetime:
        when = ensure_utc(when, "when")
        with self._lock:
            if when < self._now:
                raise ValueError(f"cannot move a clock backwards from {self._now} to {when}")
            self._now = when
            return self._now


def ensure_utc(value: datetime, name: str = "timestamp") -> datetime:
    """Return `value` in UTC; a naive datetime is refused rather than guessed."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware UTC, got naive {value.isoformat()}")
    return value.astimezone(timezone.utc)


def from_unix(seconds: float | int | str) -> datetime:
    """A unix timestamp (seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(float(seconds), tz=timezone.utc)


def to_unix(value: datetime) -> int:
    return int(ensure_utc(value).timestamp())


system_clock = SystemClock()

# Clocks that in-process runs (tests, the headless demo) look up by name: a Dagster resource carries
# only the name, since resources are rebuilt from config and cannot carry a live object.
_registered: dict[str, Clock] = {}


def register_clock(name: str, clock: Clock) -> None:
    _registered[name] = clock


def named_clock(name: str) -> Clock:
    if not name:
        return system_clock
    try:
        return _registered[name]
    except KeyError:
        raise LookupError(f"no clock registered under {name!r}") from None
