"""Gamma markets and events in their 2026 shapes: no `category`/`tags` on markets, the category in
the embedded event's tags, fee fields (`feesEnabled`, `feeType`, base fees, `feeSchedule`), and the
project's own Gamma parser still reading every market the same way."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import httpx

from lt_pipeline.emulator import gamma
from lt_pipeline.venues.polymarket.parsing import parse_gamma_market

from .test_wire_clob import PAYLOADS

FEE_SCHEDULE_KEYS = {"exponent", "rate", "takerOnly", "rebateRate"}


def _sample_market() -> dict:
    return json.loads((PAYLOADS / "gamma_market.json").read_text())


def _sample_event() -> dict:
    return json.loads((PAYLOADS / "gamma_event.json").read_text())[0]


def test_markets_carry_no_category_or_tags_and_their_event_carries_the_category(emulator):
    rows = httpx.get(f"{emulator.url}/gamma/markets", params={"closed": "false", "limit": 1000}).json()
    by_condition = {m.condition_id: m for m in emulator.venue.markets()}
    assert rows
    for row in rows:
        market = by_condition[row["conditionId"]]
        assert "category" not in row and "tags" not in row
        assert row["feesEnabled"] is market.fees_enabled
        if market.fees_enabled:
            schedule = row["feeSchedule"]
            assert set(schedule) == FEE_SCHEDULE_KEYS and schedule["takerOnly"] is True
            assert Decimal(str(schedule["rate"])) == market.fee_rate and row["takerBaseFee"] == market.fee_rate_bps
            assert row["feeType"].endswith(("_fees", "_fees_v2"))
        else:
            assert row["feeType"] is None and "feeSchedule" not in row and "takerBaseFee" not in row
        [event] = row["events"]
        assert event["id"] == gamma.render.gamma_event_id(market) and event["slug"] == market.event_slug
        assert "markets" not in event
        assert event["tags"][0]["label"] == market.category
        assert all(set(tag) >= {"id", "label", "slug"} for tag in event["tags"])
        assert parse_gamma_market(row).category == market.category


def test_market_and_embedded_event_keys_have_the_captured_types(emulator):
    row = httpx.get(f"{emulator.url}/gamma/markets", params={"closed": "false", "limit": 1}).json()[0]
    sample = _sample_market()
    for key in (set(sample) & set(row)) - {"events", "feeType"}:
        assert type(row[key]) is type(sample[key]) or isinstance(sample[key], (int, float)), key
    event, sample_event = row["events"][0], sample["events"][0]
    shared = set(event) & set(sample_event)
    assert {"id", "ticker", "slug", "title", "startDate", "endDate", "closed", "liquidity", "volume"} <= shared
    for key in shared:
        assert type(event[key]) is type(sample_event[key]) or isinstance(sample_event[key], (int, float)), key


def test_events_embed_their_markets_and_carry_tags(emulator):
    events = httpx.get(f"{emulator.url}/gamma/events", params={"closed": "false", "limit": 1000}).json()
    sample = _sample_event()
    neg_risk = next(e for e in events if e["negRisk"])
    assert len(neg_risk["markets"]) > 1 and neg_risk["negRiskMarketID"].startswith("0x")
    for event in events:
        assert event["tags"] and event["markets"]
        assert all("events" not in m and "tags" not in m and "category" not in m for m in event["markets"])
        for key in (set(sample) & set(event)) - {"markets", "tags"}:
            assert type(event[key]) is type(sample[key]) or isinstance(sample[key], (int, float)), key
        # the parser reads a market embedded in an event with the event's category
        first = event["markets"][0]
        assert parse_gamma_market({**first, "events": [event]}).category == event["tags"][0]["label"]
    tag = neg_risk["tags"][0]
    tagged = httpx.get(f"{emulator.url}/gamma/events", params={"tag_id": tag["id"], "limit": 1000}).json()
    assert tagged and all(any(t["id"] == tag["id"] for t in e["tags"]) for e in tagged)
    markets = httpx.get(f"{emulator.url}/gamma/markets", params={"tag_id": tag["id"], "limit": 1000}).json()
    assert markets and all(m["events"][0]["tags"][0]["label"] == tag["label"] for m in markets)


def test_include_tag_puts_tags_on_the_market(emulator):
    market = next(m for m in emulator.venue.markets() if not m.closed)
    row = httpx.get(
        f"{emulator.url}/gamma/markets", params={"condition_ids": market.condition_id, "include_tag": "true"}
    ).json()[0]
    assert [t["label"] for t in row["tags"]] == [market.category]


def test_fee_fields_follow_the_market_fee_terms(emulator):
    market = next(m for m in emulator.venue.markets() if m.category == "crypto")
    free = replace(market, fees_enabled=False)
    assert gamma.fee_fields(free) == {"feesEnabled": False, "feeType": None}

    crypto = replace(market, fees_enabled=True, fee_rate=Decimal("0.072"), fee_exponent=Decimal("1"))
    fields = gamma.fee_fields(crypto)
    assert fields["feesEnabled"] is True and fields["feeType"] == "crypto_fees"
    assert (fields["makerBaseFee"], fields["takerBaseFee"]) == (0, 720)
    assert fields["feeSchedule"] == {"exponent": 1, "rate": 0.072, "takerOnly": True, "rebateRate": 0.2}

    curved = replace(crypto, fee_rate=Decimal("0.25"), fee_exponent=Decimal("2"), tags=("crypto", "Bitcoin", "Up or Down"))
    assert gamma.fee_fields(curved)["feeSchedule"] == {"exponent": 2, "rate": 0.25, "takerOnly": True, "rebateRate": 0.2}
    assert [t["label"] for t in gamma.tags_json([curved])] == ["crypto", "Bitcoin", "Up or Down"]

    sports = replace(crypto, category="sports", tags=("sports",), fee_rate=Decimal("0.03"))
    assert gamma.fee_fields(sports)["feeType"] == "sports_fees_v2"
    assert gamma.fee_fields(sports)["feeSchedule"]["rebateRate"] == 0.25
    assert gamma.fee_fields(replace(crypto, category="weather", tags=()))["feeType"] == "weather_fees"


def test_a_fee_charging_market_on_the_wire_has_the_captured_fee_shape(emulator):
    market = next(m for m in emulator.venue.markets() if not m.closed and m.fees_enabled)
    row = httpx.get(f"{emulator.url}/gamma/markets", params={"condition_ids": market.condition_id}).json()[0]
    captured = json.loads((PAYLOADS / "gamma_market_sports_market_money_line.json").read_text())
    assert set(row["feeSchedule"]) == set(captured["feeSchedule"]) == FEE_SCHEDULE_KEYS
    for key in ("makerBaseFee", "takerBaseFee", "feesEnabled", "feeType", "feeSchedule"):
        assert type(row[key]) is type(captured[key]), key
    assert Decimal(str(row["feeSchedule"]["rate"])) == market.fee_rate
    # the CLOB tells the same rate
    assert httpx.get(f"{emulator.url}/fee-rate", params={"token_id": market.tokens[0].token_id}).json()["base_fee"] == row["takerBaseFee"]
    assert parse_gamma_market(row).condition_id == market.condition_id


def test_resolved_market_keeps_what_the_parser_reads(emulator):
    market = next(m for m in emulator.venue.markets() if not m.closed)
    emulator.admin("resolve", condition_id=market.condition_id, winner=market.tokens[0].outcome)
    row = httpx.get(f"{emulator.url}/gamma/markets", params={"condition_ids": market.condition_id, "closed": "true"}).json()[0]
    assert row["closedTime"].endswith("+00") and row["events"][0]["closed"] in (True, False)
    info = parse_gamma_market(row)
    assert info.closed and info.resolution is not None and info.resolution.resolved_at is not None
    assert info.resolution.winning_token_id == market.tokens[0].token_id
