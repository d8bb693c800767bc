"""Reconciliation of the ledger with the venue, by order hash (DESIGN.md §5, invariant 2).

(a) An LT order left in flight (UNKNOWN after a lost reply, INTENT_STORED after a crash before or
during submitting, SUBMITTED without its answer recorded) is looked up by its hash once the grace has
passed: found (its order record, or trades naming it, since a FOK/FAK that matched on entry may have
no record) -> its `orders` row, fills and state are recorded; not found -> it is cancelled
defensively and marked NEVER_ARRIVED, never resubmitted; a venue read error leaves it for next time.
(b) Every venue order and trade of ours missing from the ledger is a discrepancy, repaired when its
hash is an LT order's. (c) After that, each recently active order's filled size in the ledger must
equal the venue's matched size; the differences are returned for a blocking check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, and_, exists, func, or_, select, update

from lt_pipeline.clock import Clock
from lt_pipeline.execution.fills import (
    ACTIVE_STATES,
    SAFETY_WINDOW,
    TraderForUser,
    failure_text,
    log_decision,
    placed_orders,
    record_fills,
    refresh_order_rows,
    trades_since,
    update_lt_orders,
)
from lt_pipeline.execution.lifecycle import FillStatus, OrderEvent, OrderState, transition
from lt_pipeline.execution.venue_orders import (
    OrderRecords,
    Resting,
    VenueOrder,
    VenueTrade,
    fills_of,
    our_order_ids,
    read_trades,
    signed_order_facts,
)
from lt_pipeline.ledger.schema import fills, lt_orders, orders
from lt_pipeline.ledger.writes import insert_missing, write_cursor
from lt_pipeline.money import ZERO
from lt_pipeline.venues.polymarket.models import VenueError
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

UNKNOWN_GRACE = timedelta(seconds=30)
IN_FLIGHT_STATES = (OrderState.UNKNOWN.name, OrderState.INTENT_STORED.name, OrderState.SUBMITTED.name)
GIVEN_UP_STATES = (OrderState.NEVER_ARRIVED.name, OrderState.REJECTED.name)


def reconcile_cursor(user_id: str) -> str:
    return f"lt_reconcile.trades.{user_id}"


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
    """An order whose filled size in the ledger differs from the venue's matched size."""

    user_id: str
    order_id: str
    lt_order_id: str
    ledger_filled: Decimal
    venue_matched: Decimal


@dataclass
class ReconcileReport:
    users: int = 0
    in_flight_checked: int = 0
    reconciled: int = 0  # in-flight orders found at the venue and recorded
    never_arrived: int = 0
    still_unknown: int = 0  # in-flight orders the venue could not be asked about this time
    orders_checked: int = 0  # orders whose filled size was compared with the venue's
    discrepancies: list[Discrepancy] = field(default_factory=list)
    mismatches: list[SizeMismatch] = field(default_factory=list)
    failed_users: dict[str, str] = field(default_factory=dict)
    bad_records: list[str] = field(default_factory=list)


def reconcile(
    engine: Engine,
    trader_for_user: TraderForUser,
    clock: Clock,
    *,
    unknown_grace: timedelta = UNKNOWN_GRACE,
    safety_window: timedelta = SAFETY_WINDOW,
) -> ReconcileReport:
    """Reconcile every user who ever placed an order; one user's failure is reported, not raised."""
    report = ReconcileReport()
    with engine.connect() as connection:
        users = list(connection.execute(
            select(lt_orders.c.user_id).where(lt_orders.c.order_id.is_not(None)).distinct().order_by(lt_orders.c.user_id)
        ).scalars())
    for user_id in users:
        report.users += 1
        try:
            _UserReconciliation(engine, trader_for_user(user_id), user_id, clock, unknown_grace, safety_window, report).run()
        except Exception as error:  # one user's venue or credential failure never stops the others
            report.failed_users[user_id] = failure_text(error)
            log.warning("reconciliation of user %s failed: %s", user_id, report.failed_users[user_id])
    return report


class _UserReconciliation:
    """One user's pass. Every venue call (reads, defensive cancels) comes first, orders before trades;
    then one transaction writes what was learnt; then filled sizes are compared."""

    def __init__(self, engine: Engine, trader: ClobTrader, user_id: str, clock: Clock, grace: timedelta,
                 window: timedelta, report: ReconcileReport) -> None:
        self.engine, self.trader, self.user_id, self.clock = engine, trader, user_id, clock
        self.grace, self.window, self.report = grace, window, report
        self.venue = OrderRecords(trader, report.bad_records)

    def run(self) -> None:
        now = self.clock.now()
        with self.engine.connect() as connection:
            in_flight = _in_flight(connection, self.user_id, now - self.grace)
            placed = placed_orders(connection, self.user_id)
            to_check = _recently_active(connection, self.user_id, now - self.window)
            starts = [_placed_at_of(row) for row in in_flight] + [at for at in to_check.values() if at]
            since = _earliest(trades_since(connection, self.user_id, reconcile_cursor(self.user_id), self.window),
                              [at - self.window for at in starts])
        open_now = self.venue.read_open()
        self.venue.read([row.order_id for row in in_flight] + list(to_check))
        trades = read_trades(self.trader, since, self.report.bad_records)

        found, lost, unknown = self._look_up(in_flight, trades)
        with self.engine.connect() as connection:
            strays = self._strays(connection, open_now, trades, set(placed) | {row.order_id for row in found}, now)
        late = [row for row, _, _ in strays if row is not None]
        self.venue.read([row.order_id for row in late])
        # An order the ledger gave up on (never arrived, rejected) that rests at the venue after all, e.g.
        # a submit slower than the grace: it was never meant to be placed again, so it is cancelled.
        given_up = [oid for oid in open_now if oid in placed and placed[oid].status in GIVEN_UP_STATES]
        self._cancel_resting([row.order_id for row in late] + given_up)
        found += late
        self.report.discrepancies += [
            Discrepancy(self.user_id, "order", oid, None, True,
                        f"open at the venue although its LT order is {placed[oid].status}: cancelled")
            for oid in given_up
        ]

        with self.engine.begin() as connection:
            for row, why in unknown:
                self._keep_unknown(connection, row, why, now)
            for row in lost:
                self._never_arrived(connection, row, now)
            adopted = {row.order_id: row.lt_order_id for row in found}
            for row in found:
                self._adopt(connection, row, now)
            self._report_strays(strays, adopted)
            ledger_of = {oid: p.lt_order_id for oid, p in placed.items()} | adopted
            changes = record_fills(connection, [f for t in trades for f in fills_of(t, ledger_of)], ledger_of, now)
            # Fills of orders the ledger already held are discrepancies; an adopted order's are its own news.
            self.report.discrepancies += [
                Discrepancy(self.user_id, "fill", order_id, trade_id, True, "fill missing from the ledger, recorded")
                for trade_id, order_id in (fill_id.split(":", 1) for fill_id in changes.new_fill_ids)
                if order_id in placed
            ]
            refresh_order_rows(connection, {oid: rec for oid, rec in self.venue.records.items() if oid in ledger_of}, now)
            touched = changes.lt_order_ids | set(adopted.values()) | {ledger_of[oid] for oid in to_check}
            update_lt_orders(connection, touched, self._resting(connection, ledger_of, touched), now)
            if trades:
                write_cursor(connection, reconcile_cursor(self.user_id), max(t.match_time for t in trades).isoformat(), now)
        self._compare_sizes(set(to_check) | set(adopted), trades)

    # --- where each order stands at the venue ---------------------------------------------------------------

    def _resting(self, connection: Connection, ledger_of: dict[str, str], touched: set[str]) -> dict:
        hashes = [oid for oid, lt_id in ledger_of.items() if lt_id in touched]
        order_types = dict(connection.execute(
            select(orders.c.order_id, orders.c.order_type).where(orders.c.order_id.in_(hashes))
        ).all()) if hashes else {}
        return {ledger_of[oid]: self.venue.resting(oid, order_types.get(oid)) for oid in hashes}

    # --- (a) orders left in flight ----------------------------------------------------------------------

    def _look_up(self, in_flight: list, trades: list[VenueTrade]) -> tuple[list, list, list]:
        """Sort in-flight orders into found at the venue, never arrived (after a defensive cancel), and
        still unknown (the venue could not be asked)."""
        in_trades = {oid for trade in trades for oid in (trade.taker_order_id, *(leg.order_id for leg in trade.maker_orders))}
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
                    self.venue.read([order_id], again=True)
                    found.append(row)
                else:
                    lost.append(row)
        return found, lost, unknown

    def _adopt(self, connection: Connection, row, now: datetime) -> None:
        """Record an order the venue has: its `orders` row; an LT order still in flight moves to UNKNOWN,
        from where the venue's own reports (applied by `update_lt_orders`) take it."""
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
            "status": record.status if record else "MATCHED",
            "last_seen_at": now,
            "created_at": now,
            "updated_at": now,
        }], ["order_id"])
        values = {"updated_at": now, "submitted_at": row.submitted_at or (record.created_at if record else None) or now}
        if row.status in (OrderState.INTENT_STORED.name, OrderState.SUBMITTED.name):
            values["status"] = transition(OrderState[row.status], OrderEvent.OUTCOME_UNKNOWN).name
        connection.execute(
            update(lt_orders).where(lt_orders.c.lt_order_id == row.lt_order_id, lt_orders.c.status == row.status).values(**values)
        )
        venue_says = f"{record.status}, {record.size_matched:f} of {record.original_size:f} shares matched" if record \
            else "no order record, but trades name it (a FOK/FAK matched on entry)"
        how = "found at the venue by its hash" if row.status in IN_FLIGHT_STATES \
            else f"at the venue although the ledger had it {row.status}"
        log_decision(connection, row._mapping, "RECONCILED", f"{how}: {venue_says}",
                     {"order_id": row.order_id, "previous_status": row.status}, now)
        self.report.reconciled += 1

    def _never_arrived(self, connection: Connection, row, now: datetime) -> None:
        state = OrderState[row.status]
        if state != OrderState.UNKNOWN:
            state = transition(state, OrderEvent.OUTCOME_UNKNOWN)
        state = transition(state, OrderEvent.NOT_FOUND)
        moved = connection.execute(
            update(lt_orders).where(lt_orders.c.lt_order_id == row.lt_order_id, lt_orders.c.status == row.status)
            .values(status=state.name, updated_at=now)
        )
        if moved.rowcount != 1:
            return
        log_decision(
            connection, row._mapping, "RECONCILED",
            f"never arrived: the venue has no order or trade with hash {row.order_id}; cancelled defensively, not resubmitted",
            {"order_id": row.order_id, "previous_status": row.status}, now,
        )
        self.report.never_arrived += 1

    def _keep_unknown(self, connection: Connection, row, why: str, now: datetime) -> None:
        self.report.still_unknown += 1
        if row.status == OrderState.UNKNOWN.name:
            return
        # The intent may or may not have gone out: say so until the venue can be asked.
        moved = connection.execute(
            update(lt_orders).where(lt_orders.c.lt_order_id == row.lt_order_id, lt_orders.c.status == row.status)
            .values(status=OrderState.UNKNOWN.name, updated_at=now)
        )
        if moved.rowcount == 1:
            log_decision(connection, row._mapping, "UNKNOWN", f"outcome unknown, the venue could not be asked: {why}",
                         {"order_id": row.order_id, "previous_status": row.status}, now)

    # --- (b) venue orders and trades the ledger lacks -----------------------------------------------------

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
            if row is not None and row.status in IN_FLIGHT_STATES and _placed_at_of(row) > now - self.grace:
                continue
            strays.append((row, order_id, trade_id))
        return strays

    def _cancel_resting(self, order_ids: list[str]) -> None:
        resting = [oid for oid in order_ids if (rec := self.venue.get(oid)) is not None and rec.resting == Resting.OPEN]
        if not resting:
            return
        try:
            self.trader.cancel(resting)
        except VenueError as error:
            log.warning("cancel of %d order(s) placed against the ledger's word failed: %s", len(resting), error.message)
        self.venue.read(resting, again=True)

    def _report_strays(self, strays: list[tuple], adopted: dict[str, str]) -> None:
        for row, order_id, trade_id in strays:
            kind = "order" if trade_id is None else "fill"
            if row is None:
                detail = f"venue {kind} of ours that no LT order placed"
            else:
                detail = f"venue {kind} of LT order {row.lt_order_id} ({row.status}) missing from the ledger, recorded"
            self.report.discrepancies.append(Discrepancy(self.user_id, kind, order_id, trade_id, order_id in adopted, detail))

    # --- (c) filled size per order --------------------------------------------------------------------------

    def _compare_sizes(self, order_ids: set[str], trades: list[VenueTrade]) -> None:
        if not order_ids:
            return
        with self.engine.connect() as connection:
            lt_of = dict(connection.execute(
                select(orders.c.order_id, orders.c.lt_order_id).where(orders.c.order_id.in_(sorted(order_ids)))
            ).all())
            filled = _ledger_filled(connection, list(lt_of))
        differing = []
        for order_id in sorted(lt_of):
            if order_id in self.venue.unreadable:
                continue
            self.report.orders_checked += 1
            if self._venue_matched(order_id, trades) != filled.get(order_id, ZERO):
                differing.append(order_id)
        # A match between the order read and the trades read shows as a difference once: read again.
        self.venue.read([oid for oid in differing if self.venue.get(oid) is not None], again=True)
        for order_id in differing:
            venue, ledger = self._venue_matched(order_id, trades), filled.get(order_id, ZERO)
            if order_id not in self.venue.unreadable and venue != ledger:
                self.report.mismatches.append(SizeMismatch(self.user_id, order_id, lt_of[order_id], ledger, venue))

    def _venue_matched(self, order_id: str, trades: list[VenueTrade]) -> Decimal:
        record = self.venue.get(order_id)
        if record is not None:
            return record.size_matched
        # No record (a FOK/FAK): what the venue's trades say it matched.
        return sum((f.size for t in trades for f in fills_of(t, {order_id}) if f.status != FillStatus.FAILED), ZERO)


def _placed_at():
    """When an order went (or may have gone) out: its submit time, else when its intent was stored. The
    grace runs from there, not from later state changes, so moving it to UNKNOWN does not restart it."""
    return func.coalesce(lt_orders.c.submitted_at, lt_orders.c.decided_at, lt_orders.c.created_at)


def _in_flight(connection: Connection, user_id: str, older_than: datetime) -> list:
    has_order_row = exists().where(orders.c.lt_order_id == lt_orders.c.lt_order_id)
    return list(connection.execute(
        select(lt_orders)
        .where(lt_orders.c.user_id == user_id, lt_orders.c.order_id.is_not(None), _placed_at() <= older_than)
        .where(or_(
            lt_orders.c.status.in_((OrderState.UNKNOWN.name, OrderState.INTENT_STORED.name)),
            and_(lt_orders.c.status == OrderState.SUBMITTED.name, ~has_order_row),
        ))
        .order_by(lt_orders.c.updated_at, lt_orders.c.lt_order_id)
    ))


def _recently_active(connection: Connection, user_id: str, since: datetime) -> dict[str, datetime | None]:
    """Orders whose filled size is compared with the venue's, with when they were submitted: open
    ones, and those that changed within the window."""
    rows = connection.execute(
        select(orders.c.order_id, lt_orders.c.submitted_at)
        .join(lt_orders, lt_orders.c.lt_order_id == orders.c.lt_order_id)
        .where(lt_orders.c.user_id == user_id)
        .where(or_(lt_orders.c.status.in_(ACTIVE_STATES), lt_orders.c.updated_at >= since, orders.c.updated_at >= since))
    )
    return {row.order_id: row.submitted_at for row in rows}


def _ledger_filled(connection: Connection, order_ids: list[str]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    if not order_ids:
        return totals
    rows = connection.execute(
        select(fills.c.order_id, fills.c.size)
        .where(fills.c.order_id.in_(order_ids), fills.c.status != FillStatus.FAILED.value)
    )
    for row in rows:  # summed in Python: SQLite keeps these decimals as text
        totals[row.order_id] = totals.get(row.order_id, ZERO) + row.size
    return totals


def _placed_at_of(row) -> datetime:
    return row.submitted_at or row.decided_at or row.created_at


def _earliest(start: datetime | None, others: list[datetime]) -> datetime | None:
    candidates = ([start] if start is not None else []) + others
    return min(candidates) if candidates else None
