"""A strategy's money at the moment of deciding, and the user's wallet behind it.

Exposure (what the caps limit) is the cost of positions and of what open orders may still buy;
capital also holds the taker fees paid on open positions and reserved by open BUYs, so that near full
use of capital the venue never refuses an order for "not enough balance / allowance". The wallet is
the user's collateral at the venue, shared by all the user's strategies: each tick reads it once and
spends it down as orders are decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from lt_pipeline.execution.limits import available_capital
from lt_pipeline.execution.settings import LtStrategySettings
from lt_pipeline.ledger.schema import lt_orders
from lt_pipeline.model.orders import OPEN_EXPOSURE_STATES, OrderState
from lt_pipeline.model.trading import PositionOutcome

ZERO = Decimal(0)
OPEN_STATES = {state.value for state in OPEN_EXPOSURE_STATES}


@dataclass
class StrategyBook:
    """What a strategy has committed, where, and what is left."""

    settings: LtStrategySettings
    realised_pnl: Decimal = ZERO
    realised_today: Decimal = ZERO
    exposure: Decimal = ZERO
    fees_held: Decimal = ZERO  # fees paid on open positions and reserved by open BUYs
    by_token: dict[str, Decimal] = field(default_factory=dict)

    def commit(self, token_id: str, usd: Decimal, fee: Decimal = ZERO) -> None:
        self.exposure += usd
        self.fees_held += fee
        self.by_token[token_id] = self.by_token.get(token_id, ZERO) + usd

    @property
    def available(self) -> Decimal:
        return available_capital(self.settings.starting_capital, self.realised_pnl, self.exposure + self.fees_held)


def read_strategy_book(connection: Connection, strategy: dict, now: datetime) -> StrategyBook:
    book = StrategyBook(settings_of(strategy))
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = connection.execute(
        select(
            lt_orders.c.token_id, lt_orders.c.status, lt_orders.c.outcome, lt_orders.c.intended_size_usd,
            lt_orders.c.executed_size, lt_orders.c.fees_usd, lt_orders.c.intended_fee_usd, lt_orders.c.pnl,
            lt_orders.c.resolved_at,
        ).where(lt_orders.c.strategy_id == strategy["strategy_id"])
    )
    for row in rows:
        if row.outcome != PositionOutcome.OPEN:
            book.realised_pnl += row.pnl or ZERO
            if row.resolved_at is not None and row.resolved_at >= day_start:
                book.realised_today += row.pnl or ZERO
            continue
        committed = committed_usd(row.status, row.intended_size_usd, row.executed_size)
        fee = committed_fee(row.status, row.intended_fee_usd, row.fees_usd)
        if committed or fee:
            book.commit(row.token_id, committed, fee)
    return book


def committed_usd(status: str, intended_size_usd: Decimal | None, executed_size: Decimal | None) -> Decimal:
    """What an open LT order holds against its strategy's caps and capital."""
    committed = executed_size or ZERO
    if status in OPEN_STATES:
        # The unfilled rest of a live order may still fill: it reserves room too.
        return max(committed, intended_size_usd or ZERO)
    if status == OrderState.FILLED.value and not committed:
        # Filled on entry, its fills not yet read back: count what it was sized at.
        return intended_size_usd or ZERO
    return committed


def committed_fee(status: str, intended_fee_usd: Decimal | None, fees_usd: Decimal | None) -> Decimal:
    """The fees an open LT order holds against capital: paid, or reserved while it may still fill."""
    paid = fees_usd or ZERO
    if status in OPEN_STATES or (status == OrderState.FILLED.value and not paid):
        return max(paid, intended_fee_usd or ZERO)
    return paid


def settings_of(strategy: dict) -> LtStrategySettings:
    return LtStrategySettings(**{name: strategy[name] for name in LtStrategySettings.model_fields})


class Wallets:
    """Each user's collateral at the venue for this tick: read once, spent down as BUYs are decided.
    A balance that could not be read is None: then only the venue can say no."""

    def __init__(self) -> None:
        self._left: dict[str, Decimal | None] = {}

    def known(self, user_id: str) -> bool:
        return user_id in self._left

    def set(self, user_id: str, balance: Decimal | None) -> None:
        self._left[user_id] = balance

    def room(self, user_id: str) -> Decimal | None:
        return self._left.get(user_id)

    def spend(self, user_id: str, usd: Decimal) -> None:
        if self._left.get(user_id) is not None:
            self._left[user_id] -= usd
