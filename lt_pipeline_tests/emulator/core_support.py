"""Shared set-up for the venue-core tests: a quiet one-market venue on a simulated clock, and
orders as the wire layer would hand them over."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from decimal import Decimal

from lt_pipeline.clock import SimulatedClock
from lt_pipeline.emulator.scenario import MarketSpec, Scenario
from lt_pipeline.emulator.venue import Venue
from lt_pipeline.emulator.types import IncomingOrder

START = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
ALICE = "0xA11cE00000000000000000000000000000000001"
BOB = "0xB0B0000000000000000000000000000000000002"
_ids = itertools.count(1)

D = Decimal


def quiet_venue(*, outcome: str = "Yes", end_in_minutes: float = 24 * 60, faucet: str = "1000",
                **kwargs) -> tuple[Venue, SimulatedClock]:
    """One Yes/No market, no simulated traders, simulation paused: only the test moves the book."""
    clock = SimulatedClock(START)
    scenario = Scenario(
        markets=(MarketSpec(question="Will it rain in London on Friday?", end_in_minutes=end_in_minutes,
                            outcome=outcome, depth=100),),
        random_markets=0,
        random_traders=0,
    )
    venue = Venue(clock, seed=7, scenario=scenario, faucet=D(faucet), paused=kwargs.pop("paused", True), **kwargs)
    for address in (ALICE, BOB):
        venue.open_account(address)
    return venue, clock


def tokens(venue: Venue) -> tuple[str, str]:
    market = venue.markets()[0]
    return market.tokens[0].token_id, market.tokens[1].token_id


def order(token_id: str, side: str, price: str, size: str, *, maker: str = ALICE, order_type: str = "GTC",
          post_only: bool = False, expiration: int = 0, order_id: str | None = None) -> IncomingOrder:
    price_d, size_d = D(price), D(size)
    cash = price_d * size_d
    return IncomingOrder(
        order_id=order_id or f"0x{next(_ids):064x}",
        owner=f"key-{maker[-4:]}",
        maker=maker,
        signer=maker,
        token_id=token_id,
        side=side,
        price=price_d,
        size=size_d,
        maker_amount=cash if side == "BUY" else size_d,
        taker_amount=size_d if side == "BUY" else cash,
        order_type=order_type,
        post_only=post_only,
        expiration=expiration,
        signature_type=0,
    )


def owner_of(maker: str) -> str:
    return f"key-{maker[-4:]}"
