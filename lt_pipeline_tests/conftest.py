"""Shared fixtures: ledgers on SQLite and PostgreSQL (each test gets its own empty database/schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("LT_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def _share_httpx_default_ssl_context() -> None:
    """httpx reads and parses the whole CA bundle (about 45 ms) for every client it makes, even one that
    only ever speaks plain HTTP; the code under test makes a client per API object (thousands in a suite,
    a sixth of an execution tick), and here every request goes to loopback over plain HTTP. So the
    default context (verify=True, no client certificate) is made once per CA setting and shared; any
    other `verify` or `cert` is made as before. What a request does is unchanged."""
    import functools

    try:
        from httpx._transports import default as transports
    except ImportError:  # another httpx layout: every client makes its own, as before
        return
    make = transports.create_ssl_context

    @functools.lru_cache(maxsize=None)
    def default_context(trust_env: bool, cert_file: str | None, cert_dir: str | None):
        return make(verify=True, cert=None, trust_env=trust_env)

    def create_ssl_context(verify=True, cert=None, trust_env=True):
        if verify is True and cert is None:
            return default_context(trust_env, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        return make(verify=verify, cert=cert, trust_env=trust_env)

    transports.create_ssl_context = create_ssl_context


_share_httpx_default_ssl_context()


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as error:  # any failure to connect means "unreachable"
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_available() -> None:
    problem = _pg_reachable()
    if problem is None:
        return
    message = f"PostgreSQL at {make_url(PG_URL).render_as_string()} is unreachable ({problem})"
    if os.environ.get("CI"):
        pytest.fail(message + "; under CI the PostgreSQL tests must run, not skip", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def pg_url(pg_available) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"lt_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def ledger_engine(ledger_url):
    """The ledger at the latest migration (a copy of a migrated template: lt_pipeline_tests/ledger_template.py)."""
    from lt_pipeline.ledger.engine import make_engine
    from lt_pipeline_tests import ledger_template

    engine = make_engine(ledger_url)
    ledger_template.upgrade(engine)
    yield engine
    engine.dispose()
