"""The dashboard over a real SQLite ledger (world.py): as an in-process app for request tests, and
served by uvicorn on a loopback port for the browser test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.settings import load_settings
from lt_pipeline.web.app import create_app
from lt_pipeline_tests.web.world import NOW, build_world

DAGSTER_URL = "http://127.0.0.1:3999"


@dataclass
class Dashboard:
    app: object
    engine: object
    settings: object
    clock: SimulatedClock
    url: str = ""


@pytest.fixture
def dashboard(tmp_path) -> Iterator[Dashboard]:
    settings = load_settings({"LT_STATE_DIR": str(tmp_path / "state")})
    settings.state_dir.mkdir(parents=True)
    engine = make_engine(settings.ledger_url)
    build_world(engine)
    clock = SimulatedClock(NOW)
    yield Dashboard(create_app(settings, engine=engine, clock=clock, dagster_url=DAGSTER_URL), engine, settings, clock)
    engine.dispose()


@pytest.fixture
def served(dashboard) -> Iterator[Dashboard]:
    """The dashboard served by uvicorn on a free loopback port, stopped afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(dashboard.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail(f"the dashboard did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    dashboard.url = f"http://127.0.0.1:{port}"
    try:
        yield dashboard
    finally:
        server.should_exit = True
        thread.join(timeout=10)
