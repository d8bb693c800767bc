"""The one test that starts the real embedded stack (`lt run`) from an empty state folder: the Dagster UI
answers with every schedule and sensor running, the seeded live twins exist, the first execution run
is launched, and a Ctrl-C (SIGINT) stops every process the stack started. Slow (about a minute)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lt_pipeline.execution.strategies import list_strategies
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.tools.seed_world import SEED_WALLETS
from lt_pipeline.tools.stack import web_command
from lt_pipeline.tools.stack_watch import DagsterUI

STARTUP_TIMEOUT_S = 300
EXPECTED_RUNNING = {"execution_every_2_minutes", "resolution_every_10_minutes", "new_signals_sensor", "markets_ended_sensor"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_of(state: Path) -> list[int]:
    """Live processes whose environment names this state folder: everything the stack started."""
    marker = f"LT_STATE_DIR={state}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            state_letter = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state_letter != "Z" and marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def _heartbeat(engine) -> str | None:
    from sqlalchemy import select

    from lt_pipeline.engine.lane import HEARTBEAT_CURSOR
    from lt_pipeline.ledger.schema import pipeline_cursors

    with engine.connect() as connection:
        return connection.execute(select(pipeline_cursors.c.value).where(pipeline_cursors.c.name == HEARTBEAT_CURSOR)).scalar()


def test_lt_run_starts_the_stack_with_automation_on_and_twins_seeded_and_ctrl_c_leaves_nothing(tmp_path):
    state = tmp_path / "state"
    ui_port, web_port = free_port(), free_port()
    env = {**os.environ, "LT_STATE_DIR": str(state), "LT_EMULATOR_PORT": str(free_port()), "NO_PROXY": "127.0.0.1"}
    for name in ("LT_LEDGER_URL", "LT_DUCKDB_PATH", "LT_DEPLOYMENT", "DAGSTER_HOME"):
        env.pop(name, None)
    command = [sys.executable, "-m", "lt_pipeline.tools.stack", "--port", str(ui_port), "--web-port", str(web_port)]
    stack = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    output: list[str] = []
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            line = stack.stdout.readline()
            if not line:
                pytest.fail(f"lt run exited with {stack.wait()} before the stack was up:\n{''.join(output)}")
            output.append(line)
            if "Ctrl-C stops everything" in line:  # the end of the banner: everything is up
                break
        else:
            pytest.fail(f"lt run was not up within {STARTUP_TIMEOUT_S} s:\n{''.join(output)}")
        text = "".join(output)
        assert f"Dagster UI  http://127.0.0.1:{ui_port}" in text and "Traceback" not in text

        ui = DagsterUI(f"http://127.0.0.1:{ui_port}")
        assert httpx.get(ui.url, timeout=10).status_code == 200
        if web_command("127.0.0.1", web_port, ui.url) is not None:  # the dashboard, once installed
            assert f"dashboard   http://127.0.0.1:{web_port}" in text
            assert httpx.get(f"http://127.0.0.1:{web_port}/", timeout=10).status_code < 500
        automation = ui.automation()
        assert EXPECTED_RUNNING <= set(automation)
        assert {name for name, status in automation.items() if status != "RUNNING"} == set()
        # the first execution run: launched by `lt run` at once (or by the schedule, when a minute mark came first)
        deadline = time.monotonic() + 60
        while not any(run["jobName"] == "execution_job" for run in ui.runs(limit=10)):
            assert time.monotonic() < deadline, "no execution_job run within 60 s of the stack being up"
            time.sleep(1)

        engine = make_engine(f"sqlite:///{state / 'ledger.db'}")
        twins = list_strategies(engine, user_id="demo")
        # `lt engine` runs beside the daemon: its heartbeat reaches the ledger
        deadline = time.monotonic() + 60
        while not _heartbeat(engine):
            assert time.monotonic() < deadline, f"no heartbeat from lt engine within 60 s: {(state / 'logs' / 'engine.log').read_text()[-2000:]}"
            time.sleep(1)
        engine.dispose()
        assert [t.ft_wallet_id for t in twins] == sorted(SEED_WALLETS)
        assert all(t.launched_at is not None for t in twins)
        assert len(processes_of(state)) >= 4  # emulator, daemon, webserver and their code servers

        stack.send_signal(signal.SIGINT)  # what Ctrl-C sends to `lt run`
        rest, _ = stack.communicate(timeout=90)
        assert stack.returncode == 0, rest
        assert "stopped everything lt run started" in rest
        left = processes_of(state)
        assert left == [], f"processes left running after Ctrl-C: {left}"
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
        for pid in processes_of(state):
            os.kill(pid, signal.SIGKILL)
