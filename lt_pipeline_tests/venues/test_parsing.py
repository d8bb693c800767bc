"""The wire parsers accept every real payload sample and turn bad records into clear rejections."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from lt_pipeline.venues.polymarket.models import (
    BadPayload,
    BookLevel,
    BookSnapshot,
    ResolutionStatus,
    SourceTrade,
    source_trade_id_for,
)
from lt_pipeline.venues.polymarket.parsing import (
    UNCATEGORISED,
    parse_book,
    parse_clob_market,
    parse_data_api_position,
    parse_data_api_trade,
    parse_gamma_market,
    parse_records,
)
from lt_pipeline_tests.venues.conftest import payload, payload_names

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


# --- every sample the adapters read -------------------------------------------------------------


@pytest.mark.parametrize("name", ["data_api_trades_response.json", "legacy_http_trades.json"])
def test_every_data_api_trade_sample_parses(name):
    rows = payload(name)
    trades, rejected = parse_records(rows, parse_data_api_trade, source="t", seen_at=NOW)
    assert rejected == []
    assert len(trades) == len(rows)
    for row, trade in zip(rows, trades):
        assert trade.trader_address == row["proxyWallet"].lower()
        assert trade.token_id == row["asset"]
        assert trade.price == Decimal(str(row["price"]))
        assert trade.size == Decimal(str(row["size"]))
        assert trade.notional_usd == trade.price * trade.size
        assert trade.traded_at == datetime.fromtimestamp(row["timestamp"], tz=timezone.utc)
        assert trade.outcome == row.get("outcome")


def test_data_api_trade_sample_reads_every_field():
    trade = parse_data_api_trade(payload("legacy_http_trades.json")[0])
    assert trade.side == "SELL"
    assert trade.outcome == "Yes" and trade.outcome_index == 0
    assert trade.title == "Will Donald Trump win the 2024 US Presidential Election?"
    assert trade.event_slug == "presidential-election-winner-2024"
    assert trade.trader_name == "user1"
    assert trade.traded_at == datetime(2024, 10, 15, 13, 49, 40, tzinfo=timezone.utc)
    assert len(trade.source_trade_id) == 32


def test_every_data_api_position_sample_parses():
    rows = payload("data_api_positions_response.json")
    positions, rejected = parse_records(rows, parse_data_api_position, source="p", seen_at=NOW)
    assert rejected == [] and len(positions) == len(rows)
    assert positions[0].size == Decimal("150.5") and positions[0].avg_price == Decimal("0.55")
    assert positions[2].redeemable is True and positions[2].outcome == "Kamala Harris"


@pytest.mark.parametrize("name", payload_names("gamma_market"))
def test_every_gamma_market_sample_parses(name):
    raw = payload(name)
    market = parse_gamma_market(raw)
    assert market.condition_id == raw["conditionId"].lower()
    assert [t.token_id for t in market.tokens] == json.loads(raw["clobTokenIds"])
    assert [t.outcome for t in market.tokens] == json.loads(raw["outcomes"])
    assert [t.price for t in market.tokens] == [Decimal(p) for p in json.loads(raw["outcomePrices"])]
    assert market.closed is raw["closed"]
    assert market.end_date is not None and market.end_date.tzinfo is not None


def test_every_market_embedded_in_a_gamma_event_parses_with_the_event_category():
    event = payload("gamma_event.json")[0]
    markets = [parse_gamma_market({**m, "events": [event]}) for m in event["markets"]]
    assert len(markets) == len(event["markets"])
    # 2026 markets carry no category or tags: the event's first tag that names a category
    # (its tags run World Elections, Global Elections, Elections, Politics, ...)
    assert {m.category for m in markets} == {"Politics"}
    assert all(m.neg_risk for m in markets)


@pytest.mark.parametrize("name", payload_names("clob_market_", "legacy_http_market"))
def test_every_clob_market_sample_parses(name):
    raw = payload(name)
    market = parse_clob_market(raw)
    assert market.condition_id == raw["condition_id"]
    assert [t.token_id for t in market.tokens] == [t["token_id"] for t in raw["tokens"]]
    assert market.tick_size == Decimal(str(raw["minimum_tick_size"]))
    assert market.category == raw["tags"][0]
    assert market.liquidity is None  # the CLOB does not report it


@pytest.mark.parametrize("name", ["clob_book_response.json", "legacy_http_book.json"])
def test_every_book_sample_parses_best_level_first(name):
    raw = payload(name)
    book = parse_book(raw)
    assert len(book.bids) == len(raw["bids"]) and len(book.asks) == len(raw["asks"])
    assert list(book.bids) == sorted(book.bids, key=lambda level: level.price, reverse=True)
    assert list(book.asks) == sorted(book.asks, key=lambda level: level.price)
    assert book.best_bid == max(Decimal(level["price"]) for level in raw["bids"])
    assert book.best_ask == min(Decimal(level["price"]) for level in raw["asks"])
    assert book.timestamp == datetime.fromtimestamp(int(raw["timestamp"]) / 1000, tz=timezone.utc)


def test_book_reads_the_full_v2_summary():
    raw = {
        **payload("clob_book_response.json"),
        "tick_size": "0.01",
        "min_order_size": "5",
        "neg_risk": True,
        "last_trade_price": "0.51",
    }
    book = parse_book(raw)
    assert (book.tick_size, book.min_order_size, book.neg_risk, book.last_trade_price) == (
        Decimal("0.01"),
        Decimal("5"),
        True,
        Decimal("0.51"),
    )
    assert book.mid == Decimal("0.505") and book.spread == Decimal("0.01")


def test_empty_book_has_no_prices():
    book = parse_book({**payload("clob_book_response.json"), "bids": [], "asks": [{"price": "0.6", "size": "1"}]})
    assert book.best_bid is None and book.mid is None and book.spread is None
    assert book.best_ask == Decimal("0.6")


def test_book_with_a_bad_level_is_refused_naming_the_level():
    raw = copy.deepcopy(payload("clob_book_response.json"))
    raw["asks"][1]["price"] = "1.7"
    with pytest.raises(BadPayload, match=r"asks\[1\]\.price: expected a price between 0 and 1"):
        parse_book(raw)


# --- resolutions --------------------------------------------------------------------------------


def test_gamma_resolved_market_names_the_winner():
    market = parse_gamma_market(payload("gamma_market_closed_binary_accepting_false.json"))
    no_token = market.tokens[1].token_id
    assert market.resolution.status is ResolutionStatus.WON
    assert market.resolution.winning_token_id == no_token
    assert market.resolution.payout(no_token) == 1 and market.resolution.payout(market.tokens[0].token_id) == 0
    assert market.resolution.resolved_at == datetime(2026, 3, 19, 23, 20, 15, tzinfo=timezone.utc)


def test_gamma_zero_zero_prices_are_not_a_resolution():
    raw = {**payload("gamma_market_closed_zero_zero_legacy.json"), "umaResolutionStatus": "resolved"}
    assert parse_gamma_market(raw).resolution is None


def test_gamma_closed_market_without_uma_resolution_is_not_resolved():
    market = parse_gamma_market(payload("gamma_market_closed_binary_accepting_true.json"))
    assert market.closed and market.resolution is None


def test_gamma_even_split_is_a_void():
    raw = {**payload("gamma_market_closed_binary_accepting_false.json"), "outcomePrices": '["0.5", "0.5"]'}
    resolution = parse_gamma_market(raw).resolution
    assert resolution.status is ResolutionStatus.VOID and resolution.winning_token_id is None
    assert set(resolution.payouts.values()) == {Decimal("0.5")}


def test_gamma_proposed_market_is_not_resolved_even_at_extreme_prices():
    raw = {
        **payload("gamma_market_closed_binary_accepting_false.json"),
        "umaResolutionStatus": "proposed",
        "outcomePrices": '["0.9995", "0.0005"]',
    }
    assert parse_gamma_market(raw).resolution is None


def test_clob_winner_flag_resolves_the_market():
    market = parse_clob_market(payload("clob_market_closed_binary_accepting_false.json"))
    assert market.resolution.status is ResolutionStatus.WON
    assert market.resolution.winning_token_id == market.tokens[1].token_id


def test_clob_closed_market_with_no_winner_and_even_prices_is_void():
    raw = copy.deepcopy(payload("clob_market_closed_binary_accepting_false.json"))
    for token in raw["tokens"]:
        token.update(price=0.5, winner=False)
    resolution = parse_clob_market(raw).resolution
    assert resolution.status is ResolutionStatus.VOID
    assert list(resolution.payouts.values()) == [Decimal("0.5"), Decimal("0.5")]


def test_clob_one_zero_prices_without_a_winner_flag_are_not_final():
    raw = copy.deepcopy(payload("clob_market_closed_binary_accepting_false.json"))
    for token in raw["tokens"]:
        token["winner"] = False
    assert parse_clob_market(raw).resolution is None


def test_open_clob_market_is_unresolved():
    market = parse_clob_market(payload("legacy_http_market.json"))
    assert not market.closed and market.accepting_orders and market.resolution is None


# --- market fields ------------------------------------------------------------------------------


def test_gamma_category_falls_back_to_first_tag_then_uncategorised():
    raw = payload("gamma_market.json")
    assert parse_gamma_market(raw).category == UNCATEGORISED
    tagged = {**raw, "tags": [{"id": "1", "label": "Crypto"}, {"id": "2", "label": "Bitcoin"}]}
    assert parse_gamma_market(tagged).category == "Crypto"
    assert parse_gamma_market({**tagged, "category": "Sports"}).category == "Sports"


def test_gamma_amounts_prefer_the_exact_string_forms():
    market = parse_gamma_market(payload("gamma_market_closed_nonbinary_legacy.json"))
    assert market.liquidity == Decimal("4.601742")  # liquidityNum says 4.6
    assert market.volume == Decimal("46944.579746")
    only_numbers = {k: v for k, v in payload("gamma_market.json").items() if k not in ("liquidity", "volume")}
    market = parse_gamma_market(only_numbers)
    assert market.liquidity == Decimal("20328.3747") and market.volume == Decimal("9.999997")


def test_gamma_market_fields():
    market = parse_gamma_market(payload("gamma_market.json"))
    assert market.tick_size == Decimal("0.01") and market.min_order_size == Decimal("5")
    assert market.volume_24h == Decimal("9.999997")
    assert market.end_date == datetime(2026, 3, 12, 9, 25, tzinfo=timezone.utc)
    assert market.accepting_orders and not market.neg_risk
    assert market.token(market.tokens[0].token_id).outcome == "Up"


def test_gamma_market_with_mismatched_lists_is_refused():
    raw = {**payload("gamma_market.json"), "clobTokenIds": '["1"]'}
    with pytest.raises(BadPayload, match="outcomes/clobTokenIds/outcomePrices: expected lists of equal length"):
        parse_gamma_market(raw)


# --- bad Data API rows --------------------------------------------------------------------------

GOOD_ROW = payload("legacy_http_trades.json")[1]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"price": None}, "price: missing"),
        ({"price": float("nan")}, "price: expected a finite decimal number"),
        ({"price": 1.5}, "price: expected a price between 0 and 1"),
        ({"price": -0.1}, "price: expected a price between 0 and 1"),
        ({"size": -3}, "size: expected a size of at least 0"),
        ({"size": "lots"}, "size: expected a decimal number"),
        ({"side": "HOLD"}, "side: expected BUY or SELL"),
        ({"proxyWallet": "0x12"}, "proxyWallet: expected a wallet address"),
        ({"asset": "0xabc"}, "asset: expected a token id"),
        ({"transactionHash": None}, "transactionHash: missing"),
        ({"conditionId": ""}, "conditionId: expected text"),
        ({"timestamp": None}, "timestamp: missing"),
        ({"timestamp": "soon"}, "timestamp: expected a decimal number"),
    ],
)
def test_bad_trade_row_is_rejected_with_the_field_named_and_the_rest_kept(change, reason):
    bad = {**GOOD_ROW, **change}
    trades, rejected = parse_records([GOOD_ROW, bad, payload("legacy_http_trades.json")[2]], parse_data_api_trade, source="data_api.trades", seen_at=NOW)
    assert len(trades) == 2
    assert len(rejected) == 1
    assert rejected[0].reason.startswith(reason), rejected[0].reason
    assert rejected[0].raw == bad and rejected[0].source == "data_api.trades" and rejected[0].seen_at == NOW


def test_a_row_that_is_not_an_object_is_rejected():
    trades, rejected = parse_records([GOOD_ROW, "oops"], parse_data_api_trade, source="t", seen_at=NOW)
    assert len(trades) == 1 and rejected[0].raw == {"value": "oops"}
    assert "trade row: expected a JSON object" in rejected[0].reason


def test_lower_case_side_is_read():
    assert parse_data_api_trade({**GOOD_ROW, "side": "buy"}).side == "BUY"


# --- identity -----------------------------------------------------------------------------------


def test_source_trade_id_is_stable_across_number_spellings_and_hash_case():
    tx = "0xABCdef"
    first = source_trade_id_for(tx, "123", "BUY", Decimal("100"), Decimal("0.5"))
    assert first == source_trade_id_for(tx.lower(), "123", "buy", Decimal("100.00"), Decimal("0.50"))
    assert first == source_trade_id_for(tx, "123", "BUY", Decimal("1E+2"), Decimal("0.500"))
    assert first != source_trade_id_for(tx, "123", "BUY", Decimal("101"), Decimal("0.5"))
    assert first != source_trade_id_for(tx, "123", "SELL", Decimal("100"), Decimal("0.5"))
    assert first != source_trade_id_for(tx, "124", "BUY", Decimal("100"), Decimal("0.5"))
    maker = "0x" + "a" * 40
    assert source_trade_id_for(tx, "123", "BUY", Decimal("100"), Decimal("0.5"), maker) == source_trade_id_for(
        tx, "123", "BUY", Decimal("100"), Decimal("0.5"), maker.upper().replace("0X", "0x")
    )
    assert source_trade_id_for(tx, "123", "BUY", Decimal("100"), Decimal("0.5"), maker) != source_trade_id_for(
        tx, "123", "BUY", Decimal("100"), Decimal("0.5"), "0x" + "b" * 40
    )
    assert len(first) == 32 and int(first, 16) >= 0


def test_same_fill_polled_twice_with_json_number_noise_has_one_id():
    a = parse_data_api_trade({**GOOD_ROW, "size": 94.37, "price": 0.52})
    b = parse_data_api_trade({**GOOD_ROW, "size": "94.370", "price": "0.5200"})
    assert a.source_trade_id == b.source_trade_id


def test_source_trade_checks_its_notional():
    fields = dict(
        source_trade_id="x",
        trader_address="0x" + "1" * 40,
        condition_id="0x1",
        token_id="1",
        outcome=None,
        outcome_index=None,
        side="BUY",
        price=Decimal("0.5"),
        size=Decimal("10"),
        traded_at=NOW,
        transaction_hash="0x2",
    )
    assert SourceTrade(**fields).notional_usd == Decimal("5.0")
    with pytest.raises(ValueError, match="notional_usd: expected price \\* size = 5.0"):
        SourceTrade(**fields, notional_usd=Decimal("6"))


def test_book_snapshot_levels_are_named_tuples():
    book = BookSnapshot("1", "0x1", NOW, (BookLevel(Decimal("0.4"), Decimal("1")),), (), None, None, None, None)
    price, size = book.bids[0]
    assert (price, size) == (Decimal("0.4"), Decimal("1")) and book.best_bid == price


def test_a_markets_taker_fee_schedule_is_read_from_gamma_and_the_clob():
    from lt_pipeline.model.trading import FeeSchedule

    real = payload("gamma_market.json")  # 2026: feesEnabled, feeType crypto_fees, no schedule object
    assert parse_gamma_market(real).fee_schedule == FeeSchedule(True, Decimal("0.072"), Decimal("1"))
    shaped = {**real, "feeSchedule": {"rate": 0.03, "exponent": 2, "takerOnly": True}}
    assert parse_gamma_market(shaped).fee_schedule == FeeSchedule(True, Decimal("0.03"), Decimal("2"))
    assert parse_gamma_market({**real, "feesEnabled": False}).fee_schedule == FeeSchedule(False, Decimal(0), Decimal(1))
    clob = payload("clob_market_closed_binary_accepting_true.json")
    assert parse_clob_market({**clob, "fd": {"r": 0.04, "e": 1, "to": True}}).fee_schedule == FeeSchedule(True, Decimal("0.04"), Decimal("1"))
    assert parse_clob_market({**clob, "taker_base_fee": 0}).fee_schedule.enabled is False
