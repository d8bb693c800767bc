"""Plausible random markets and traders for the default scenario, drawn from a seeded RNG:
questions across categories, neg-risk multi-candidate events, horizons from minutes to weeks (a
few short crypto Up/Down markets always among them), hidden outcomes consistent with the starting
price, the liquidity and volume figures Gamma reports, and traders of varied skill, size and pace."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from lt_pipeline.emulator.scenario import VOID, MarketSpec, TraderSpec

VOID_SHARE = 0.03
NEG_RISK_SHARE = 0.15
SHORT_SHARE = 0.15  # of a listing: crypto Up/Down markets ending 10-30 minutes out, so a short session sees resolutions
SHORT_MINUTES = (10, 15, 15, 20, 30)
TYPICAL_SIZES_USD = (20, 30, 50, 75, 100, 150, 200, 300, 500)
LIQUIDITY_RANGE = (2_000, 200_000)  # USD, as Gamma reports it
VOLUME_RANGE = (5_000, 2_000_000)
DAILY_VOLUME_RANGE = (2_000, 120_000)  # the crowd's trading per day in one market, USD

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_PEOPLE = ["Alvarez", "Okafor", "Lindqvist", "Tanaka", "Moreau", "Kowalski", "Haddad", "Brennan",
           "Castillo", "Novak", "Iyer", "Schmidt"]
_PLACES = ["Ohio", "Bavaria", "Ontario", "Victoria", "Catalonia", "Lombardy", "Texas", "Quebec"]
_TEAMS = ["Falcons", "Wolves", "Sharks", "Comets", "Rangers", "Titans", "Herons", "Bulldogs",
          "Pirates", "Giants", "Vipers", "Owls"]
_COINS = [("Bitcoin", 60000, 120000), ("Ethereum", 2000, 6000), ("Solana", 80, 400), ("XRP", 1, 5)]
_CITIES = ["London", "Chicago", "Tokyo", "Madrid", "Sydney", "Toronto", "Berlin", "Mumbai"]
_FILMS = ["Starfall", "The Last Orchard", "Neon Tide", "Paper Kings", "Hollow Crown II", "Glasswing"]
_COMPANIES = [("OpenLab", "a new flagship model"), ("Fruitco", "a foldable phone"),
              ("Rocketworks", "an orbital refuelling test"), ("Voltmotors", "a $25k car")]
_ADJECTIVES = ["Gentle", "Brisk", "Silent", "Golden", "Crimson", "Lucky", "Clever", "Distant", "Frosty",
               "Bold", "Quiet", "Rapid", "Shiny", "Wild", "Calm", "Hidden"]
_NOUNS = ["Harbor", "Falcon", "Meadow", "Comet", "Otter", "Summit", "Lantern", "Pebble", "Canyon",
          "Willow", "Raven", "Ember", "Glacier", "Orchid", "Badger", "Tide"]
_HANDLES = ["whale", "degen", "oracle", "quant", "sharp", "fade", "alpha", "edge", "lurker", "punter",
            "tape", "macro"]


def random_markets(rng: random.Random, count: int) -> list[MarketSpec]:
    specs = [short_market(rng) for _ in range(round(count * SHORT_SHARE))]
    while len(specs) < count:
        if count - len(specs) >= 3 and rng.random() < NEG_RISK_SHARE:
            specs.extend(_neg_risk_event(rng, min(count - len(specs), rng.randint(3, 4))))
        else:
            specs.append(_binary(rng))
    return specs


def random_traders(rng: random.Random, count: int) -> list[TraderSpec]:
    traders = []
    for _ in range(count):
        # a few sharp traders, a crowd near coin-flip, a few reliably wrong
        skill = rng.choice([rng.uniform(0.75, 0.92), rng.uniform(0.45, 0.65), rng.uniform(0.45, 0.65),
                            rng.uniform(0.25, 0.45)])
        traders.append(TraderSpec(
            name=f"{rng.choice(_HANDLES)}{rng.choice(['', '_', '.'])}{rng.randint(1, 999)}",
            pseudonym=f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}",
            skill=round(skill, 3),
            typical_size_usd=Decimal(rng.choice(TYPICAL_SIZES_USD)),
            trades_per_hour=round(rng.uniform(2, 30), 2),
        ))
    return traders


def short_market(rng: random.Random) -> MarketSpec:
    """A crypto Up/Down market over the next 10-30 minutes, priced near a coin flip (never void)."""
    coin = rng.choice(_COINS)[0]
    minutes = rng.choice(SHORT_MINUTES)
    price = round(rng.uniform(0.42, 0.58), 2)
    outcomes = ("Up", "Down")
    return MarketSpec(
        question=f"{coin} Up or Down in the next {minutes} minutes?",
        end_in_minutes=float(minutes),
        category="crypto",
        outcomes=outcomes,
        start_price=Decimal(str(price)),
        outcome=outcomes[0] if rng.random() < price else outcomes[1],  # a price move is never voided
        depth=rng.choice([200, 300, 500]),
    )


def replacement_market(rng: random.Random, short: bool) -> MarketSpec:
    """A market listed when one resolves, of the same kind (short Up/Down or any other), so the mix
    of horizons stays the same however long the venue runs."""
    return short_market(rng) if short else _binary(rng)


def market_figures(rng: random.Random, age_days: float) -> tuple[Decimal, float]:
    """(liquidity in USD, the crowd's volume per day in USD) for a market `age_days` old: deep
    markets trade more, and both spread over orders of magnitude as on the real venue. The rate keeps
    the volume traded so far (rate x age) inside the realistic range, so a market only minutes old
    is a busy one (like the real short crypto markets)."""
    daily = _log_uniform(rng, *DAILY_VOLUME_RANGE)
    liquidity = min(max(daily * rng.uniform(0.4, 2.5), LIQUIDITY_RANGE[0]), LIQUIDITY_RANGE[1])
    age_days = max(age_days, 1 / 1440)
    rate = min(max(daily * age_days, VOLUME_RANGE[0]), VOLUME_RANGE[1]) / age_days
    return Decimal(round(liquidity)), rate


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _horizon_minutes(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.1:
        return round(rng.uniform(30, 120), 1)
    if roll < 0.5:
        return round(rng.uniform(120, 24 * 60), 1)
    return round(rng.uniform(24 * 60, 30 * 24 * 60), 1)


def _tick(rng: random.Random, price: float) -> Decimal:
    # the real venue moves long shots and near-certainties to the finer tick
    if price < 0.05 or price > 0.95 or rng.random() < 0.15:
        return Decimal("0.001")
    return Decimal("0.01")


def _drawn_outcome(rng: random.Random, outcomes: tuple[str, str], price: float) -> str:
    if rng.random() < VOID_SHARE:
        return VOID
    return outcomes[0] if rng.random() < price else outcomes[1]


def _binary(rng: random.Random) -> MarketSpec:
    category = rng.choice(["politics", "sports", "crypto", "economics", "culture", "tech", "weather"])
    outcomes = ("Yes", "No")
    month = rng.choice(_MONTHS)
    minutes = _horizon_minutes(rng)
    if category == "politics":
        question = rng.choice([
            f"Will {rng.choice(_PEOPLE)} win the {rng.choice(_PLACES)} governor race?",
            f"Will the {rng.choice(_PLACES)} budget bill pass by {month}?",
            f"Will {rng.choice(_PEOPLE)} resign before {month}?",
        ])
    elif category == "sports":
        home, away = rng.sample(_TEAMS, 2)
        question, outcomes = f"{home} vs. {away}", (home, away)
    elif category == "crypto":
        coin, low, high = rng.choice(_COINS)
        if minutes < 60:
            question = f"{coin} Up or Down in the next {int(minutes)} minutes?"
            outcomes = ("Up", "Down")
        else:
            question = f"Will {coin} be above ${rng.randrange(low, high):,} on {month} {rng.randint(1, 28)}?"
    elif category == "economics":
        question = rng.choice([
            f"Will the Fed cut rates in {month}?",
            f"Will US CPI YoY be above {rng.choice(['2.5', '3.0', '3.5'])}% for {month}?",
            f"Will US unemployment reach {rng.choice(['4.5', '5.0'])}% by {month}?",
        ])
    elif category == "culture":
        question = f"Will {rng.choice(_FILMS)} gross over ${rng.choice([50, 100, 150])}M on opening weekend?"
    elif category == "tech":
        company, product = rng.choice(_COMPANIES)
        question = f"Will {company} release {product} by {month}?"
    else:
        question = f"Will {rng.choice(_CITIES)} see more than {rng.randint(1, 6)} inches of rain in {month}?"
    price = round(rng.uniform(0.08, 0.92), 2)
    return MarketSpec(
        question=question,
        end_in_minutes=minutes,
        category=category,
        outcomes=outcomes,
        start_price=Decimal(str(price)),
        outcome=_drawn_outcome(rng, outcomes, price),
        tick=_tick(rng, price),
        depth=rng.choice([100, 200, 300, 500, 1000]),
    )


def _neg_risk_event(rng: random.Random, size: int) -> list[MarketSpec]:
    """Several Yes/No markets of one event where exactly one answer wins (an election, a title)."""
    kind = rng.choice(["politics", "sports", "culture"])
    if kind == "politics":
        names = rng.sample(_PEOPLE, size)
        title = f"{rng.choice(_PLACES)} Senate election winner"
        question = "Will {} win the " + title.replace(" winner", "") + "?"
    elif kind == "sports":
        names = rng.sample(_TEAMS, size)
        title = f"Champion {rng.randint(2026, 2028)}"
        question = "Will the {} win the championship?"
    else:
        names = rng.sample(_FILMS, size)
        title = "Best Picture winner"
        question = "Will {} win Best Picture?"
    weights = [rng.uniform(0.2, 1.0) for _ in names]
    total = sum(weights)
    winner = rng.choices(range(size), weights=weights)[0]
    minutes = _horizon_minutes(rng)
    specs = []
    for i, name in enumerate(names):
        price = min(0.9, max(0.03, round(weights[i] / total, 2)))
        specs.append(MarketSpec(
            question=question.format(name),
            end_in_minutes=minutes,
            category=kind,
            start_price=Decimal(str(price)),
            outcome="Yes" if i == winner else "No",
            tick=_tick(rng, price),
            neg_risk=True,
            event=title,
            depth=rng.choice([200, 300, 500]),
        ))
    return specs
