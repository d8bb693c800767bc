"""The FT wallet file: the shipped wallets and grid, one clear message per mistake, hash and diff."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from lt_pipeline.strategy.config import (
    DEFAULT_WALLETS_FILE,
    WalletConfigError,
    config_hash,
    diff_configs,
    load_wallets,
)
from lt_pipeline_tests.strategy.factories import ALICE, BOB, wallet

GOOD = {
    "wallet_id": "FT_X",
    "display_name": "X",
    "starting_balance": 100,
    "filters": {"price_min": 0.2, "price_max": 0.8},
    "sizing": {"method": "fixed_usd", "bet_size_usd": 5},
}


def write(tmp_path: Path, document: object, name: str = "ft_wallets.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False) if not isinstance(document, str) else document)
    return path


def error_for(tmp_path: Path, document: object) -> str:
    with pytest.raises(WalletConfigError) as caught:
        load_wallets(write(tmp_path, document))
    return str(caught.value)


def with_change(section: str | None, **changes: object) -> dict:
    raw = {key: dict(value) if isinstance(value, dict) else value for key, value in GOOD.items()}
    (raw[section] if section else raw).update(changes)
    return {"wallets": [raw]}


def test_the_shipped_file_holds_the_seed_wallets_and_a_grid_making_seventy():
    wallets = load_wallets(DEFAULT_WALLETS_FILE)
    ids = [w.wallet_id for w in wallets]
    assert len(wallets) == 70 and len(set(ids)) == 70
    for seed_name in ("FT_HIGH_CONVICTION", "FT_MODEL_BALANCED", "FT_SHARP_SHOOTER"):
        assert seed_name in ids
    grid = [i for i in ids if i.startswith("FT_GRID_")]
    assert grid[0] == "FT_GRID_001" and grid[-1] == f"FT_GRID_{len(grid):03d}"
    assert {w.sizing.method for w in wallets} == {"fixed_usd", "bankroll_pct", "kelly", "conviction"}


def test_grid_wallets_take_the_base_and_one_value_of_each_list(tmp_path):
    document = {
        "wallets": [GOOD],
        "grid": {
            "base": {"starting_balance": 500, "sizing": {"method": "fixed_usd", "bet_size_usd": 5}},
            "vary": {"filters.price_max": [0.7, 0.9], "sizing.bet_size_usd": [5, 10, 20]},
        },
    }
    wallets = load_wallets(write(tmp_path, document))
    assert [w.wallet_id for w in wallets] == ["FT_X"] + [f"FT_GRID_{n:03d}" for n in range(1, 7)]
    fourth = wallets[4]
    assert (fourth.filters.price_max, fourth.sizing.bet_size_usd, fourth.starting_balance) == (
        Decimal("0.9"), Decimal("5"), Decimal("500"))
    assert "filters.price_max=0.9" in fourth.description


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (with_change("filters", price_max=1.5),
         "ft_wallets.yaml: wallet FT_X: filters.price_max: expected a number between 0 and 1, got 1.5"),
        (with_change("filters", price_min=0.9),
         "ft_wallets.yaml: wallet FT_X: filters.price_min: expected at most price_max (0.8), got 0.9"),
        (with_change("filters", min_minutes_to_end=100, max_minutes_to_end=50),
         "ft_wallets.yaml: wallet FT_X: filters.min_minutes_to_end: expected at most max_minutes_to_end (50), got 100"),
        (with_change("filters", min_trader_win_rate="high"),
         "ft_wallets.yaml: wallet FT_X: filters.min_trader_win_rate: expected a win rate between 0 and 1, got 'high'"),
        (with_change("filters", traders=[ALICE, "0x12"]),
         "ft_wallets.yaml: wallet FT_X: filters.traders: expected 'all' or a list of trader addresses "
         "(0x followed by 40 hex digits), got '0x12' as address #2"),
        (with_change("filters", side="SELL"),
         "ft_wallets.yaml: wallet FT_X: filters.side: expected 'BUY' or 'ANY', got 'SELL'"),
        (with_change("sizing", method="kelly"),
         "ft_wallets.yaml: wallet FT_X: sizing.kelly_fraction: expected a value when method is kelly, got nothing"),
        (with_change("sizing", method="martingale"),
         "ft_wallets.yaml: wallet FT_X: sizing.method: expected 'fixed_usd', 'bankroll_pct', 'kelly' or "
         "'conviction', got 'martingale'"),
        (with_change("sizing", min_bet_usd=10, max_bet_usd=5),
         "ft_wallets.yaml: wallet FT_X: sizing.min_bet_usd: expected at most max_bet_usd (5), got 10"),
        (with_change(None, starting_balance=0),
         "ft_wallets.yaml: wallet FT_X: starting_balance: expected a dollar amount above 0, got 0"),
        (with_change(None, is_active="yes"),
         "ft_wallets.yaml: wallet FT_X: is_active: expected true or false, got 'yes'"),
        (with_change(None, wallet_id="ft-x"),
         "ft_wallets.yaml: wallet ft-x: wallet_id: expected an upper snake id of at most 64 characters "
         "(e.g. FT_HIGH_CONVICTION), got 'ft-x'"),
        ({"wallets": [{k: v for k, v in GOOD.items() if k != "wallet_id"}]},
         "ft_wallets.yaml: wallet #1: wallet_id: expected a value, got nothing"),
        ({"wallets": [GOOD, dict(GOOD, display_name="Again")]},
         "ft_wallets.yaml: wallet FT_X: wallet_id: expected a unique id, got 'FT_X' again "
         "(already used by wallets entry #1)"),
        ({"wallets": [GOOD, "FT_Y"]},
         "ft_wallets.yaml: wallet #2: expected a mapping of wallet settings, got 'FT_Y'"),
    ],
)
def test_a_mistake_gets_one_message_naming_file_wallet_field_expected_and_found(tmp_path, document, message):
    assert error_for(tmp_path, document) == message


def test_unknown_keys_are_refused_at_every_level(tmp_path):
    assert error_for(tmp_path, with_change("filters", price_maximum=0.5)).startswith(
        "ft_wallets.yaml: wallet FT_X: filters.price_maximum: expected one of the known keys (traders, "
    )
    assert "got unknown key 'colour'" in error_for(tmp_path, with_change(None, colour="red"))
    assert "sizing.bet_usd: expected one of the known keys" in error_for(tmp_path, with_change("sizing", bet_usd=5))
    assert error_for(tmp_path, {"wallets": [GOOD], "walets": []}) == (
        "ft_wallets.yaml: expected one of the known keys (wallets, grid), got unknown key 'walets'"
    )
    grid = {"base": {}, "vary": {"filters.price_max": [0.5]}, "size": 3}
    assert "grid: expected one of the known keys" in error_for(tmp_path, {"grid": grid})


def test_grid_mistakes_name_the_generated_wallet_or_the_grid(tmp_path):
    base = {"starting_balance": 100, "sizing": {"method": "fixed_usd", "bet_size_usd": 5}}
    message = error_for(tmp_path, {"grid": {"base": base, "vary": {"filters.price_max": [0.5, 2]}}})
    assert message == (
        "ft_wallets.yaml: wallet FT_GRID_002 (grid): filters.price_max: expected a number between 0 and 1, got 2"
    )
    assert error_for(tmp_path, {"grid": {"base": base, "vary": {"filters.price_max": []}}}) == (
        "ft_wallets.yaml: grid: vary.filters.price_max: expected a non-empty list of values, got []"
    )
    colliding = {"wallets": [dict(GOOD, wallet_id="FT_GRID_001")],
                 "grid": {"base": base, "vary": {"filters.price_max": [0.5]}}}
    assert "wallet FT_GRID_001 (grid): wallet_id: expected a unique id" in error_for(tmp_path, colliding)


def test_unreadable_files_are_reported_with_their_name(tmp_path):
    message = error_for(tmp_path, "wallets:\n  - wallet_id: [unclosed\n")
    assert message.startswith("ft_wallets.yaml: expected valid YAML, got a syntax error at line ")
    with pytest.raises(WalletConfigError, match=r"^missing\.yaml: cannot read the file"):
        load_wallets(tmp_path / "missing.yaml")


def test_the_hash_ignores_presentation_and_follows_decision_settings():
    base = wallet(traders=[ALICE, BOB], price_max=0.8)
    same = wallet(traders=[BOB, ALICE.upper().replace("0X", "0x")], price_max="0.80")
    renamed = base.model_copy(update={"display_name": "Renamed", "description": "new words"})
    stricter = wallet(traders=[ALICE, BOB], price_max=0.7)
    assert config_hash(base) == config_hash(same) == config_hash(renamed)
    assert config_hash(base) != config_hash(stricter)
    assert len(config_hash(base)) == 64 and config_hash(base) == config_hash(base.model_copy())


def test_diff_lists_each_changed_field_with_old_and_new_values():
    old = wallet(price_max=0.8, min_conviction=2)
    new = wallet(price_max=0.7, min_conviction=2.0, sizing={"method": "fixed_usd", "bet_size_usd": 20})
    assert diff_configs(old, new) == {
        "filters.price_max": (Decimal("0.8"), Decimal("0.7")),
        "sizing.bet_size_usd": (Decimal("10"), Decimal("20")),
    }
    assert diff_configs(old, old) == {}
