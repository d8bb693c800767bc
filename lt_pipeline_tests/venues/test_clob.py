"""ClobReader: the real py-clob-client-v2 (level 0) against a local HTTP venue."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest

from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.models import BadPayload, ResolutionStatus, VenueRejected, VenueUnavailable
from lt_pipeline_tests.venues.conftest import Reply, payload

BOOK = {
    **payload("legacy_http_book.json"),
    "min_order_size": "5",
    "tick_size": "0.01",
    "neg_risk": False,
    "last_trade_price": "0.12",
}
TOKEN = BOOK["asset_id"]
MARKET = payload("clob_market_closed_binary_accepting_false.json")
CID = MARKET["condition_id"]


def reader(venue, sleep, **kwargs) -> ClobReader:
    return ClobReader(venue.url, sleep=sleep, **kwargs)


def test_book_comes_back_best_level_first(venue, sleep):
    venue.routes["/book"] = Reply(200, BOOK)
    book = reader(venue, sleep).book(TOKEN)
    assert venue.requests[0].one("token_id") == TOKEN
    assert book.token_id == TOKEN and book.condition_id == BOOK["market"]
    assert book.best_bid == Decimal("0.1") and book.best_ask == Decimal("0.14")
    assert book.bids[-1].price == Decimal("0.01") and book.asks[-1].price == Decimal("0.98")
    assert book.spread == Decimal("0.04") and book.mid == Decimal("0.12")
    assert book.tick_size == Decimal("0.01") and book.last_trade_price == Decimal("0.12")


def test_a_closed_book_is_none(venue, sleep):
    venue.routes["/book"] = Reply(404, {"error": "No orderbook exists for the requested token id"})
    assert reader(venue, sleep).book(TOKEN) is None
    assert sleep.delays == []


def test_an_invalid_token_is_the_venues_refusal(venue, sleep):
    venue.routes["/book"] = Reply(400, {"error": "Invalid token id"})
    with pytest.raises(VenueRejected, match="Invalid token id") as caught:
        reader(venue, sleep).book("nope")
    assert caught.value.status == 400 and caught.value.reason.endswith("Invalid token id")


def test_market_carries_the_resolution_from_the_winner_flag(venue, sleep):
    venue.routes[f"/markets/{CID}"] = Reply(200, MARKET)
    market = reader(venue, sleep).market(CID)
    assert market.closed and not market.accepting_orders
    assert market.resolution.status is ResolutionStatus.WON
    assert market.resolution.winning_token_id == MARKET["tokens"][1]["token_id"]
    assert market.tick_size == Decimal("0.001") and market.min_order_size == Decimal("5")


def test_unknown_market_is_refused(venue, sleep):
    with pytest.raises(VenueRejected) as caught:
        reader(venue, sleep).market("0x" + "0" * 64)
    assert caught.value.status == 404


def test_midpoint_and_tick_size_are_decimals(venue, sleep):
    venue.routes["/midpoint"] = Reply(200, {"mid": "0.535"})
    venue.routes["/tick-size"] = Reply(200, {"minimum_tick_size": 0.001})
    clob = reader(venue, sleep)
    assert clob.midpoint(TOKEN) == Decimal("0.535")
    assert clob.tick_size(TOKEN) == Decimal("0.001")
    assert clob.tick_size(TOKEN) == Decimal("0.001")
    assert len(venue.requests_to("/tick-size")) == 1  # the client caches it


def test_midpoint_without_a_book_is_none(venue, sleep):
    venue.routes["/midpoint"] = Reply(404, {"error": "No orderbook exists for the requested token id"})
    assert reader(venue, sleep).midpoint(TOKEN) is None


def test_server_errors_and_rate_limits_are_retried(venue, sleep):
    venue.routes["/book"] = [
        Reply(503, {"error": "service unavailable"}),
        Reply(429, {"error": "Too Many Requests", "retry_after_seconds": 4}),
        Reply(200, BOOK),
    ]
    assert reader(venue, sleep).book(TOKEN) is not None
    assert sleep.delays == [0.5, 4.0]


def test_persistent_outage_is_unavailable(venue, sleep):
    venue.routes["/book"] = Reply(500, {"error": "boom"})
    with pytest.raises(VenueUnavailable, match="book of token .*after 3 attempts: .*HTTP 500: boom"):
        reader(venue, sleep, max_retries=2).book(TOKEN)
    assert sleep.delays == [0.5, 1.0]


def test_unreachable_host_is_unavailable(sleep):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(VenueUnavailable, match="could not reach the venue"):
        ClobReader(f"http://127.0.0.1:{port}", sleep=sleep, max_retries=1).book(TOKEN)
    assert sleep.delays == [0.5]


def test_a_book_missing_its_token_is_a_bad_payload(venue, sleep):
    venue.routes["/book"] = Reply(200, {k: v for k, v in BOOK.items() if k != "asset_id"})
    with pytest.raises(BadPayload, match="asset_id: missing"):
        reader(venue, sleep).book(TOKEN)
