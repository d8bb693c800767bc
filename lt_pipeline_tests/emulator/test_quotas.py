"""The Data API's published quotas on the emulator: sliding 10-second windows (1000 requests over the
Data API, 200 on /trades), 429 `Too Many Requests` with Retry-After past them, per-user polling
within them untouched, and quotas that can be tuned or turned off."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from lt_pipeline.emulator.quotas import DATA_API_RULES, QuotaEnforcer, QuotaPolicy, QuotaRule
from lt_pipeline.emulator.serve import start_in_thread
from lt_pipeline.emulator.wire import WireOptions
from lt_pipeline.venues.polymarket.data_api import DataApiClient

from .fixtures import EMULATOR_START


def serve(options: WireOptions):
    from lt_pipeline.clock import SimulatedClock
    from lt_pipeline.emulator.venue import Venue

    clock = SimulatedClock(EMULATOR_START)
    return start_in_thread(Venue(clock), clock=clock, options=options)


def tracked_traders(url: str, count: int) -> list[str]:
    traders = [t["address"] for t in httpx.get(f"{url}/admin/traders").json()]
    return (traders * (count // len(traders) + 1))[:count]


def poll(client: httpx.Client, url: str, traders: list[str], rounds: int, between=None) -> list[httpx.Response]:
    """A copy-trader's poll plan: every tracked trader's latest trades, once per round."""
    answers = []
    for round_ in range(rounds):
        if between is not None and round_:
            between()
        for trader in traders:
            answers.append(client.get(f"{url}/data-api/trades", params={"user": trader, "limit": 100, "offset": 0}))
    return answers


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


def test_a_poll_plan_within_the_trades_quota_is_never_refused(emulator, http):
    emulator.admin("advance", seconds=3600)  # the traders have trades to poll
    traders = tracked_traders(emulator.url, 25)
    answers = poll(http, emulator.url, traders, rounds=8)  # 200 /trades requests: exactly the quota
    assert [a.status_code for a in answers] == [200] * 200
    rows = answers[0].json()
    assert rows and all(r["proxyWallet"].lower() == traders[0].lower() for r in rows)
    # the same plan spread over simulated time: 25 polls every 5 s is 50 per 10 s, well within it
    emulator.clock.advance(timedelta(seconds=10))
    answers = poll(http, emulator.url, traders, rounds=12, between=lambda: emulator.clock.advance(timedelta(seconds=5)))
    assert {a.status_code for a in answers} == {200}
    assert emulator.admin("counters")["quotas"]["refused"] == {}


def test_a_poll_plan_over_the_trades_quota_is_refused_with_retry_after(emulator, http):
    traders = tracked_traders(emulator.url, 25)
    answers = poll(http, emulator.url, traders, rounds=9)  # 225 requests in one burst
    statuses = [a.status_code for a in answers]
    assert statuses[:200] == [200] * 200 and set(statuses[200:]) == {429}
    refused = answers[200]
    assert refused.json() == {"error": "Too Many Requests"}
    assert 1 <= int(refused.headers["retry-after"]) <= 10
    assert emulator.admin("counters")["quotas"]["refused"] == {"data-api /trades": 25}
    # other services have their own (unenforced) budgets, and the Data API's overall one has room
    assert http.get(f"{emulator.url}/gamma/markets", params={"limit": 1}).status_code == 200
    assert http.get(f"{emulator.url}/data-api/activity", params={"user": traders[0]}).status_code == 200
    # once the window has slid past, the caller is served again
    emulator.clock.advance(timedelta(seconds=10))
    assert http.get(f"{emulator.url}/data-api/trades", params={"user": traders[0]}).status_code == 200


def test_the_data_api_client_waits_as_told_and_gets_everything(emulator):
    emulator.admin("advance", seconds=7200)
    emulator.ctx.quotas.policy = QuotaPolicy().with_limits(data_api_trades=3)
    waits = []

    def sleep(seconds: float) -> None:  # the client's pause, on the emulator's simulated clock
        waits.append(seconds)
        emulator.clock.advance(timedelta(seconds=seconds))

    api = DataApiClient(f"{emulator.url}/data-api", clock=emulator.clock, page_size=20, sleep=sleep, max_retries=5)
    trader = tracked_traders(emulator.url, 1)[0]
    trades, rejected = api.trades_of(trader)
    assert rejected == [] and len(trades) > 60  # more pages than the quota admits at once
    assert waits and all(1 <= w <= 10 for w in waits)


def test_tuned_limits_count_activity_toward_the_overall_data_api_quota():
    policy = QuotaPolicy(window_seconds=30).with_limits(data_api=6, data_api_trades=4)
    running = serve(WireOptions(quotas=policy))
    try:
        user = tracked_traders(running.url, 1)[0]
        with httpx.Client(base_url=running.url, timeout=10) as http:
            trades = [http.get("/data-api/trades").status_code for _ in range(5)]
            activity = [http.get("/data-api/activity", params={"user": user}).status_code for _ in range(3)]
            assert trades == [200, 200, 200, 200, 429]
            assert activity == [200, 200, 429]  # 4 trades + 2 activity = the overall 6
            assert 1 <= int(http.get("/data-api/activity", params={"user": user}).headers["retry-after"]) <= 30
            assert http.get("/gamma/markets").status_code == 200 and http.get("/ok").status_code == 200
    finally:
        running.stop(wait=False)


def test_quotas_off_lets_a_burst_through():
    running = serve(WireOptions(quotas=None))
    try:
        with httpx.Client(base_url=running.url, timeout=10) as http:
            assert {http.get("/data-api/trades", params={"limit": 1}).status_code for _ in range(230)} == {200}
        assert running.ctx.counters()["quotas"] is None
    finally:
        running.stop(wait=False)


def test_sliding_window_arithmetic():
    now = [100.0]
    enforcer = QuotaEnforcer(QuotaPolicy(rules=(QuotaRule("t", "/data-api/trades", 2),), window_seconds=10), lambda: now[0])
    assert enforcer.check("/data-api/trades", "a") is None
    now[0] = 103.0
    assert enforcer.check("/data-api/trades", "a") is None
    now[0] = 104.0
    assert enforcer.check("/data-api/trades", "a") == 6  # the first request leaves the window at 110
    assert enforcer.check("/data-api/trades", "b") is None  # callers are counted apart
    assert enforcer.check("/data-api/activity", "a") is None and enforcer.check("/data-api/trades2", "a") is None
    now[0] = 110.0
    assert enforcer.check("/data-api/trades", "a") is None  # the refused request was not counted
    assert enforcer.check("/data-api/trades", "a") == 3
    assert enforcer.counters()["refused"] == {"t": 2}


def test_published_limits_and_bad_settings():
    assert {r.name: r.limit for r in DATA_API_RULES} == {
        "data-api": 1000, "data-api /trades": 200, "data-api /positions": 150, "data-api /closed-positions": 150,
    }
    assert QuotaPolicy().window_seconds == 10
    with pytest.raises(ValueError, match="window"):
        QuotaPolicy(window_seconds=0)
    with pytest.raises(ValueError, match="limit"):
        QuotaRule("x", "/x", 0)
    with pytest.raises(ValueError, match="unknown"):
        QuotaPolicy().with_limits(gamma=5)


def test_per_user_pages_tile_the_users_whole_history(emulator, http):
    emulator.admin("advance", seconds=6 * 3600)
    trader = tracked_traders(emulator.url, 1)[0]
    everything = http.get(f"{emulator.url}/data-api/trades", params={"user": trader, "limit": 10000, "takerOnly": "false"}).json()
    assert len(everything) > 30 and all(r["proxyWallet"] == trader for r in everything)
    assert [r["timestamp"] for r in everything] == sorted((r["timestamp"] for r in everything), reverse=True)
    pages = [
        http.get(f"{emulator.url}/data-api/trades",
                 params={"user": trader, "limit": 7, "offset": offset, "takerOnly": "false"}).json()
        for offset in range(0, len(everything) + 7, 7)
    ]
    assert [row for page in pages for row in page] == everything
    assert http.get(f"{emulator.url}/data-api/trades", params={"user": trader, "limit": 0}).json() == []
    venue_rows = emulator.venue.public_trades(user=trader, taker_only=False)
    assert [r["transactionHash"] for r in everything] == [t.transaction_hash for t in venue_rows]
