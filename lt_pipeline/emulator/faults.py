"""Fault injection for the emulator's wire: refused order posts, replies lost after the order was
placed, throttling, slow replies, dropped connections, trading halts and cancel-only mode.

A profile is a named preset or a YAML/JSON file; decisions come from one seeded RNG, so a client that
sends the same requests in the same order meets the same faults. Every fault is counted.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

import yaml

HALTED_TEXT = "Trading is currently disabled. Check polymarket.com for updates"
CANCEL_ONLY_TEXT = "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."
THROTTLED_TEXT = "Too Many Requests"
ORDER_ERROR_TEXT = "could not insert order"
LOST_REPLY_TEXT = "Internal server error"

RouteKind = Literal["order_post", "cancel", "private", "public", "admin"]
Action = Literal["none", "drop", "throttle", "halted", "cancel_only", "order_error"]


@dataclass(frozen=True)
class FaultProfile:
    """Shares are probabilities per request in [0, 1]; `slow_seconds` is the added delay."""

    name: str = "none"
    order_error_rate: float = 0.0  # POST /order(s): 500 and the order is NOT placed
    lost_reply_rate: float = 0.0  # POST /order(s): the order IS placed, then the reply is lost
    throttle_rate: float = 0.0  # any non-admin route: 429 with Retry-After
    retry_after_seconds: int = 1
    slow_rate: float = 0.0  # any non-admin route: reply delayed by slow_seconds
    slow_seconds: float = 0.0
    drop_rate: float = 0.0  # any non-admin route: connection dropped before the request is handled
    halted: bool = False  # order posts and cancels: 503
    cancel_only: bool = False  # order posts: 503, cancels allowed

    def __post_init__(self) -> None:
        for name in ("order_error_rate", "lost_reply_rate", "throttle_rate", "slow_rate", "drop_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"fault profile {self.name!r}: {name} must be a share between 0 and 1, got {value!r}")
        if self.slow_seconds < 0 or self.retry_after_seconds < 0:
            raise ValueError(f"fault profile {self.name!r}: slow_seconds and retry_after_seconds must be >= 0")

    @property
    def active(self) -> bool:
        rates = (self.order_error_rate, self.lost_reply_rate, self.throttle_rate, self.slow_rate, self.drop_rate)
        return self.halted or self.cancel_only or any(rates)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


PROFILES: dict[str, FaultProfile] = {
    "none": FaultProfile(),
    "flaky": FaultProfile(name="flaky", order_error_rate=0.05, lost_reply_rate=0.03, drop_rate=0.01),
    "lossy": FaultProfile(name="lossy", lost_reply_rate=0.2, drop_rate=0.05),
    "throttled": FaultProfile(name="throttled", throttle_rate=0.3, retry_after_seconds=1),
    "slow": FaultProfile(name="slow", slow_rate=0.5, slow_seconds=0.5),
    "chaos": FaultProfile(
        name="chaos",
        order_error_rate=0.1,
        lost_reply_rate=0.1,
        throttle_rate=0.1,
        slow_rate=0.1,
        slow_seconds=0.2,
        drop_rate=0.05,
    ),
}


def load_profile(spec: str | dict[str, Any] | FaultProfile | None) -> FaultProfile:
    """A profile from a preset name, a YAML/JSON file path, a mapping of fields, or a profile."""
    if spec is None:
        return PROFILES["none"]
    if isinstance(spec, FaultProfile):
        return spec
    if isinstance(spec, dict):
        return _from_mapping(spec, source="fault settings")
    if spec in PROFILES:
        return PROFILES[spec]
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"faults: expected one of {', '.join(PROFILES)} or a YAML/JSON file, got {spec!r}")
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"faults file {path}: expected a mapping of fault settings")
    data.setdefault("name", path.stem)
    return _from_mapping(data, source=f"faults file {path}")


def _from_mapping(data: dict[str, Any], source: str) -> FaultProfile:
    base = PROFILES.get(str(data.get("base", "none")))
    if base is None:
        raise ValueError(f"{source}: unknown base profile {data.get('base')!r}")
    known = {f.name for f in fields(FaultProfile)}
    unknown = set(data) - known - {"base"}
    if unknown:
        raise ValueError(f"{source}: unknown settings {sorted(unknown)}; expected some of {sorted(known)}")
    settings = {k: v for k, v in data.items() if k != "base"}
    settings.setdefault("name", "custom")
    return replace(base, **settings)


@dataclass(frozen=True)
class Decision:
    """What to do to one request before it is handled (and whether to lose the reply afterwards)."""

    action: Action = "none"
    delay_seconds: float = 0.0
    lose_reply: Literal["", "drop", "error"] = ""


NO_FAULT = Decision()


class FaultInjector:
    """Draws faults per request from the active profile; thread-safe; counts every fault it injects."""

    def __init__(self, profile: str | dict[str, Any] | FaultProfile | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._profile = load_profile(profile)
        self._counts: dict[str, int] = {}

    @property
    def profile(self) -> FaultProfile:
        return self._profile

    def set_profile(self, spec: str | dict[str, Any] | FaultProfile | None, seed: int | None = None) -> FaultProfile:
        profile = load_profile(spec)
        with self._lock:
            self._profile = profile
            if seed is not None:
                self._seed = seed
            self._rng = random.Random(self._seed)
        return profile

    def clear(self) -> None:
        self.set_profile(None)

    def decide(self, kind: RouteKind) -> Decision:
        if kind == "admin":
            return NO_FAULT
        with self._lock:
            p = self._profile
            if not p.active:
                return NO_FAULT
            rng = self._rng
            if kind in ("order_post", "cancel") and p.halted:
                return self._count(Decision(action="halted"), "halted")
            if kind == "order_post" and p.cancel_only:
                return self._count(Decision(action="cancel_only"), "cancel_only")
            if p.drop_rate and rng.random() < p.drop_rate:
                return self._count(Decision(action="drop"), "dropped_connection")
            if p.throttle_rate and rng.random() < p.throttle_rate:
                return self._count(Decision(action="throttle"), "throttled")
            delay = 0.0
            if p.slow_rate and rng.random() < p.slow_rate:
                delay = p.slow_seconds
                self._counts["slow_reply"] = self._counts.get("slow_reply", 0) + 1
            if kind == "order_post":
                if p.order_error_rate and rng.random() < p.order_error_rate:
                    return self._count(Decision(action="order_error", delay_seconds=delay), "order_error")
                if p.lost_reply_rate and rng.random() < p.lost_reply_rate:
                    how: Literal["drop", "error"] = "drop" if rng.random() < 0.5 else "error"
                    return self._count(Decision(delay_seconds=delay, lose_reply=how), f"lost_reply_{how}")
            return Decision(delay_seconds=delay) if delay else NO_FAULT

    def _count(self, decision: Decision, name: str) -> Decision:
        self._counts[name] = self._counts.get(name, 0) + 1
        return decision

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return {"profile": self._profile.name, **dict(sorted(self._counts.items()))}

    def retry_after(self) -> int:
        return self._profile.retry_after_seconds
