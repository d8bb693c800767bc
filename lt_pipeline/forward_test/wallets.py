"""FT wallets from the YAML file into the ledger, with a version history of every config change
(the live side reads it to follow FT changes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select

from lt_pipeline.ledger.schema import ft_wallet_versions, ft_wallets
from lt_pipeline.strategy.config import FtWalletConfig, config_hash, diff_configs


@dataclass
class WalletSyncReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0


def wallet_json(wallet: FtWalletConfig) -> str:
    return wallet.model_dump_json()


def load_wallet(text: str) -> FtWalletConfig:
    return FtWalletConfig.model_validate_json(text)


def sync_wallets(engine: Engine, wallets: list[FtWalletConfig], now: datetime) -> WalletSyncReport:
    report = WalletSyncReport()
    with engine.begin() as connection:
        stored = {
            row.wallet_id: row
            for row in connection.execute(
                select(ft_wallets.c.wallet_id, ft_wallets.c.config_json, ft_wallets.c.config_version)
            )
        }
        for wallet in wallets:
            text = wallet_json(wallet)
            previous = stored.get(wallet.wallet_id)
            if previous is None:
                _write(connection, wallet, text, 1, {"created": True}, now, new=True)
                report.created.append(wallet.wallet_id)
            elif previous.config_json != text:
                changes = {name: [str(a), str(b)] for name, (a, b) in diff_configs(load_wallet(previous.config_json), wallet).items()}
                _write(connection, wallet, text, previous.config_version + 1, changes, now, new=False)
                report.changed.append(wallet.wallet_id)
            else:
                report.unchanged += 1
    return report


def _write(connection: Connection, wallet: FtWalletConfig, text: str, version: int, changes: dict, now: datetime, *, new: bool) -> None:
    values = {
        "display_name": wallet.display_name,
        "description": wallet.description,
        "starting_balance": wallet.starting_balance,
        "is_active": wallet.is_active,
        "config_json": text,
        "config_hash": config_hash(wallet),
        "config_version": version,
        "updated_at": now,
    }
    if new:
        connection.execute(insert(ft_wallets).values(wallet_id=wallet.wallet_id, created_at=now, **values))
    else:
        connection.execute(ft_wallets.update().where(ft_wallets.c.wallet_id == wallet.wallet_id).values(**values))
    connection.execute(
        insert(ft_wallet_versions).values(
            wallet_id=wallet.wallet_id,
            config_version=version,
            config_hash=values["config_hash"],
            config_json=text,
            changes_json=json.dumps(changes, sort_keys=True),
            created_at=now,
        )
    )


def active_wallets(connection: Connection) -> list[tuple[FtWalletConfig, int]]:
    rows = connection.execute(
        select(ft_wallets.c.config_json, ft_wallets.c.config_version).where(ft_wallets.c.is_active).order_by(ft_wallets.c.wallet_id)
    )
    return [(load_wallet(row.config_json), row.config_version) for row in rows]
