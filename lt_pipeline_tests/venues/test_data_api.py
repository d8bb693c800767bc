"""DataApiClient against a local HTTP venue: paging, dedupe, since, backoff, bad rows, errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from lt_pipeline.clock import SimulatedClock, to_unix
from lt_pipeline.venues.polymarket import data_api as data_api_module
from lt_pipeline.venues.polymarket.data_api import DataApiClient
from lt_pipeline.venues.polymarket.models import BadPayload, VenueRejected, VenueUnavailable
from lt_pipeline_tests.venues.conftest import T0, TRADER, Reply, Request, payload, trade_row as row

OTHER = "0x" + "2" * 40
CLOCK = SimulatedClock(datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc))


def serve_trades(rows: list[dict], max_offset: int = 10_000):
    """The Data API's /trades over `rows` (newest first), with user/start/end/limit/offset."""
    rows = sorted(rows, key=lambda r: -r["timestamp"])

    def route(request: Request) -> Reply:
        offset, limit = int(request.one("offset") or 0), int(request.one("limit") or 100)
        if offset > max_offset:
            return Reply(400, {"error": "max historical activity offset of 10000 exceeded"})
        selected = [
            r
            for r in rows
            if (request.one("user") in (None, r["proxyWallet"]))
            and (request.one("start") is None or r["timestamp"] >= int(request.one("start")))
            and (request.one("end") is None or r["timestamp"] <= int(request.one("end")))
        ]
        return Reply(200, selected[offset : offset + limit])

    return route


def client(venue, sleep, **kwargs) -> DataApiClient:
    return DataApiClient(f"{venue.url}/data-api", clock=CLOCK, sleep=sleep, **kwargs)


def test_pages_until_a_short_page_and_returns_every_trade(venue, sleep):
    venue.routes["/data-api/trades"] = serve_trades([row(n) for n in range(1200)])
    trades, rejected = client(venue, sleep, page_size=500).trades_of(TRADER)
    assert rejected == [] and sleep.delays == []
    assert len(trades) == 1200 and len({t.source_trade_id for t in trades}) == 1200
    assert trades[0].traded_at > trades[-1].traded_at  # newest first
    requests = venue.requests_to("/data-api/trades")
    assert [r.one("offset") for r in requests] == ["0", "500", "1000"]
    assert {(r.one("user"), r.one("takerOnly"), r.one("limit")) for r in requests} == {(TRADER.lower(), "false", "500")}
    assert all(r.one("start") is None for r in requests)


def test_a_full_last_page_costs_one_more_empty_request(venue, sleep):
    venue.routes["/data-api/trades"] = serve_trades([row(n) for n in range(10)])
    trades, _ = client(venue, sleep, page_size=5).trades_of(TRADER)
    assert len(trades) == 10
    assert [r.one("offset") for r in venue.requests_to("/data-api/trades")] == ["0", "5", "10"]


def test_rows_repeated_across_pages_are_returned_once(venue, sleep):
    # A new trade arriving between two page reads shifts the window: the venue repeats a row.
    first_page = [row(n) for n in range(3)]
    second_page = [row(2), row(3), row(4)]
    venue.routes["/data-api/trades"] = [Reply(200, first_page), Reply(200, second_page), Reply(200, [])]
    trades, _ = client(venue, sleep, page_size=3).trades_of(TRADER)
    assert [t.transaction_hash for t in trades] == [f"0x{n:064x}" for n in range(5)]


def test_since_asks_the_venue_to_start_there_and_drops_older_rows_it_sends_anyway(venue, sleep):
    since = datetime.fromtimestamp(T0 - 5, tz=timezone.utc) + timedelta(milliseconds=300)
    venue.routes["/data-api/trades"] = Reply(200, [row(n) for n in range(10)])  # ignores `start`
    trades, _ = client(venue, sleep).trades_of(TRADER, since=since)
    assert venue.requests[0].one("start") == str(T0 - 5)
    # the whole second of `since` is kept: the venue's timestamps have no fraction
    assert sorted(to_unix(t.traded_at) for t in trades) == list(range(T0 - 5, T0 + 1))


def test_since_must_be_aware():
    with pytest.raises(ValueError, match="since must be timezone-aware"):
        DataApiClient("http://127.0.0.1:9").trades_of(TRADER, since=datetime(2026, 1, 1))


def test_bad_rows_are_rejected_with_reasons_and_the_rest_returned(venue, sleep):
    rows = [row(0), row(1, price=1.5), row(2, size=-1), row(3, side="HOLD"), row(4, wallet=OTHER), row(5)]
    del rows[5]["asset"]
    rows.append(row(6))
    venue.routes["/data-api/trades"] = Reply(200, rows)
    trades, rejected = client(venue, sleep).trades_of(TRADER)
    assert [t.transaction_hash for t in trades] == [f"0x{0:064x}", f"0x{6:064x}"]
    assert [r.reason.split(":")[0] for r in rejected] == ["price", "size", "side", "proxyWallet", "asset"]
    assert f"proxyWallet: expected {TRADER.lower()}, got {OTHER}" in [r.reason for r in rejected]
    assert all(r.seen_at == CLOCK.now() and r.source == "data_api.trades" for r in rejected)


def test_429_waits_as_long_as_the_venue_asks(venue, sleep):
    venue.routes["/data-api/trades"] = [
        Reply(429, {"error": "Too Many Requests"}, {"Retry-After": "3"}),
        Reply(429, {"error": "Too Many Requests", "retry_after_seconds": 7}),
        Reply(429, {"error": "Too Many Requests"}),
        Reply(200, [row(1)]),
    ]
    trades, _ = client(venue, sleep).trades_of(TRADER)
    assert len(trades) == 1
    assert sleep.delays == [3.0, 7.0, 2.0]  # the third had no hint: exponential backoff (0.5, 1, 2 ...)


def test_server_errors_back_off_exponentially_then_give_up_clearly(venue, sleep):
    venue.routes["/data-api/trades"] = Reply(503, {"error": "upstream timeout"})
    with pytest.raises(VenueUnavailable, match="after 4 attempts: .*HTTP 503: upstream timeout") as caught:
        client(venue, sleep, max_retries=3).trades_of(TRADER)
    assert caught.value.status == 503
    assert sleep.delays == [0.5, 1.0, 2.0]
    assert len(venue.requests) == 4


def test_a_transient_error_mid_paging_is_retried_without_losing_pages(venue, sleep):
    pages = serve_trades([row(n) for n in range(7)])
    failures = iter([True])

    def flaky(request: Request) -> Reply:
        if request.one("offset") == "5" and next(failures, False):
            return Reply(502, "bad gateway")
        return pages(request)

    venue.routes["/data-api/trades"] = flaky
    trades, _ = client(venue, sleep, page_size=5).trades_of(TRADER)
    assert len(trades) == 7 and sleep.delays == [0.5]


def test_unreachable_venue_is_unavailable_after_retries(sleep):
    http = httpx.Client(transport=httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused"))))
    api = DataApiClient("http://127.0.0.1:1/data-api", http=http, sleep=sleep, max_retries=2)
    with pytest.raises(VenueUnavailable, match="after 3 attempts: GET .*ConnectError: refused"):
        api.trades_of(TRADER)
    assert sleep.delays == [0.5, 1.0]


def test_a_refusal_is_not_retried(venue, sleep):
    venue.routes["/data-api/trades"] = Reply(400, {"error": "invalid user"})
    with pytest.raises(VenueRejected, match="invalid user") as caught:
        client(venue, sleep).trades_of(TRADER)
    assert caught.value.status == 400 and sleep.delays == [] and len(venue.requests) == 1


def test_a_body_that_is_not_a_list_is_a_bad_payload(venue, sleep):
    venue.routes["/data-api/trades"] = Reply(200, {"data": []})
    with pytest.raises(BadPayload, match="expected a JSON array, got dict"):
        client(venue, sleep).trades_of(TRADER)


def test_bad_trader_address_is_refused_before_asking_the_venue():
    with pytest.raises(ValueError, match="trader: expected a wallet address"):
        DataApiClient("http://127.0.0.1:9").trades_of("bob")


def test_history_past_the_offset_cap_continues_from_the_oldest_trade_seen(venue, sleep, monkeypatch):
    monkeypatch.setattr(data_api_module, "MAX_OFFSET", 10)
    rows = [row(n) for n in range(40)]
    venue.routes["/data-api/trades"] = serve_trades(rows, max_offset=10)
    trades, _ = client(venue, sleep, page_size=5).trades_of(TRADER)
    assert len(trades) == 40 and sleep.delays == []
    ends = [r.one("end") for r in venue.requests_to("/data-api/trades")]
    assert ends[0] is None and len(set(ends)) > 2  # it moved its window more than once


def test_recent_trades_stops_at_the_limit(venue, sleep):
    venue.routes["/data-api/trades"] = serve_trades([row(n, wallet=f"0x{n % 3:040x}") for n in range(50)])
    trades, _ = client(venue, sleep, page_size=20).recent_trades(45)
    assert len(trades) == 45
    requests = venue.requests_to("/data-api/trades")
    assert [(r.one("offset"), r.one("limit")) for r in requests] == [("0", "20"), ("20", "20"), ("40", "5")]
    assert all(r.one("user") is None for r in requests)


def test_positions_of_reads_every_position_including_dust(venue, sleep):
    rows = payload("data_api_positions_response.json")
    venue.routes["/data-api/positions"] = Reply(200, rows)
    positions, rejected = client(venue, sleep).positions_of(rows[0]["proxyWallet"])
    assert rejected == [] and len(positions) == len(rows)
    assert venue.requests[0].one("sizeThreshold") == "0"
