"""A live strategy's execution settings: one validated, immutable model and the edits a user makes to it.

Every problem is reported as "<field>: <what was expected>, got <value>", so a form or the CLI can
show the user exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from lt_pipeline.model.trading import ORDER_TYPES, OrderType
from lt_pipeline.money import ZERO, BadNumber, to_decimal

HUNDRED = Decimal(100)


class SettingsError(ValueError):
    """One or more settings were wrong; `problems` holds one "<field>: <message>" line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Problem(ValueError):
    """A complete "<field>: ..." message, raised inside validators so that it is shown verbatim."""


def _number(value: object, field: str, expected: str, valid: Callable[[Decimal], bool]) -> Decimal:
    """`value` as an exact decimal that passes `valid`, or "<field>: expected <expected>, got <value>"."""
    try:
        number = to_decimal(value, field)
    except BadNumber:
        raise _Problem(f"{field}: expected {expected}, got {value!r}") from None
    if not valid(number):
        raise _Problem(f"{field}: expected {expected}, got {value}")
    return number


def _amount(value: object, field: str, *, positive: bool) -> Decimal:
    if positive:
        return _number(value, field, "a positive amount", lambda amount: amount > ZERO)
    return _number(value, field, "an amount of at least 0", lambda amount: amount >= ZERO)


class LtStrategySettings(BaseModel):
    """How one live strategy sizes and places its orders. Amounts are USD, as exact decimals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    starting_capital: Decimal = Decimal("1000")
    slippage_tolerance_pct: Decimal = Decimal("3")  # a percent: 3 means 3 %
    order_type: OrderType = "GTC"
    min_order_size_usd: Decimal = Decimal("1")
    max_order_size_usd: Decimal = Decimal("50")
    max_position_size_usd: Decimal = Decimal("100")
    max_total_exposure_usd: Decimal = Decimal("500")
    max_daily_loss_usd: Decimal | None = None  # None: no daily loss limit
    order_ttl_seconds: int = 300  # a resting GTC order is cancelled after this long
    max_signal_age_seconds: int = 300  # a signal older than this after the trader's fill is skipped as stale
    sync_ft_changes: bool = True  # follow edits of the paper strategy's filters and sizing

    @field_validator(
        "starting_capital", "max_order_size_usd", "max_position_size_usd", "max_total_exposure_usd",
        mode="before",
    )
    @classmethod
    def _positive_amount(cls, value: object, info) -> Decimal:
        return _amount(value, info.field_name, positive=True)

    @field_validator("min_order_size_usd", mode="before")
    @classmethod
    def _non_negative_amount(cls, value: object, info) -> Decimal:
        return _amount(value, info.field_name, positive=False)

    @field_validator("max_daily_loss_usd", mode="before")
    @classmethod
    def _optional_positive_amount(cls, value: object, info) -> Decimal | None:
        # A blank form field means "no limit", like an absent one.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _amount(value, info.field_name, positive=True)

    @field_validator("slippage_tolerance_pct", mode="before")
    @classmethod
    def _percentage(cls, value: object) -> Decimal:
        return _number(value, "slippage_tolerance_pct", "a percentage between 0 and 100", lambda pct: ZERO <= pct <= HUNDRED)

    @field_validator("order_type", mode="before")
    @classmethod
    def _order_type(cls, value: object) -> str:
        if isinstance(value, str) and value.strip().upper() in ORDER_TYPES:
            return value.strip().upper()
        raise _Problem(f"order_type: expected one of {', '.join(ORDER_TYPES)}, got {value!r}")

    @field_validator("order_ttl_seconds", "max_signal_age_seconds", mode="before")
    @classmethod
    def _seconds(cls, value: object, info) -> int:
        seconds = _number(
            value, info.field_name, "a whole number of seconds greater than 0",
            lambda number: number > ZERO and number == number.to_integral_value(),
        )
        return int(seconds)

    @field_validator("sync_ft_changes", mode="before")
    @classmethod
    def _flag(cls, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise _Problem(f"sync_ft_changes: expected true or false, got {value!r}")

    @model_validator(mode="after")
    def _caps_leave_room_for_an_order(self) -> LtStrategySettings:
        # A cap below the minimum order would silently deny every signal; say so at setup instead.
        minimum = self.min_order_size_usd
        problems = [
            f"{name}: must be at least min_order_size_usd ({minimum}), got {getattr(self, name)}"
            for name in ("max_order_size_usd", "max_position_size_usd", "max_total_exposure_usd")
            if getattr(self, name) < minimum
        ]
        if problems:
            raise _Problem("; ".join(problems))
        return self

    def as_record(self) -> dict[str, Any]:
        """JSON-safe form for the ledger's config versions: Decimals as exact strings."""
        return self.model_dump(mode="json")


def _problem_lines(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        cause = item.get("ctx", {}).get("error")
        field = ".".join(str(part) for part in item["loc"])
        if isinstance(cause, _Problem):
            lines.append(str(cause))
        elif item["type"] == "extra_forbidden":
            known = ", ".join(LtStrategySettings.model_fields)
            lines.append(f"{field}: not a known setting (known settings: {known})")
        else:
            lines.append(f"{field}: {item['msg']}, got {item.get('input')!r}")
    return lines


def parse_settings(values: Mapping[str, object]) -> LtStrategySettings:
    """Validate a mapping (form, YAML, JSON, ledger row); missing fields take the cautious defaults."""
    if not isinstance(values, Mapping):
        raise SettingsError([f"settings: expected a mapping of setting names to values, got {values!r}"])
    try:
        return LtStrategySettings(**{str(key): value for key, value in values.items()})
    except ValidationError as exc:
        raise SettingsError(_problem_lines(exc)) from None


SettingsDiff = dict[str, tuple[Any, Any]]


def apply_edit(
    settings: LtStrategySettings, changes: Mapping[str, object]
) -> tuple[LtStrategySettings, SettingsDiff]:
    """Apply a user's edit; returns the new settings and {field: (old, new)} for fields that changed.

    The whole result is validated as one, so an edit that breaks a cross-field rule (say, lowering
    max_order_size_usd under min_order_size_usd) is refused and the old settings stay in force.
    """
    merged = {**settings.model_dump(), **changes}
    updated = parse_settings(merged)
    diff: SettingsDiff = {
        name: (getattr(settings, name), getattr(updated, name))
        for name in LtStrategySettings.model_fields
        if getattr(settings, name) != getattr(updated, name)
    }
    return updated, diff
