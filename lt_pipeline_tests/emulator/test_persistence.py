"""An emulator that survives a restart: orders, trades, balances, API keys, the simulated clock and
the simulation's progress come back from its state folder; `--fresh` starts over; a snapshot that
cannot be resumed is refused in one line rather than replaced by an empty venue."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from py_clob_client_v2.clob_types import ApiCreds, AssetType, BalanceAllowanceParams, OrderArgsV2, OrderPayload, OrderType
from py_clob_client_v2.client import ClobClient
from py_clob_client_v2.exceptions import PolyApiException

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.emulator import persistence
from lt_pipeline.emulator.persistence import SNAPSHOT_FILE, SnapshotError, StateDir, open_state
from lt_pipeline.emulator.serve import start_in_thread
from lt_pipeline.emulator.venue import Venue
from lt_pipeline.settings import load_settings
from lt_pipeline.tools import stack

from .fixtures import CHAIN_ID, EMULATOR_START, EmulatorHandle, make_trader_client, test_private_key, trader_address
from .test_wire_clob import pin_book


def long_market(emulator: EmulatorHandle):
    """An open binary market that stays open for the whole test (a day or more)."""
    return next(m for m in emulator.venue.markets() if not m.closed and not m.neg_risk and m.tick_size == Decimal("0.01")
                and m.end_date > EMULATOR_START + timedelta(days=1))


def start(state_dir: Path, *, fresh: bool = False, interval: float = 60.0) -> tuple[EmulatorHandle, bool]:
    """An emulator on `state_dir`: resumed when it holds a snapshot, else a new seed-0 venue."""
    state, resumed = open_state(state_dir, fresh=fresh)
    if resumed is None:
        clock = SimulatedClock(EMULATOR_START)
        venue = Venue(clock, seed=0)
        keys = funders = None
    else:
        venue, clock, keys, funders = resumed.venue, resumed.venue.clock, resumed.keys, resumed.funders
    running = start_in_thread(venue, clock=clock, keys=keys, funders=funders, state=state, snapshot_interval_s=interval)
    return EmulatorHandle(url=running.url, venue=venue, clock=clock, running=running), resumed is not None


def client_with(emulator: EmulatorHandle, creds: ApiCreds, seed: int = 1) -> ClobClient:
    client = ClobClient(emulator.url, chain_id=CHAIN_ID, key=test_private_key(seed), use_server_time=True)
    client.set_api_creds(creds)
    return client


def what_the_trader_sees(emulator: EmulatorHandle, client: ClobClient, token: str) -> dict:
    def balance(asset_type, token_id=None):
        params = BalanceAllowanceParams(asset_type=asset_type, token_id=token_id)
        return client.get_balance_allowance(params)["balance"]

    return {
        "open_orders": client.get_open_orders(),
        "trades": client.get_trades(),
        "collateral": balance(AssetType.COLLATERAL),
        "shares": balance(AssetType.CONDITIONAL, token),
        "public_trades": httpx.get(f"{emulator.url}/data-api/trades", params={"user": trader_address(1)}).json(),
        "time": httpx.get(f"{emulator.url}/time").json(),
    }


def test_orders_trades_balances_and_keys_survive_a_restart_and_fresh_starts_empty(tmp_path):
    state_dir = tmp_path / "emulator"
    emulator, resumed = start(state_dir)
    assert not resumed and (state_dir / SNAPSHOT_FILE).exists()  # written as soon as it serves
    try:
        market = long_market(emulator)
        token = market.tokens[0].token_id
        pin_book(emulator, token)
        client = make_trader_client(emulator, 1)
        client.post_order(client.create_order(OrderArgsV2(token_id=token, price=0.52, size=30, side="BUY")), OrderType.FOK)
        resting = client.post_order(client.create_order(OrderArgsV2(token_id=token, price=0.45, size=10, side="BUY")))
        emulator.admin("advance", seconds=1800)  # settlement moves on; simulated traders trade
        before = what_the_trader_sees(emulator, client, token)
        assert [o["id"] for o in before["open_orders"]] == [resting["orderID"]]
        assert len(before["trades"]) == 1 and before["public_trades"]
        assert Decimal(before["collateral"]) < Decimal("1000") * 10**6
        venue_counters = emulator.venue.counters()
        market_count = len(emulator.venue.markets())
    finally:
        emulator.stop()

    # the same folder: everything is back, and the same key (no new derive needed) reads it
    again, resumed = start(state_dir)
    try:
        assert resumed
        assert again.venue.counters() == venue_counters and len(again.venue.markets()) == market_count
        client = client_with(again, client.creds)
        assert what_the_trader_sees(again, client, token) == before
        derived = ClobClient(again.url, chain_id=CHAIN_ID, key=test_private_key(1), use_server_time=True)
        assert derived.create_or_derive_api_key() == client.creds
        # the venue carries on from where it was: the resting order's reservation is released by a
        # cancel, and simulated time moves on from the saved instant
        assert client.cancel_order(OrderPayload(orderID=resting["orderID"]))["canceled"] == [resting["orderID"]]
        released = client.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.COLLATERAL))["balance"]
        assert Decimal(released) - Decimal(before["collateral"]) == Decimal("4.5") * 10**6  # 10 x 0.45 held for it
        again.admin("advance", seconds=120)
        assert httpx.get(f"{again.url}/time").json() == before["time"] + 120
    finally:
        again.stop()

    fresh, resumed = start(state_dir, fresh=True)
    try:
        assert not resumed
        with pytest.raises(PolyApiException) as refused:
            client_with(fresh, client.creds).get_open_orders()
        assert refused.value.status_code == 401  # the old key is unknown to a fresh venue
        assert httpx.get(f"{fresh.url}/data-api/trades", params={"user": trader_address(1)}).json() == []
    finally:
        fresh.stop()


def test_the_simulation_resumes_exactly_where_it_stopped(tmp_path):
    """A venue saved and resumed replays the same future as one that never stopped."""
    clock = SimulatedClock(EMULATOR_START)
    venue = Venue(clock, seed=5)
    clock.advance(timedelta(hours=3))
    venue.sync()
    state = StateDir(tmp_path).acquire()
    state.save_parts(venue, persistence.ApiKeyStore(0), {})
    resumed = state.load()
    state.release()
    for each in (venue, resumed.venue):
        each.clock.advance(timedelta(hours=5))
        each.sync()
    rows = [[(t.transaction_hash, t.size, t.price) for t in v.public_trades(taker_only=False)] for v in (venue, resumed.venue)]
    assert rows[0] == rows[1] and len(rows[0]) > 100
    assert venue.counters() == resumed.venue.counters()


def test_snapshots_are_taken_while_serving_and_the_folder_is_locked(tmp_path):
    emulator, _ = start(tmp_path, interval=0.1)
    try:
        snapshots = emulator.running.snapshots
        first = snapshots.saves
        with pytest.raises(SnapshotError, match="in use by another emulator"):
            open_state(tmp_path)
        time.sleep(0.3)
        assert snapshots.saves == first  # nothing happened: nothing saved
        emulator.admin("advance", seconds=60)
        deadline = time.monotonic() + 5
        while snapshots.saves == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert snapshots.saves > first and snapshots.last_error is None
        saved_clock = json.loads((tmp_path / SNAPSHOT_FILE).read_bytes().split(b"\n")[1])["summary"]["clock"]
        assert saved_clock == (EMULATOR_START + timedelta(seconds=60)).isoformat()
    finally:
        emulator.stop()
    state, resumed = open_state(tmp_path)  # released on stop
    state.release()
    assert resumed.venue.clock.now() == EMULATOR_START + timedelta(seconds=60)


def _snapshot(tmp_path: Path) -> Path:
    emulator, _ = start(tmp_path)
    emulator.stop()
    return tmp_path / SNAPSHOT_FILE


def _rewrite_header(path: Path, change) -> None:
    magic, header, payload = path.read_bytes().split(b"\n", 2)
    header = json.loads(header)
    change(header)
    path.write_bytes(magic + b"\n" + json.dumps(header).encode() + b"\n" + payload)


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-100]), "truncated or corrupted"),
        (lambda p: p.write_bytes(b"not a snapshot"), "is not an emulator snapshot"),
        (lambda p: _rewrite_header(p, lambda h: h.update(format_version=99)), "format version 99"),
        (
            lambda p: _rewrite_header(
                p, lambda h: h["shapes"].update({k: [n for n in v if n != "_faucet"] for k, v in h["shapes"].items() if k.endswith(":Venue")})
            ),
            "incompatible emulator version: its objects lack what the code now expects: Venue (_faucet)",
        ),
    ],
)
def test_a_snapshot_that_cannot_be_resumed_is_refused_in_one_line_until_fresh(tmp_path, damage, words):
    path = _snapshot(tmp_path)
    damage(path)
    with pytest.raises(SnapshotError) as refused:
        open_state(tmp_path)
    message = str(refused.value)
    assert words in message and "--fresh" in message and "\n" not in message
    assert path.exists()  # never silently replaced
    state, resumed = open_state(tmp_path, fresh=True)
    state.release()
    assert resumed is None and not path.exists()


def test_lt_run_keeps_the_emulator_state_under_the_state_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LT_STATE_DIR", str(tmp_path / "state"))
    settings = load_settings()
    assert stack.emulator_state_dir(settings) == tmp_path / "state" / "emulator"
    command = stack.emulator_command(settings, Path("/venv/bin"))
    assert command[command.index("--state-dir") + 1] == str(tmp_path / "state" / "emulator") and "--fresh" not in command
    assert stack.emulator_command(settings, Path("/venv/bin"), fresh=True)[-1] == "--fresh"
