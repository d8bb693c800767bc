"""Detection that scales: the poll plan fits the Data API's quota, the rotation covers every tracked
trader, and the limiter makes a caller wait for room instead of spending requests on 429s."""

from lt_pipeline.ingest.detection import PollPlan, rotate
from lt_pipeline.venues.polymarket.quotas import Quota, SlidingWindow, forget_requests, limiter, planned


def test_a_cycle_polls_what_its_share_of_the_trades_quota_allows_and_a_rotation_covers_everyone():
    assert planned("/trades").requests == 180  # 90 % of the published 200 per 10 s
    plan = PollPlan.within_quota(1000, cycle_seconds=5)
    assert plan.batch == 45  # half of 18 requests per second, for 5 s
    assert plan.cycles_per_rotation == 23 and plan.worst_delay_seconds == 115
    small = PollPlan.within_quota(15, cycle_seconds=5)
    assert (small.batch, small.cycles_per_rotation, small.worst_delay_seconds) == (15, 1, 5)


def test_rotation_wraps_and_visits_every_trader_once_per_rotation():
    traders = [f"t{i}" for i in range(7)]
    seen, offset = [], 0
    for _ in range(3):
        batch, offset = rotate(traders, offset, 3)
        seen += batch
    assert seen[:7] == traders and seen[7:] == ["t0", "t1"] and offset == 2


def test_the_limiter_never_starts_more_than_the_quota_in_a_window():
    clock = [0.0]
    limiter = SlidingWindow(Quota(3, 10.0), now=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    starts = []
    for _ in range(7):
        limiter.acquire()
        starts.append(clock[0])
    assert starts == [0, 0, 0, 10, 10, 10, 20]
    assert all(sum(1 for s in starts if t <= s < t + 10) <= 3 for t in starts)
    assert limiter.waited == 20


def test_forgetting_a_hosts_requests_empties_its_windows_only():
    """What a simulated clock's jump does to the process-wide limiters: the host's windows start empty,
    another host's are left alone (one window emptied of the two full ones)."""
    jumped, other = limiter("http://jumped.test/data-api", "/trades", 0.01), limiter("http://other.test", "/trades", 0.01)
    for window in (jumped, other):
        window.acquire()  # a quota of 1 request per 10 s: the window is now full
    assert forget_requests("http://jumped.test/data-api/") == 1
    jumped.acquire()  # room again, without waiting
    assert jumped.waited == 0
