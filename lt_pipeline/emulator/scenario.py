"""What the emulated venue lists and who trades on it: markets, simulated traders, settlement timing.

A scenario file is YAML or JSON (chosen by the `.json` suffix); every key is optional:

    random_markets: 40          # markets drawn by the seed in addition to those listed
                                # (default 0 when `markets` is given, else 40)
    random_traders: 15          # likewise for simulated traders (default 0 / 15)
    history_markets: 60         # markets that already resolved before the venue starts, in which
                                # the simulated traders have a past (default 0: a venue with no past)
    history_days: 30            # how far back that past reaches (default 30)
    settlement:
      mined_after_seconds: 5
      confirmed_after_seconds: 15
      failure_rate: 0.0         # share of trades that go RETRYING -> FAILED
    markets:
      - question: "Will it rain in London on Friday?"   # required
        end_in_minutes: 90      # required, > 0: the market closes and resolves then
        category: weather       # default "politics"; also sets the fee schedule (emulator/fees.py)
        tags: ["Weather", "UK"] # more tag labels after the category (default none)
        fee_rate: 0.05          # taker fee rate, whole basis points (default: the category's)
        fee_exponent: 1         # exponent of the fee curve (default 1)
        fees_enabled: true      # default: true when the rate is above 0
        outcomes: ["Yes", "No"] # default Yes/No; two labels (e.g. team names)
        start_price: 0.55       # first outcome's fair price at start, strictly between 0 and 1 (default 0.5)
        outcome: "Yes"          # the hidden winner: one of `outcomes`, or "void" (pays 0.5 each);
                                # omitted: drawn from start_price, with a small chance of void
        tick: 0.01              # 0.1, 0.01, 0.001 or 0.0001 (default 0.01)
        min_size: 5             # minimum order size in shares (default 5)
        neg_risk: false
        event: "London weather" # markets with the same event title share one event (and, when
                                # neg_risk, one neg-risk market id); default: its own event
        description: ""
        depth: 300              # simulated shares per quoted level (default drawn by the seed)
        liquidity: 25000        # the liquidity figure Gamma reports, USD (default drawn by the seed)
        volume: 150000          # traded volume before the venue starts, USD (default drawn by the seed)
    traders:
      - name: "rainmaker"       # required
        pseudonym: "Gentle-Harbor"   # default derived from the seed
        address: "0x..."        # default drawn by the seed (0x + 40 hex)
        skill: 0.7              # probability of trading toward the eventual outcome, 0..1 (default 0.5)
        typical_size_usd: 100   # default 50
        trades_per_hour: 6      # default 4
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from lt_pipeline.emulator.fees import check_exponent, check_rate
from lt_pipeline.emulator.settlement import SettlementConfig
from lt_pipeline.money import BadNumber, to_decimal

VOID = "void"
VALID_TICKS = frozenset({Decimal("0.1"), Decimal("0.01"), Decimal("0.001"), Decimal("0.0001")})
DEFAULT_RANDOM_MARKETS = 40
DEFAULT_RANDOM_TRADERS = 15
DEFAULT_HISTORY_MARKETS = 60
DEFAULT_HISTORY_DAYS = 30.0
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class ScenarioError(ValueError):
    """A scenario file or dict that does not describe a venue; the message names the field."""


@dataclass(frozen=True)
class MarketSpec:
    question: str
    end_in_minutes: float
    category: str = "politics"
    outcomes: tuple[str, str] = ("Yes", "No")
    start_price: Decimal = Decimal("0.5")
    outcome: str | None = None  # winning label, VOID, or None = drawn from start_price
    tick: Decimal = Decimal("0.01")
    min_size: Decimal = Decimal("5")
    neg_risk: bool = False
    event: str | None = None
    description: str = ""
    depth: int | None = None
    liquidity: Decimal | None = None  # reported figures; None = drawn by the seed
    volume: Decimal | None = None
    tags: tuple[str, ...] = ()  # tag labels after the category
    fee_rate: Decimal | None = None  # None = the category's rate
    fee_exponent: Decimal | None = None  # None = 1
    fees_enabled: bool | None = None  # None = rate above 0


@dataclass(frozen=True)
class TraderSpec:
    name: str
    skill: float = 0.5
    typical_size_usd: Decimal = Decimal("50")
    trades_per_hour: float = 4.0
    pseudonym: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Scenario:
    markets: tuple[MarketSpec, ...] = ()
    traders: tuple[TraderSpec, ...] = ()
    random_markets: int = DEFAULT_RANDOM_MARKETS
    random_traders: int = DEFAULT_RANDOM_TRADERS
    settlement: SettlementConfig | None = None
    history_markets: int = 0
    history_days: float = DEFAULT_HISTORY_DAYS

    @classmethod
    def default(cls, markets: int = DEFAULT_RANDOM_MARKETS, traders: int = DEFAULT_RANDOM_TRADERS, *,
                history: bool = False) -> Scenario:
        """Everything drawn by the venue's seed: `markets` markets across categories and `traders` traders;
        with `history`, also a month of resolved markets the traders already traded in."""
        return cls(random_markets=markets, random_traders=traders,
                   history_markets=DEFAULT_HISTORY_MARKETS if history else 0)

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"scenario file {path}: cannot read it ({exc.strerror})") from None
        is_json = path.suffix.lower() == ".json"
        try:
            data = json.loads(text) if is_json else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise ScenarioError(f"scenario file {path}: not valid {'JSON' if is_json else 'YAML'}: {exc}") from None
        try:
            return cls.from_dict(data or {})
        except ScenarioError as exc:
            raise ScenarioError(f"scenario file {path}: {exc}") from None

    @classmethod
    def from_dict(cls, data: Any) -> Scenario:
        if not isinstance(data, dict):
            raise ScenarioError(f"expected a mapping at the top level, got {type(data).__name__}")
        markets = tuple(_market(item, f"markets[{i}]") for i, item in enumerate(_list(data, "markets")))
        traders = tuple(_trader(item, f"traders[{i}]") for i, item in enumerate(_list(data, "traders")))
        return cls(
            markets=markets,
            traders=traders,
            random_markets=_count(data, "random_markets", 0 if markets else DEFAULT_RANDOM_MARKETS),
            random_traders=_count(data, "random_traders", 0 if traders else DEFAULT_RANDOM_TRADERS),
            settlement=_settlement(data.get("settlement")),
            history_markets=_count(data, "history_markets", 0),
            history_days=_history_days(data),
        )


def _list(data: dict, key: str) -> list:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ScenarioError(f"{key}: expected a list, got {type(value).__name__}")
    return value


def _count(data: dict, key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScenarioError(f"{key}: expected a whole number of at least 0, got {value!r}")
    return value


def _history_days(data: dict) -> float:
    value = data.get("history_days", DEFAULT_HISTORY_DAYS)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 3650:
        raise ScenarioError(f"history_days: expected a number of days above 0 and at most 3650, got {value!r}")
    return float(value)


def _number(item: dict, key: str, where: str, default: Any, low: float, high: float, *, open_range: bool = False) -> Decimal:
    try:
        value = to_decimal(item.get(key, default), f"{where}.{key}")
    except BadNumber as exc:
        raise ScenarioError(str(exc)) from None
    inside = low < value < high if open_range else low <= value <= high
    if not inside:
        bounds = f"strictly between {low} and {high}" if open_range else f"between {low} and {high}"
        raise ScenarioError(f"{where}.{key}: expected a number {bounds}, got {value}")
    return value


def _text(item: dict, key: str, where: str, default: str | None = None) -> str:
    value = item.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ScenarioError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def _market(item: Any, where: str) -> MarketSpec:
    if not isinstance(item, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {type(item).__name__}")
    outcomes = item.get("outcomes", ["Yes", "No"])
    if (
        not isinstance(outcomes, list)
        or len(outcomes) != 2
        or not all(isinstance(o, str) and o.strip() for o in outcomes)
        or outcomes[0] == outcomes[1]
    ):
        raise ScenarioError(f"{where}.outcomes: expected two different labels, got {outcomes!r}")
    outcome = item.get("outcome")
    if outcome is not None and outcome not in (*outcomes, VOID):
        raise ScenarioError(f"{where}.outcome: expected one of {outcomes + [VOID]!r} or nothing, got {outcome!r}")
    tick = _number(item, "tick", where, "0.01", 0, 1)
    if tick not in VALID_TICKS:
        raise ScenarioError(f"{where}.tick: expected one of 0.1, 0.01, 0.001, 0.0001, got {tick}")
    depth = item.get("depth")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth <= 0):
        raise ScenarioError(f"{where}.depth: expected a whole number of shares above 0, got {depth!r}")
    figures = {key: _number(item, key, where, None, 0, 10**12) if item.get(key) is not None else None
               for key in ("liquidity", "volume")}
    neg_risk = item.get("neg_risk", False)
    if not isinstance(neg_risk, bool):
        raise ScenarioError(f"{where}.neg_risk: expected true or false, got {neg_risk!r}")
    event = item.get("event")
    if event is not None and (not isinstance(event, str) or not event.strip()):
        raise ScenarioError(f"{where}.event: expected a non-empty string, got {event!r}")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise ScenarioError(f"{where}.tags: expected a list of non-empty labels, got {tags!r}")
    fees = _fees(item, where)
    return MarketSpec(
        question=_text(item, "question", where),
        end_in_minutes=float(_number(item, "end_in_minutes", where, None, 0, 10**7, open_range=True)),
        category=_text(item, "category", where, "politics") or "politics",
        outcomes=(outcomes[0], outcomes[1]),
        start_price=_number(item, "start_price", where, "0.5", 0, 1, open_range=True),
        outcome=outcome,
        tick=tick,
        min_size=_number(item, "min_size", where, "5", 0, 10**9),
        neg_risk=neg_risk,
        event=event,
        description=_text(item, "description", where, ""),
        depth=depth,
        **figures,
        tags=tuple(tags),
        **fees,
    )


def _fees(item: dict, where: str) -> dict[str, Any]:
    fees: dict[str, Any] = {}
    try:
        if item.get("fee_rate") is not None:
            fees["fee_rate"] = check_rate(to_decimal(item["fee_rate"], f"{where}.fee_rate"), f"{where}.fee_rate")
        if item.get("fee_exponent") is not None:
            fees["fee_exponent"] = check_exponent(to_decimal(item["fee_exponent"], f"{where}.fee_exponent"),
                                                  f"{where}.fee_exponent")
    except ValueError as exc:  # BadNumber is a ValueError
        raise ScenarioError(str(exc)) from None
    enabled = item.get("fees_enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise ScenarioError(f"{where}.fees_enabled: expected true or false, got {enabled!r}")
    fees["fees_enabled"] = enabled
    return fees


def _trader(item: Any, where: str) -> TraderSpec:
    if not isinstance(item, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {type(item).__name__}")
    address = item.get("address")
    if address is not None and (not isinstance(address, str) or not _ADDRESS.match(address)):
        raise ScenarioError(f"{where}.address: expected 0x followed by 40 hex digits, got {address!r}")
    pseudonym = item.get("pseudonym")
    if pseudonym is not None and not isinstance(pseudonym, str):
        raise ScenarioError(f"{where}.pseudonym: expected a string, got {pseudonym!r}")
    return TraderSpec(
        name=_text(item, "name", where),
        skill=float(_number(item, "skill", where, "0.5", 0, 1)),
        typical_size_usd=_number(item, "typical_size_usd", where, "50", 0, 10**9, open_range=True),
        trades_per_hour=float(_number(item, "trades_per_hour", where, "4", 0, 3600, open_range=True)),
        pseudonym=pseudonym,
        address=address,
    )


def _settlement(item: Any) -> SettlementConfig | None:
    if item is None:
        return None
    if not isinstance(item, dict):
        raise ScenarioError(f"settlement: expected a mapping, got {type(item).__name__}")
    mined = _number(item, "mined_after_seconds", "settlement", "5", 0, 10**7)
    confirmed = _number(item, "confirmed_after_seconds", "settlement", "15", 0, 10**7)
    try:
        return SettlementConfig(
            mined_after=timedelta(seconds=float(mined)),
            confirmed_after=timedelta(seconds=float(confirmed)),
            failure_rate=float(_number(item, "failure_rate", "settlement", "0", 0, 1)),
        )
    except ValueError as exc:
        raise ScenarioError(f"settlement.{exc}") from None
