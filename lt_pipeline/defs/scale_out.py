"""Scale-out wiring: how many shards the live execution is split into, and which executor runs the
execution job's steps (in-process by default; dagster-celery workers on a RabbitMQ or Redis broker).

Both are read from the environment of the process that evaluates a schedule or starts a run, never at
import time:
  LT_EXECUTION_SHARDS  number of shards (default 1: one run executes every strategy, as before)
  LT_EXECUTOR          in_process (default) or celery
  LT_CELERY_BROKER     the broker URL (default amqp://guest:guest@127.0.0.1:5672//); may hold a
                       password, so it is read in the run process and never shown in the UI
  LT_CELERY_BACKEND    the result backend (default rpc://)

With N > 1 shards a tick is two stages: one "signals" run (the paper side and the strategies' FT sync,
once), then, when it succeeded, one run per shard that places its strategies' orders and syncs the venue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg

from lt_pipeline.execution.shards import Shard, all_shards, shard_count

SHARD_TAG = "lt/shard"  # INDEX/COUNT on a shard run
STAGE_TAG = "lt/stage"  # "signals" on the first stage of a sharded tick
SHARDS_TAG = "lt/shards"  # the shard count a signals run fans out to
SIGNALS_STAGE = "signals"

IN_PROCESS, CELERY = "in_process", "celery"
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
DEFAULT_BACKEND = "rpc://"


class ScaleOutError(ValueError):
    """A scale-out setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class ScaleOut:
    shards: int = 1
    executor: str = IN_PROCESS
    broker_url: str = field(default=DEFAULT_BROKER, repr=False)  # may carry a password
    backend_url: str = field(default=DEFAULT_BACKEND, repr=False)

    @property
    def sharded(self) -> bool:
        return self.shards > 1


def load_scale_out(environ: Mapping[str, str] | None = None) -> ScaleOut:
    env = os.environ if environ is None else environ
    executor = (env.get("LT_EXECUTOR") or IN_PROCESS).strip().lower()
    if executor not in (IN_PROCESS, CELERY):
        raise ScaleOutError(f"LT_EXECUTOR: expected one of {IN_PROCESS}, {CELERY}, got {env.get('LT_EXECUTOR')!r}")
    try:
        shards = shard_count(env)
    except ValueError as error:
        raise ScaleOutError(str(error)) from None
    return ScaleOut(
        shards=shards,
        executor=executor,
        broker_url=(env.get("LT_CELERY_BROKER") or DEFAULT_BROKER).strip(),
        backend_url=(env.get("LT_CELERY_BACKEND") or DEFAULT_BACKEND).strip(),
    )


@dg.executor(name="lt_execution")
def execution_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """In-process (one process per run: ~3 s a run through the daemon), or, with LT_EXECUTOR=celery,
    each step sent to the dagster-celery workers listening on the broker's `dagster` queue."""
    from dagster._core.execution.retries import RetryMode

    scale_out = load_scale_out()
    if scale_out.executor == CELERY:
        from dagster_celery.executor import CeleryExecutor

        return CeleryExecutor(broker=scale_out.broker_url, backend=scale_out.backend_url, retries=RetryMode.DISABLED)
    from dagster._core.executor.in_process import InProcessExecutor

    # What dg.in_process_executor builds with its default config.
    return InProcessExecutor(retries=RetryMode.ENABLED, marker_to_close=None)


# --- what a tick asks for -------------------------------------------------------------------------

SIGNAL_ASSETS = ["tracked_traders", "ft_wallets", "source_trades", "ft_orders", "lt_strategies"]
SHARD_ASSETS = ["lt_orders", "lt_fills"]
FIRST_SHARD_ASSETS = SHARD_ASSETS + ["strategy_alerts"]  # alerts once a tick: notified once per breach


def tick_request(scale_out: ScaleOut, **kwargs) -> dg.RunRequest:
    """The run a schedule or sensor starts: the whole execution job, or, sharded, its signals stage."""
    if not scale_out.sharded:
        return dg.RunRequest(**kwargs)
    tags = {**kwargs.pop("tags", {}), STAGE_TAG: SIGNALS_STAGE, SHARDS_TAG: str(scale_out.shards)}
    return dg.RunRequest(asset_selection=[dg.AssetKey(name) for name in SIGNAL_ASSETS], tags=tags, **kwargs)


def shard_requests(count: int, run_key_prefix: str | None = None, tags: Mapping[str, str] | None = None) -> list[dg.RunRequest]:
    """One run per shard: its strategies' orders and the venue sync (and, in shard 0, the alerts)."""
    return [
        dg.RunRequest(
            run_key=f"{run_key_prefix}:shard-{shard.index}" if run_key_prefix else None,
            asset_selection=[dg.AssetKey(name) for name in (FIRST_SHARD_ASSETS if shard.index == 0 else SHARD_ASSETS)],
            tags={**(tags or {}), SHARD_TAG: shard.label},
        )
        for shard in all_shards(count)
    ]


def shard_of_run(tags: Mapping[str, str]) -> Shard:
    """The shard a run executes: its `lt/shard` tag, or every strategy when it has none."""
    return Shard.parse(tags[SHARD_TAG]) if SHARD_TAG in tags else Shard(0, 1)
