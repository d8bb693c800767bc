"""`lt web` (tools/web_serve.py): serves the dashboard on the port asked, and refuses bad arguments or
an unready ledger in one line with exit code 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from lt_pipeline.ledger import migrate
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.tools import web_serve


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_serves_the_dashboard_on_the_port_asked(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate.upgrade(engine)
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "LT_STATE_DIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "lt_pipeline.tools.web_serve", "--port", str(port),
                               "--dagster-url", "http://127.0.0.1:3999"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the dashboard did not come up"
                time.sleep(0.2)
        assert page.status_code == 200
        assert "No live strategy yet" in page.text
        assert 'href="http://127.0.0.1:3999/runs"' in page.text
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_bad_arguments_and_an_unready_ledger_are_one_line(tmp_path, monkeypatch, capsys):
    assert web_serve.main(["--port", "70000"]) == 2
    assert capsys.readouterr().err.strip() == "lt web: --port: expected a TCP port from 1 to 65535, got 70000"
    assert web_serve.main(["--dagster-url", "localhost:3000"]) == 2
    assert "--dagster-url: expected an http(s) URL" in capsys.readouterr().err
    monkeypatch.setenv("LT_STATE_DIR", str(tmp_path))  # an empty folder: the ledger has no tables
    assert web_serve.main(["--port", str(_free_port())]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("lt web: ") and "\n" not in error
