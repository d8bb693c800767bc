from pathlib import Path

import pytest

from lt_pipeline.settings import PRODUCTION_HOSTS, SettingsError, load_settings


def test_defaults_give_the_embedded_setup(tmp_path):
    settings = load_settings({"LT_STATE_DIR": str(tmp_path)})
    assert settings.is_embedded
    assert settings.ledger_url == f"sqlite:///{tmp_path / 'ledger.db'}"
    assert settings.clob_host == "http://127.0.0.1:8765"
    assert settings.data_api_host == "http://127.0.0.1:8765/data-api"
    assert settings.gamma_host == "http://127.0.0.1:8765/gamma"
    assert settings.duckdb_path == Path(tmp_path) / "analytics.duckdb"


def test_production_points_at_polymarket():
    settings = load_settings({"LT_DEPLOYMENT": "production"})
    assert settings.clob_host == PRODUCTION_HOSTS["clob"]
    assert settings.data_api_host == PRODUCTION_HOSTS["data_api"]


def test_plain_postgresql_url_gets_the_psycopg2_driver():
    settings = load_settings({"LT_LEDGER_URL": "postgresql://lt@db.internal:5432/ledger"})
    assert settings.ledger_url == "postgresql+psycopg2://lt@db.internal:5432/ledger"


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({"LT_LEDGER_URL": "not a url"}, "LT_LEDGER_URL: expected a SQLAlchemy URL"),
        ({"LT_LEDGER_URL": "mysql://u@h/db"}, "LT_LEDGER_URL: expected a sqlite:// or postgresql+psycopg2:// URL"),
        ({"LT_LEDGER_URL": "postgresql+psycopg://u@h/db"}, "LT_LEDGER_URL: expected the driver postgresql+psycopg2"),
        ({"LT_EMULATOR_PORT": "eighty"}, "LT_EMULATOR_PORT: expected a whole number"),
        ({"LT_EMULATOR_PORT": "70000"}, "LT_EMULATOR_PORT: expected a whole number from 1 to 65535"),
        ({"LT_CLOB_HOST": "ftp://x"}, "LT_CLOB_HOST: expected an http(s) URL"),
        ({"LT_DEPLOYMENT": "staging"}, "LT_DEPLOYMENT: expected one of embedded, production"),
        ({"LT_PRIVATE_KEY_ENV": "MY_KEY"}, "LT_PRIVATE_KEY_ENV: expected an environment variable name containing {USER}"),
        ({"LT_TRACKED_TRADERS": "0x12,abc"}, "LT_TRACKED_TRADERS: expected comma-separated 0x-prefixed 40-hex addresses"),
    ],
)
def test_bad_setting_names_the_variable_and_what_was_expected(environ, expected):
    with pytest.raises(SettingsError) as error:
        load_settings(environ)
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_key_variables_are_named_per_user_and_passwords_stay_out_of_repr():
    settings = load_settings({"LT_LEDGER_URL": "postgresql+psycopg2://lt:hunter2@db/ledger"})
    assert settings.key_env_names("alice.smith")["private_key"] == "LT_PRIVATE_KEY_ALICE_SMITH"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in settings.ledger_url_redacted
