"""A fresh ledger at the latest migration for a test, without running every migration for every test
(about 0.5 s each, 400 times a suite).

The first empty ledger of each backend that a test process asks for is migrated for real
(`migrate.upgrade`) and kept as a template; every later empty ledger of that backend is made a copy of
it: on SQLite through SQLite's backup of the template database, on PostgreSQL by replaying the
template schema's `pg_dump` (tables, keys, indexes, sequences and rows, the Alembic version among
them) into the test's own empty schema. The copy is the database the migrations make. A ledger that is
not empty, another backend, or a PostgreSQL whose dump cannot be made or replayed is migrated as before;
and so is every ledger with LT_TEST_MIGRATE_EACH=1 in the environment.

The migrations themselves still run for real where they are the subject (foundation/test_ledger*,
`lt db upgrade`) and in every tool that makes its own ledger (the demo, the drills, the benchmarks).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from lt_pipeline.ledger import migrate
from lt_pipeline.ledger.engine import make_engine

_LOCK = threading.Lock()
_SQLITE: dict[str, Path] = {}  # "path" -> the migrated template database
_POSTGRES: dict[tuple, str | None] = {}  # server and database -> the template schema's dump (None: cannot)
_FOLDER: list[tempfile.TemporaryDirectory] = []
_TEMPLATE_NAME = "lt_template_"  # + 12 hex digits: unique, and found nowhere else in a dump


def upgrade(engine: Engine) -> None:
    """`migrate.upgrade(engine)` for a test's ledger: a copy of the template when the ledger is empty."""
    backend = engine.dialect.name
    if os.environ.get("LT_TEST_MIGRATE_EACH") == "1":
        migrate.upgrade(engine)
    elif backend == "sqlite" and _empty(engine) and engine.url.database not in (None, "", ":memory:"):
        _copy_sqlite(engine)
    elif backend == "postgresql" and _empty(engine) and _replay_postgres(engine):
        pass
    else:
        migrate.upgrade(engine)


def _empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return not connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        return not connection.execute(text(
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema()"
        )).scalar()


def _folder() -> Path:
    if not _FOLDER:
        _FOLDER.append(tempfile.TemporaryDirectory(prefix="lt-ledger-template-"))
    return Path(_FOLDER[0].name)


# --- SQLite -----------------------------------------------------------------------------------------------


def _copy_sqlite(engine: Engine) -> None:
    with _LOCK:
        if "path" not in _SQLITE:
            path = _folder() / "template.db"
            template = make_engine(f"sqlite:///{path}")
            migrate.upgrade(template)
            template.dispose()
            _SQLITE["path"] = path
    source = sqlite3.connect(_SQLITE["path"])
    target = engine.raw_connection()
    try:
        source.backup(target.driver_connection)
    finally:
        target.close()
        source.close()


# --- PostgreSQL -------------------------------------------------------------------------------------------


def _replay_postgres(engine: Engine) -> bool:
    url = engine.url
    server = (url.host, url.port, url.username, url.database)
    with _LOCK:
        if server not in _POSTGRES:
            _POSTGRES[server] = _dump_template(url)
    dump = _POSTGRES[server]
    if dump is None:
        return False
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar()
    # A connection of its own, outside the pool: the dump empties the search_path of the session it runs in.
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    raw = engine.dialect.connect(*cargs, **cparams)
    try:
        with raw.cursor() as cursor:
            cursor.execute(dump.replace("\x00SCHEMA\x00", f'"{schema}"'))
        raw.commit()
        return True
    except Exception:  # noqa: BLE001  (the dump did not replay: migrate as before)
        raw.rollback()
        return False
    finally:
        raw.close()


def _dump_template(url: URL) -> str | None:
    """The migrated template schema's dump, its schema's name a placeholder; None when pg_dump cannot
    make it here."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    name = f"{_TEMPLATE_NAME}{uuid.uuid4().hex[:12]}"
    plain = url.set(query={k: v for k, v in url.query.items() if k != "options"})
    admin = create_engine(plain)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        template = make_engine(plain.update_query_dict({"options": f"-csearch_path={name}"})
                               .render_as_string(hide_password=False))
        try:
            migrate.upgrade(template)
        finally:
            template.dispose()
        env = {**os.environ, "PGPASSWORD": url.password or os.environ.get("PGPASSWORD", "")}
        command = [pg_dump, "--schema", name, "--no-owner", "--no-privileges", "--inserts",
                   "--host", url.host or "127.0.0.1", "--port", str(url.port or 5432),
                   "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        if done.returncode != 0:
            return None
        # Not replayed: the schema's creation (the test's schema exists), psql's meta-commands
        # (`\restrict`), and a setting older servers do not know.
        lines = [line for line in done.stdout.splitlines()
                 if not line.startswith(("CREATE SCHEMA ", "\\", "SET transaction_timeout"))]
        return "\n".join(lines).replace(f'"{name}"', name).replace(name, "\x00SCHEMA\x00")
    except Exception:  # noqa: BLE001  (no template: every ledger is migrated as before)
        return None
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()
