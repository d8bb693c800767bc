"""Trader discovery from recent trades, and the tracked universe it feeds."""

from __future__ import annotations

import pytest

from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.discovery import discover_traders, tracked_universe
from lt_pipeline_tests.venues.conftest import Reply, trade_row as row

BUSY = "0x" + "a" * 40  # many small trades
WHALE = "0x" + "b" * 40  # one huge trade
QUIET = "0x" + "c" * 40  # one small trade


@pytest.fixture
def data_api(venue, sleep) -> DataApiClient:
    rows = [row(n, wallet=BUSY, size=10) for n in range(5)]
    rows += [row(10, wallet=WHALE, size=50_000), row(11, wallet=QUIET, size=10)]
    rows.append({**row(12, wallet=QUIET), "price": "NaN"})  # unreadable rows are not counted
    venue.routes["/data-api/trades"] = Reply(200, rows)
    return DataApiClient(f"{venue.url}/data-api", sleep=sleep)


def test_most_active_traders_first(data_api, venue):
    assert discover_traders(data_api, top=2, by="activity") == [BUSY, WHALE]
    assert venue.requests[0].one("user") is None


def test_biggest_traders_by_volume_first(data_api):
    assert discover_traders(data_api, top=3, by="volume") == [WHALE, BUSY, QUIET]


def test_zero_top_asks_nothing(data_api, venue):
    assert discover_traders(data_api, top=0) == []
    assert venue.requests == []


def test_unknown_ranking_is_refused(data_api):
    with pytest.raises(ValueError, match="by: expected 'activity' or 'volume', got 'pnl'"):
        discover_traders(data_api, top=1, by="pnl")


def test_tracked_universe_puts_configured_first_and_lists_each_once():
    configured = [WHALE.upper().replace("0X", "0x"), QUIET]
    assert tracked_universe(configured, [BUSY, WHALE, BUSY]) == [WHALE, QUIET, BUSY]


def test_tracked_universe_names_a_bad_configured_address():
    with pytest.raises(ValueError, match="configured trader: expected a wallet address .*'0xnope'"):
        tracked_universe(["0xnope"], [])
