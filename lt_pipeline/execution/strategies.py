"""LT strategies in the ledger: users, creating a live twin of an FT wallet, launch, pause, resume,
limit edits and the daily loss stop. Every change appends an lt_strategy_versions row.

Ids: the first user to go live on FT wallet W gets `LT_W`; another user's twin of the same wallet
gets `LT_W_{USER}` (the user id as in environment variable names: upper case, non-alphanumerics as
`_`), so ids never depend on who asks later. One user has at most one twin per FT wallet.

Version rows: `settings_json` is a snapshot of the strategy after the change (settings, FT config
hash, launched_at, pause state); `changes_json` says what changed, `{field: [old, new]}`. Source is
"create", "ft_sync" (see ft_sync.py), or "edit" for every user action (limit edits, launch, pause,
resume), which the change itself names.

Signals that arrive while a strategy is paused are skipped by the executor and never placed late: a
resume starts from new signals only. A strategy places nothing before `launched_at`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from lt_pipeline.clock import ensure_utc
from lt_pipeline.execution.controls import CancelReport, cancel_orders, current_halt, resting_orders
from lt_pipeline.execution.limits import daily_loss_breached
from lt_pipeline.execution.settings import LtStrategySettings, SettingsDiff, apply_edit, parse_settings
from lt_pipeline.execution.placement_rule import Block, Halt, StrategyGate, placement_block
from lt_pipeline.ledger.schema import ft_wallets, lt_orders, lt_strategies, lt_strategy_versions, users
from lt_pipeline.ledger.writes import insert_missing
from lt_pipeline.money import CENT, ZERO
from lt_pipeline.settings import env_suffix
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

SETTING_NAMES = tuple(LtStrategySettings.model_fields)
SIGNATURE_TYPES = (0, 1, 2)  # EOA, Polymarket proxy (email/magic), Gnosis safe
_ATTEMPTS = 10  # optimistic retries when two writers change one strategy at the same moment


class StrategyError(ValueError):
    """A lifecycle request that cannot be done: unknown user/wallet/strategy, duplicate, relaunch ..."""


# --- the plain objects callers get ---------------------------------------------------------------


@dataclass(frozen=True)
class User:
    user_id: str
    display_name: str
    funder_address: str | None
    signature_type: int
    created_at: datetime


@dataclass(frozen=True)
class Strategy:
    strategy_id: str
    user_id: str
    ft_wallet_id: str
    display_name: str
    settings: LtStrategySettings
    is_active: bool
    is_paused: bool
    pause_reason: str | None
    launched_at: datetime | None
    ft_config_hash: str | None
    settings_version: int
    created_at: datetime
    updated_at: datetime
    paused_at: datetime | None = None  # the last pause; kept after a resume, so that with resumed_at
    resumed_at: datetime | None = None  # it bounds the window whose signals stay skipped

    @property
    def status(self) -> str:
        """inactive, paused, not launched, or live."""
        if not self.is_active:
            return "inactive"
        if self.is_paused:
            return "paused"
        return "live" if self.launched_at is not None else "not launched"

    def placement_block(self, signal_at: datetime, *, now: datetime | None = None, halt: Halt = Halt()) -> Block | None:
        """Why this strategy may not act on a signal made at `signal_at` if it were decided `now`
        (default: at the signal), or None when it may: the one placement rule."""
        signal_at = ensure_utc(signal_at, "signal_at")
        gate = StrategyGate(self.strategy_id, self.is_active, self.launched_at, self.is_paused, self.pause_reason,
                            self.paused_at, self.resumed_at)
        return placement_block(gate, signal_at, ensure_utc(now, "now") if now else max(signal_at, self.updated_at), halt=halt)

    def may_place(self, signal_at: datetime, *, now: datetime | None = None, halt: Halt = Halt()) -> bool:
        return self.placement_block(signal_at, now=now, halt=halt) is None


@dataclass(frozen=True)
class StrategyVersion:
    strategy_id: str
    settings_version: int
    source: str
    snapshot: dict[str, Any]
    changes: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class EditResult:
    strategy: Strategy
    changes: SettingsDiff  # {field: (old, new)}; empty when the edit changed nothing


@dataclass(frozen=True)
class PauseResult:
    strategy: Strategy
    cancels: CancelReport


# --- users ---------------------------------------------------------------------------------------


def ensure_user(
    engine: Engine,
    user_id: str,
    display_name: str,
    funder_address: str | None = None,
    signature_type: int = 0,
    *,
    now: datetime,
) -> User:
    """Create the user, or bring its name, funder and signature type up to date; returns it.

    Only the funder (a public address) is stored; the signing key lives in the environment.
    """
    user_id = check_user_id(user_id)
    if not isinstance(display_name, str) or not display_name.strip():
        raise StrategyError(f"display_name: expected a non-empty name, got {display_name!r}")
    if funder_address is not None and not re.fullmatch(r"0x[0-9a-fA-F]{40}", str(funder_address)):
        raise StrategyError(f"funder_address: expected a 0x-prefixed 40-hex address, got {funder_address!r}")
    if signature_type not in SIGNATURE_TYPES:
        raise StrategyError(f"signature_type: expected 0 (EOA), 1 (proxy) or 2 (safe), got {signature_type!r}")
    now = ensure_utc(now, "now")
    values = {"display_name": display_name.strip()}
    if funder_address is not None:
        # The funder and its signature type go together; a call without a funder keeps both.
        values.update(funder_address=funder_address.lower(), signature_type=signature_type)
    with engine.begin() as connection:
        new = {"user_id": user_id, "display_name": values["display_name"], "funder_address": None,
               "signature_type": signature_type, "created_at": now, **values}
        if not insert_missing(connection, users, [new], ["user_id"]):
            connection.execute(update(users).where(users.c.user_id == user_id).values(**values))
    found = get_user(engine, user_id)
    assert found is not None
    return found


def get_user(engine: Engine | Connection, user_id: str) -> User | None:
    row = _first(engine, select(users).where(users.c.user_id == user_id))
    if row is None:
        return None
    return User(row.user_id, row.display_name, row.funder_address, row.signature_type, row.created_at)


def check_user_id(user_id: object) -> str:
    if not isinstance(user_id, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", user_id):
        raise StrategyError(f"user_id: expected 1-64 letters, digits, '_', '.' or '-', got {user_id!r}")
    return user_id


# --- reading strategies --------------------------------------------------------------------------


def get_strategy(engine: Engine | Connection, strategy_id: str) -> Strategy:
    row = _first(engine, select(lt_strategies).where(lt_strategies.c.strategy_id == strategy_id))
    if row is None:
        raise StrategyError(f"strategy_id: no LT strategy {strategy_id!r}")
    return _strategy(row)


def list_strategies(engine: Engine | Connection, *, user_id: str | None = None) -> list[Strategy]:
    query = select(lt_strategies).order_by(lt_strategies.c.strategy_id)
    if user_id is not None:
        query = query.where(lt_strategies.c.user_id == user_id)
    return [_strategy(row) for row in _all(engine, query)]


def strategy_versions(engine: Engine | Connection, strategy_id: str) -> list[StrategyVersion]:
    query = (
        select(lt_strategy_versions)
        .where(lt_strategy_versions.c.strategy_id == strategy_id)
        .order_by(lt_strategy_versions.c.settings_version)
    )
    return [
        StrategyVersion(
            row.strategy_id, row.settings_version, row.source,
            json.loads(row.settings_json), json.loads(row.changes_json), row.created_at,
        )
        for row in _all(engine, query)
    ]


def ft_config_json(engine: Engine | Connection, strategy_id: str) -> str | None:
    """The strategy's own copy of its FT wallet's config (what it follows; see ft_sync.py)."""
    row = _first(engine, select(lt_strategies.c.ft_config_json).where(lt_strategies.c.strategy_id == strategy_id))
    if row is None:
        raise StrategyError(f"strategy_id: no LT strategy {strategy_id!r}")
    return row.ft_config_json


def _strategy(row) -> Strategy:
    values = {name: _plain(getattr(row, name)) for name in SETTING_NAMES}
    return Strategy(
        strategy_id=row.strategy_id,
        user_id=row.user_id,
        ft_wallet_id=row.ft_wallet_id,
        display_name=row.display_name,
        settings=parse_settings(values),
        is_active=bool(row.is_active),
        is_paused=bool(row.is_paused),
        pause_reason=row.pause_reason,
        launched_at=row.launched_at,
        ft_config_hash=row.ft_config_hash,
        settings_version=row.settings_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        paused_at=row.paused_at,
        resumed_at=row.resumed_at,
    )


def _plain(value: object) -> object:
    # The ledger hands back normalised decimals (1E+3); settings and messages want 1000.
    return Decimal(format(value, "f")) if isinstance(value, Decimal) else value


# --- creating ------------------------------------------------------------------------------------


def create_strategy(
    engine: Engine,
    user_id: str,
    ft_wallet_id: str,
    settings: LtStrategySettings | Mapping[str, object],
    now: datetime,
) -> str:
    """Create the live twin of an FT wallet for a user (not launched yet); returns its strategy id.

    Copies the FT wallet's current config (hash and JSON), so that later FT edits are followed (or
    not) explicitly by ft_sync. Refuses an unknown user, an unknown FT wallet and a second twin.
    """
    now = ensure_utc(now, "now")
    if not isinstance(settings, LtStrategySettings):
        settings = parse_settings(settings)
    try:
        strategy_id = _insert_strategy(engine, user_id, ft_wallet_id, settings, now)
    except IntegrityError:  # another writer created the same twin between our check and our insert
        raise StrategyError(f"ft_wallet_id: user {user_id!r} already has a strategy for FT wallet {ft_wallet_id!r}") from None
    log.info("created LT strategy %s for user %s from FT wallet %s", strategy_id, user_id, ft_wallet_id)
    return strategy_id


def _insert_strategy(engine: Engine, user_id: str, ft_wallet_id: str, settings: LtStrategySettings, now: datetime) -> str:
    with engine.begin() as connection:
        if get_user(connection, user_id) is None:
            raise StrategyError(f"user_id: no user {user_id!r} (add the user first)")
        wallet = connection.execute(select(ft_wallets).where(ft_wallets.c.wallet_id == ft_wallet_id)).first()
        if wallet is None:
            raise StrategyError(f"ft_wallet_id: no FT wallet {ft_wallet_id!r}")
        twin = connection.execute(
            select(lt_strategies.c.strategy_id).where(
                lt_strategies.c.user_id == user_id, lt_strategies.c.ft_wallet_id == ft_wallet_id
            )
        ).scalar()
        if twin is not None:
            raise StrategyError(f"ft_wallet_id: user {user_id!r} already has {twin} for FT wallet {ft_wallet_id!r}")
        strategy_id, display_name = _new_identity(connection, user_id, wallet)
        row = {
            "strategy_id": strategy_id,
            "user_id": user_id,
            "ft_wallet_id": ft_wallet_id,
            "display_name": display_name,
            **_setting_columns(settings),
            "is_active": True,
            "is_paused": False,
            "ft_config_hash": wallet.config_hash,
            "ft_config_json": wallet.config_json,
            "settings_version": 1,
            "created_at": now,
            "updated_at": now,
        }
        connection.execute(insert(lt_strategies).values(**row))
        created = {"user_id": user_id, "ft_wallet_id": ft_wallet_id, "ft_config_version": wallet.config_version,
                   "ft_config_hash": wallet.config_hash}
        _append_version(connection, _strategy(_reread(connection, strategy_id)), "create", {"created": created}, now)
    return strategy_id


def _new_identity(connection: Connection, user_id: str, wallet) -> tuple[str, str]:
    short = f"LT_{wallet.wallet_id}"
    taken = connection.execute(select(lt_strategies.c.strategy_id).where(lt_strategies.c.strategy_id == short)).scalar()
    if taken is None:
        return short, f"{wallet.display_name} (Live)"
    return f"{short}_{env_suffix(user_id)}", f"{wallet.display_name} (Live, {user_id})"


def _setting_columns(settings: LtStrategySettings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in SETTING_NAMES}


# --- lifecycle changes ---------------------------------------------------------------------------


def launch(engine: Engine, strategy_id: str, now: datetime) -> Strategy:
    """Start live trading: signals (FT orders) made at or after `now` are acted on. Once only."""
    now = ensure_utc(now, "now")

    def change(connection: Connection, current: Strategy):
        if current.launched_at is not None:
            raise StrategyError(
                f"launched_at: {strategy_id} was launched at {current.launched_at.isoformat()}; "
                "a strategy launches once (pause and resume it instead)"
            )
        if not current.is_active:
            raise StrategyError(f"strategy_id: {strategy_id} is inactive")
        return {"launched_at": now}, {"launched_at": [None, now.isoformat()]}

    strategy = record_change(engine, strategy_id, now, change)
    log.info("launched LT strategy %s", strategy_id)
    return strategy


def pause(
    engine: Engine,
    strategy_id: str,
    reason: str,
    now: datetime,
    *,
    cancel_resting: bool = False,
    trader: ClobTrader | None = None,
) -> PauseResult:
    """Pause a strategy (new signals are skipped, never placed later); with `cancel_resting`, also
    cancel its resting venue orders through `trader`, which must be the strategy's user's.

    Pausing a paused strategy keeps the first reason and changes nothing, but still cancels when asked.
    """
    now = ensure_utc(now, "now")
    if not isinstance(reason, str) or not reason.strip():
        raise StrategyError(f"reason: expected a few words saying why, got {reason!r}")
    reason = reason.strip()
    if cancel_resting and trader is None:
        raise StrategyError("trader: cancel_resting needs the strategy user's trader to cancel at the venue")
    if cancel_resting:
        _check_trader_owner(engine, strategy_id, trader)

    def change(connection: Connection, current: Strategy):
        if current.is_paused:
            return None
        return (
            {"is_paused": True, "pause_reason": reason, "paused_at": now},
            {"is_paused": [False, True], "pause_reason": [current.pause_reason, reason]},
        )

    # The pause is committed before the cancels go out, so the executor places nothing new meanwhile.
    strategy = record_change(engine, strategy_id, now, change)
    cancels = CancelReport()
    if cancel_resting:
        with engine.connect() as connection:
            rows = resting_orders(connection, strategy_ids=[strategy_id])
        why = f"strategy paused: {strategy.pause_reason or reason}"
        cancels = cancel_orders(engine, rows, trader, why=why, trigger="pause", now=now)
    log.info("paused LT strategy %s: %s", strategy_id, strategy.pause_reason)
    return PauseResult(strategy, cancels)


def resume(engine: Engine, strategy_id: str, now: datetime) -> Strategy:
    """Resume a paused strategy; it acts on signals made from now on. Refused while today's loss is
    still at the daily limit (raise the limit or wait for the next UTC day)."""
    now = ensure_utc(now, "now")

    def change(connection: Connection, current: Strategy):
        if not current.is_paused:
            return None
        loss = _daily_loss_text(connection, current, now)
        if loss is not None:
            raise StrategyError(
                f"max_daily_loss_usd: {strategy_id} cannot resume today, {loss}; "
                "raise max_daily_loss_usd or resume after 00:00 UTC"
            )
        return (
            # paused_at stays: with resumed_at it bounds the pause, whose signals stay skipped.
            {"is_paused": False, "pause_reason": None, "resumed_at": now},
            {"is_paused": [True, False], "pause_reason": [current.pause_reason, None]},
        )

    strategy = record_change(engine, strategy_id, now, change)
    log.info("resumed LT strategy %s", strategy_id)
    return strategy


def edit_limits(engine: Engine, strategy_id: str, changes: Mapping[str, object], now: datetime) -> EditResult:
    """Change settings (capital, limits, tolerance, order type, TTL, FT sync); the whole result is
    validated, and a SettingsError names each wrong field. An edit that changes nothing writes nothing.
    Refused while the global halt is on (limits are not changed under an incident) and for an inactive
    strategy, whoever asks (the CLI, the dashboard)."""
    now = ensure_utc(now, "now")
    if not isinstance(changes, Mapping) or not changes:
        raise StrategyError(f"changes: expected at least one setting to change, got {changes!r}")
    halt = current_halt(engine)
    if halt.on:
        raise StrategyError(f"{strategy_id}: the global halt is on ({halt.reason}); settings are not edited while "
                            "halted, turn it off with `lt unhalt` first")
    applied: dict[str, SettingsDiff] = {}

    def change(connection: Connection, current: Strategy):
        if not current.is_active:
            raise StrategyError(f"{strategy_id}: the strategy is inactive; expected an active strategy to edit")
        updated, diff = apply_edit(current.settings, changes)
        applied["diff"] = diff
        if not diff:
            return None
        return _setting_columns(updated), {name: [_jsonable(old), _jsonable(new)] for name, (old, new) in diff.items()}

    strategy = record_change(engine, strategy_id, now, change)
    if applied["diff"]:
        log.info("edited LT strategy %s: %s", strategy_id, ", ".join(applied["diff"]))
    return EditResult(strategy, applied["diff"])


# --- the daily loss stop -------------------------------------------------------------------------


def realised_pnl_today(engine: Engine | Connection, strategy_id: str, now: datetime) -> Decimal:
    """Live PnL of this strategy's positions resolved during `now`'s UTC day."""
    start = ensure_utc(now, "now").replace(hour=0, minute=0, second=0, microsecond=0)
    query = select(lt_orders.c.pnl).where(
        lt_orders.c.strategy_id == strategy_id,
        lt_orders.c.pnl.is_not(None),
        lt_orders.c.resolved_at >= start,
        lt_orders.c.resolved_at < start + timedelta(days=1),
    )
    # Summed here: SQLite keeps exact decimals as text, which SUM() would turn into floats.
    return sum((row.pnl for row in _all(engine, query)), ZERO)


def check_daily_loss(engine: Engine, strategy_id: str, now: datetime, *, trader: ClobTrader | None = None) -> bool:
    """True when today's realised loss reached max_daily_loss_usd; the strategy is then paused with
    "daily loss limit reached: lost $X of $Y" (resting orders cancelled too when `trader` is given)."""
    now = ensure_utc(now, "now")
    strategy = get_strategy(engine, strategy_id)
    text = _daily_loss_text(engine, strategy, now)
    if text is None:
        return False
    if not strategy.is_paused or trader is not None:
        pause(engine, strategy_id, text, now, cancel_resting=trader is not None, trader=trader)
    return True


def _daily_loss_text(engine: Engine | Connection, strategy: Strategy, now: datetime) -> str | None:
    limit = strategy.settings.max_daily_loss_usd
    if limit is None:
        return None
    pnl = realised_pnl_today(engine, strategy.strategy_id, now)
    if not daily_loss_breached(pnl, limit=limit):
        return None
    return f"daily loss limit reached: lost ${_dollars(-pnl)} of ${_dollars(limit)}"


def _dollars(amount: Decimal) -> str:
    return f"{amount.quantize(CENT):f}"


# --- one change, one version row -----------------------------------------------------------------

Change = Callable[[Connection, Strategy], "tuple[dict[str, Any], dict[str, Any]] | None"]


class _Raced(Exception):
    """Someone else changed the strategy between our read and our write."""


def record_change(engine: Engine, strategy_id: str, now: datetime, change: Change, *, source: str = "edit") -> Strategy:
    """The one way a strategy changes. Read it, let `change` return (column values, changes) or None for no change, write it
    with the next settings_version and a version row. The write is conditional on the version read, so
    concurrent writers retry instead of losing each other's changes (on SQLite and PostgreSQL alike)."""
    for _ in range(_ATTEMPTS):
        try:
            with engine.begin() as connection:
                current = get_strategy(connection, strategy_id)
                outcome = change(connection, current)
                if outcome is None:
                    return current
                values, changes = outcome
                result = connection.execute(
                    update(lt_strategies)
                    .where(
                        lt_strategies.c.strategy_id == strategy_id,
                        lt_strategies.c.settings_version == current.settings_version,
                    )
                    .values(**values, settings_version=current.settings_version + 1, updated_at=now)
                )
                if result.rowcount != 1:
                    raise _Raced()
                updated = _strategy(_reread(connection, strategy_id))
                _append_version(connection, updated, source, changes, now)
                return updated
        except _Raced:
            continue
    raise StrategyError(f"strategy_id: {strategy_id} kept changing while we wrote; try again")


def _append_version(connection: Connection, strategy: Strategy, source: str, changes: dict[str, Any], now: datetime) -> None:
    connection.execute(
        insert(lt_strategy_versions).values(
            strategy_id=strategy.strategy_id,
            settings_version=strategy.settings_version,
            settings_json=json.dumps(snapshot(strategy), sort_keys=True),
            changes_json=json.dumps(changes, sort_keys=True, default=_jsonable),
            source=source,
            created_at=now,
        )
    )


def snapshot(strategy: Strategy) -> dict[str, Any]:
    """The version row's picture of a strategy: its settings and state, JSON-safe, decimals exact."""
    return {
        "settings": {name: _jsonable(getattr(strategy.settings, name)) for name in SETTING_NAMES},
        "ft_config_hash": strategy.ft_config_hash,
        "launched_at": strategy.launched_at.isoformat() if strategy.launched_at else None,
        "is_active": strategy.is_active,
        "is_paused": strategy.is_paused,
        "pause_reason": strategy.pause_reason,
        "paused_at": strategy.paused_at.isoformat() if strategy.paused_at else None,
        "resumed_at": strategy.resumed_at.isoformat() if strategy.resumed_at else None,
    }


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _reread(connection: Connection, strategy_id: str):
    return connection.execute(select(lt_strategies).where(lt_strategies.c.strategy_id == strategy_id)).one()


def _check_trader_owner(engine: Engine, strategy_id: str, trader: ClobTrader) -> None:
    """Refuse another user's trader when the user's funder is on record (the venue would refuse the
    cancels anyway, but saying so beats a list of 'not found')."""
    with engine.connect() as connection:
        row = connection.execute(
            select(users.c.user_id, users.c.funder_address)
            .select_from(lt_strategies.join(users, users.c.user_id == lt_strategies.c.user_id))
            .where(lt_strategies.c.strategy_id == strategy_id)
        ).first()
    if row is None:
        raise StrategyError(f"strategy_id: no LT strategy {strategy_id!r}")
    if row.funder_address and trader.funder.lower() != row.funder_address.lower():
        raise StrategyError(f"trader: trades for {trader.funder}, not for user {row.user_id}'s funder {row.funder_address}")


def _first(engine: Engine | Connection, query):
    if isinstance(engine, Connection):
        return engine.execute(query).first()
    with engine.connect() as connection:
        return connection.execute(query).first()


def _all(engine: Engine | Connection, query) -> list:
    if isinstance(engine, Connection):
        return list(engine.execute(query))
    with engine.connect() as connection:
        return list(connection.execute(query))
