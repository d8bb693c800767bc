"""`lt emulator serve --state-dir` as a user runs it: stopped with SIGTERM, started again on the same
folder it serves the same orders to the same API key; `--fresh` starts over; a damaged snapshot
stops it with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from py_clob_client_v2.clob_types import ApiCreds, OrderArgsV2
from py_clob_client_v2.client import ClobClient
from py_clob_client_v2.exceptions import PolyApiException

from lt_pipeline.emulator.persistence import SNAPSHOT_FILE
from lt_pipeline.tools import emulator_serve

from .fixtures import CHAIN_ID, test_private_key

SCENARIO = "random_traders: 0\nrandom_markets: 0\nmarkets:\n  - question: Will it rain?\n    end_in_minutes: 600\n"


class Served:
    def __init__(self, tmp_path: Path, *extra: str) -> None:
        scenario = tmp_path / "one.yaml"
        scenario.write_text(SCENARIO)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lt_pipeline.tools.emulator_serve", "--port", "0", "--scenario", str(scenario),
             "--paused", "--state-dir", str(tmp_path / "state"), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        first = self.process.stdout.readline()
        assert first.startswith("emulator listening on http://127.0.0.1:"), first + self.process.stderr.read()
        self.url = first.split("listening on ", 1)[1].split(" ", 1)[0]
        self.lines = [self.process.stdout.readline(), self.process.stdout.readline()]

    def stop(self) -> int:
        self.process.terminate()  # SIGTERM, as `lt run` stops it
        return self.process.wait(timeout=20)


def client(url: str, creds: ApiCreds | None = None) -> ClobClient:
    trader = ClobClient(url, chain_id=CHAIN_ID, key=test_private_key(1), use_server_time=True)
    trader.set_api_creds(creds or trader.create_or_derive_api_key())
    return trader


def test_serve_resumes_after_sigterm_and_fresh_starts_over(tmp_path):
    first = Served(tmp_path)
    try:
        assert first.lines[1].startswith("state: new, saved to ")
        market = httpx.get(f"{first.url}/gamma/markets").json()[0]
        token = json.loads(market["clobTokenIds"])[0]
        httpx.post(f"{first.url}/admin/book", json={"token_id": token, "bids": [["0.40", "100"]], "asks": [["0.60", "100"]]})
        trader = client(first.url)
        placed = trader.post_order(trader.create_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY")))
        orders = trader.get_open_orders()
        assert [o["id"] for o in orders] == [placed["orderID"]]
    finally:
        assert first.stop() == 0  # drained and saved, not killed
    assert (tmp_path / "state" / SNAPSHOT_FILE).exists()

    second = Served(tmp_path)
    try:
        assert second.lines[1].startswith("state: resumed from ") and "1 open orders" in second.lines[1]
        assert client(second.url, trader.creds).get_open_orders() == orders
    finally:
        assert second.stop() == 0

    fresh = Served(tmp_path, "--fresh")
    try:
        assert fresh.lines[1].startswith("state: fresh start")
        try:
            client(fresh.url, trader.creds).get_open_orders()
            raise AssertionError("a fresh venue should not know the old key")
        except PolyApiException as refused:
            assert refused.status_code == 401
        assert client(fresh.url).get_open_orders() == []
    finally:
        fresh.stop()


def test_serve_refuses_a_damaged_snapshot_in_one_line(tmp_path, capsys):
    state = tmp_path / "state"
    state.mkdir()
    (state / SNAPSHOT_FILE).write_bytes(b"LT-EMULATOR-SNAPSHOT\n{}\n")
    assert emulator_serve.main(["--port", "0", "--state-dir", str(state)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lt emulator serve: emulator state ") and "--fresh" in err and "\n" not in err
    assert emulator_serve.main(["--port", "0", "--fresh"]) == 2
    assert "--fresh: only means something with --state-dir" in capsys.readouterr().err


def test_serve_quota_options():
    parser = emulator_serve.build_parser()
    assert emulator_serve.wire_options(parser.parse_args([])).quotas.window_seconds == 10
    assert emulator_serve.wire_options(parser.parse_args(["--no-quotas"])).quotas is None
    assert emulator_serve.wire_options(parser.parse_args(["--quota-window", "2.5"])).quotas.window_seconds == 2.5
