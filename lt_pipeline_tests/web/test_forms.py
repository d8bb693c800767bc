"""The dashboard's forms over a real SQLite ledger (the app in process): bad input gets the CLI's
message and changes nothing, a cross-site POST changes nothing, unknown ids are a 404, and no secret
from the environment reaches a page."""

from __future__ import annotations

import re
import warnings

import pytest
from sqlalchemy import func, select

from lt_pipeline.execution.settings import SettingsError, parse_settings
from lt_pipeline.execution.strategies import StrategyError, create_strategy, get_strategy, launch, strategy_versions
from lt_pipeline.ledger.schema import lt_strategies, lt_strategy_versions, users
from lt_pipeline.tools import strategy_cli
from lt_pipeline.web.forms import split_messages
from lt_pipeline_tests.web.world import NOW

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

GOOD = {"starting_capital": "750", "slippage_tolerance_pct": "0.5", "order_type": "GTC", "max_position_size_usd": "80",
        "min_order_size_usd": "1", "max_order_size_usd": "50", "max_total_exposure_usd": "500", "max_daily_loss_usd": "",
        "order_ttl_seconds": "300", "max_signal_age_seconds": "300", "sync_ft_changes": "true"}


@pytest.fixture
def client(dashboard):
    with TestClient(dashboard.app, base_url="http://127.0.0.1:3001", follow_redirects=False) as client:
        yield client


def token(client, path: str = "/strategies/new") -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)


def ledger_state(engine) -> tuple:
    """Everything a form could change."""
    with engine.connect() as connection:
        strategies = connection.execute(select(lt_strategies).order_by(lt_strategies.c.strategy_id)).all()
        versions = connection.execute(select(func.count()).select_from(lt_strategy_versions)).scalar()
        people = connection.execute(select(users).order_by(users.c.user_id)).all()
    return tuple(map(tuple, strategies)), versions, tuple(map(tuple, people))


def create(client, **changes) -> object:
    form = {"csrf_token": token(client), "ft_wallet_id": "FT_A", "user_id": "demo", "then": "create", **GOOD, **changes}
    return client.post("/strategies", data={k: v for k, v in form.items() if v is not None})


def cli_says(dashboard, monkeypatch, capsys, *args: str) -> str:
    """What `lt strategy ...` prints for the same input, on the same ledger; it must fail."""
    monkeypatch.setenv("LT_STATE_DIR", str(dashboard.settings.state_dir))
    assert strategy_cli.main(list(args)) != 0
    return capsys.readouterr().err


def domain_says(engine, wallet: str, changes: dict) -> str:
    """The domain's message for this input (the one both the CLI and the form are built on)."""
    with pytest.raises((SettingsError, StrategyError)) as refused:
        create_strategy(engine, "demo", wallet, parse_settings({**GOOD, **changes}), NOW)
    return split_messages(refused.value)[0]


@pytest.mark.parametrize(("changes", "flags"), [
    ({"starting_capital": "-5"}, ("--capital", "-5")),
    ({"slippage_tolerance_pct": "150"}, ("--tolerance", "150")),
    ({"order_type": "IOC"}, ("--order-type", "IOC")),
    ({"max_position_size_usd": "abc"}, ("--max-position", "abc")),
    ({"order_ttl_seconds": "1.5"}, ("--ttl", "1.5")),
    ({"ft_wallet_id": "FT_NOPE"}, ()),
])
def test_a_bad_create_form_shows_the_cli_message_and_changes_nothing(dashboard, client, monkeypatch, capsys, changes, flags):
    before = ledger_state(dashboard.engine)
    answer = create(client, **changes)
    assert answer.status_code == 400
    assert ledger_state(dashboard.engine) == before
    changes = dict(changes)
    wallet = changes.pop("ft_wallet_id", "FT_A")
    expected = domain_says(dashboard.engine, wallet, changes)
    assert expected in _text(answer.text), f"the form says {expected!r}"
    cli = cli_says(dashboard, monkeypatch, capsys, "create", "--user", "demo", "--ft-wallet", wallet, *flags)
    assert expected.partition(": ")[2] in cli, f"the CLI says the same: {cli!r}"
    for name, value in changes.items():  # the boxes come back as they were posted
        if name != "order_type":  # a choice that is not offered cannot be shown chosen
            assert f'value="{value}"' in answer.text


def test_missing_fields_are_named_and_nothing_is_created(dashboard, client):
    before = ledger_state(dashboard.engine)
    answer = create(client, starting_capital=None, ft_wallet_id=None)
    assert answer.status_code == 400
    text = _text(answer.text)
    assert "starting_capital: expected a positive amount, got ''" in text
    assert "ft_wallet_id: expected the FT wallet to mirror, got nothing" in text
    assert ledger_state(dashboard.engine) == before


def test_a_second_twin_and_a_second_launch_are_refused_with_one_message(dashboard, client):
    assert create(client).status_code == 303
    before = ledger_state(dashboard.engine)
    again = create(client)
    assert again.status_code == 400
    assert "ft_wallet_id: user 'demo' already has LT_FT_A for FT wallet 'FT_A'" in _text(again.text)
    launched = client.post("/strategies/LT_A/launch", data={"csrf_token": token(client)})
    assert launched.status_code == 409
    assert "launched_at: LT_A was launched at 2026-03-10T08:00:00+00:00; a strategy launches once" in _text(launched.text)
    assert ledger_state(dashboard.engine) == before


def test_an_out_of_range_edit_shows_the_form_again_and_keeps_the_settings(dashboard, client):
    before = ledger_state(dashboard.engine)
    form = {"csrf_token": token(client, "/strategies/LT_A/edit"), **GOOD, "max_order_size_usd": "0.5", "min_order_size_usd": "1"}
    answer = client.post("/strategies/LT_A/edit", data=form)
    assert answer.status_code == 400
    assert "max_order_size_usd: must be at least min_order_size_usd (1), got 0.5" in _text(answer.text)
    assert ledger_state(dashboard.engine) == before
    saved = client.post("/strategies/LT_A/edit", data={**form, "max_order_size_usd": "30"})
    assert saved.status_code == 303 and saved.headers["location"] == "/strategies/LT_A?notice=edited"
    assert str(get_strategy(dashboard.engine, "LT_A").settings.max_order_size_usd) == "30"


@pytest.mark.parametrize("path", ["/strategies/NOPE", "/strategies/NOPE/edit", "/orders/NOPE-NOPE"])
def test_unknown_ids_are_a_404_that_names_them(client, path):
    answer = client.get(path)
    assert answer.status_code == 404
    assert "NOPE" in answer.text


def test_actions_on_an_unknown_strategy_are_a_404_and_change_nothing(dashboard, client):
    before = ledger_state(dashboard.engine)
    for action in ("launch", "pause", "resume", "edit"):
        answer = client.post(f"/strategies/NOPE/{action}", data={"csrf_token": token(client), **GOOD})
        assert answer.status_code == 404, action
    assert ledger_state(dashboard.engine) == before


@pytest.mark.parametrize(("headers", "use_token", "why"), [
    ({"origin": "http://evil.example"}, True, "Origin is 'http://evil.example'"),
    ({"sec-fetch-site": "cross-site"}, True, "Sec-Fetch-Site is 'cross-site'"),
    ({}, False, "token does not belong to this session"),
    ({"origin": "null"}, True, "Origin is 'null'"),
])
def test_a_cross_site_post_changes_nothing(dashboard, client, headers, use_token, why):
    launch(dashboard.engine, "LT_B", NOW)
    before = ledger_state(dashboard.engine)
    real = token(client)
    posts = [
        ("/strategies", {"ft_wallet_id": "FT_A", "user_id": "demo", "then": "launch", **GOOD}),
        ("/strategies/LT_A/pause", {"reason": "csrf"}),
        ("/strategies/LT_B/pause", {"reason": "csrf"}),
        ("/strategies/LT_A/edit", {**GOOD, "max_order_size_usd": "1"}),
        ("/users", {"new_user_id": "mallory", "new_user_name": "M"}),
    ]
    for path, form in posts:
        sent = {**form, "csrf_token": real if use_token else "0" * 64}
        answer = client.post(path, data=sent, headers=headers)
        assert answer.status_code == 403, path
        assert why in _text(answer.text)
    assert ledger_state(dashboard.engine) == before


def test_a_post_without_the_session_cookie_is_refused(dashboard, client):
    real = token(client)
    before = ledger_state(dashboard.engine)
    client.cookies.clear()
    answer = client.post("/strategies/LT_A/pause", data={"csrf_token": real, "reason": "no cookie"})
    assert answer.status_code == 403
    assert ledger_state(dashboard.engine) == before


def test_a_same_origin_browser_post_is_accepted(dashboard, client):
    headers = {"origin": "http://127.0.0.1:3001", "sec-fetch-site": "same-origin"}
    answer = client.post("/strategies/LT_A/pause", data={"csrf_token": token(client), "reason": "lunch"}, headers=headers)
    assert answer.status_code == 303
    assert get_strategy(dashboard.engine, "LT_A").pause_reason == "lunch"
    assert strategy_versions(dashboard.engine, "LT_A")[-1].changes["pause_reason"] == [None, "lunch"]


def test_pages_forbid_framing_and_scripts(client):
    answer = client.get("/")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert "<script" not in answer.text


def test_no_secret_from_the_environment_reaches_a_page(dashboard, client, monkeypatch):
    secrets = {"LT_PRIVATE_KEY_DEMO": "0x" + "ab" * 32, "LT_API_SECRET_DEMO": "c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
               "LT_API_PASSPHRASE_DEMO": "correct-horse-battery-staple", "LT_API_KEY_DEMO": "5f1e2d3c-api-key"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    assert create(client, then="launch").status_code == 303
    pages = ["/", "/strategies/new", "/strategies/LT_A", "/strategies/LT_FT_A", "/strategies/LT_FT_A/edit", "/orders/lt-S1"]
    for path in pages:
        text = client.get(path).text
        for value in secrets.values():
            assert value not in text, path


def _text(html: str) -> str:
    """The page's words, as a person reads them (entities decoded, tags dropped)."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))
