"""The venue's order and trade JSON read into our types (payload samples, both status spellings, both
time formats), our fills picked out of a trade as taker or maker with their fees, bad records named and
skipped, and the rules that move an LT order's state on its fills."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from lt_pipeline.execution.fills import fill_metrics, fills_of, our_order_ids, state_change, venue_state
from lt_pipeline.model.orders import FillStatus, OrderEvent, OrderState, next_state
from lt_pipeline.model.reports import Resting
from lt_pipeline.model.trading import FeeSchedule
from lt_pipeline.venues.polymarket.models import BadPayload
from lt_pipeline.venues.polymarket.reports import parse_each, parse_order, parse_trade, signed_order_facts
from lt_pipeline_tests.venues.conftest import PAYLOADS

D = Decimal
S = OrderState


def sample(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def test_a_trade_report_gives_the_takers_fill_and_each_makers_own():
    trade = parse_trade(sample("http_trade_report.json"))
    assert trade.status == FillStatus.CONFIRMED and trade.match_time == datetime(2024, 1, 1, tzinfo=timezone.utc)
    [taker] = fills_of(trade, {trade.taker_order_id})
    assert (taker.fill_id, taker.side, taker.size, taker.price, taker.trader_side) == (
        f"trade-0xabcdef1234:{trade.taker_order_id}", "BUY", D("25"), D("0.5"), "TAKER",
    )
    maker_id = "0xmaker02maker02maker02maker02maker02maker02maker02maker02maker02maker02"
    [maker] = fills_of(trade, {maker_id})
    assert (maker.side, maker.size, maker.fee_rate_bps, maker.trader_side) == ("SELL", D("5"), 10, "MAKER")
    assert maker.fee_usd == 0  # makers pay no fee, whatever rate the trade reports on the leg
    assert taker.fee_usd == 0  # the taker's reported rate is 0 bps
    # With the market's schedule known: the taker pays shares x rate x (p(1-p))^exponent, the maker nothing.
    schedule = FeeSchedule(True, D("0.072"), D("2"))
    [taker] = fills_of(trade, {trade.taker_order_id}, {trade.token_id: schedule})
    assert taker.fee_usd == D("25") * D("0.072") * (D("0.5") * D("0.5")) ** 2
    [maker] = fills_of(trade, {maker_id}, {leg.token_id: schedule for leg in trade.maker_orders})
    assert maker.fee_usd == 0
    assert our_order_ids(trade, "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc") == {trade.taker_order_id, maker_id}


def test_unix_second_strings_and_prefixed_statuses_are_read_alike():
    raw = sample("http_trades_page.json")["data"][0] | {"match_time": "1780315200", "status": "TRADE_STATUS_MINED"}
    trade = parse_trade(raw)
    assert trade.status == FillStatus.MINED and trade.match_time == datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    order = parse_order(sample("http_open_order.json") | {"status": "ORDER_STATUS_LIVE"})
    assert (order.status, order.resting, order.original_size, order.size_matched) == ("LIVE", Resting.OPEN, D("100"), D("25"))
    assert parse_order(sample("http_open_order.json") | {"status": "CANCELED_MARKET_RESOLVED"}).resting == Resting.CANCELLED
    assert parse_order(sample("http_open_order.json") | {"status": "MATCHED"}).resting == Resting.DONE


@pytest.mark.parametrize("change, message", [
    ({"size": None}, "size: missing"),
    ({"price": "1.5"}, "price: expected a price between 0 and 1, got 1.5"),
    ({"status": "SETTLED"}, "status: expected one of MATCHED, MINED, CONFIRMED, RETRYING, FAILED, got 'SETTLED'"),
    ({"maker_orders": [{"order_id": "0x1", "side": "SELL"}]}, "maker_orders[0].asset_id: expected a token id"),
    ({"match_time": "yesterday"}, "match_time: expected an ISO-8601 timestamp, got 'yesterday'"),
])
def test_a_bad_trade_is_named_and_skipped_without_losing_the_others(change, message):
    good = sample("http_trade_report.json")
    bad = good | {"id": "trade-bad"} | change

    trades, problems = parse_each([bad, good], parse_trade, "trade")
    assert [t.trade_id for t in trades] == ["trade-0xabcdef1234"]
    assert len(problems) == 1 and problems[0].startswith("trade trade-bad: ") and message in problems[0]
    with pytest.raises(BadPayload):
        parse_trade(bad)


def test_a_stored_signed_order_says_its_side_shares_and_price():
    buy = {"order": {"side": "BUY", "makerAmount": "5000000", "takerAmount": "10000000", "tokenId": "123"}}
    sell = {"order": {"side": "SELL", "makerAmount": "10000000", "takerAmount": "4000000", "tokenId": "123"}}
    facts = signed_order_facts(json.dumps(buy))
    assert (facts.side, facts.token_id, facts.shares, facts.price) == ("BUY", "123", D("10"), D("0.5"))
    facts = signed_order_facts(json.dumps(sell))
    assert (facts.side, facts.shares, facts.price) == ("SELL", D("10"), D("0.4"))
    with pytest.raises(BadPayload, match="signed_order_json"):
        signed_order_facts("not json")


def test_fill_metrics_sum_exactly_and_weight_the_price_by_size():
    t1, t2 = datetime(2026, 6, 1, 12, tzinfo=timezone.utc), datetime(2026, 6, 1, 12, 1, tzinfo=timezone.utc)
    metrics = fill_metrics([(D("0.52"), D("30"), D("0.01"), t2), (D("0.53"), D("7.5"), D("0.002"), t1)])
    assert (metrics.executed_shares, metrics.executed_size, metrics.fees_usd) == (D("37.5"), D("19.575"), D("0.012"))
    assert metrics.executed_price == D("0.522") and (metrics.first_fill_at, metrics.last_fill_at) == (t1, t2)
    assert fill_metrics([]).executed_price is None


@pytest.mark.parametrize("current, executed, resting, expected", [
    (S.LIVE, "4", Resting.OPEN, S.PARTIALLY_FILLED),
    (S.UNKNOWN, "0", Resting.OPEN, S.LIVE),
    (S.PARTIALLY_FILLED, "10", Resting.DONE, S.FILLED),
    (S.UNKNOWN, "3", Resting.DONE, S.CANCELLED),  # a FAK: the venue killed the rest
    (S.LIVE, "3", Resting.CANCELLED, S.CANCELLED),  # cancelled at the venue, keeping its fills
    (S.SUBMITTED, "0", Resting.INVALID, S.REJECTED),
    (S.INTENT_STORED, "0", None, S.LIVE),  # found at the venue, nothing matched yet
    (S.LIVE, "0", None, S.LIVE),  # the venue could not be read: nothing concluded
    (S.UNKNOWN, "4", None, S.PARTIALLY_FILLED),  # fills alone prove it arrived
    (S.FILLED, "10", None, S.FILLED),
    # reversals: a failed trade is the venue's word that those shares never changed hands
    (S.FILLED, "4", Resting.DONE, S.CANCELLED),
    (S.FILLED, "4", Resting.OPEN, S.PARTIALLY_FILLED),
    (S.PARTIALLY_FILLED, "0", Resting.OPEN, S.LIVE),
    (S.FILLED, "4", None, S.FILLED),  # where it stands unknown: wait for the venue's record
    # final states keep their state whatever their fills do
    (S.CANCELLED, "10", Resting.DONE, S.CANCELLED),
    (S.NEVER_ARRIVED, "2", Resting.OPEN, S.NEVER_ARRIVED),
])
def test_the_state_an_order_moves_to_on_its_fills(current, executed, resting, expected):
    target = venue_state(D(executed), D("10"), resting, current)
    change = state_change(current, target, failed=D(executed) < D("10") and current == S.FILLED or
                          (current, D(executed)) == (S.PARTIALLY_FILLED, D(0)))
    moved = current if change is None else change[1]
    assert moved == expected
    if change is not None:  # every move the sync makes is one the journal's table allows
        assert next_state(current, change[0], change[1]) == expected


def test_a_found_order_is_reconciled_and_a_reversal_is_a_failed_fill():
    assert state_change(S.UNKNOWN, S.FILLED, failed=False) == (OrderEvent.RECONCILED, S.FILLED)
    assert state_change(S.FILLED, S.PARTIALLY_FILLED, failed=True) == (OrderEvent.FILL_FAILED, S.PARTIALLY_FILLED)
    assert state_change(S.CANCELLED, S.CANCELLED, failed=True) == (OrderEvent.FILL_FAILED, S.CANCELLED)
    assert state_change(S.LIVE, S.FILLED, failed=False) == (OrderEvent.FILLED, S.FILLED)
    assert state_change(S.LIVE, S.LIVE, failed=False) is None


def test_a_maker_leg_without_its_side_still_gives_our_fill():
    raw = sample("http_trade_report.json")
    for leg in raw["maker_orders"]:
        leg.pop("side", None)
    trade = parse_trade(raw)
    ours = trade.maker_orders[0]
    [fill] = fills_of(trade, {ours.order_id})
    # Against the taker's own token a maker took the other side.
    assert (fill.order_id, fill.size, fill.side, fill.trader_side) == (ours.order_id, ours.matched_amount, "SELL", "MAKER")
    raw["maker_orders"][0]["asset_id"] = "999"  # on the complementary token: the same side as the taker
    assert parse_trade(raw).maker_orders[0].side == trade.side
