"""Each user's trading credentials, read from the environment only where a trader is built, and a
thread-safe pool that builds each user's trader once.

Where the values come from (names from `Settings.key_env_names(user_id)`, e.g. for user alice):
  LT_PRIVATE_KEY_ALICE                       signing key (required in production)
  LT_API_KEY_ALICE / _SECRET_ / _PASSPHRASE_ L2 API credentials; all three, or none (then derived
                                             from the key with L1 auth: derived, or created the first time)
  LT_FUNDER_ALICE                            the funder (proxy) address; default: the key's address

Embedded deployments (the emulator) need no setup: when the key variable is unset, a demo key is
derived from the user id (keccak of a fixed public label and the id). That key is NOT a secret —
anyone can compute it — so it is refused in production, even when pasted into the variable.

Nothing here logs, prints, returns or stores a key, an API secret or a passphrase; errors name the
variable, never its value.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping

from eth_utils import keccak
from py_clob_client_v2.clob_types import ApiCreds
from sqlalchemy import Engine, select

from lt_pipeline.ledger.schema import lt_strategies, users
from lt_pipeline.settings import Settings
from lt_pipeline.venues.polymarket.models import VenueError
from lt_pipeline.venues.polymarket.trading import ClobTrader

log = logging.getLogger(__name__)

DEMO_KEY_LABEL = "lt-pipeline-embedded-demo-key/"  # public on purpose: the emulator's throwaway keys
_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class CredentialsError(ValueError):
    """A user's credentials cannot be used; the message names the environment variable at fault."""


class MissingCredentials(CredentialsError):
    """A required credential variable is not set (production has no demo key to fall back on)."""


def demo_private_key(user_id: str) -> str:
    """The embedded deployment's throwaway key for `user_id`: public, deterministic, emulator only."""
    return "0x" + keccak(text=DEMO_KEY_LABEL + user_id).hex()


def trader_for(
    user_id: str,
    settings: Settings,
    environ: Mapping[str, str] = os.environ,
    *,
    funder: str | None = None,
    signature_type: int = 0,
) -> ClobTrader:
    """Build `user_id`'s trader against settings.clob_host (see the module docstring for the sources).

    `funder`/`signature_type` are the user's ledger record, used when the funder variable is unset.
    Raises MissingCredentials / CredentialsError naming the variable, or VenueError when API keys
    had to be derived and the venue could not be reached.
    """
    names = settings.key_env_names(user_id)
    private_key = _private_key(user_id, settings, environ, names["private_key"])
    creds = _api_creds(environ, names)
    funder = _funder(environ, names["funder"], default=funder)
    try:
        trader = ClobTrader(
            settings.clob_host,
            settings.chain_id,
            private_key,
            creds=creds,
            funder=funder,
            signature_type=signature_type,
            use_server_time=settings.is_embedded,
        )
    except VenueError:
        raise
    except Exception as error:  # the library's words could quote what it was given: show the type only
        raise CredentialsError(
            f"{names['private_key']}: the trading client could not use this user's credentials ({type(error).__name__})"
        ) from None
    if signature_type == 0 and trader.funder.lower() != trader.address.lower():
        raise CredentialsError(
            f"{names['funder']}: the funder {trader.funder} is not the key's address {trader.address}; a proxy "
            "funder needs the user's signature type 1 (proxy) or 2 (safe)"
        )
    log.info("trader ready for user %s (signer %s, funder %s)", user_id, trader.address, trader.funder)
    return trader


def _private_key(user_id: str, settings: Settings, environ: Mapping[str, str], name: str) -> str:
    value = (environ.get(name) or "").strip()
    if not value:
        if settings.is_embedded:
            return demo_private_key(user_id)
        raise MissingCredentials(f"{name}: not set; production needs user {user_id}'s private key in this variable")
    if not _KEY.fullmatch(value):
        raise CredentialsError(f"{name}: expected a private key of 64 hex digits (optionally 0x-prefixed)")
    key = value if value.startswith("0x") else "0x" + value
    if not settings.is_embedded and key.lower() == demo_private_key(user_id).lower():
        raise CredentialsError(f"{name}: holds the public embedded demo key, which is not a secret; use a real key")
    return key


def _api_creds(environ: Mapping[str, str], names: Mapping[str, str]) -> ApiCreds | None:
    parts = ("api_key", "api_secret", "api_passphrase")
    values = {part: (environ.get(names[part]) or "").strip() for part in parts}
    if not any(values.values()):
        return None  # derived from the key with L1 auth
    missing = [names[part] for part in parts if not values[part]]
    if missing:
        raise MissingCredentials(
            f"{', '.join(missing)}: not set; set all three API variables or none (then they are derived from the key)"
        )
    return ApiCreds(api_key=values["api_key"], api_secret=values["api_secret"], api_passphrase=values["api_passphrase"])


def _funder(environ: Mapping[str, str], name: str, *, default: str | None) -> str | None:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    if not _ADDRESS.fullmatch(value):
        raise CredentialsError(f"{name}: expected a 0x-prefixed 40-hex funder address, got {value!r}")
    return value


class TraderPool(Mapping[str, ClobTrader]):
    """One trader per user, built on first use and shared by every strategy of that user.

    Thread-safe: two threads asking for the same user get the same trader, built once. As a Mapping,
    `pool[user_id]` builds on demand; iterating and `in` see only the traders already built.
    """

    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None, *, engine: Engine | None = None) -> None:
        self._settings = settings
        self._environ = os.environ if environ is None else environ
        self._engine = engine  # when given, each user's funder and signature type come from the ledger
        self._traders: dict[str, ClobTrader] = {}
        self._lock = threading.Lock()
        self._user_locks: dict[str, threading.Lock] = {}

    def trader(self, user_id: str, *, funder: str | None = None, signature_type: int | None = None) -> ClobTrader:
        with self._lock:
            found = self._traders.get(user_id)
            if found is not None:
                return found
            user_lock = self._user_locks.setdefault(user_id, threading.Lock())
        # Built outside the pool lock: deriving API keys is a venue call, and other users need not wait.
        with user_lock:
            with self._lock:
                found = self._traders.get(user_id)
            if found is None:
                if funder is None and signature_type is None and self._engine is not None:
                    funder, signature_type = _ledger_profile(self._engine, user_id)
                found = trader_for(
                    user_id, self._settings, self._environ, funder=funder, signature_type=signature_type or 0
                )
                with self._lock:
                    self._traders[user_id] = found
            return found

    def __getitem__(self, user_id: str) -> ClobTrader:
        return self.trader(user_id)

    def __contains__(self, user_id: object) -> bool:
        with self._lock:
            return user_id in self._traders

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._traders))

    def __len__(self) -> int:
        with self._lock:
            return len(self._traders)

    def __repr__(self) -> str:
        return f"TraderPool(users={sorted(self)})"


def _ledger_profile(engine: Engine, user_id: str) -> tuple[str | None, int]:
    with engine.connect() as connection:
        row = connection.execute(
            select(users.c.funder_address, users.c.signature_type).where(users.c.user_id == user_id)
        ).first()
    return (row.funder_address, row.signature_type) if row is not None else (None, 0)


def trader_for_strategy(engine: Engine, strategy_id: str, pool: TraderPool) -> ClobTrader:
    """The trader of the user who owns `strategy_id` (from the ledger), never anyone else's."""
    with engine.connect() as connection:
        row = connection.execute(
            select(users.c.user_id, users.c.funder_address, users.c.signature_type)
            .select_from(lt_strategies.join(users, users.c.user_id == lt_strategies.c.user_id))
            .where(lt_strategies.c.strategy_id == strategy_id)
        ).first()
    if row is None:
        raise CredentialsError(f"strategy_id: no LT strategy {strategy_id!r}")
    return pool.trader(row.user_id, funder=row.funder_address, signature_type=row.signature_type)
