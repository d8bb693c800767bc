"""GammaClient against a local HTTP venue: batching, both closed states, order, rejections, backoff."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lt_pipeline.venues.polymarket.gamma import GammaClient
from lt_pipeline.venues.polymarket.models import ResolutionStatus, VenueUnavailable
from lt_pipeline_tests.venues.conftest import Reply, Request, payload

OPEN = payload("gamma_market.json")
RESOLVED = payload("gamma_market_closed_binary_accepting_false.json")


def market(n: int, *, closed: bool = False) -> dict:
    base = RESOLVED if closed else OPEN
    return {**base, "conditionId": f"0x{n:064x}", "question": f"Question {n}?"}


def serve_markets(markets: list[dict]):
    """Gamma's /markets filtered by repeated condition_ids keys and by closed."""

    def route(request: Request) -> Reply:
        wanted = set(request.query.get("condition_ids", []))
        closed = request.one("closed") == "true"
        return Reply(200, [m for m in markets if m["conditionId"] in wanted and m["closed"] is closed])

    return route


def test_markets_are_fetched_in_batches_of_50_asking_for_open_and_closed(venue, sleep):
    markets = [market(n, closed=n % 4 == 0) for n in range(120)]
    venue.routes["/gamma/markets"] = serve_markets(markets)
    wanted = [m["conditionId"] for m in reversed(markets)]
    found = GammaClient(f"{venue.url}/gamma", sleep=sleep).markets(wanted)
    assert [m.condition_id for m in found] == wanted  # in the order asked
    requests = venue.requests_to("/gamma/markets")
    assert len(requests) == 6  # 3 batches x (closed=false, closed=true)
    assert [len(r.query["condition_ids"]) for r in requests] == [50, 50, 50, 50, 20, 20]
    assert [r.one("closed") for r in requests] == ["false", "true"] * 3
    resolved = [m for m in found if m.closed]
    assert len(resolved) == 30 and all(m.resolution.status is ResolutionStatus.WON for m in resolved)


def test_unknown_ids_are_left_out_and_duplicates_asked_once(venue, sleep):
    venue.routes["/gamma/markets"] = serve_markets([market(0xAB)])
    upper = "0x" + f"{0xAB:064x}".upper()
    found = GammaClient(f"{venue.url}/gamma", sleep=sleep).markets([upper, f"0x{0xAB:064x}", f"0x{2:064x}"])
    assert [m.condition_id for m in found] == [f"0x{0xAB:064x}"]
    assert venue.requests[0].query["condition_ids"] == [f"0x{0xAB:064x}", f"0x{2:064x}"]


def test_a_market_that_closes_between_the_two_calls_is_reported_closed(venue, sleep):
    venue.routes["/gamma/markets"] = lambda request: Reply(
        200, [market(7, closed=request.one("closed") == "true")]
    )
    (found,) = GammaClient(f"{venue.url}/gamma", sleep=sleep).markets([f"0x{7:064x}"])
    assert found.closed and found.resolution is not None


def test_a_bad_market_is_rejected_and_the_others_returned(venue, sleep):
    bad = {**market(2), "outcomePrices": '["0.5", "x"]'}
    venue.routes["/gamma/markets"] = serve_markets([market(1), bad, market(3)])
    found, rejected = GammaClient(f"{venue.url}/gamma", sleep=sleep).markets_and_rejections(
        [f"0x{n:064x}" for n in (1, 2, 3)]
    )
    assert [m.condition_id for m in found] == [f"0x{1:064x}", f"0x{3:064x}"]
    assert len(rejected) == 1 and rejected[0].reason.startswith("outcomePrices[1]: expected a decimal number")
    assert rejected[0].raw["conditionId"] == f"0x{2:064x}" and rejected[0].source == "gamma.markets"


def test_market_fields_come_through_as_exact_decimals(venue, sleep):
    venue.routes["/gamma/markets"] = serve_markets([market(1)])
    (found,) = GammaClient(f"{venue.url}/gamma", sleep=sleep).markets([f"0x{1:064x}"])
    assert found.liquidity == Decimal("20328.3747") and found.tick_size == Decimal("0.01")
    assert [t.price for t in found.tokens] == [Decimal("0.505"), Decimal("0.495")]


def test_rate_limited_gamma_is_retried_then_given_up(venue, sleep):
    venue.routes["/gamma/markets"] = Reply(429, {"error": "Too Many Requests"})
    with pytest.raises(VenueUnavailable, match="gamma /markets: venue unavailable after 3 attempts"):
        GammaClient(f"{venue.url}/gamma", sleep=sleep, max_retries=2).markets([f"0x{1:064x}"])
    assert sleep.delays == [0.5, 1.0]


def test_batch_size_over_the_venue_cap_is_refused():
    with pytest.raises(ValueError, match="batch_size: expected 1 to 50, got 51"):
        GammaClient("http://127.0.0.1:9", batch_size=51)
