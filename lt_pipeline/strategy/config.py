"""FT wallet configuration: the pydantic models, the YAML loader with its parameter grid, and the
hash/diff that give FT config changes a version history.

A wallet file holds `wallets:` (hand-written strategies) and optionally `grid:` (a base wallet and
lists of values whose cartesian product generates FT_GRID_001, FT_GRID_002, ...). Any problem is one
`WalletConfigError` naming the file, the wallet, the field, what was expected and what was found.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from lt_pipeline.money import BadNumber, to_decimal

SIZING_METHODS = ("fixed_usd", "bankroll_pct", "kelly", "conviction")
FOLLOW_ALL = "all"
DEFAULT_WALLETS_FILE = Path(__file__).with_name("ft_wallets.yaml")


class WalletConfigError(ValueError):
    """A wallet file that cannot be used, with one message saying where and why."""


class FieldProblem(ValueError):
    """A cross-field check's failure, carrying the field to blame (pydantic only knows the model)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _shown(value: object) -> str:
    """A found value as the YAML author would recognise it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(
    expected: str, low: Decimal | None = None, high: Decimal | None = None, *, low_open: bool = False
) -> BeforeValidator:
    """A Decimal parsed exactly from YAML, refused with `expected` when outside [low, high]."""

    def parse(value: object) -> Decimal:
        try:
            number = to_decimal(value, "value")
        except BadNumber:
            raise ValueError(f"expected {expected}, got {_shown(value)}") from None
        too_low = low is not None and (number < low or (low_open and number == low))
        too_high = high is not None and number > high
        if too_low or too_high:
            raise ValueError(f"expected {expected}, got {_shown(value)}")
        return number

    return BeforeValidator(parse)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValueError(f"expected a whole number of at least 0, got {_shown(value)}")
    try:
        number = to_decimal(value, "value")
    except BadNumber:
        raise ValueError(f"expected a whole number of at least 0, got {_shown(value)}") from None
    if number < 0 or number != number.to_integral_value():
        raise ValueError(f"expected a whole number of at least 0, got {_shown(value)}")
    return int(number)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected non-empty text, got {_shown(value)}")
    return value.strip()


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_shown(value)}")
    return value


_WALLET_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")


def _wallet_id(value: object) -> str:
    if not isinstance(value, str) or not _WALLET_ID.match(value) or len(value) > 64:
        raise ValueError(
            f"expected an upper snake id of at most 64 characters (e.g. FT_HIGH_CONVICTION), got {_shown(value)}"
        )
    return value


_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _traders(value: object) -> str | tuple[str, ...]:
    """'all' follows every tracked trader; otherwise a sorted, de-duplicated list of lowercase addresses."""
    expected = "'all' or a list of trader addresses (0x followed by 40 hex digits)"
    if isinstance(value, str) and value.strip().lower() == FOLLOW_ALL:
        return FOLLOW_ALL
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected {expected}, got {_shown(value)}")
    for position, address in enumerate(value, start=1):
        if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
            raise ValueError(f"expected {expected}, got {_shown(address)} as address #{position}")
    return tuple(sorted({address.strip().lower() for address in value}))


def _categories(value: object) -> tuple[str, ...]:
    """Category names compared case-insensitively, so they are kept lowercase; empty allows all."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(c, str) and c.strip() for c in value):
        raise ValueError(f"expected a list of category names (empty for all), got {_shown(value)}")
    return tuple(sorted({category.strip().lower() for category in value}))


WalletId = Annotated[str, BeforeValidator(_wallet_id)]
Text = Annotated[str, BeforeValidator(_text)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Count = Annotated[int, BeforeValidator(_count)]
Price = Annotated[Decimal, _number("a number between 0 and 1", Decimal(0), Decimal(1))]
WinRate = Annotated[Decimal, _number("a win rate between 0 and 1", Decimal(0), Decimal(1))]
Ratio = Annotated[Decimal, _number("a number (e.g. 0.05 for +5%)")]
Multiple = Annotated[Decimal, _number("a number of at least 0", Decimal(0))]
PositiveMultiple = Annotated[Decimal, _number("a number above 0", Decimal(0), low_open=True)]
Minutes = Annotated[Decimal, _number("a number of minutes of at least 0", Decimal(0))]
Usd = Annotated[Decimal, _number("a dollar amount above 0", Decimal(0), low_open=True)]
UsdOrZero = Annotated[Decimal, _number("a dollar amount of at least 0", Decimal(0))]
Percent = Annotated[Decimal, _number("a percent above 0 and at most 100", Decimal(0), Decimal(100), low_open=True)]
Fraction = Annotated[Decimal, _number("a fraction above 0 and at most 1", Decimal(0), Decimal(1), low_open=True)]
Traders = Annotated[Literal["all"] | tuple[str, ...], BeforeValidator(_traders)]
Categories = Annotated[tuple[str, ...], BeforeValidator(_categories)]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WalletFilters(_Config):
    """Which source trades a wallet copies. An unset bound does not filter; every bound is inclusive."""

    traders: Traders = FOLLOW_ALL
    min_trader_resolved_count: Count | None = None
    min_trader_win_rate: WinRate | None = None
    min_trader_roi: Ratio | None = None
    min_conviction: Multiple | None = None  # trade notional / the trader's median notional
    price_min: Price = Decimal(0)
    price_max: Price = Decimal(1)
    min_minutes_to_end: Minutes | None = None
    max_minutes_to_end: Minutes | None = None
    categories: Categories = ()
    min_market_liquidity: UsdOrZero | None = None
    min_market_volume: UsdOrZero | None = None
    # The seed copies buys only; ANY also copies sells, sized on the trade's own price.
    side: Literal["BUY", "ANY"] = "BUY"

    @model_validator(mode="after")
    def _bounds_in_order(self) -> WalletFilters:
        if self.price_min > self.price_max:
            raise FieldProblem("price_min", f"expected at most price_max ({self.price_max}), got {self.price_min}")
        low, high = self.min_minutes_to_end, self.max_minutes_to_end
        if low is not None and high is not None and low > high:
            raise FieldProblem("min_minutes_to_end", f"expected at most max_minutes_to_end ({high}), got {low}")
        return self


_SIZING_NEEDS = {
    "fixed_usd": ("bet_size_usd",),
    "bankroll_pct": ("bankroll_pct",),
    "kelly": ("kelly_fraction",),
    "conviction": ("bet_size_usd", "conviction_cap"),
}


class WalletSizing(_Config):
    """How much a wallet bets on a trade that passed its filters (formulas in strategy/sizing.py)."""

    method: Literal["fixed_usd", "bankroll_pct", "kelly", "conviction"]
    bet_size_usd: Usd | None = None
    bankroll_pct: Percent | None = None  # percent of the bankroll, 2 = 2%
    kelly_fraction: Fraction | None = None
    conviction_cap: PositiveMultiple | None = None
    min_bet_usd: UsdOrZero = Decimal("1")
    max_bet_usd: Usd | None = None

    @model_validator(mode="after")
    def _parameters_present(self) -> WalletSizing:
        for name in _SIZING_NEEDS[self.method]:
            if getattr(self, name) is None:
                raise FieldProblem(name, f"expected a value when method is {self.method}, got nothing")
        if self.max_bet_usd is not None and self.min_bet_usd > self.max_bet_usd:
            raise FieldProblem("min_bet_usd", f"expected at most max_bet_usd ({self.max_bet_usd}), got {self.min_bet_usd}")
        return self


class FtWalletConfig(_Config):
    """One FT (paper) wallet: identity, virtual bankroll, filters and sizing."""

    wallet_id: WalletId
    display_name: Text
    description: str = ""
    starting_balance: Usd
    is_active: Flag = True
    filters: WalletFilters = WalletFilters()
    sizing: WalletSizing


_MODELS_BY_SECTION: dict[tuple[str, ...], type[BaseModel]] = {
    (): FtWalletConfig,
    ("filters",): WalletFilters,
    ("sizing",): WalletSizing,
}


def _problem_text(error: Mapping[str, Any]) -> tuple[str, str]:
    """(dotted field, 'expected ..., got ...') for one pydantic error."""
    location = tuple(str(part) for part in error["loc"])
    kind = error["type"]
    found = error.get("input")
    if kind == "value_error":
        cause = error["ctx"]["error"]
        if isinstance(cause, FieldProblem):
            location += (cause.field,)
        return ".".join(location), str(cause)
    field = ".".join(location) or "(wallet)"
    if kind == "missing":
        return field, "expected a value, got nothing"
    if kind == "extra_forbidden":
        model = _MODELS_BY_SECTION.get(location[:-1])
        allowed = ", ".join(model.model_fields) if model else "the documented keys"
        return field, f"expected one of the known keys ({allowed}), got unknown key {location[-1]!r}"
    if kind == "literal_error":
        return field, f"expected {error['ctx']['expected']}, got {_shown(found)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return field, f"expected a mapping of keys, got {_shown(found)}"
    return field, f"expected {error['msg'].removeprefix('Input should be ')}, got {_shown(found)}"


def validate_wallet(raw: object, source: str, label: str) -> FtWalletConfig:
    """One wallet mapping as a config, or WalletConfigError naming `source`, `label` and the field."""
    if not isinstance(raw, Mapping):
        raise WalletConfigError(f"{source}: {label}: expected a mapping of wallet settings, got {_shown(raw)}")
    try:
        return FtWalletConfig.model_validate(raw)
    except ValidationError as exc:
        field, text = _problem_text(exc.errors()[0])
        more = exc.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''} in this wallet)" if more else ""
        raise WalletConfigError(f"{source}: {label}: {field}: {text}{suffix}") from None


_GRID_KEYS = ("id_prefix", "display_name", "description", "base", "vary")


def expand_grid(grid: object, source: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, raw wallet) for each combination of the grid's `vary` lists, numbered from 001.

    Numbering follows the order of `vary` keys and values, so editing those lists renumbers wallets.
    """
    if not isinstance(grid, Mapping):
        raise WalletConfigError(f"{source}: grid: expected a mapping with {', '.join(_GRID_KEYS)}, got {_shown(grid)}")
    unknown = [key for key in grid if key not in _GRID_KEYS]
    if unknown:
        raise WalletConfigError(
            f"{source}: grid: expected one of the known keys ({', '.join(_GRID_KEYS)}), got unknown key {unknown[0]!r}"
        )
    prefix = grid.get("id_prefix", "FT_GRID")
    if not isinstance(prefix, str) or not _WALLET_ID.match(prefix):
        raise WalletConfigError(f"{source}: grid: id_prefix: expected an upper snake prefix like FT_GRID, got {_shown(prefix)}")
    base = grid.get("base", {})
    if not isinstance(base, Mapping):
        raise WalletConfigError(f"{source}: grid: base: expected a mapping of wallet settings, got {_shown(base)}")
    vary = grid.get("vary")
    if not isinstance(vary, Mapping) or not vary:
        raise WalletConfigError(f"{source}: grid: vary: expected a mapping of field -> list of values, got {_shown(vary)}")
    for path, values in vary.items():
        if not isinstance(values, list) or not values:
            raise WalletConfigError(f"{source}: grid: vary.{path}: expected a non-empty list of values, got {_shown(values)}")
    name_template = grid.get("display_name", "Grid {number}")
    description = grid.get("description", "Generated by the grid")
    wallets = []
    for number, combination in enumerate(itertools.product(*vary.values()), start=1):
        raw = copy.deepcopy(dict(base))
        for path, value in zip(vary, combination):
            _set_path(raw, str(path), value, source)
        setting = ", ".join(f"{path}={'none' if value is None else value}" for path, value in zip(vary, combination))
        raw["wallet_id"] = f"{prefix}_{number:03d}"
        raw["display_name"] = str(name_template).format(number=f"{number:03d}")
        raw["description"] = f"{description}: {setting}"
        wallets.append((f"wallet {raw['wallet_id']} (grid)", raw))
    return wallets


def _set_path(raw: dict[str, Any], path: str, value: object, source: str) -> None:
    *sections, leaf = path.split(".")
    target = raw
    for section in sections:
        child = target.setdefault(section, {})
        if not isinstance(child, dict):
            raise WalletConfigError(f"{source}: grid: vary.{path}: expected {section} to be a mapping in base, got {_shown(child)}")
        target = child
    target[leaf] = value


def parse_wallets(document: object, source: str = "ft_wallets.yaml") -> list[FtWalletConfig]:
    """Wallets from an already-parsed document `{wallets: [...], grid: {...}}`; ids must be unique."""
    if not isinstance(document, Mapping):
        raise WalletConfigError(f"{source}: expected a mapping with 'wallets' and optionally 'grid', got {_shown(document)}")
    unknown = [key for key in document if key not in ("wallets", "grid")]
    if unknown:
        raise WalletConfigError(f"{source}: expected one of the known keys (wallets, grid), got unknown key {unknown[0]!r}")
    listed = document.get("wallets") or []
    if not isinstance(listed, list):
        raise WalletConfigError(f"{source}: wallets: expected a list of wallets, got {_shown(listed)}")
    candidates = [(_label(raw, position), f"wallets entry #{position}", raw) for position, raw in enumerate(listed, start=1)]
    if "grid" in document:
        candidates += [(label, "the grid", raw) for label, raw in expand_grid(document["grid"], source)]
    wallets: list[FtWalletConfig] = []
    first_seen: dict[str, str] = {}
    for label, where, raw in candidates:
        wallet = validate_wallet(raw, source, label)
        if wallet.wallet_id in first_seen:
            raise WalletConfigError(
                f"{source}: {label}: wallet_id: expected a unique id, got {wallet.wallet_id!r} again "
                f"(already used by {first_seen[wallet.wallet_id]})"
            )
        first_seen[wallet.wallet_id] = where
        wallets.append(wallet)
    return wallets


def _label(raw: object, position: int) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("wallet_id"), str) and raw["wallet_id"].strip():
        return f"wallet {raw['wallet_id'].strip()}"
    return f"wallet #{position}"


def load_wallets(path: str | Path = DEFAULT_WALLETS_FILE) -> list[FtWalletConfig]:
    """All wallets of a YAML file (hand-written ones first, then the grid's), or WalletConfigError."""
    path = Path(path)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WalletConfigError(f"{source}: cannot read the file ({exc.strerror or exc})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WalletConfigError(f"{source}: expected valid YAML, got a syntax error{where}: {problem}") from None
    return parse_wallets(document, source)


# Display fields and is_active do not change what a wallet would copy or how much it would bet.
DECISION_FIELDS = ("starting_balance", "filters", "sizing")


def _canonical(value: object) -> object:
    """JSON-ready form in which equal configs are equal text (0.50 and 0.5 are the same number)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return value


def config_hash(wallet: FtWalletConfig) -> str:
    """sha256 (hex) of the canonical JSON of the settings that drive decisions."""
    payload = _canonical(wallet.model_dump(include=set(DECISION_FIELDS)))
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _flatten(value: object, prefix: str, into: dict[str, object]) -> dict[str, object]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), into)
    else:
        into[prefix] = value
    return into


def diff_configs(old: FtWalletConfig, new: FtWalletConfig) -> dict[str, tuple[object, object]]:
    """{dotted field: (old value, new value)} for every field that differs, display fields included."""
    before = _flatten(old.model_dump(), "", {})
    after = _flatten(new.model_dump(), "", {})
    return {
        field: (before.get(field), after.get(field))
        for field in sorted(before.keys() | after.keys())
        if before.get(field) != after.get(field)
    }

