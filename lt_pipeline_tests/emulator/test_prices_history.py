"""`GET /prices-history` as py-clob-client-v2's `get_prices_history` calls it and our ClobReader reads it:
the token's last trade price on the fidelity grid, the other outcome at 1 - p, windows by interval or by
startTs/endTs, failed trades left out, and refusals in the venue's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import httpx
import pytest
from py_clob_client_v2.clob_types import OrderArgsV2, OrderType, PricesHistoryParams
from py_clob_client_v2.exceptions import PolyApiException

from lt_pipeline.clock import to_unix
from lt_pipeline.venues.polymarket.clob import ClobReader
from lt_pipeline.venues.polymarket.models import BadPayload, PricePoint, VenueRejected
from lt_pipeline.venues.polymarket.parsing import parse_price_history

from .fixtures import EMULATOR_START, make_trader_client, trader_address
from .test_wire_clob import open_market


def long_lived(emulator):
    """An open binary market that resolves last, so hours on the clock never close it."""
    markets = [m for m in emulator.venue.markets() if not m.closed and not m.neg_risk and m.tick_size == Decimal("0.01")]
    return max(markets, key=lambda m: m.end_date)

D = Decimal
HOUR = timedelta(hours=1)


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return EMULATOR_START.replace(hour=hh, minute=mm, second=ss)


def pin(emulator, token: str, bid: str, ask: str) -> None:
    emulator.admin("book", token_id=token, bids=[[bid, "100"]], asks=[[ask, "100"]])


def take(client, token: str, side: str, price: float, size: float = 10):
    """A FAK against the pinned book: one trade at the level's price."""
    order = client.create_order(OrderArgsV2(token_id=token, price=price, size=size, side=side))
    answer = client.post_order(order, OrderType.FAK)
    assert answer["success"] and answer["status"] == "matched", answer
    return answer


@pytest.fixture
def traded(emulator):
    """Trades in one token at 12:10 (0.40), 13:10 (0.60) and 14:10 (0.50); the clock then at 15:10.
    Paused: only these trades move the price. Returns (emulator, market, first token, other token)."""
    emulator.admin("pause")
    market = long_lived(emulator)
    token, other = market.tokens[0].token_id, market.tokens[1].token_id
    buyer, seller = make_trader_client(emulator, 1), make_trader_client(emulator, 2)
    emulator.admin("fund", address=trader_address(2), amount="1000", token_id=token)
    pin(emulator, token, "0.40", "0.60")
    emulator.clock.set(at(12, 10))
    take(seller, token, "SELL", 0.40)
    emulator.clock.set(at(13, 10))
    take(buyer, token, "BUY", 0.60)
    emulator.clock.set(at(14, 10))
    pin(emulator, token, "0.50", "0.60")
    take(seller, token, "SELL", 0.50)
    emulator.clock.set(at(15, 10))
    return emulator, market, token, other


def test_the_real_client_reads_the_last_trade_price_on_an_hourly_grid(traded):
    emulator, _, token, other = traded
    client = make_trader_client(emulator, 3)
    # The last day ending 15:10, one point an hour on the hour; 12:00 is before the first trade.
    answer = client.get_prices_history(PricesHistoryParams(market=token, interval="1d", fidelity=60))
    assert answer == {"history": [
        {"t": to_unix(at(13)), "p": 0.4}, {"t": to_unix(at(14)), "p": 0.6}, {"t": to_unix(at(15)), "p": 0.5},
    ]}
    # The other outcome trades at 1 - p.
    answer = client.get_prices_history(PricesHistoryParams(market=other, interval="1d", fidelity=60))
    assert [point["p"] for point in answer["history"]] == [0.6, 0.4, 0.5]


def test_a_window_by_start_and_end_and_the_default_one_minute_fidelity(traded):
    emulator, _, token, _ = traded
    client = make_trader_client(emulator, 3)
    answer = client.get_prices_history(PricesHistoryParams(market=token, start_ts=to_unix(at(12)), end_ts=to_unix(at(13, 30)), fidelity=30))
    assert answer["history"] == [
        {"t": to_unix(at(12, 30)), "p": 0.4}, {"t": to_unix(at(13)), "p": 0.4}, {"t": to_unix(at(13, 30)), "p": 0.6},
    ]
    # interval 1h ending 15:10 at the default fidelity: 61 points a minute apart, the one at 14:10
    # already carrying the trade matched at 14:10:00.
    points = client.get_prices_history(PricesHistoryParams(market=token, interval="1h"))["history"]
    assert len(points) == 61 and points[0] == {"t": to_unix(at(14, 10)), "p": 0.5}
    assert {point["p"] for point in points} == {0.5}
    assert all(b["t"] - a["t"] == 60 for a, b in pairwise(points))
    # startTs alone runs to now
    tail = httpx.get(f"{emulator.url}/prices-history", params={"market": token, "startTs": to_unix(at(15)), "fidelity": 5}).json()
    assert tail == {"history": [{"t": to_unix(at(15)), "p": 0.5}, {"t": to_unix(at(15, 5)), "p": 0.5},
                                {"t": to_unix(at(15, 10)), "p": 0.5}]}


def test_our_reader_gives_decimals_at_aware_utc_times(traded):
    emulator, _, token, _ = traded
    reader = ClobReader(emulator.url)
    assert reader.price_history(token, "1d", fidelity_minutes=60) == [
        PricePoint(at(13), D("0.4")), PricePoint(at(14), D("0.6")), PricePoint(at(15), D("0.5")),
    ]
    window = reader.price_history(token, None, start=at(13, 59), end=at(14, 11), fidelity_minutes=6)
    assert window == [PricePoint(at(14), D("0.6")), PricePoint(at(14, 6), D("0.6"))]
    assert all(point.at.tzinfo is UTC for point in window)
    with pytest.raises(ValueError, match="interval"):
        reader.price_history(token, "2d")
    with pytest.raises(ValueError, match="both start and end"):
        reader.price_history(token, start=at(13))


def test_a_failed_trade_drops_out_of_the_history(traded):
    emulator, _, token, _ = traded
    buyer = make_trader_client(emulator, 1)
    pin(emulator, token, "0.40", "0.70")
    answer = take(buyer, token, "BUY", 0.70)
    reader = ClobReader(emulator.url)
    assert reader.price_history(token, "1h", fidelity_minutes=10)[-1] == PricePoint(at(15, 10), D("0.7"))
    emulator.admin("fail-trade", trade_id=answer["tradeIDs"][0])
    emulator.clock.advance(timedelta(minutes=1))  # past the settlement steps: RETRYING, then FAILED
    assert emulator.venue.get_trade(answer["tradeIDs"][0]).status == "FAILED"
    assert reader.price_history(token, "1h", fidelity_minutes=10)[-1] == PricePoint(at(15, 10), D("0.5"))


def test_no_history_for_a_token_that_never_traded_or_that_the_venue_does_not_know(emulator):
    emulator.admin("pause")
    market = open_market(emulator, neg_risk=False)
    reader = ClobReader(emulator.url)
    assert reader.price_history(market.tokens[0].token_id, "1d") == []
    assert reader.price_history("123456789", "1w", fidelity_minutes=60) == []


@pytest.mark.parametrize("params, words", [
    ({"interval": "1d"}, "invalid token id"),
    ({"market": "1", "interval": "1d", "startTs": "5"}, "mutually exclusive"),
    ({"market": "1"}, "startTs or interval is required"),
    ({"market": "1", "interval": "2d"}, "invalid interval"),
    ({"market": "1", "startTs": "100", "endTs": "50"}, "endTs is before startTs"),
    ({"market": "1", "interval": "1d", "fidelity": "0"}, "fidelity"),
])
def test_bad_queries_are_refused_in_words(emulator, params, words):
    response = httpx.get(f"{emulator.url}/prices-history", params=params)
    assert response.status_code == 400 and words.lower() in response.json()["error"].lower()


def test_the_client_and_our_reader_see_a_refusal_as_the_venues(emulator):
    client = make_trader_client(emulator, 3)
    with pytest.raises(PolyApiException) as refused:
        client.get_prices_history(PricesHistoryParams(market="1", interval="1d", start_ts=1, end_ts=2))
    assert refused.value.status_code == 400
    with pytest.raises(VenueRejected, match="price history of token 1"):
        ClobReader(emulator.url).price_history("1", None, start=at(15), end=at(14), fidelity_minutes=1)


def test_the_parser_reads_numbers_and_strings_and_refuses_a_bad_point_by_name():
    body = {"history": [{"t": 1780326000, "p": 0.535}, {"t": "1780322400", "p": "0.5"}]}
    assert parse_price_history(body) == [  # oldest first, whatever the order on the wire
        PricePoint(datetime(2026, 6, 1, 14, tzinfo=UTC), D("0.5")), PricePoint(datetime(2026, 6, 1, 15, tzinfo=UTC), D("0.535")),
    ]
    assert parse_price_history({"history": []}) == []
    for bad, words in (({"history": [{"t": 1780326000}]}, "history[0].p: missing"),
                       ({"history": [{"t": 1780326000, "p": 1.5}]}, "history[0].p"),
                       ({"history": [{"p": 0.5}]}, "history[0].t: missing"),
                       ({"history": "none"}, "history: expected a list"),
                       ([], "expected a JSON object")):
        with pytest.raises(BadPayload) as refused:
            parse_price_history(bad)
        assert words in refused.value.message, refused.value.message
