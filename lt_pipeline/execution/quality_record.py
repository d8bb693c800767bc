"""One live order's execution-quality record: the seed's `lt_execution_quality` figures (docs/tca.md §8),
computed here and written by the executor (when a signal is decided and when its order's answer is
recorded), by the venue sync (whenever the order's counting fills change) and by the resolution job
(markouts, once their horizon has passed).

Conventions (docs/tca.md §1): prices in [0, 1]; every `_pct` figure is a FRACTION (0.05 is 5 %), like
`slippage_pct` and quality/measures.py; `_cents` figures are cents per share; derived ratios and cents
are rounded half-even at the ledger's ratio precision (`money.quantize_ratio`), the score to 0.01.

Market conditions at decision time (24 h volume and volatility) are read from the venue once per token
per tick, beside the books and concurrently with them (`ConditionsSource`); a failure to read them
leaves those figures NULL and never stops a signal.
"""

from __future__ import annotations

import json
import logging
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import pairwise

from sqlalchemy import Connection, Engine, or_, select, update

from lt_pipeline.clock import Clock
from lt_pipeline.ledger.schema import fills, lt_execution_quality, lt_orders, source_trades
from lt_pipeline.model.orders import IN_FLIGHT_STATES, RESTING_STATES, FillStatus, OrderState
from lt_pipeline.model.plan import OrderPlan, Signal
from lt_pipeline.model.trading import side_sign
from lt_pipeline.money import ONE, ZERO, quantize_ratio, round_half_even
from lt_pipeline.quality.measures import CENTS_PER_DOLLAR, exact
from lt_pipeline.quality.score import ExecutionScore, execution_quality_score
from lt_pipeline.venues.polymarket.models import BookSnapshot, PricePoint

log = logging.getLogger(__name__)

VOLATILITY_INTERVAL = "1d"  # the last day ...
VOLATILITY_FIDELITY_MINUTES = 60  # ... of hourly prices
MARKOUT_HORIZONS: dict[str, timedelta] = {"1m": timedelta(minutes=1), "5m": timedelta(minutes=5), "30m": timedelta(minutes=30)}
MARKOUT_FIDELITY_MINUTES = 1
MARKOUT_LOOKBACK = timedelta(days=1)  # orders whose signal is older are no longer looked at
SCORE_PLACES = Decimal("0.01")
SLIPPAGE_CAP_CENTS = Decimal(3)  # the score's caps (docs/tca.md §5)
LATENCY_CAP_MS = Decimal(10_000)
WORKERS = 8
CONDITIONS_WAIT_SECONDS = 3.0  # a tick waits at most this long (from `begin`) for volume and volatility

HistoryReader = Callable[..., list[PricePoint]]  # ClobReader.price_history
VolumeReader = Callable[[list[str]], Mapping[str, Decimal | None]]  # condition ids -> 24 h volume


def ms_between(start: datetime | None, end: datetime | None) -> int | None:
    """Whole milliseconds from `start` to `end`, floored at 0 (as the executor's latencies); None
    when either is unknown."""
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() * 1000))


# --- market conditions at decision time --------------------------------------------------------------


@dataclass(frozen=True)
class MarketConditions:
    """What the venue said of a token's market on the tick a signal was decided."""

    volume_24h: Decimal | None = None  # USD traded over the last 24 h (Gamma's volume24hr)
    volatility_pct: Decimal | None = None  # `volatility` of the last day's hourly prices


def volatility(points: Sequence[PricePoint]) -> Decimal | None:
    """The sample standard deviation of the changes between consecutive points,
    sqrt(sum((d_i - mean d)^2) / (n - 1)) with d_i = p_i - p_(i-1), in price units: a fraction of the
    $1 a share pays (0.02 is 2 cents, two points of probability). None with fewer than two changes."""
    prices = [point.price for point in points]
    changes = [later - earlier for earlier, later in pairwise(prices)]
    if len(changes) < 2:
        return None
    with exact():
        mean = sum(changes, ZERO) / len(changes)
        variance = sum(((change - mean) ** 2 for change in changes), ZERO) / (len(changes) - 1)
        return quantize_ratio(variance.sqrt())


class ConditionsSource:
    """Volume and volatility read once per token per tick, concurrently (`begin` starts the reads and
    returns at once, so the books are fetched meanwhile). `history` is `ClobReader.price_history`;
    `volumes` maps condition ids to their 24 h volume (`gamma_volumes`)."""

    def __init__(self, history: HistoryReader | None = None, volumes: VolumeReader | None = None,
                 workers: int = WORKERS, wait_seconds: float = CONDITIONS_WAIT_SECONDS) -> None:
        self._history = history
        self._volumes = volumes
        self._workers = workers
        self._wait_seconds = wait_seconds

    def begin(self, tokens: Mapping[str, str]) -> PendingConditions:
        """Start reading the conditions of `tokens` (token id -> condition id)."""
        pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="conditions")
        histories = {token: pool.submit(self._volatility, token) for token in sorted(tokens)} if self._history else {}
        volumes = pool.submit(self._volumes_of, sorted(set(tokens.values()))) if self._volumes and tokens else None
        return PendingConditions(pool, dict(tokens), histories, volumes, time.monotonic() + self._wait_seconds)

    def _volatility(self, token_id: str) -> Decimal | None:
        try:
            return volatility(self._history(token_id, VOLATILITY_INTERVAL, fidelity_minutes=VOLATILITY_FIDELITY_MINUTES))
        except Exception as error:  # never a reason to stop a signal: the figure stays NULL
            log.warning("volatility of token %s not read: %s", token_id, getattr(error, "message", error))
            return None

    def _volumes_of(self, condition_ids: list[str]) -> Mapping[str, Decimal | None]:
        try:
            return self._volumes(condition_ids)
        except Exception as error:
            log.warning("24 h volumes not read: %s", getattr(error, "message", error))
            return {}


@dataclass
class PendingConditions:
    pool: ThreadPoolExecutor
    tokens: dict[str, str]
    histories: dict[str, Future]
    volumes: Future | None
    deadline: float  # time.monotonic(): what has not arrived by then stays NULL

    def result(self) -> dict[str, MarketConditions]:
        try:
            volumes = self._wait(self.volumes, "24 h volumes") or {}
            return {
                token: MarketConditions(volumes.get(condition), self._wait(self.histories.get(token), f"volatility of {token}"))
                for token, condition in self.tokens.items()
            }
        finally:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def _wait(self, future: Future | None, what: str):
        if future is None:
            return None
        try:
            return future.result(timeout=max(0.0, self.deadline - time.monotonic()))
        except FutureTimeout:
            log.warning("%s not read in time for this tick; left empty", what)
            return None


def gamma_volumes(gamma) -> VolumeReader:
    """A VolumeReader over a GammaClient: each known market's `volume24hr`."""
    return lambda condition_ids: {market.condition_id: market.volume_24h for market in gamma.markets(condition_ids)}


# --- at decision (executor._claim) --------------------------------------------------------------------


def order_size_usd(order_shares: Decimal | None, limit_price: Decimal | None) -> Decimal | None:
    """The order's dollars: the shares it names times its limit (a market order's worst) price."""
    return None if order_shares is None or limit_price is None else order_shares * limit_price


def placement_values(signal: Signal, book: BookSnapshot, estimate_price: Decimal | None, plan: OrderPlan | None,
                     conditions: MarketConditions | None) -> dict:
    """The figures known when a signal is decided: what we expected to pay (the book walk's estimate
    for the order's size, else the signal price), the book and its spread, the order's dollars, the
    signal's time and the market's volume and volatility."""
    conditions = conditions or MarketConditions()
    mid = book.mid
    return {
        "expected_price": estimate_price if estimate_price is not None else signal.price,
        "best_bid_at_signal": book.best_bid,
        "best_ask_at_signal": book.best_ask,
        "mid_price_at_signal": mid,
        "market_spread_pct": quantize_ratio(book.spread / mid) if mid else None,
        "order_size_usd": order_size_usd(plan.order_shares, plan.price) if plan is not None else None,
        "signal_timestamp": signal.detected_at,
        "volume_24h": conditions.volume_24h,
        "market_volume_24h": conditions.volume_24h,
        "volatility_pct": conditions.volatility_pct,
    }


# --- at the venue's answer (executor._record_results) -------------------------------------------------


def submit_values(signal_at: datetime, submitted_at: datetime, *, accepted: bool, rejected: bool) -> dict:
    """When the order was posted and how long after its signal; an accepted order starts with nothing
    filled (and its score as such), a rejected one scores its rejection."""
    values = {"order_placed_timestamp": submitted_at, "latency_order_ms": ms_between(signal_at, submitted_at)}
    if accepted:
        values.update(fill_rate=ZERO, filled_size_usd=ZERO, partial_fill_count=0, **_unfilled_score(rejected=False))
    elif rejected:
        values.update(_unfilled_score(rejected=True))
    return values


@cache
def _unfilled_score(*, rejected: bool) -> dict:
    """The score of an order with nothing filled (the same for every such order, so worked out once)."""
    return score_values(fill_rate=ZERO, slippage_cents=None, signal_to_fill_ms=None, rejected=rejected)


# --- on fills (fills._update_quality) -----------------------------------------------------------------

FILL_COLUMNS = (
    "slippage_vs_signal_pct", "slippage_vs_mid_pct", "slippage_vs_mid_cents", "filled_size_usd", "partial_fill_count",
    "first_fill_timestamp", "latency_fill_ms", "signal_timestamp", "order_placed_timestamp", "latency_order_ms",
    "order_size_usd", "execution_quality_score", "score_components_json",
)


def fill_values(connection: Connection, row: Mapping, values: Mapping, fill_count: int, last_fill_at: datetime | None,
                state: OrderState | None) -> dict:
    """The seed's figures of an order with `values` (fills.py's execution figures from its counting
    fills): slippage versus signal and versus the mid at decision, dollars filled, how many fills,
    times and latencies, and the score. `row` is the order's lt_orders row joined with its orders row;
    `fill_count` and `last_fill_at` describe its counting fills; `state` is where the order now stands."""
    price = values["executed_price"]
    signal_price = row["signal_price"]
    mid = connection.execute(
        select(lt_execution_quality.c.mid_price_at_signal, lt_execution_quality.c.mid_price)
        .where(lt_execution_quality.c.lt_order_id == row["lt_order_id"])
    ).first()
    mid = None if mid is None else (mid.mid_price_at_signal if mid.mid_price_at_signal is not None else mid.mid_price)
    s = side_sign(row["side"])
    slippage_cents = s * (price - signal_price) * CENTS_PER_DOLLAR if price is not None else None
    out = {
        "slippage_vs_signal_pct": values["slippage_pct"],
        "slippage_vs_mid_pct": quantize_ratio((price - mid) / mid) if price is not None and mid else None,
        "slippage_vs_mid_cents": quantize_ratio(s * (price - mid) * CENTS_PER_DOLLAR) if price is not None and mid else None,
        "filled_size_usd": values["executed_size"],
        "partial_fill_count": fill_count,
        "first_fill_timestamp": values["first_fill_at"],
        "latency_fill_ms": values["fill_latency_ms"],
        "signal_timestamp": row["signal_at"],
        "order_placed_timestamp": row["submitted_at"],
        "latency_order_ms": ms_between(row["signal_at"], row["submitted_at"]),
        "order_size_usd": order_size_usd(row.get("original_size"), row["limit_price"]),
        "execution_quality_score": None,
        "score_components_json": None,
    }
    if values["fill_rate"] is not None:
        out.update(score_values(
            fill_rate=values["fill_rate"],
            slippage_cents=slippage_cents,
            signal_to_fill_ms=ms_between(row["signal_at"], last_fill_at),
            rejected=state == OrderState.REJECTED,
        ))
    return out


def score_values(*, fill_rate: Decimal, slippage_cents: Decimal | None, signal_to_fill_ms: int | None,
                 rejected: bool) -> dict:
    """docs/tca.md §5 on one order: FR its fill rate (capped at 1), slip its |slippage vs signal| in
    cents, L its signal-to-last-fill latency, RR 1 when the venue rejected it, else 0. The score is
    rounded to 0.01; its inputs, components, weights and caps go to `score_components_json`."""
    score = execution_quality_score(
        fill_rate=fill_rate,
        median_slippage_cents=abs(slippage_cents) if slippage_cents is not None else None,
        latency_p90_ms=Decimal(signal_to_fill_ms) if signal_to_fill_ms is not None else None,
        rejection_rate=ONE if rejected else ZERO,
        slippage_cap_cents=SLIPPAGE_CAP_CENTS,
        latency_cap_ms=LATENCY_CAP_MS,
    )
    return {
        "execution_quality_score": round_half_even(score.score, SCORE_PLACES),
        "score_components_json": json.dumps(score_components(score, signal_to_fill_ms), sort_keys=True),
    }


def score_components(score: ExecutionScore, signal_to_fill_ms: int | None) -> dict:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else format(quantize_ratio(value).normalize(), "f")

    return {
        "inputs": {
            "fill_rate": text(score.fill_rate),
            "abs_slippage_cents": text(score.median_slippage_cents),
            "signal_to_fill_ms": signal_to_fill_ms,
            "rejected": score.rejection_rate == ONE,
        },
        "components": {
            "fill": text(score.fill_component),
            "slippage": text(score.slippage_component),
            "latency": text(score.latency_component),
            "rejection": text(score.rejection_component),
        },
        "weights": {name: text(getattr(score.weights, name)) for name in ("fill", "slippage", "latency", "rejection")},
        "caps": {"slippage_cents": text(SLIPPAGE_CAP_CENTS), "latency_ms": text(LATENCY_CAP_MS)},
        "score": text(score.score),
    }


# --- markouts (the resolution job) --------------------------------------------------------------------


@dataclass
class MarkoutReport:
    orders: int = 0  # orders that got a markout this run
    markouts: int = 0  # figures written
    tokens_read: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # token id -> why its history was not read


@dataclass(frozen=True)
class MarkoutLeg:
    """One trade a markout is taken from: its shares (the weight), side, price and time."""

    shares: Decimal
    side: str
    price: Decimal
    at: datetime


def markout(legs: Sequence[MarkoutLeg], horizon: timedelta, points: Sequence[PricePoint]) -> Decimal | None:
    """sum(q_k * s * (M(t_k + h) - p_k)) / sum(q_k) x 100, cents per share: the share-weighted markout of
    the legs at horizon h. M(t) is the last history point (oldest first) at or before t; a leg whose
    point is older than the leg itself (no price seen after the trade) leaves the markout unknown."""
    times = [point.at for point in points]
    weighted = shares = ZERO
    with exact():
        for leg in legs:
            index = bisect_right(times, leg.at + horizon) - 1
            if index < 0 or times[index] < leg.at:
                return None
            weighted += leg.shares * side_sign(leg.side) * (points[index].price - leg.price)
            shares += leg.shares
        return quantize_ratio(weighted / shares * CENTS_PER_DOLLAR) if shares > ZERO else None


def record_markouts(engine: Engine, history: HistoryReader, clock: Clock, *,
                    horizons: Mapping[str, timedelta] = MARKOUT_HORIZONS,
                    lookback: timedelta = MARKOUT_LOOKBACK) -> MarkoutReport:
    """Write each markout whose horizon has passed and that is still unknown, for orders whose signal
    is less than `lookback` old (docs/tca.md §8): ours over the order's counting fills once the order
    can no longer fill and its last fill is h old; the leader's from the tracked trader's source trade
    once it is h old. One history read per token (1-minute points), none for a token with nothing due;
    a token whose history cannot be read is reported and tried again next run."""
    now = clock.now()
    report = MarkoutReport()
    ours = {name: lt_execution_quality.c[f"markout_{name}_cents"] for name in horizons}
    leaders = {name: lt_execution_quality.c[f"leader_markout_{name}_cents"] for name in horizons}
    with engine.connect() as connection:
        rows = connection.execute(
            select(lt_execution_quality.c.lt_order_id, *ours.values(), *leaders.values(), lt_orders.c.token_id,
                   lt_orders.c.side, lt_orders.c.status, lt_orders.c.executed_shares,
                   source_trades.c.traded_at.label("leader_at"), source_trades.c.price.label("leader_price"),
                   source_trades.c.side.label("leader_side"))
            .join(lt_orders, lt_orders.c.lt_order_id == lt_execution_quality.c.lt_order_id)
            .outerjoin(source_trades, source_trades.c.source_trade_id == lt_orders.c.source_trade_id)
            .where(lt_orders.c.signal_at >= now - lookback)
            .where(or_(*(column.is_(None) for column in (*ours.values(), *leaders.values()))))
        ).mappings().all()
        filled = [row["lt_order_id"] for row in rows if row["executed_shares"] and _cannot_fill(row["status"])]
        legs_of = _counting_fills(connection, filled)

    due: dict[str, list[tuple[str, str, list[MarkoutLeg], timedelta]]] = defaultdict(list)  # token -> (order, column, legs, h)
    for row in rows:
        for name, horizon in horizons.items():
            legs = legs_of.get(row["lt_order_id"], [])
            if row[ours[name].name] is None and legs and all(leg.at + horizon <= now for leg in legs):
                due[row["token_id"]].append((row["lt_order_id"], ours[name].name, legs, horizon))
            if row[leaders[name].name] is None and row["leader_at"] is not None and row["leader_at"] + horizon <= now:
                leader = MarkoutLeg(ONE, row["leader_side"], row["leader_price"], row["leader_at"])
                due[row["token_id"]].append((row["lt_order_id"], leaders[name].name, [leader], horizon))

    written: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for token_id, items in sorted(due.items()):
        start = min(leg.at for _, _, legs, _ in items for leg in legs) - timedelta(minutes=MARKOUT_FIDELITY_MINUTES)
        try:
            points = history(token_id, None, start=start, end=now, fidelity_minutes=MARKOUT_FIDELITY_MINUTES)
        except Exception as error:  # one token's venue trouble skips its markouts until the next run
            report.failed[token_id] = getattr(error, "message", str(error))
            continue
        report.tokens_read += 1
        for lt_order_id, column, legs, horizon in items:
            value = markout(legs, horizon, points)
            if value is not None:
                written[lt_order_id][column] = value
    if written:
        with engine.begin() as connection:
            for lt_order_id, values in written.items():
                connection.execute(
                    update(lt_execution_quality).where(lt_execution_quality.c.lt_order_id == lt_order_id)
                    .values(**values, updated_at=now)
                )
    report.orders = len(written)
    report.markouts = sum(len(values) for values in written.values())
    return report


def _cannot_fill(status: str) -> bool:
    return OrderState(status) not in IN_FLIGHT_STATES | RESTING_STATES


def _counting_fills(connection: Connection, lt_order_ids: list[str]) -> dict[str, list[MarkoutLeg]]:
    legs: dict[str, list[MarkoutLeg]] = defaultdict(list)
    for start in range(0, len(lt_order_ids), 500):
        for row in connection.execute(
            select(fills.c.lt_order_id, fills.c.side, fills.c.price, fills.c.size, fills.c.matched_at)
            .where(fills.c.lt_order_id.in_(lt_order_ids[start : start + 500]), fills.c.status != FillStatus.FAILED.value)
        ):
            legs[row.lt_order_id].append(MarkoutLeg(row.size, row.side, row.price, row.matched_at))
    return legs
