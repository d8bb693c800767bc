"""Settings validation: every bad value is refused with a message naming the field and the expectation."""

from decimal import Decimal

import pytest

from lt_pipeline.execution.settings import LtStrategySettings, SettingsError, apply_edit, parse_settings


def test_defaults_are_cautious():
    settings = parse_settings({})
    assert settings.starting_capital == Decimal("1000")
    assert settings.slippage_tolerance_pct == Decimal("3")
    assert settings.order_type == "GTC"
    assert (settings.min_order_size_usd, settings.max_order_size_usd) == (Decimal(1), Decimal(50))
    assert settings.max_position_size_usd == Decimal(100)
    assert settings.max_total_exposure_usd == Decimal(500)
    assert settings.max_daily_loss_usd is None
    assert settings.order_ttl_seconds == 300
    assert settings.sync_ft_changes is True


def test_values_from_a_form_are_parsed_exactly():
    settings = parse_settings(
        {"starting_capital": "2500.10", "slippage_tolerance_pct": 0.1, "order_type": "fok",
         "max_daily_loss_usd": "", "order_ttl_seconds": "600", "sync_ft_changes": "false"}
    )
    assert settings.starting_capital == Decimal("2500.10")
    assert settings.slippage_tolerance_pct == Decimal("0.1")  # float read via its shortest repr
    assert settings.order_type == "FOK"
    assert settings.max_daily_loss_usd is None  # a blank field means no limit
    assert settings.order_ttl_seconds == 600
    assert settings.sync_ft_changes is False


@pytest.mark.parametrize(
    "values, message",
    [
        ({"min_order_size_usd": 5, "max_order_size_usd": 2},
         "max_order_size_usd: must be at least min_order_size_usd (5), got 2"),
        ({"slippage_tolerance_pct": 150}, "slippage_tolerance_pct: expected a percentage between 0 and 100, got 150"),
        ({"slippage_tolerance_pct": -1}, "slippage_tolerance_pct: expected a percentage between 0 and 100, got -1"),
        ({"order_type": "IOC"}, "order_type: expected one of GTC, FOK, FAK, got 'IOC'"),
        ({"starting_capital": -5}, "starting_capital: expected a positive amount, got -5"),
        ({"starting_capital": 0}, "starting_capital: expected a positive amount, got 0"),
        ({"starting_capital": "lots"}, "starting_capital: expected a positive amount, got 'lots'"),
        ({"min_order_size_usd": -1}, "min_order_size_usd: expected an amount of at least 0, got -1"),
        ({"max_daily_loss_usd": 0}, "max_daily_loss_usd: expected a positive amount, got 0"),
        ({"order_ttl_seconds": 0}, "order_ttl_seconds: expected a whole number of seconds greater than 0, got 0"),
        ({"order_ttl_seconds": 1.5}, "order_ttl_seconds: expected a whole number of seconds greater than 0, got 1.5"),
        ({"sync_ft_changes": "maybe"}, "sync_ft_changes: expected true or false, got 'maybe'"),
        ({"max_position_size_usd": "0.5"}, "max_position_size_usd: must be at least min_order_size_usd (1), got 0.5"),
        ({"starting_capital": float("nan")}, "starting_capital: expected a positive amount, got nan"),
    ],
)
def test_bad_values_name_the_field_and_the_expectation(values, message):
    with pytest.raises(SettingsError) as caught:
        parse_settings(values)
    assert str(caught.value) == message


def test_a_misspelt_setting_is_refused_not_ignored():
    with pytest.raises(SettingsError, match=r"^max_order_usd: not a known setting \(known settings: starting_capital,"):
        parse_settings({"max_order_usd": 10})


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        parse_settings({"starting_capital": -1, "order_type": "IOC"})
    assert caught.value.problems == [
        "starting_capital: expected a positive amount, got -1",
        "order_type: expected one of GTC, FOK, FAK, got 'IOC'",
    ]


def test_settings_are_immutable_and_direct_construction_is_validated_too():
    settings = LtStrategySettings()
    with pytest.raises(Exception):
        settings.starting_capital = Decimal(5)
    with pytest.raises(ValueError, match="slippage_tolerance_pct: expected a percentage"):
        LtStrategySettings(slippage_tolerance_pct=101)


def test_record_form_round_trips_exactly():
    settings = parse_settings({"starting_capital": "1234.567", "max_daily_loss_usd": "40"})
    record = settings.as_record()
    assert record["starting_capital"] == "1234.567"
    assert parse_settings(record) == settings


def test_edit_returns_the_new_settings_and_what_changed():
    before = parse_settings({})
    after, diff = apply_edit(before, {"max_order_size_usd": "25", "order_type": "FAK", "slippage_tolerance_pct": "3.0"})
    assert after.max_order_size_usd == Decimal(25) and after.order_type == "FAK"
    # 3.0 equals 3, so the tolerance is not reported as a change
    assert diff == {"max_order_size_usd": (Decimal(50), Decimal(25)), "order_type": ("GTC", "FAK")}


def test_an_edit_breaking_a_cross_field_rule_is_refused_and_the_old_settings_stand():
    before = parse_settings({"min_order_size_usd": 5})
    with pytest.raises(SettingsError, match=r"max_order_size_usd: must be at least min_order_size_usd \(5\), got 2"):
        apply_edit(before, {"max_order_size_usd": 2})
    assert before.max_order_size_usd == Decimal(50)
