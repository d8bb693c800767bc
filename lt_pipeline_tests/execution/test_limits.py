"""Risk limits: the size live places for a paper signal, and the stable reason when it places nothing."""

from decimal import Decimal as D

import pytest

from lt_pipeline.model.trading import SkipReason
from lt_pipeline.execution.limits import available_capital, daily_loss_breached, size_signal
from lt_pipeline.execution.settings import parse_settings
from lt_pipeline.money import BadNumber

SETTINGS = parse_settings(
    {"min_order_size_usd": 5, "max_order_size_usd": 50, "max_position_size_usd": 100, "max_total_exposure_usd": 500}
)


def size(signal_usd, *, position="0", exposure="0", capital="1000", **kw):
    return size_signal(
        D(signal_usd), D("0.5"), settings=SETTINGS, position_usd=D(position), open_exposure_usd=D(exposure),
        available_capital=D(capital), **kw,
    )


def test_a_signal_within_every_limit_keeps_the_paper_size():
    decision = size("20")
    assert (decision.size_usd, decision.reason, decision.clamped_by) == (D(20), None, [])
    assert decision.approved


def test_the_size_is_clamped_by_each_limit_in_turn():
    # 80 -> max order 50 -> position room 100 - 70 = 30 -> exposure room 500 - 475 = 25 -> capital 22.5
    decision = size("80", position="70", exposure="475", capital="22.5")
    assert decision.size_usd == D("22.5")
    assert decision.clamped_by == ["max_order_size", "position_cap", "exposure_cap", "insufficient_capital"]


@pytest.mark.parametrize(
    "signal, kw, reason",
    [
        ("4.99", {}, SkipReason.BELOW_MIN_ORDER_SIZE),
        ("0", {}, SkipReason.BELOW_MIN_ORDER_SIZE),
        ("20", {"position": "96"}, SkipReason.POSITION_CAP),  # room 4 < min 5
        ("20", {"position": "120"}, SkipReason.POSITION_CAP),  # already over the cap: room 0, not negative
        ("20", {"exposure": "497"}, SkipReason.EXPOSURE_CAP),
        ("20", {"capital": "3"}, SkipReason.INSUFFICIENT_CAPITAL),
        ("20", {"capital": "-10"}, SkipReason.INSUFFICIENT_CAPITAL),
    ],
)
def test_denials_carry_a_stable_reason(signal, kw, reason):
    decision = size(signal, **kw)
    assert decision.size_usd is None and not decision.approved
    assert decision.reason == reason
    assert str(decision.reason) == reason.value  # stored in the ledger as plain text


def test_the_tightest_limit_is_the_reason():
    # position room 4, exposure room 2, capital 100: exposure is the one that left too little
    decision = size("20", position="96", exposure="498", capital="100")
    assert decision.reason == SkipReason.EXPOSURE_CAP
    assert decision.clamped_by == ["position_cap", "exposure_cap"]


def test_clamped_to_exactly_the_minimum_is_still_placed():
    assert size("20", position="95").size_usd == D(5)


def test_a_sell_frees_capital_so_only_the_order_cap_and_holdings_apply():
    decision = size("80", exposure="500", capital="0", side="SELL")
    assert decision.size_usd == D(50) and decision.clamped_by == ["max_order_size"]
    # holding 30 shares at 0.5 is worth 15
    assert size("40", side="SELL", held_shares=D(30)).size_usd == D(15)
    assert size("40", side="SELL", held_shares=D(0)).reason == SkipReason.NOTHING_TO_SELL


def test_bad_inputs_name_the_field():
    with pytest.raises(BadNumber, match="signal_size_usd: expected a size of at least 0, got -1"):
        size("-1")
    with pytest.raises(BadNumber, match="signal_price: expected a price between 0 and 1, got 1.5"):
        size_signal(D(1), D("1.5"), settings=SETTINGS, position_usd=D(0), open_exposure_usd=D(0), available_capital=D(9))
    with pytest.raises(ValueError, match="side: expected BUY or SELL, got 'HOLD'"):
        size("10", side="HOLD")


def test_available_capital_is_starting_plus_realised_minus_open_exposure():
    assert available_capital(D(1000), D("-120.50"), D("300")) == D("579.50")


def test_daily_loss_limit():
    assert not daily_loss_breached(D("-99.99"), limit=D(100))
    assert daily_loss_breached(D("-100"), limit=D(100))  # reaching the limit stops the day
    assert daily_loss_breached(D("-60"), D("-40"), limit=D(100))  # unrealised counts when given
    assert not daily_loss_breached(D("-60"), D("30"), limit=D(50))
    assert not daily_loss_breached(D("-1000000"), limit=None)
