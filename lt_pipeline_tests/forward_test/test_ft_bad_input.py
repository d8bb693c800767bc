"""Bad input on the paper side is recorded with its reason and never crashes a tick."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from lt_pipeline.defs.resources import StrategyConfigResource
from lt_pipeline.ingest.source_trades import ingest_source_trades, track_traders
from lt_pipeline.ledger import schema
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline_tests.emulator.fixtures import start_emulator
from lt_pipeline_tests.forward_test.harness import LOOSE_WALLETS, make_harness

TRADER = "0x" + "ab" * 20
GOOD = {
    "proxyWallet": TRADER, "side": "BUY", "asset": "123", "conditionId": "0x" + "c" * 64, "size": 10, "price": 0.5,
    "timestamp": 1780315200, "transactionHash": "0x" + "1" * 64, "outcome": "Yes", "outcomeIndex": 0, "title": "T",
}


class FakeVenue(BaseHTTPRequestHandler):
    """A venue that answers with one good trade, one with a NaN price and one missing its asset."""

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/trades") and "offset=0" in self.path:
            rows = [GOOD, {**GOOD, "price": "NaN", "transactionHash": "0x" + "2" * 64}, {k: v for k, v in GOOD.items() if k != "asset"}]
        else:
            rows = []
        body = json.dumps(rows).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_venue():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVenue)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_bad_source_trades_are_recorded_with_their_reason_and_the_good_one_kept(ledger_engine, fake_venue):
    from lt_pipeline.clock import SimulatedClock, from_unix

    clock = SimulatedClock(from_unix(1780315260))
    track_traders(ledger_engine, [TRADER], "config", clock.now())
    report = ingest_source_trades(ledger_engine, DataApiClient(fake_venue, clock=clock), GammaClient(fake_venue, clock=clock), clock)
    assert (report.trades_new, report.rejected) == (1, 2)
    again = ingest_source_trades(ledger_engine, DataApiClient(fake_venue, clock=clock), GammaClient(fake_venue, clock=clock), clock)
    assert again.trades_new == 0 and again.rejected == 0  # nothing recorded twice
    with ledger_engine.connect() as connection:
        reasons = connection.execute(select(schema.source_trade_rejections.c.reason)).scalars().all()
        stored = connection.execute(select(func.count()).select_from(schema.source_trades)).scalar()
    assert stored == 1
    assert any("price" in reason for reason in reasons) and any("asset" in reason for reason in reasons)


def test_a_malformed_wallet_file_is_reported_and_the_last_good_wallets_stay(sqlite_url, tmp_path):
    emulator = start_emulator(seed=4)
    try:
        harness = make_harness(emulator, sqlite_url, tmp_path)
        harness.execution_tick()
        broken = tmp_path / "ft_wallets.yaml"
        broken.write_text(LOOSE_WALLETS.read_text().replace("price_max: 0.95", "price_max: 1.5"))
        harness.resources["strategy_config"] = StrategyConfigResource(ft_wallets_file=str(broken), tracked_traders=[])
        result = harness.execution_tick()
        error = harness.metadata(result, "ft_wallets")["config_error"]
        assert error == "ft_wallets.yaml: wallet FT_TEST_FIXED: filters.price_max: expected a number between 0 and 1, got 1.5"
        with harness.engine.connect() as connection:
            wallets = connection.execute(select(schema.ft_wallets.c.wallet_id)).scalars().all()
        assert sorted(wallets) == ["FT_TEST_BAND", "FT_TEST_FIXED"]
        assert harness.metadata(result, "source_trades")["trades_seen"] >= 0  # the tick went on
    finally:
        emulator.stop(wait=False)


def test_a_trade_in_a_market_the_venue_never_describes_waits_then_is_reported(ledger_engine, fake_venue):
    from datetime import timedelta

    from lt_pipeline.clock import SimulatedClock, from_unix
    from lt_pipeline.forward_test.signals import create_ft_orders
    from lt_pipeline.forward_test.wallets import sync_wallets
    from lt_pipeline.strategy.config import load_wallets

    clock = SimulatedClock(from_unix(1780315260))
    track_traders(ledger_engine, [TRADER], "config", from_unix(1780315000))
    sync_wallets(ledger_engine, load_wallets(LOOSE_WALLETS), clock.now())
    ingest_source_trades(ledger_engine, DataApiClient(fake_venue, clock=clock), GammaClient(fake_venue, clock=clock), clock)

    first = create_ft_orders(ledger_engine, clock)
    assert (first.waiting_for_market, first.unknown_market, first.orders_created) == (1, 0, 0)
    clock.advance(timedelta(minutes=11))
    later = create_ft_orders(ledger_engine, clock)
    assert (later.waiting_for_market, later.unknown_market) == (0, 1)
    with ledger_engine.connect() as connection:
        reasons = connection.execute(select(schema.source_trade_rejections.c.reason)).scalars().all()
    assert any("not described by the venue" in reason for reason in reasons)
    assert create_ft_orders(ledger_engine, clock).unknown_market == 0  # reported once, then let go
