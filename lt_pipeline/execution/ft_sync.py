"""Following FT config changes: a live strategy with sync_ft_changes on takes its FT wallet's new
filters and sizing thresholds (its own copy in lt_strategies.ft_config_json); one with sync off
keeps the copy it had. Capital and limits are the live strategy's own and never change by sync.

The executor acts only on FT orders, which the FT wallet's current config made; a strategy with sync
off should also check each signal against its own copy (`ft_config_of`), so that an FT edit it did not
take does not reach it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from lt_pipeline.clock import ensure_utc
from lt_pipeline.execution.strategies import Strategy, ft_config_json, record_change
from lt_pipeline.forward_test.wallets import load_wallet
from lt_pipeline.ledger.schema import ft_wallets, lt_strategies
from lt_pipeline.strategy.config import FtWalletConfig, diff_configs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncedStrategy:
    strategy_id: str
    ft_wallet_id: str
    old_hash: str | None
    new_hash: str
    ft_config_version: int
    changes: dict[str, list[Any]]  # {dotted FT field: [old, new]}


def follow_ft_changes(engine: Engine, now: datetime) -> list[SyncedStrategy]:
    """Copy the FT wallet's current config into every syncing strategy whose copy is out of date and
    record an "ft_sync" version row with the FT diff; returns the strategies synced. One strategy's
    failure is logged and the others are still synced."""
    now = ensure_utc(now, "now")
    with engine.connect() as connection:
        stale = list(
            connection.execute(
                select(lt_strategies.c.strategy_id)
                .select_from(lt_strategies.join(ft_wallets, ft_wallets.c.wallet_id == lt_strategies.c.ft_wallet_id))
                .where(
                    lt_strategies.c.sync_ft_changes.is_(True),
                    lt_strategies.c.is_active.is_(True),
                    (lt_strategies.c.ft_config_hash.is_(None)) | (lt_strategies.c.ft_config_hash != ft_wallets.c.config_hash),
                )
                .order_by(lt_strategies.c.strategy_id)
            ).scalars()
        )
    synced = []
    for strategy_id in stale:
        try:
            result = _sync_one(engine, strategy_id, now)
        except Exception:  # one strategy's bad record must not stop the others following their FT wallets
            log.exception("could not sync LT strategy %s with its FT wallet", strategy_id)
            continue
        if result is not None:
            synced.append(result)
    return synced


def _sync_one(engine: Engine, strategy_id: str, now: datetime) -> SyncedStrategy | None:
    found: dict[str, SyncedStrategy] = {}

    def change(connection, current: Strategy):
        # Re-read inside the write: the strategy may have turned sync off, or synced, since the scan.
        own = connection.execute(
            select(lt_strategies.c.ft_config_json, lt_strategies.c.sync_ft_changes)
            .where(lt_strategies.c.strategy_id == strategy_id)
        ).one()
        wallet = connection.execute(
            select(ft_wallets.c.config_hash, ft_wallets.c.config_json, ft_wallets.c.config_version)
            .where(ft_wallets.c.wallet_id == current.ft_wallet_id)
        ).one()
        if not own.sync_ft_changes or current.ft_config_hash == wallet.config_hash:
            return None
        diff = ft_diff(own.ft_config_json, wallet.config_json)
        found["synced"] = SyncedStrategy(
            strategy_id, current.ft_wallet_id, current.ft_config_hash, wallet.config_hash, wallet.config_version, diff
        )
        values = {"ft_config_hash": wallet.config_hash, "ft_config_json": wallet.config_json}
        changes = {
            "ft_config": diff,
            "ft_config_hash": [current.ft_config_hash, wallet.config_hash],
            "ft_config_version": wallet.config_version,
        }
        return values, changes

    record_change(engine, strategy_id, now, change, source="ft_sync")
    synced = found.get("synced")
    if synced is not None:
        log.info("LT strategy %s follows FT wallet %s: %s", strategy_id, synced.ft_wallet_id, ", ".join(synced.changes) or "hash only")
    return synced


def ft_diff(old_json: str | None, new_json: str) -> dict[str, list[Any]]:
    """{dotted field: [old, new]} between two FT configs, as JSON-safe text; a copy that no longer
    parses (an older config shape) is compared field by field as plain JSON."""
    try:
        old = load_wallet(old_json) if old_json else None
        new = load_wallet(new_json)
    except ValueError:
        return _json_diff(json.loads(old_json) if old_json else {}, json.loads(new_json))
    if old is None:
        return _json_diff({}, new.model_dump(mode="json"))
    return {name: [_text(a), _text(b)] for name, (a, b) in diff_configs(old, new).items()}


def ft_config_of(engine: Engine, strategy_id: str) -> FtWalletConfig | None:
    """The FT config this strategy follows: its own copy, which lags the FT wallet when sync is off."""
    text = ft_config_json(engine, strategy_id)
    return load_wallet(text) if text else None


def _json_diff(old: dict, new: dict) -> dict[str, list[Any]]:
    before, after = _flatten(old, ""), _flatten(new, "")
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    }


def _flatten(value: object, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _text(value: object) -> object:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_text(item) for item in value]
    return format(value, "f") if hasattr(value, "as_tuple") else str(value)
