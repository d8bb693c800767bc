"""Stopping orders: the global halt (kill switch), cancelling resting venue orders (which a pause with
cancel and the halt both do), and the cancels of orders past their time-to-live or in closed markets.

The halt is one ledger row, system_controls name="global_halt" value "on"/"off"; the executor reads
it (`current_halt`) before deciding anything, so a halted system places nothing however many
strategies are running. Cancels go through the owning user's trader only; an order the venue confirms
cancelled is marked CANCELLED through the order journal (it keeps the fills it had).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, or_, select, update

from lt_pipeline.clock import ensure_utc
from lt_pipeline.execution.journal import Journal, OrderRef
from lt_pipeline.execution.placement_rule import Halt
from lt_pipeline.ledger.schema import lt_orders, lt_strategies, markets, orders, system_controls
from lt_pipeline.ledger.writes import upsert
from lt_pipeline.model.orders import OPEN_EXPOSURE_STATES, RESTING_STATES, OrderEvent, OrderState
from lt_pipeline.venues.polymarket.models import VenueError
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

GLOBAL_HALT = "global_halt"
CANCEL_BATCH = 500  # the venue takes up to 3,000 ids per DELETE /orders; smaller keeps one failure small

# An order in any of these states may be on the book, so a stop sends a cancel for it. Only LIVE and
# PARTIALLY_FILLED are known to rest: those become CANCELLED here. The others (a crash or a timeout
# left their outcome unclear) keep their state, and reconciliation reads the venue's CANCELED and
# records their fills, so no fill is lost by marking them early.
MAY_BE_RESTING = tuple(sorted(state.value for state in OPEN_EXPOSURE_STATES))
KNOWN_RESTING = tuple(sorted(state.value for state in RESTING_STATES))


class ControlError(ValueError):
    """A stop or resume that cannot be done as asked; the message says what was wrong."""


@dataclass(frozen=True)
class CancelledOrder:
    lt_order_id: str
    order_id: str
    strategy_id: str
    previous_status: str


@dataclass
class CancelReport:
    """What a stop did at the venue. `not_cancelled` maps an order id to the venue's reason (already
    filled, not found ...); `failures` are whole requests that did not get an answer."""

    cancelled: list[CancelledOrder] = field(default_factory=list)
    not_cancelled: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failures

    def merge(self, other: CancelReport) -> None:
        self.cancelled += other.cancelled
        self.not_cancelled.update(other.not_cancelled)
        self.failures += other.failures

    def summary(self) -> str:
        text = f"{len(self.cancelled)} resting order(s) cancelled"
        if self.not_cancelled:
            text += f", {len(self.not_cancelled)} not cancelled by the venue"
        if self.failures:
            text += f", {len(self.failures)} cancel request(s) failed: " + "; ".join(self.failures)
        return text


@dataclass(frozen=True)
class HaltReport:
    reason: str
    halted_at: datetime
    cancels: CancelReport


# --- the global halt -----------------------------------------------------------------------------


def current_halt(engine: Engine | Connection) -> Halt:
    """The global halt as the placement rule reads it: on since when, and why; off when never set."""
    query = select(system_controls.c.value, system_controls.c.reason, system_controls.c.updated_at).where(
        system_controls.c.name == GLOBAL_HALT
    )
    row = _read_one(engine, query)
    if row is None or row.value != "on":
        return Halt()
    return Halt(since=row.updated_at, reason=row.reason or "global halt")


def is_halted(engine: Engine | Connection) -> tuple[bool, str | None]:
    """(True, reason) while the global halt is on; (False, None) otherwise (also when never set)."""
    halt = current_halt(engine)
    return (True, halt.reason) if halt.on else (False, None)


def halt(engine: Engine, reason: str, now: datetime, *, traders: Mapping[str, ClobTrader]) -> HaltReport:
    """Turn the global halt on, then cancel every resting order of every strategy through its user's
    trader (`traders[user_id]`). The halt is committed first, so nothing new is placed while the
    cancels go out; a user whose trader cannot be had or whose venue call fails is reported, and the
    other users' orders are still cancelled."""
    reason = _reason(reason)
    now = ensure_utc(now, "now")
    with engine.begin() as connection:
        _set_halt(connection, "on", reason, now)
    log.info("global halt on: %s", reason)

    report = CancelReport()
    with engine.connect() as connection:
        by_user: dict[str, list] = {}
        for row in resting_orders(connection):
            by_user.setdefault(row.user_id, []).append(row)
    for user_id, rows in sorted(by_user.items()):
        try:
            trader = traders[user_id]
        except KeyError:
            report.failures.append(f"user {user_id}: no trader given to cancel {len(rows)} order(s)")
            continue
        except Exception as error:  # no credentials, venue down while deriving keys ...: that user only
            report.failures.append(f"user {user_id}: no trader to cancel {len(rows)} order(s) ({_said(error)})")
            continue
        report.merge(cancel_orders(engine, rows, trader, why=f"global halt: {reason}", trigger="halt", now=now))
    return HaltReport(reason, now, report)


def resume_trading(engine: Engine, now: datetime) -> None:
    """Turn the global halt off. Strategies paused on their own stay paused."""
    with engine.begin() as connection:
        _set_halt(connection, "off", None, ensure_utc(now, "now"))
    log.info("global halt off")


def _set_halt(connection: Connection, value: str, reason: str | None, now: datetime) -> None:
    row = {"name": GLOBAL_HALT, "value": value, "reason": reason, "updated_at": now}
    upsert(connection, system_controls, [row], ["name"], ["value", "reason", "updated_at"])


# --- cancelling resting orders -------------------------------------------------------------------


def resting_orders(connection: Connection, *, strategy_ids: Iterable[str] | None = None) -> list:
    """LT orders that may rest at the venue (they have an order hash and an open state)."""
    query = select(
        lt_orders.c.lt_order_id, lt_orders.c.order_id, lt_orders.c.strategy_id, lt_orders.c.user_id,
        lt_orders.c.ft_order_id, lt_orders.c.source_trade_id, lt_orders.c.status,
    ).where(lt_orders.c.order_id.is_not(None), lt_orders.c.status.in_(MAY_BE_RESTING))
    if strategy_ids is not None:
        query = query.where(lt_orders.c.strategy_id.in_(list(strategy_ids)))
    return list(connection.execute(query.order_by(lt_orders.c.strategy_id, lt_orders.c.lt_order_id)))


def cancel_orders(engine: Engine, rows: list, trader: ClobTrader, *, why: str, trigger: str, now: datetime) -> CancelReport:
    """Ask the venue to cancel these LT orders (rows from `resting_orders`, all of one user) and record
    the ones it cancelled: CANCELLED when they were known to rest, CANCEL_REQUESTED otherwise (the venue
    sync then records their final state and fills)."""
    report = CancelReport()
    by_hash = {row.order_id: row for row in rows}
    hashes = list(by_hash)
    for start in range(0, len(hashes), CANCEL_BATCH):
        batch = hashes[start : start + CANCEL_BATCH]
        try:
            cancelled, not_cancelled = trader.cancel(batch)
        except VenueError as error:
            report.failures.append(f"cancel of {len(batch)} order(s) failed: {error}")
            continue
        report.not_cancelled.update(not_cancelled)
        known = [by_hash[order_id] for order_id in cancelled if order_id in by_hash]
        with engine.begin() as connection:
            journal = Journal(connection, now)
            for row in known:
                report.cancelled.append(_record_cancel(journal, row, why=why, trigger=trigger))
            if known:
                connection.execute(
                    update(orders).where(orders.c.order_id.in_([row.order_id for row in known]))
                    .values(status="CANCELED", last_seen_at=now, updated_at=now)
                )
    return report


def _record_cancel(journal: Journal, row, *, why: str, trigger: str) -> CancelledOrder:
    ref = OrderRef.of(row)
    detail = {"order_id": row.order_id, "trigger": trigger, "previous_status": row.status}
    marked = None
    if row.status in KNOWN_RESTING:
        # Conditional on the state read, so a venue sync that moved it meanwhile is not overwritten.
        marked = journal.apply(ref, OrderEvent.CANCELLED, reason=f"cancelled at the venue: {why}", detail=detail,
                               values={"cancelled_at": journal.now})
    if marked is None:
        current = journal.connection.execute(
            select(lt_orders.c.status).where(lt_orders.c.lt_order_id == row.lt_order_id)
        ).scalar_one()
        journal.apply(OrderRef(ref.lt_order_id, ref.strategy_id, ref.ft_order_id, ref.source_trade_id, OrderState(current)),
                      OrderEvent.CANCEL_REQUESTED, detail=detail,
                      reason=f"cancelled at the venue: {why}; the venue sync records its final state and fills")
    return CancelledOrder(row.lt_order_id, row.order_id, row.strategy_id, row.status)


# --- time-to-live and closed markets --------------------------------------------------------------


@dataclass
class StaleCancels:
    ttl: int = 0
    market_closed: int = 0
    failures: list[str] = field(default_factory=list)


def cancel_stale(engine: Engine, trader: ClobTrader, user_id: str, now: datetime) -> StaleCancels:
    """Cancel the user's resting GTC orders past their strategy's time-to-live (from submitted_at), and
    any resting order whose market closed. Cancelled orders keep their fills."""
    done = StaleCancels()
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                lt_orders.c.lt_order_id, lt_orders.c.order_id, lt_orders.c.strategy_id, lt_orders.c.user_id,
                lt_orders.c.ft_order_id, lt_orders.c.source_trade_id, lt_orders.c.status, lt_orders.c.order_type,
                lt_orders.c.submitted_at, lt_strategies.c.order_ttl_seconds,
                or_(markets.c.closed, ~markets.c.accepting_orders, markets.c.resolution_status.is_not(None)).label("market_closed"),
            )
            .join(lt_strategies, lt_strategies.c.strategy_id == lt_orders.c.strategy_id)
            .outerjoin(markets, markets.c.condition_id == lt_orders.c.condition_id)
            .where(lt_orders.c.user_id == user_id, lt_orders.c.status.in_(KNOWN_RESTING), lt_orders.c.order_id.is_not(None))
            .order_by(lt_orders.c.lt_order_id)
        ).all()
    closed = [row for row in rows if row.market_closed]
    expired: dict[int, list] = defaultdict(list)
    for row in rows:
        if row.market_closed or row.order_type != "GTC" or row.submitted_at is None:
            continue
        if now >= row.submitted_at + timedelta(seconds=row.order_ttl_seconds):
            expired[row.order_ttl_seconds].append(row)
    if closed:
        report = cancel_orders(engine, closed, trader, why="market closed", trigger="market_closed", now=now)
        done.market_closed += len(report.cancelled)
        done.failures += report.failures
    for ttl, group in sorted(expired.items()):
        report = cancel_orders(engine, group, trader, why=f"time-to-live of {ttl} s passed", trigger="ttl", now=now)
        done.ttl += len(report.cancelled)
        done.failures += report.failures
    return done


# --- helpers -------------------------------------------------------------------------------------


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ControlError(f"reason: expected a few words saying why, got {reason!r}")
    return reason.strip()


def _said(error: Exception) -> str:
    # Our credential and venue errors carry safe messages; anything else shows only its type.
    from lt_pipeline.execution.credentials import CredentialsError

    if isinstance(error, (CredentialsError, VenueError)):
        return str(error)
    return type(error).__name__


def _read_one(engine: Engine | Connection, query):
    if isinstance(engine, Connection):
        return engine.execute(query).first()
    with engine.connect() as connection:
        return connection.execute(query).first()
