"""Execution shards: which runs execute which live strategies. A strategy's shard is a stable function
of its id (SHA-256, not Python's per-process hash), so every process and every tick agrees on it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

SHARDS_ENV = "LT_EXECUTION_SHARDS"
MAX_SHARDS = 64


class ShardError(ValueError):
    """A shard count or label that cannot be used; the message names what was expected."""


def shard_of(strategy_id: str, count: int) -> int:
    """The shard (0 .. count-1) that executes `strategy_id` when strategies are split `count` ways."""
    if count < 1:
        raise ShardError(f"count: expected at least 1 shard, got {count}")
    digest = hashlib.sha256(strategy_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True)
class Shard:
    """One of `count` shards; `Shard(0, 1)` covers every strategy (today's single run)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS or not 0 <= self.index < self.count:
            raise ShardError(f"shard: expected an index from 0 to count-1 and a count from 1 to {MAX_SHARDS}, "
                             f"got {self.index}/{self.count}")

    def covers(self, strategy_id: str) -> bool:
        return self.count == 1 or shard_of(strategy_id, self.count) == self.index

    @property
    def label(self) -> str:
        """`index/count`, as run tags and logs show it."""
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, label: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", label or "")
        if match is None:
            raise ShardError(f"shard: expected INDEX/COUNT such as 0/4, got {label!r}")
        return cls(int(match.group(1)), int(match.group(2)))


EVERY_STRATEGY = Shard(0, 1)


def all_shards(count: int) -> list[Shard]:
    return [Shard(index, count) for index in range(count)]


def shard_count(environ: Mapping[str, str]) -> int:
    """The configured number of shards (`LT_EXECUTION_SHARDS`, default 1: one run executes everything)."""
    raw = (environ.get(SHARDS_ENV) or "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SHARDS:
        raise ShardError(f"{SHARDS_ENV}: expected a whole number from 1 to {MAX_SHARDS}, got {raw!r}")
    return int(raw)
