"""Settings read from the environment into one validated object; defaults give the embedded setup.

Secrets are not settings: the environment variables that hold keys are named here (per user), and the
values are read only where an order is signed (`lt_pipeline.credentials`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

EMBEDDED = "embedded"
PRODUCTION = "production"

PRODUCTION_HOSTS = {
    "clob": "https://clob.polymarket.com",
    "data_api": "https://data-api.polymarket.com",
    "gamma": "https://gamma-api.polymarket.com",
}
DEFAULT_EMULATOR_PORT = 8765
DEFAULT_FT_WALLETS_FILE = Path(__file__).parent / "strategy" / "ft_wallets.yaml"
STATE_FOLDER_NAME = ".lt_state"
# The checkout the package runs from (an editable install): its .lt_state is the project's state.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """One bad setting: the message names the variable and what was expected."""


@dataclass(frozen=True)
class Settings:
    deployment: str
    state_dir: Path
    ledger_url: str = field(repr=False)  # may carry a database password
    duckdb_path: Path
    clob_host: str
    data_api_host: str
    gamma_host: str
    chain_id: int
    emulator_host: str
    emulator_port: int
    emulator_seed: int
    private_key_env: str  # template, e.g. LT_PRIVATE_KEY_{USER}
    api_key_env: str
    api_secret_env: str
    api_passphrase_env: str
    funder_env: str
    default_user: str
    tracked_traders: tuple[str, ...]
    ft_wallets_file: Path
    alert_max_rejection_rate: float = 0.2  # a strategy's share of venue rejections over the last day
    alert_max_p95_latency_seconds: float = 5.0  # signal to submit, p95 over the last day
    alert_urls: tuple[str, ...] = field(default=(), repr=False)  # notification URLs (may carry tokens)
    state_dir_origin: str = "LT_STATE_DIR"  # how state_dir was found (see find_state_dir)

    @property
    def ledger_url_redacted(self) -> str:
        return make_url(self.ledger_url).render_as_string(hide_password=True)

    @property
    def is_embedded(self) -> bool:
        return self.deployment == EMBEDDED

    @property
    def state_dir_described(self) -> str:
        """The state folder and how it was found, for messages: `/path (the project folder's .lt_state)`."""
        return f"{self.state_dir} ({self.state_dir_origin})"

    def key_env_names(self, user_id: str) -> dict[str, str]:
        """The environment variable names that hold this user's secrets (never their values)."""
        suffix = env_suffix(user_id)
        return {
            "private_key": self.private_key_env.format(USER=suffix),
            "api_key": self.api_key_env.format(USER=suffix),
            "api_secret": self.api_secret_env.format(USER=suffix),
            "api_passphrase": self.api_passphrase_env.format(USER=suffix),
            "funder": self.funder_env.format(USER=suffix),
        }


def env_suffix(user_id: str) -> str:
    """A user id as it appears in environment variable names: upper case, non-alphanumerics as _."""
    return re.sub(r"[^A-Za-z0-9]", "_", user_id).upper()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ

    deployment = _choice(env, "LT_DEPLOYMENT", EMBEDDED, (EMBEDDED, PRODUCTION))
    state_dir, state_dir_origin = find_state_dir(env)
    ledger_url = _ledger_url(env, state_dir)
    emulator_host = env.get("LT_EMULATOR_HOST") or "127.0.0.1"
    emulator_port = _int(env, "LT_EMULATOR_PORT", DEFAULT_EMULATOR_PORT, 1, 65535)
    emulator_base = f"http://{emulator_host}:{emulator_port}"
    if deployment == EMBEDDED:
        defaults = {
            "clob": emulator_base,
            "data_api": f"{emulator_base}/data-api",
            "gamma": f"{emulator_base}/gamma",
        }
    else:
        defaults = PRODUCTION_HOSTS
    template_names = {}
    for name, default in (
        ("LT_PRIVATE_KEY_ENV", "LT_PRIVATE_KEY_{USER}"),
        ("LT_API_KEY_ENV", "LT_API_KEY_{USER}"),
        ("LT_API_SECRET_ENV", "LT_API_SECRET_{USER}"),
        ("LT_API_PASSPHRASE_ENV", "LT_API_PASSPHRASE_{USER}"),
        ("LT_FUNDER_ENV", "LT_FUNDER_{USER}"),
    ):
        template_names[name] = _env_name_template(env, name, default)

    return Settings(
        deployment=deployment,
        state_dir=state_dir,
        ledger_url=ledger_url,
        duckdb_path=Path(env.get("LT_DUCKDB_PATH") or state_dir / "analytics.duckdb").absolute(),
        clob_host=_http_url(env, "LT_CLOB_HOST", defaults["clob"]),
        data_api_host=_http_url(env, "LT_DATA_API_HOST", defaults["data_api"]),
        gamma_host=_http_url(env, "LT_GAMMA_HOST", defaults["gamma"]),
        chain_id=_int(env, "LT_CHAIN_ID", 137, 1, 2**31),
        emulator_host=emulator_host,
        emulator_port=emulator_port,
        emulator_seed=_int(env, "LT_EMULATOR_SEED", 7, 0, 2**31),
        private_key_env=template_names["LT_PRIVATE_KEY_ENV"],
        api_key_env=template_names["LT_API_KEY_ENV"],
        api_secret_env=template_names["LT_API_SECRET_ENV"],
        api_passphrase_env=template_names["LT_API_PASSPHRASE_ENV"],
        funder_env=template_names["LT_FUNDER_ENV"],
        default_user=_identifier(env, "LT_DEFAULT_USER", "demo"),
        tracked_traders=_addresses(env, "LT_TRACKED_TRADERS"),
        ft_wallets_file=_existing_file(env, "LT_FT_WALLETS_FILE", DEFAULT_FT_WALLETS_FILE),
        alert_max_rejection_rate=_fraction(env, "LT_ALERT_MAX_REJECTION_RATE", 0.2),
        alert_max_p95_latency_seconds=_seconds(env, "LT_ALERT_MAX_P95_LATENCY_SECONDS", 5.0),
        alert_urls=tuple(url.strip() for url in (env.get("LT_ALERT_URLS") or "").split(",") if url.strip()),
        state_dir_origin=state_dir_origin,
    )


def find_state_dir(env: Mapping[str, str], cwd: Path | None = None) -> tuple[Path, str]:
    """The state folder and how it was found, so `lt` works from any folder:
    LT_STATE_DIR when set; else the nearest .lt_state in the current folder or a parent (like git);
    else the project checkout's .lt_state (created by `lt run`); else ./.lt_state."""
    explicit = env.get("LT_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser().absolute(), "LT_STATE_DIR"
    cwd = (cwd or Path.cwd()).absolute()
    for folder in (cwd, *cwd.parents):
        if (folder / STATE_FOLDER_NAME).is_dir():
            where = "the current folder" if folder == cwd else f"found above {cwd}"
            return folder / STATE_FOLDER_NAME, f"{where}; LT_STATE_DIR unset"
    if is_project_checkout(PROJECT_ROOT):
        return PROJECT_ROOT / STATE_FOLDER_NAME, (
            f"the project folder's; LT_STATE_DIR unset and no {STATE_FOLDER_NAME} in {cwd} or above"
        )
    return cwd / STATE_FOLDER_NAME, (
        f"the current folder; LT_STATE_DIR unset, no {STATE_FOLDER_NAME} in {cwd} or above, and the package "
        "is not run from a project checkout"
    )


def is_project_checkout(folder: Path) -> bool:
    """True for the source tree of this project (pyproject.toml beside the lt_pipeline package)."""
    return (folder / "pyproject.toml").is_file() and (folder / "lt_pipeline" / "settings.py").is_file()


def missing_state_message(settings: Settings) -> str | None:
    """For commands that read an existing ledger: None when the state folder holds one (or the ledger is
    elsewhere), else one line saying where `lt` looked and how to create it."""
    url = make_url(settings.ledger_url)
    if url.get_backend_name() != "sqlite" or not url.database or Path(url.database).exists():
        return None
    return (f"no ledger at {url.database}: the state folder is {settings.state_dir_described}; "
            "start the stack with `make run` (or `lt run`) in the project folder, or set LT_STATE_DIR")


def check_state_dir_writable(settings: Settings) -> None:
    """Create the state folder if needed and prove it can be written; SettingsError in one line if not."""
    state = settings.state_dir
    try:
        state.mkdir(parents=True, exist_ok=True)
        probe = state / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SettingsError(
            f"LT_STATE_DIR: cannot write the state folder {settings.state_dir_described}: {reason}; "
            "point LT_STATE_DIR at a folder you can write"
        ) from None


def _fraction(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    try:
        value = default if raw in (None, "") else float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{name}: expected a fraction between 0 and 1 (0.2 is 20 %), got {raw!r}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    try:
        value = default if raw in (None, "") else float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise SettingsError(f"{name}: expected a number of seconds above 0, got {raw!r}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name}: expected one of {', '.join(allowed)}, got {env.get(name)!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: expected a whole number from {low} to {high}, got {value}")
    return value


def _http_url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name) or default
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{name}: expected an http(s) URL such as https://host[:port], got {raw!r}")
    return raw.rstrip("/")


def _ledger_url(env: Mapping[str, str], state_dir: Path) -> str:
    raw = env.get("LT_LEDGER_URL")
    if not raw:
        return f"sqlite:///{state_dir / 'ledger.db'}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingsError(
            "LT_LEDGER_URL: expected a SQLAlchemy URL such as sqlite:///path/ledger.db or "
            f"postgresql+psycopg2://user@host:5432/db, got {raw!r}"
        ) from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise SettingsError(
            f"LT_LEDGER_URL: expected a sqlite:// or postgresql+psycopg2:// URL, got scheme {url.drivername!r}"
        )
    if backend == "postgresql":
        if url.drivername == "postgresql":
            # SQLAlchemy 2.1 defaults to psycopg 3; the project ships psycopg2 (see docs/architecture.md).
            url = url.set(drivername="postgresql+psycopg2")
        elif url.drivername != "postgresql+psycopg2":
            raise SettingsError(
                f"LT_LEDGER_URL: expected the driver postgresql+psycopg2, got {url.drivername!r}"
            )
        if not url.database:
            raise SettingsError(f"LT_LEDGER_URL: expected a database name in the URL, got {raw!r}")
    return url.render_as_string(hide_password=False)


def _env_name_template(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    if "{USER}" not in value or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value.replace("{USER}", "X")):
        raise SettingsError(
            f"{name}: expected an environment variable name containing {{USER}}, such as {default}, got {value!r}"
        )
    return value


def _existing_file(env: Mapping[str, str], name: str, default: Path) -> Path:
    path = Path(env.get(name) or default).expanduser().absolute()
    if not path.is_file():
        raise SettingsError(f"{name}: expected the path of an existing file, got {str(path)!r}")
    return path


def _identifier(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", value):
        raise SettingsError(f"{name}: expected 1-64 letters, digits, '_', '.' or '-', got {value!r}")
    return value


def _addresses(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name) or ""
    addresses = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if not re.fullmatch(r"0x[0-9a-fA-F]{40}", part):
            raise SettingsError(f"{name}: expected comma-separated 0x-prefixed 40-hex addresses, got {part!r}")
        addresses.append(part.lower())
    return tuple(addresses)
