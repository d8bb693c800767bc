"""The execution job sharded across runs, its steps executed by two dagster-celery workers on the
RabbitMQ broker, with a PostgreSQL Dagster instance and a PostgreSQL ledger, against the emulator: both
workers execute steps, every run succeeds, and every signal is placed exactly once, at the venue and in
the ledger, even with a third run covering every strategy at the same time as the two shard runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from lt_pipeline.defs.scale_out import SIGNAL_ASSETS, shard_requests
from lt_pipeline.execution.shards import shard_of
from lt_pipeline.ledger import schema
from lt_pipeline_tests.conftest import PG_URL
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.forward_test.harness import LOOSE_WALLETS, make_harness
from lt_pipeline_tests.live.test_executor import add_strategy

REPO = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("LT_TEST_CELERY_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
USERS = ("u0", "u1", "u2", "u3")
SHARDS = 2
WORKERS = ("lt-worker-1", "lt-worker-2")


def _broker_problem() -> str | None:
    url = make_url(BROKER.replace("amqp://", "amqp+x://", 1))
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5672), timeout=3).close()
        return None
    except OSError as error:
        return f"{type(error).__name__}: {error}"


@pytest.fixture
def broker() -> str:
    problem = _broker_problem()
    if problem is not None:
        message = f"the Celery broker at {make_url(BROKER.replace('amqp://', 'amqp+x://', 1)).host} is unreachable ({problem})"
        if os.environ.get("CI"):
            pytest.fail(message + "; under CI the scale-out test must run, not skip", pytrace=False)
        pytest.skip(message)
    return BROKER


@pytest.fixture
def dagster_home(pg_available, tmp_path):
    """A DAGSTER_HOME whose instance stores runs and events in a scratch PostgreSQL database."""
    database = f"lt_dagster_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(PG_URL)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_db:\n"
        f"      hostname: {url.host}\n      port: {url.port or 5432}\n      username: {url.username}\n"
        f"      password: '{url.password or ''}'\n      db_name: {database}\n      scheme: postgresql+psycopg2\n"
        "telemetry:\n  enabled: false\n"
    )
    # Its tables made once, as `dagster instance migrate` does before a deployment's services start: the
    # workers and the runs' processes open it at the same moment, and Dagster retries a concurrent
    # CREATE TABLE only for a table that exists, not for its row type ("type runs already exists").
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.upgrade()
    try:
        yield home
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def _environment(home: Path, ledger_url: str, emulator_url: str, state_dir: Path, celery_config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LT_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        LT_DEPLOYMENT="embedded",
        LT_STATE_DIR=str(state_dir),
        LT_LEDGER_URL=ledger_url,
        LT_CLOB_HOST=emulator_url,
        LT_DATA_API_HOST=f"{emulator_url}/data-api",
        LT_GAMMA_HOST=f"{emulator_url}/gamma",
        LT_FT_WALLETS_FILE=str(LOOSE_WALLETS),
        LT_EXECUTOR="celery",
        LT_CELERY_BROKER=BROKER,
        LT_EXECUTION_SHARDS=str(SHARDS),
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=os.pathsep.join([str(celery_config), str(REPO), env.get("PYTHONPATH", "")]),
    )
    return env


def _celery_config(folder: Path) -> Path:
    """The workers' and the runs' `dagster_celery_config`: the broker, and in a worker the job's
    definitions loaded once before it says it is ready (as after its first step), not in its first step."""
    folder.mkdir()
    (folder / "dagster_celery_config.py").write_text(
        f"broker_url = {BROKER!r}\nresult_backend = 'rpc://'\n\n"
        "from celery.signals import worker_init\n\n\n"
        "@worker_init.connect\n"
        "def _load_definitions(**_):\n"
        "    from dagster._core.definitions.reconstruct import ReconstructableRepository\n\n"
        f"    ReconstructableRepository.for_module('lt_pipeline.definitions', 'defs', working_directory={str(REPO)!r})"
        ".get_definition()\n"
    )
    return folder


def _start_workers(env: dict[str, str], logs: Path) -> list[tuple[subprocess.Popen, Path]]:
    """The workers, started; `_wait_ready` waits for them."""
    workers = []
    for name in WORKERS:
        log = logs / f"{name}.log"
        command = [
            str(Path(sys.executable).parent / "celery"), "-A", "dagster_celery.app", "worker",
            "-n", f"{name}@%h", "-Q", "dagster", "--concurrency", "1", "--prefetch-multiplier", "1",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
        ]
        with log.open("w") as out:
            workers.append((subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT), log))
    return workers


def _wait_ready(workers: list[tuple[subprocess.Popen, Path]]) -> None:
    deadline = time.monotonic() + 120
    for process, log in workers:
        while " ready." not in log.read_text():
            assert process.poll() is None, f"celery worker exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"celery worker not ready: {log.read_text()[-2000:]}"
            time.sleep(0.2)


def _signal_count(engine, strategies: list[str]) -> int:
    """Signals the strategies must execute: FT orders of their wallet made at or after their launch."""
    with engine.connect() as connection:
        return sum(
            connection.execute(
                select(func.count()).select_from(schema.ft_orders.join(
                    schema.lt_strategies, schema.lt_strategies.c.ft_wallet_id == schema.ft_orders.c.wallet_id))
                .where(schema.lt_strategies.c.strategy_id == strategy_id)
                .where(schema.ft_orders.c.order_time >= schema.lt_strategies.c.launched_at)
            ).scalar()
            for strategy_id in strategies
        )


def test_sharded_runs_on_two_celery_workers_place_each_signal_once(broker, dagster_home, pg_url, tmp_path, monkeypatch):
    # The workers run on wall-clock time; the emulator's clock trails it, so signals are minutes old, not stale.
    started = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=12)
    emulator = start_emulator(seed=11, start=started)
    workers: list[tuple[subprocess.Popen, Path]] = []
    runs: list[subprocess.Popen] = []
    try:
        celery_config = _celery_config(tmp_path / "celery_config")
        env = _environment(dagster_home, pg_url, emulator.url, tmp_path / "state", celery_config)
        # The workers and the four runs' processes start (and load the job) while the ledger is prepared;
        # each run waits to be told what to run.
        workers = _start_workers(env, tmp_path)
        runs = [subprocess.Popen([sys.executable, "-m", "lt_pipeline_tests.scale_out.launch_run"], env=env, cwd=REPO,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(4)]

        harness = make_harness(emulator, pg_url, tmp_path)
        harness.execution_tick()
        strategies = [
            add_strategy(harness.engine, harness.clock.now(), user=user, strategy_id=f"LT_FT_TEST_FIXED_{user.upper()}",
                         max_signal_age_seconds=3600, order_ttl_seconds=3600)
            for user in USERS
        ]
        assert {shard_of(s, SHARDS) for s in strategies} == set(range(SHARDS)), "strategies in every shard"
        for _ in range(3):
            harness.execution_tick()

        _wait_ready(workers)
        for name, value in env.items():
            monkeypatch.setenv(name, value)

        def start(process: subprocess.Popen, asset_names: list[str], tags: dict[str, str]) -> subprocess.Popen:
            """One run in its own process, as the daemon starts runs (Dagster's logging is not made for
            several runs in threads of one process)."""
            if process.poll() is not None:
                pytest.fail(f"the run's process exited before it was given its run: {process.stderr.read()[-3000:]}")
            process.stdin.write(json.dumps({"assets": asset_names, "tags": tags}) + "\n")
            process.stdin.flush()
            return process

        def finish(process: subprocess.Popen) -> str:
            out, err = process.communicate(timeout=180)
            assert process.returncode == 0, f"run failed: {out[-1000:]} {err[-3000:]}"
            return out.split()[-1]

        signals_run = finish(start(runs[0], SIGNAL_ASSETS, {"lt/stage": "signals", "lt/shards": str(SHARDS)}))
        # The two shard runs as execution_shards_sensor requests them, and a third run covering every
        # strategy at the same moment: they race for the same signals.
        requests = shard_requests(SHARDS, tags={"lt/signals_run": signals_run})
        asked = [([key.to_user_string() for key in request.asset_selection], dict(request.tags)) for request in requests]
        asked.append((["lt_orders"], {"lt/shard": "0/1"}))
        processes = [start(process, *run) for process, run in zip(runs[1:], asked, strict=True)]
        run_ids = [finish(process) for process in processes]

        with dg.DagsterInstance.get() as instance:
            worker_of_step: dict[tuple[str, str], str] = {}
            for run_id in [signals_run, *run_ids]:
                assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
                for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
                    event = record.dagster_event
                    metadata = event.engine_event_data.metadata if event.engine_event_data else {}
                    if "Celery worker" in metadata:
                        worker_of_step[(run_id, event.step_key)] = metadata["Celery worker"].value
        used = {name.split("@")[0] for name in worker_of_step.values()}
        assert used == set(WORKERS), f"steps ran on {used}"
        assert {step for _, step in worker_of_step} >= {"lt_orders", "lt_fills", "ft_orders"}
        for _, log in workers:
            assert "execute_plan" in log.read_text() and "succeeded" in log.read_text()

        with harness.engine.connect() as connection:
            rows = connection.execute(select(schema.lt_orders)).all()
            venue_rows = connection.execute(select(schema.orders)).all()
        signals = _signal_count(harness.engine, strategies)
        assert len(rows) == signals > 0
        assert {row.strategy_id for row in rows} == set(strategies)
        intents = [row for row in rows if row.order_id]
        assert intents, "some signals were placed"
        assert len({row.order_id for row in intents}) == len(intents)
        assert emulator.venue.counters().get("orders_placed", 0) == len(intents)
        assert all(emulator.venue.get_order(row.order_id) is not None for row in intents)
        assert len(venue_rows) == len({row.lt_order_id for row in venue_rows})
    finally:
        for process in runs:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=20)
        for process, _ in workers:
            process.terminate()
        for process, _ in workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        emulator.stop(wait=False)
