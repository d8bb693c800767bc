"""One venue sync per user per tick: the ledger brought to what the venue says of our orders.

Per user, the venue is read once: our open orders (one listing), the records of the orders that may
still change (by hash), and our trades since one cursor. From that one reading the pass records fills;
adopts orders left in flight (UNKNOWN after a lost reply, INTENT_STORED or SUBMITTED after a crash) once
their grace has passed — found (its record, or a trade naming it) -> RECONCILED into the venue's state;
not found -> defensively cancelled and NEVER_ARRIVED, never resubmitted; the venue unreadable -> left
UNKNOWN for next time; adopts stray venue orders of ours the ledger lacks (repaired when the hash is an
LT order's, reported otherwise); derives every touched order's state through the journal; brings each
`orders` row into agreement with its fills; and reports the orders whose matched size still differs.
Then the user's stale orders (time-to-live, closed market) are cancelled by the controls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, and_, exists, func, or_, select, update

from lt_pipeline.clock import Clock
from lt_pipeline.execution.controls import cancel_stale
from lt_pipeline.execution.credentials import CredentialsError
from lt_pipeline.execution.fills import (
    fee_schedules,
    fills_of,
    orders_disagreeing,
    our_order_ids,
    record_fills,
    refresh_order_rows,
    update_lt_orders,
)
from lt_pipeline.execution.journal import Journal, OrderRef
from lt_pipeline.ledger.schema import fills, lt_orders, orders, venue_discrepancies
from lt_pipeline.ledger.writes import insert_missing, read_cursor, upsert, write_cursor
from lt_pipeline.model.orders import GIVEN_UP_STATES, fill_counts, IN_FLIGHT_STATES, PROVISIONAL_FILLS, RESTING_STATES, OrderEvent, OrderState
from lt_pipeline.model.reports import Resting, VenueOrder, VenueTrade
from lt_pipeline.model.trading import MARKET_ORDER_TYPES
from lt_pipeline.money import ZERO
from lt_pipeline.venues.polymarket.models import BadPayload, VenueError
from lt_pipeline.venues.polymarket.reports import signed_order_facts
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

UNKNOWN_GRACE = timedelta(seconds=30)  # an in-flight order is looked up by hash once this has passed
SAFETY_WINDOW = timedelta(minutes=10)  # trades are re-read this far behind the cursor to see status changes
# Accepted orders that may still fill; their venue record is read on every sync.
ACTIVE_STATES = tuple(sorted(state.value for state in RESTING_STATES))
IN_FLIGHT = tuple(sorted(state.value for state in IN_FLIGHT_STATES))
GIVEN_UP = tuple(sorted(state.value for state in GIVEN_UP_STATES))
PROVISIONAL = tuple(sorted(status.value for status in PROVISIONAL_FILLS))

TraderForUser = Callable[[str], ClobTrader]


def sync_cursor(user_id: str) -> str:
    return f"lt_sync.trades.{user_id}"


@dataclass(frozen=True)
class Discrepancy:
    """A venue order or fill of ours that the ledger did not hold."""

    user_id: str
    kind: str  # "order" or "fill"
    order_id: str
    trade_id: str | None
    repaired: bool
    detail: str


@dataclass(frozen=True)
class SizeMismatch:
    """An order whose `orders` row's matched size differs from what its fills in the ledger count."""

    order_id: str
    lt_order_id: str
    venue_matched: Decimal
    ledger_filled: Decimal


@dataclass
class SyncReport:
    users: int = 0
    trades_read: int = 0
    fills_new: int = 0
    fills_changed: int = 0  # status moves of fills already in the ledger
    fills_reversed: int = 0  # fills that FAILED and stopped counting
    lt_orders_updated: int = 0
    orders_refreshed: int = 0  # `orders` rows brought up to the venue's record
    filled: int = 0  # LT orders that reached FILLED in this sync
    cancelled_by_venue: int = 0
    cancelled_ttl: int = 0
    cancelled_market_closed: int = 0
    awaiting_reconciliation: int = 0  # fills of ours whose order is still in flight within its grace
    in_flight_checked: int = 0
    reconciled: int = 0  # in-flight orders found at the venue and recorded
    never_arrived: int = 0
    still_unknown: int = 0  # in-flight orders the venue could not be asked about this time
    orders_checked: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)
    mismatches: list[SizeMismatch] = field(default_factory=list)
    failed_users: dict[str, str] = field(default_factory=dict)
    bad_records: list[str] = field(default_factory=list)
    cancel_failures: list[str] = field(default_factory=list)

    @property
    def unrepaired(self) -> list[Discrepancy]:
        return [d for d in self.discrepancies if not d.repaired]


def sync_venue(
    engine: Engine,
    trader_for_user: TraderForUser,
    clock: Clock,
    *,
    unknown_grace: timedelta = UNKNOWN_GRACE,
    safety_window: timedelta = SAFETY_WINDOW,
) -> SyncReport:
    """Sync every user who ever placed an order; one user's failure is reported, not raised."""
    report = SyncReport()
    with engine.connect() as connection:
        users = list(connection.execute(
            select(lt_orders.c.user_id).where(lt_orders.c.order_id.is_not(None)).distinct().order_by(lt_orders.c.user_id)
        ).scalars())
    for user_id in users:
        report.users += 1
        try:
            trader = trader_for_user(user_id)
            _UserSync(engine, trader, user_id, clock, unknown_grace, safety_window, report).run()
            stale = cancel_stale(engine, trader, user_id, clock.now())
            report.cancelled_ttl += stale.ttl
            report.cancelled_market_closed += stale.market_closed
            report.cancel_failures += stale.failures
        except Exception as error:  # one user's venue or credential failure never stops the others
            report.failed_users[user_id] = failure_text(error)
            log.warning("venue sync of user %s failed: %s", user_id, report.failed_users[user_id])
    return report


@dataclass(frozen=True)
class PlacedOrder:
    """One of a user's venue orders as the ledger holds it (an `orders` row and its LT order)."""

    order_id: str
    lt_order_id: str
    order_type: str
    status: str  # the LT order's state
    submitted_at: datetime | None
    awaiting_fills: bool  # FILLED on entry, its fills not read back yet


class OrderRecords:
    """The venue's records of our orders, read as one pass needs them: the open ones in one listing, any
    other one by its hash. A record of None means the venue keeps none (usual for a FOK/FAK); an order
    whose read failed is in `unreadable`, and nothing is concluded about it this time."""

    def __init__(self, trader: ClobTrader, bad_records: list[str]) -> None:
        self._trader = trader
        self._bad_records = bad_records
        self.records: dict[str, VenueOrder | None] = {}
        self.unreadable: dict[str, str] = {}
        self.listed: set[str] | None = None  # every open order of the user, once listed
        self.cancelled: set[str] = set()  # cancelled by this pass at the venue's word

    def read_open(self) -> dict[str, VenueOrder]:
        """List the open orders (a failure raises: without it nothing about the user can be judged)."""
        listing = self._trader.open_orders()
        self._bad_records += listing.bad_records
        listed = {record.order_id: record for record in listing.records}
        self.records.update(listed)
        self.listed = set(listed)
        return listed

    def read(self, order_ids: Iterable[str], *, again: bool = False) -> None:
        """Read each order not read yet (or every one, `again`) by its hash."""
        for order_id in order_ids:
            if not again and (order_id in self.records or order_id in self.unreadable):
                continue
            self.records.pop(order_id, None)
            self.unreadable.pop(order_id, None)
            try:
                self.records[order_id] = self._trader.order(order_id)
            except (VenueError, BadPayload) as error:
                self.unreadable[order_id] = error.message

    def get(self, order_id: str) -> VenueOrder | None:
        return self.records.get(order_id)

    def resting(self, order_id: str, order_type: str | None) -> Resting | None:
        """Where the order stands; None when unknown (unreadable, or not listed and not read)."""
        record = self.records.get(order_id)
        if record is not None:
            return record.resting
        # A FOK/FAK never rests, and the venue keeps no readable record of one.
        if order_id in self.cancelled:
            return Resting.CANCELLED
        if order_type in MARKET_ORDER_TYPES:
            return Resting.DONE
        # The venue answers nothing for a finished order (filled or cancelled), as for a FOK. The open
        # listing holds every open order of ours, so an order it lacks whose record is empty is off the
        # book: its fills say whether it filled or was cancelled.
        if self.listed is not None and order_id not in self.listed and order_id in self.records:
            return Resting.FINISHED
        return None


class _UserSync:
    """One user's pass. Every venue call (reads, defensive cancels) comes first, order records before
    trades (so every match a record counts is among the trades read after it); then one transaction
    writes what was learnt."""

    def __init__(self, engine: Engine, trader: ClobTrader, user_id: str, clock: Clock, grace: timedelta,
                 window: timedelta, report: SyncReport) -> None:
        self.engine, self.trader, self.user_id, self.clock = engine, trader, user_id, clock
        self.grace, self.window, self.report = grace, window, report
        self.venue = OrderRecords(trader, report.bad_records)

    def run(self) -> None:
        now = self.clock.now()
        with self.engine.connect() as connection:
            placed = _placed_orders(connection, self.user_id)
            in_flight = _in_flight(connection, self.user_id)
            recent = _recently_active(connection, self.user_id, now - self.window)
            since = _trades_since(connection, self.user_id, self.window, [_placed_at_of(row) for row in in_flight])
            cursor = read_cursor(connection, sync_cursor(self.user_id))
        seen_until = datetime.fromisoformat(cursor) if cursor else None
        due = [row for row in in_flight if _placed_at_of(row) <= now - self.grace]

        # --- the one reading of the venue ---
        open_now = self.venue.read_open()
        active = [oid for oid, p in placed.items() if p.status in ACTIVE_STATES or (p.awaiting_fills and p.order_type == "GTC")]
        self.venue.read(active + [row.order_id for row in due] + list(recent))
        read = self.trader.trades(after=since)
        self.report.bad_records += read.bad_records
        trades: list[VenueTrade] = read.records
        self.report.trades_read += len(trades)
        # A filled GTC whose trade failed: where it now stands decides what it becomes.
        self.venue.read(
            oid for t in trades for oid in t.order_ids
            if oid in placed and placed[oid].status == OrderState.FILLED.value and placed[oid].order_type == "GTC"
            and not fill_counts(t.status)
        )

        found, lost, unknown = self._look_up(due, trades)
        with self.engine.connect() as connection:
            strays = self._strays(connection, open_now, trades, set(placed) | {row.order_id for row in found}, now)
        late = [row for row, _, _ in strays if row is not None]
        self.venue.read([row.order_id for row in late])
        # An order the ledger gave up on (never arrived, rejected) that rests at the venue after all: it
        # was never meant to be placed again, so it is cancelled.
        given_up = [oid for oid in open_now if oid in placed and placed[oid].status in GIVEN_UP]
        self._cancel_resting([row.order_id for row in late] + given_up)
        self.report.discrepancies += [
            Discrepancy(self.user_id, "order", oid, None, True,
                        f"open at the venue although its LT order is {placed[oid].status}: cancelled")
            for oid in given_up
        ]
        found += late

        # --- one transaction writes what was learnt ---
        with self.engine.begin() as connection:
            journal = Journal(connection, now)
            for row, why in unknown:
                self._keep_unknown(journal, row, why)
            for row in lost:
                self._never_arrived(journal, row)
            adopted = {row.order_id: row.lt_order_id for row in found}
            found_why = {row.lt_order_id: self._adopt(connection, row, now) for row in found}
            ledger_of = {oid: p.lt_order_id for oid, p in placed.items()} | adopted
            self.report.awaiting_reconciliation += len(
                {(t.trade_id, oid) for t in trades for oid in our_order_ids(t, self.trader.funder) if oid not in ledger_of}
            )
            schedules = fee_schedules(connection, {t.token_id for t in trades} | {leg.token_id for t in trades for leg in t.maker_orders})
            ours = [f for t in trades for f in fills_of(t, ledger_of, schedules)]
            changes = record_fills(connection, ours, ledger_of, now)
            # A fill of an order the ledger held, matched before what an earlier sync had read, should
            # have been there: the ledger had lost it.
            new_ids = set(changes.new_fill_ids)
            self.report.discrepancies += [
                Discrepancy(self.user_id, "fill", f.order_id, f.trade_id, True, "fill missing from the ledger, recorded")
                for f in ours
                if f.fill_id in new_ids and f.order_id in placed and seen_until is not None and f.matched_at <= seen_until
            ]
            self.report.fills_new += changes.new
            self.report.fills_changed += changes.changed
            self.report.fills_reversed += changes.reversed
            self.report.orders_refreshed += refresh_order_rows(
                connection, {oid: rec for oid, rec in self.venue.records.items() if oid in ledger_of}, now
            )
            touched = changes.lt_order_ids | set(adopted.values()) | {ledger_of[oid] for oid in recent if oid in ledger_of}
            touched |= {ledger_of[oid] for oid in self.venue.records if oid in ledger_of}
            touched |= {p.lt_order_id for p in placed.values() if p.awaiting_fills}
            order_types = {oid: p.order_type for oid, p in placed.items()}
            order_types |= dict(connection.execute(
                select(orders.c.order_id, orders.c.order_type).where(orders.c.order_id.in_(list(adopted)))
            ).all()) if adopted else {}
            resting = {lt_id: self.venue.resting(oid, order_types.get(oid)) for oid, lt_id in ledger_of.items() if lt_id in touched}
            # The venue's own count for orders whose every trade was read: placed after `since`.
            complete = {oid for oid, p in placed.items() if since is None or (p.submitted_at or since) >= since} | set(adopted)
            traded: dict[str, Decimal] = {}
            for fill in ours:
                if fill_counts(fill.status):
                    traded[fill.order_id] = traded.get(fill.order_id, ZERO) + fill.size
            venue_matched = {oid: traded.get(oid, ZERO) for oid in complete}
            outcome = update_lt_orders(journal, touched, resting, changes.failed, found_why, venue_matched)
            self.report.lt_orders_updated += outcome.updated
            self.report.filled += outcome.filled
            self.report.cancelled_by_venue += outcome.cancelled
            self._record_discrepancies(connection, strays, adopted, now)
            if trades:
                write_cursor(connection, sync_cursor(self.user_id), max(t.match_time for t in trades).isoformat(), now)
            checked = [oid for oid in set(recent) | set(adopted) if oid not in self.venue.unreadable]
            self.report.orders_checked += len(checked)
            self.report.mismatches += [SizeMismatch(*row) for row in orders_disagreeing(connection, checked)] if checked else []

    # --- orders left in flight ----------------------------------------------------------------------

    def _look_up(self, in_flight: list, trades: list[VenueTrade]) -> tuple[list, list, list]:
        """Sort in-flight orders into found at the venue, never arrived (after a defensive cancel), and
        still unknown (the venue could not be asked)."""
        in_trades = {oid for trade in trades for oid in trade.order_ids}
        found, lost, unknown = [], [], []
        for row in in_flight:
            self.report.in_flight_checked += 1
            order_id = row.order_id
            if self.venue.get(order_id) is not None or order_id in in_trades:
                found.append(row)  # a trade naming it proves it arrived, even when its record is unreadable
            elif order_id in self.venue.unreadable:
                unknown.append((row, self.venue.unreadable[order_id]))
            else:
                try:
                    cancelled, _ = self.trader.cancel([order_id])
                except VenueError as error:
                    unknown.append((row, f"defensive cancel failed: {error.message}"))
                    continue
                if order_id in cancelled:  # it reached the venue after all, just now
                    self.venue.cancelled.add(order_id)
                    self.venue.read([order_id], again=True)
                    found.append(row)
                else:
                    lost.append(row)
        return found, lost, unknown

    def _adopt(self, connection: Connection, row, now: datetime) -> str:
        """Record an order the venue has: its `orders` row (the journal's RECONCILED, applied when its
        state is derived, takes it from there). Returns the words saying how it was found."""
        record = self.venue.get(row.order_id)
        facts = signed_order_facts(row.signed_order_json) if row.signed_order_json else None
        insert_missing(connection, orders, [{
            "order_id": row.order_id,
            "lt_strategy_id": row.strategy_id,
            "lt_order_id": row.lt_order_id,
            "signal_price": row.signal_price,
            "signal_size_usd": row.signal_size_usd,
            "user_id": row.user_id,
            "condition_id": row.condition_id,
            "token_id": row.token_id,
            "side": row.side,
            "order_type": row.order_type or (record.order_type if record else None) or "GTC",
            "price": record.price if record else row.limit_price,
            "original_size": record.original_size if record else (facts.shares if facts else row.intended_shares),
            "size_matched": record.size_matched if record else ZERO,
            "status": record.status if record else ("CANCELED" if row.order_id in self.venue.cancelled else "MATCHED"),
            "last_seen_at": now,
            "created_at": now,
            "updated_at": now,
        }], ["order_id"])
        connection.execute(
            update(lt_orders).where(lt_orders.c.lt_order_id == row.lt_order_id).values(
                submitted_at=row.submitted_at or (record.created_at if record else None) or now,
                polymarket_order_id=row.order_id,
                fill_rate=func.coalesce(lt_orders.c.fill_rate, ZERO),
            )
        )
        self.report.reconciled += 1
        venue_says = f"{record.status}, {record.size_matched:f} of {record.original_size:f} shares matched" if record \
            else "no order record, but trades name it (a FOK/FAK matched on entry)"
        how = "found at the venue by its hash" if row.status in IN_FLIGHT \
            else f"at the venue although the ledger had it {row.status}"
        if row.status not in IN_FLIGHT:
            Journal(connection, now).apply(OrderRef.of(row), OrderEvent.RECONCILED, reason=f"{how}: {venue_says}",
                                           detail={"order_id": row.order_id})
        return f"{how} ({venue_says})"

    def _never_arrived(self, journal: Journal, row) -> None:
        applied = journal.apply(
            OrderRef.of(row), OrderEvent.NEVER_ARRIVED,
            reason=f"never arrived: the venue has no order or trade with hash {row.order_id}; cancelled defensively, not resubmitted",
            detail={"order_id": row.order_id},
        )
        self.report.never_arrived += applied is not None

    def _keep_unknown(self, journal: Journal, row, why: str) -> None:
        self.report.still_unknown += 1
        if row.status == OrderState.UNKNOWN.value:
            return
        # The intent may or may not have gone out: say so until the venue can be asked.
        journal.apply(OrderRef.of(row), OrderEvent.UNKNOWN, reason=f"outcome unknown, the venue could not be asked: {why}",
                      detail={"order_id": row.order_id})

    # --- venue orders and trades the ledger lacks -----------------------------------------------------

    def _strays(self, connection: Connection, open_now: dict[str, VenueOrder], trades: list[VenueTrade],
                known: set[str], now: datetime) -> list[tuple]:
        """Our venue orders (open, or named by our trades) that the ledger has no `orders` row for, each
        as (its LT order row or None, its hash, a trade naming it or None). Orders still being placed by
        a run within the grace are left to that run."""
        missing: dict[str, str | None] = {oid: None for oid in open_now if oid not in known}
        for trade in trades:
            for order_id in our_order_ids(trade, self.trader.funder):
                if order_id not in known:
                    missing.setdefault(order_id, trade.trade_id)
        if not missing:
            return []
        lt_rows = {row.order_id: row for row in connection.execute(select(lt_orders).where(lt_orders.c.order_id.in_(list(missing))))}
        strays = []
        for order_id, trade_id in missing.items():
            row = lt_rows.get(order_id)
            if row is not None and row.status in IN_FLIGHT and _placed_at_of(row) > now - self.grace:
                continue
            strays.append((row, order_id, trade_id))
        return strays

    def _cancel_resting(self, order_ids: list[str]) -> None:
        resting = [oid for oid in order_ids if (rec := self.venue.get(oid)) is not None and rec.resting == Resting.OPEN]
        if not resting:
            return
        try:
            cancelled, _ = self.trader.cancel(resting)
            self.venue.cancelled |= set(cancelled)
        except VenueError as error:
            log.warning("cancel of %d order(s) placed against the ledger's word failed: %s", len(resting), error.message)
        self.venue.read(resting, again=True)

    def _record_discrepancies(self, connection: Connection, strays: list[tuple], adopted: dict[str, str], now: datetime) -> None:
        for row, order_id, trade_id in strays:
            kind = "order" if trade_id is None else "fill"
            if row is None:
                detail = f"venue {kind} of ours that no LT order placed"
            else:
                detail = f"venue {kind} of LT order {row.lt_order_id} ({row.status}) missing from the ledger, recorded"
            self.report.discrepancies.append(Discrepancy(self.user_id, kind, order_id, trade_id, order_id in adopted, detail))
        rows = [
            {"user_id": d.user_id, "kind": d.kind, "order_id": d.order_id, "trade_id": d.trade_id or "", "repaired": d.repaired,
             "detail": d.detail, "found_at": now, "last_seen_at": now, "cleared_at": None}
            for d in self.report.discrepancies if d.user_id == self.user_id
        ]
        upsert(connection, venue_discrepancies, rows, ["kind", "order_id", "trade_id"], ["repaired", "detail", "last_seen_at", "cleared_at"])
        # What the venue no longer shows stops blocking the ledger check.
        connection.execute(
            update(venue_discrepancies)
            .where(venue_discrepancies.c.user_id == self.user_id, venue_discrepancies.c.cleared_at.is_(None),
                   venue_discrepancies.c.last_seen_at < now)
            .values(cleared_at=now)
        )


# --- which orders, since when -----------------------------------------------------------------------------


def _placed_orders(connection: Connection, user_id: str) -> dict[str, PlacedOrder]:
    rows = connection.execute(
        select(orders.c.order_id, orders.c.lt_order_id, orders.c.order_type, lt_orders.c.status,
               lt_orders.c.submitted_at, lt_orders.c.executed_shares)
        .join(lt_orders, lt_orders.c.lt_order_id == orders.c.lt_order_id)
        .where(lt_orders.c.user_id == user_id)
    )
    return {
        row.order_id: PlacedOrder(row.order_id, row.lt_order_id, row.order_type, row.status, row.submitted_at,
                                  row.status == OrderState.FILLED.value and row.executed_shares == ZERO)
        for row in rows
    }


def _placed_at():
    """When an order went (or may have gone) out: its submit time, else when its intent was stored. The
    grace runs from there, not from later state changes, so moving it to UNKNOWN does not restart it."""
    return func.coalesce(lt_orders.c.submitted_at, lt_orders.c.decided_at, lt_orders.c.created_at)


def _in_flight(connection: Connection, user_id: str) -> list:
    has_order_row = exists().where(orders.c.lt_order_id == lt_orders.c.lt_order_id)
    return list(connection.execute(
        select(lt_orders)
        .where(lt_orders.c.user_id == user_id, lt_orders.c.order_id.is_not(None))
        .where(lt_orders.c.status.in_(IN_FLIGHT), ~has_order_row)
        .order_by(lt_orders.c.updated_at, lt_orders.c.lt_order_id)
    ))


def _recently_active(connection: Connection, user_id: str, since: datetime) -> dict[str, datetime | None]:
    """Orders whose matched size is compared with the venue's, with when they were submitted: open
    ones, and those that changed within the window."""
    rows = connection.execute(
        select(orders.c.order_id, lt_orders.c.submitted_at)
        .join(lt_orders, lt_orders.c.lt_order_id == orders.c.lt_order_id)
        .where(lt_orders.c.user_id == user_id)
        .where(or_(lt_orders.c.status.in_(ACTIVE_STATES), lt_orders.c.updated_at >= since, orders.c.updated_at >= since))
    )
    return {row.order_id: row.submitted_at for row in rows}


def _trades_since(connection: Connection, user_id: str, window: timedelta, in_flight_starts: list[datetime]) -> datetime | None:
    """Where to start reading a user's trades: the window behind the one cursor, and further back for any
    order that may still fill, whose fills are not final, or that is in flight (the venue filters trades
    by match time, so a status change is seen only if its trade is read again). None reads everything."""
    starts: list[datetime] = list(in_flight_starts)
    cursor = read_cursor(connection, sync_cursor(user_id))
    if cursor:
        starts.append(datetime.fromisoformat(cursor))
    pending_orders = connection.execute(
        select(lt_orders.c.submitted_at, lt_orders.c.updated_at)
        .join(orders, orders.c.lt_order_id == lt_orders.c.lt_order_id)
        .where(lt_orders.c.user_id == user_id)
        .where(or_(lt_orders.c.status.in_(ACTIVE_STATES),
                   and_(lt_orders.c.status == OrderState.FILLED.value, lt_orders.c.executed_shares == ZERO)))
    )
    starts += [row.submitted_at or row.updated_at for row in pending_orders]
    oldest_provisional = connection.execute(
        select(fills.c.matched_at)
        .join(lt_orders, lt_orders.c.lt_order_id == fills.c.lt_order_id)
        .where(lt_orders.c.user_id == user_id, fills.c.status.in_(PROVISIONAL))
        .order_by(fills.c.matched_at)
        .limit(1)
    ).scalar()
    if oldest_provisional is not None:
        starts.append(oldest_provisional)
    if not cursor:
        first = connection.execute(
            select(func.min(_placed_at())).where(lt_orders.c.user_id == user_id, lt_orders.c.order_id.is_not(None))
        ).scalar()
        starts += [first] if first is not None else []
    return min(starts) - window if starts else None


def _placed_at_of(row) -> datetime:
    return row.submitted_at or row.decided_at or row.created_at


def failure_text(error: Exception) -> str:
    """What to say about a user's failed pass. Venue, credential and lookup errors carry messages made
    to be shown (they name a route or an environment variable, never a secret); any other error shows
    only its type, since its text may echo what it was given."""
    if isinstance(error, VenueError):
        return error.message
    if isinstance(error, (CredentialsError, KeyError)):
        return str(error)
    return type(error).__name__
