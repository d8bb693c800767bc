"""Turn a scenario into what the venue lists: Market objects with real-looking ids, slugs and
events, each with its hidden outcome, fair-price path and reported figures, and the simulated
traders' profiles. A `Listing` keeps slugs unique across everything one venue ever lists: the
opening markets, markets that resolved before it opened, and markets listed as others resolve."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from lt_pipeline.emulator.catalog import VOID_SHARE, market_figures, random_markets, random_traders
from lt_pipeline.emulator.fees import DEFAULT_EXPONENT, schedule_for
from lt_pipeline.emulator.ids import IdFactory
from lt_pipeline.emulator.scenario import VOID, MarketSpec, Scenario, TraderSpec
from lt_pipeline.emulator.simulator import DAY, PricePath, SimulatedMarket, SimulatedTrader
from lt_pipeline.emulator.types import Market, SimTrader, Token

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
SHORT_HORIZON_MINUTES = 60  # a market listed to end within the hour is a short one (Up/Down style)
_FIGURES_SALT = 0x5EED_F16


def slugify(text: str) -> str:
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")[:80] or "market"


class Listing:
    """Lists markets for one venue. Markets of one call that name the same event share its id, slug
    and neg-risk id; separate calls never share an event."""

    def __init__(self, ids: IdFactory, *, slugs_of: Listing | None = None) -> None:
        """`slugs_of`: another listing of the same venue (drawing other ids) whose slugs this one avoids."""
        self._ids = ids
        self._event_slugs: set[str] = slugs_of._event_slugs if slugs_of else set()
        self._market_slugs: set[str] = slugs_of._market_slugs if slugs_of else set()

    def open(self, specs: Sequence[MarketSpec], rng: random.Random, listed_at: datetime, *,
             relist: Sequence[bool], new: bool = False, offset_seconds: float = 0.0) -> list[SimulatedMarket]:
        """Markets open for trading from `listed_at` (simulated time `offset_seconds`), each ending
        `end_in_minutes` later; `relist[i]` marks a drawn market to be replaced when it resolves.
        `new` markets were created just now; a venue's opening markets have been listed a while."""
        events = self._events_of(specs)
        listed = []
        for spec, replace in zip(specs, relist):
            event_id, event_slug, neg_risk_id = events[spec.event or spec.question] if spec.event else self._event(spec)
            short = spec.end_in_minutes <= SHORT_HORIZON_MINUTES
            if new:
                created = listed_at
            elif short:
                created = listed_at - timedelta(minutes=rng.randint(1, 10))
            else:
                created = listed_at - timedelta(hours=rng.randint(1, 24 * 30))
            market = self._market(spec, created, listed_at + timedelta(minutes=spec.end_in_minutes), event_id,
                                  event_slug, neg_risk_id)
            winner = _winner_index(spec, rng)
            life = spec.end_in_minutes * 60
            path = PricePath(rng.getrandbits(64), float(spec.start_price), None if winner is None else float(1 - winner),
                             life, offset_seconds)
            depth = spec.depth or rng.choice([100, 200, 300, 500, 1000])
            noise_key = rng.getrandbits(40)
            liquidity, per_day = _figures(spec, noise_key, (listed_at - created) / DAY)
            listed.append(SimulatedMarket(market, path, winner, depth, noise_key, base_liquidity=liquidity,
                                          crowd_per_day=per_day, relist=replace, short=short))
        return listed

    def resolved(self, specs: Sequence[MarketSpec], rng: random.Random, ends: Sequence[datetime],
                 latest: datetime) -> list[SimulatedMarket]:
        """Markets that ended at `ends[i]` and resolved soon after (never after `latest`), each
        `end_in_minutes` long, with their winner (or void) already paid out."""
        events = self._events_of(specs)
        listed = []
        for spec, end in zip(specs, ends):
            event_id, event_slug, neg_risk_id = events[spec.event or spec.question] if spec.event else self._event(spec)
            created = end - timedelta(minutes=spec.end_in_minutes)
            market = self._market(spec, created, end, event_id, event_slug, neg_risk_id)
            winner = _winner_index(spec, rng)
            market.closed = True
            market.accepting_orders = False
            market.resolved_at = min(end + timedelta(minutes=rng.randint(2, 90)), latest)
            market.voided = winner is None
            market.winner_token_id = None if winner is None else market.tokens[winner].token_id
            noise_key = rng.getrandbits(40)
            liquidity, per_day = _figures(spec, noise_key, (market.resolved_at - created) / DAY)
            listed.append(SimulatedMarket(market, None, winner, spec.depth or 100, noise_key, base_liquidity=liquidity,
                                          crowd_per_day=per_day, short=spec.end_in_minutes <= SHORT_HORIZON_MINUTES))
        return listed

    def _events_of(self, specs: Sequence[MarketSpec]) -> dict[str, tuple[str, str, str]]:
        """One event per distinct event title among `specs` (event id, slug, neg-risk id)."""
        events: dict[str, tuple[str, str, str]] = {}
        for spec in specs:
            if spec.event and spec.event not in events:
                events[spec.event] = self._event(spec)
        return events

    def _event(self, spec: MarketSpec) -> tuple[str, str, str]:
        title = spec.event or spec.question
        return (str(self._ids.number(10_000, 999_999)), _unique(slugify(title), self._event_slugs),
                self._ids.hex32() if spec.neg_risk else "")

    def _market(self, spec: MarketSpec, created: datetime, end: datetime, event_id: str, event_slug: str,
                neg_risk_id: str) -> Market:
        ids = self._ids
        return Market(
            condition_id=ids.hex32(),
            question_id=ids.hex32(),
            question=spec.question,
            slug=_unique(slugify(spec.question), self._market_slugs),
            category=spec.category,
            event_id=event_id,
            event_slug=event_slug,
            tokens=(Token(ids.token_id(), spec.outcomes[0], 0), Token(ids.token_id(), spec.outcomes[1], 1)),
            neg_risk=spec.neg_risk,
            neg_risk_market_id=neg_risk_id if spec.neg_risk else "",
            tick_size=spec.tick,
            min_order_size=spec.min_size,
            created_at=created,
            end_date=end,
            description=spec.description or f"This market resolves to the outcome of: {spec.question}",
            **_fee_fields(spec),
        )


def list_markets(scenario: Scenario, rng: random.Random, ids: IdFactory, start: datetime) -> list[SimulatedMarket]:
    """The markets a venue opens with: the scenario's own, then those drawn by the seed."""
    return opening_markets(scenario, rng, Listing(ids), start)


def opening_markets(scenario: Scenario, rng: random.Random, listing: Listing, start: datetime) -> list[SimulatedMarket]:
    drawn = random_markets(rng, scenario.random_markets)
    specs = list(scenario.markets) + drawn
    return listing.open(specs, rng, start, relist=[False] * len(scenario.markets) + [True] * len(drawn))


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


def _fee_fields(spec: MarketSpec) -> dict:
    """The market's tags (its category first) and fee schedule: the category's unless the spec sets one."""
    default = schedule_for(spec.category)
    rate = spec.fee_rate if spec.fee_rate is not None else default.rate
    enabled = spec.fees_enabled if spec.fees_enabled is not None else rate > 0
    tags = (spec.category, *(t for t in spec.tags if t != spec.category))
    return {"fees_enabled": enabled, "fee_rate": rate, "fee_exponent": spec.fee_exponent or DEFAULT_EXPONENT,
            "tags": tags}


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


def _figures(spec: MarketSpec, noise_key: int, age_days: float):
    """(base liquidity, crowd volume per day): the scenario's figures where given, else drawn from
    the market's own key (so drawing them moves no other draw of the seed)."""
    liquidity, per_day = market_figures(random.Random(noise_key ^ _FIGURES_SALT), age_days)
    if spec.liquidity is not None:
        liquidity = spec.liquidity
    if spec.volume is not None:
        per_day = float(spec.volume) / max(age_days, 1 / 24)
    return liquidity, per_day
