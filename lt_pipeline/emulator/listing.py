"""Turn a scenario into what the venue lists: Market objects with real-looking ids, slugs and
events, each with its hidden outcome and fair-price path, and the simulated traders' profiles."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from lt_pipeline.emulator.catalog import VOID_SHARE, random_markets, random_traders
from lt_pipeline.emulator.ids import IdFactory
from lt_pipeline.emulator.scenario import VOID, MarketSpec, Scenario, TraderSpec
from lt_pipeline.emulator.simulator import PricePath, SimulatedMarket, SimulatedTrader
from lt_pipeline.emulator.types import Market, SimTrader, Token

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")[:80] or "market"


def list_markets(scenario: Scenario, rng: random.Random, ids: IdFactory, start: datetime) -> list[SimulatedMarket]:
    specs = list(scenario.markets) + random_markets(rng, scenario.random_markets)
    events: dict[str, tuple[str, str, str]] = {}  # event title -> (event id, event slug, neg-risk id)
    event_slugs: set[str] = set()
    market_slugs: set[str] = set()
    listed = []
    for spec in specs:
        title = spec.event or spec.question
        if spec.event is None or title not in events:
            events[title] = (str(ids.number(10_000, 999_999)), _unique(slugify(title), event_slugs),
                             ids.hex32() if spec.neg_risk else "")
        event_id, event_slug, neg_risk_id = events[title]
        listed.append(_simulated_market(spec, rng, ids, start, event_id, event_slug,
                                        neg_risk_id if spec.neg_risk else "", _unique(slugify(spec.question), market_slugs)))
    return listed


def list_traders(scenario: Scenario, rng: random.Random, ids: IdFactory) -> list[SimulatedTrader]:
    specs: list[TraderSpec] = list(scenario.traders) + random_traders(rng, scenario.random_traders)
    traders = []
    for spec in specs:
        profile = SimTrader(
            address=spec.address or ids.address(),
            name=spec.name,
            pseudonym=spec.pseudonym or f"{spec.name.title()}-{ids.number(100, 999)}",
            skill=spec.skill,
            typical_size_usd=spec.typical_size_usd,
            trades_per_hour=spec.trades_per_hour,
        )
        traders.append(SimulatedTrader(profile, random.Random(rng.getrandbits(64))))
    return traders


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate


def _winner_index(spec: MarketSpec, rng: random.Random) -> int | None:
    if spec.outcome == VOID:
        return None
    if spec.outcome is not None:
        return spec.outcomes.index(spec.outcome)
    if rng.random() < VOID_SHARE:
        return None
    return 0 if rng.random() < float(spec.start_price) else 1


def _simulated_market(spec: MarketSpec, rng: random.Random, ids: IdFactory, start: datetime, event_id: str,
                      event_slug: str, neg_risk_id: str, slug: str) -> SimulatedMarket:
    life = timedelta(minutes=spec.end_in_minutes)
    market = Market(
        condition_id=ids.hex32(),
        question_id=ids.hex32(),
        question=spec.question,
        slug=slug,
        category=spec.category,
        event_id=event_id,
        event_slug=event_slug,
        tokens=(Token(ids.token_id(), spec.outcomes[0], 0), Token(ids.token_id(), spec.outcomes[1], 1)),
        neg_risk=spec.neg_risk,
        neg_risk_market_id=neg_risk_id,
        tick_size=spec.tick,
        min_order_size=spec.min_size,
        fee_rate_bps=0,
        created_at=start - timedelta(hours=rng.randint(1, 24 * 30)),
        end_date=start + life,
        description=spec.description or f"This market resolves to the outcome of: {spec.question}",
    )
    winner = _winner_index(spec, rng)
    path = PricePath(rng.getrandbits(64), float(spec.start_price), None if winner is None else float(1 - winner),
                     life.total_seconds())
    depth = spec.depth or rng.choice([100, 200, 300, 500, 1000])
    return SimulatedMarket(market, path, winner, depth, rng.getrandbits(40))
