"""The dashboard's strategy forms: which settings they show, in what words and units, how a posted
form becomes the settings mapping the domain validates (exactly as the CLI's flags do, so a bad value
gets the CLI's message), and which field each message belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from lt_pipeline.execution.settings import LtStrategySettings
from lt_pipeline.model.trading import ORDER_TYPES

NO_LIMIT = ("none", "off", "")  # as `lt strategy --max-daily-loss none`: no daily loss limit


@dataclass(frozen=True)
class Field:
    name: str  # the setting's name, which is also the form field's name and the messages' prefix
    label: str
    unit: str  # shown beside the box: "$", "%", "s", or "" for a choice
    help: str
    choices: tuple[tuple[str, str], ...] = ()  # (value, words) for a select
    basic: bool = True  # shown up front; the others sit under "more limits"


ORDER_TYPE_WORDS = {
    "GTC": "GTC: rests on the book until filled or its time-to-live ends",
    "FOK": "FOK: fills completely at once, or not at all",
    "FAK": "FAK: fills what it can at once, the rest is cancelled",
}

FIELDS = (
    Field("starting_capital", "Starting capital", "$", "US dollars this strategy may trade with"),
    Field("slippage_tolerance_pct", "Slippage tolerance", "%",
          "how far past the signal price an order may fill, 0 to 100 (0.5 means half a percent)"),
    Field("order_type", "Order type", "", "how each order is placed",
          tuple((kind, ORDER_TYPE_WORDS.get(kind, kind)) for kind in ORDER_TYPES)),
    Field("max_position_size_usd", "Max position size", "$", "dollars held in one outcome token at most"),
    Field("min_order_size_usd", "Min order size", "$", "smaller orders are skipped", basic=False),
    Field("max_order_size_usd", "Max order size", "$", "larger orders are cut to this", basic=False),
    Field("max_total_exposure_usd", "Max total exposure", "$", "dollars in open positions at most", basic=False),
    Field("max_daily_loss_usd", "Max daily loss", "$",
          "pause for the rest of the UTC day after losing this much; blank for no limit", basic=False),
    Field("order_ttl_seconds", "Order time-to-live", "s", "a resting GTC order is cancelled after this long",
          basic=False),
    Field("max_signal_age_seconds", "Max signal age", "s",
          "a signal older than this after the trader's fill is skipped as stale", basic=False),
    Field("sync_ft_changes", "Follow FT edits", "", "follow later edits of the paper strategy's filters and sizing",
          (("true", "yes: follow the paper strategy's edits"), ("false", "no: keep its config as it is now")),
          basic=False),
)
FIELD_NAMES = tuple(field.name for field in FIELDS)
assert set(FIELD_NAMES) == set(LtStrategySettings.model_fields), "every setting has a form field"


def settings_from_form(form: Mapping[str, str]) -> dict[str, object]:
    """The posted settings, as text, for the domain to validate. A field left blank or missing is
    passed as blank, so it gets the same message as a blank flag; only the daily loss limit may be
    blank, meaning no limit (as `--max-daily-loss none`)."""
    values: dict[str, object] = {name: form.get(name, "").strip() for name in FIELD_NAMES}
    if str(values["max_daily_loss_usd"]).lower() in NO_LIMIT:
        values["max_daily_loss_usd"] = None
    return values


def form_values(settings: LtStrategySettings) -> dict[str, str]:
    """What the boxes hold for these settings."""
    return {name: shown(getattr(settings, name)) for name in FIELD_NAMES}


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def messages_by_field(messages: list[str]) -> dict[str, list[str]]:
    """Each "<field>: ..." message under its field ("" for one that names no field of the form)."""
    by_field: dict[str, list[str]] = {}
    for message in messages:
        name = message.partition(":")[0].strip()
        by_field.setdefault(name if name in FIELD_NAMES or name in ("ft_wallet_id", "user_id", "reason") else "",
                            []).append(message)
    return by_field


def split_messages(error: Exception) -> list[str]:
    """One message per problem: a SettingsError's problems, with a cross-field rule's "; "-joined
    lines apart (a sentence that merely contains "; " stays whole)."""
    messages = []
    for problem in getattr(error, "problems", None) or [str(error)]:
        parts = [part.strip() for part in str(problem).split("; ")]
        if all(part.partition(":")[0] in FIELD_NAMES for part in parts):
            messages.extend(parts)
        else:
            messages.append(str(problem))
    return messages
