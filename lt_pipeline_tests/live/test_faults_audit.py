"""The fault audit that the other fault tests and `lt drill faults` rely on: it finds a signal placed
twice, a lost fill, a wrong filled size and an order left in flight; and the drill prints its table and
a JSON line with the audit of each profile (SQLite)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import delete, update

from lt_pipeline.tools import fault_drill
from lt_pipeline.tools.fault_drill import audit_ledger
from lt_pipeline.ledger import schema
from lt_pipeline_tests.live.builders import limit_plan
from lt_pipeline_tests.live.test_faults_support import session, settle_and_audit

__all__ = ["session"]  # the fixture, imported for pytest


@pytest.fixture
def ledger_url(sqlite_url) -> str:
    return sqlite_url


def test_the_audit_finds_a_second_order_for_a_signal_a_lost_fill_and_an_order_in_flight(session):
    session.tick()
    session.tick()
    clean = settle_and_audit(session)
    assert clean.intents == clean.intents_at_venue == clean.venue_orders > 1 and clean.venue_fills

    first, second = [row for row in session.lt_orders() if row.order_id][:2]
    # The same signal signed again (a new salt, so a new hash) and sent: a second venue order for it.
    neg_risk = session.emulator.venue.market_for_token(first.token_id).neg_risk
    again = session.trader.sign(first.token_id, limit_plan(first.side, str(first.limit_price), "5"), neg_risk=neg_risk)
    assert session.trader.submit([again])[0].outcome == "accepted"
    with session.engine.begin() as connection:
        connection.execute(delete(schema.fills).where(schema.fills.c.order_id == first.order_id))
        connection.execute(update(schema.lt_orders).where(schema.lt_orders.c.lt_order_id == second.lt_order_id)
                           .values(status="UNKNOWN", executed_shares=second.executed_shares + Decimal(1)))

    audit = audit_ledger(session.engine, session.emulator.venue, session.funders)
    assert audit.duplicate_orders == 1 and audit.venue_orders == audit.intents + 1
    assert audit.lost_fills >= 1
    assert audit.in_flight == 1 and audit.size_mismatches == 1 and audit.state_mismatches == 1
    assert not audit.clean and set(audit.problems) >= {"duplicate_orders", "lost_fills", "in_flight"}


def test_the_drill_prints_each_profile_with_its_audit(capsys):
    assert fault_drill.main(["--profiles", "lossy", "--ticks", "2", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    lossy = figures["profiles"]["lossy"]
    assert figures["clean"] is True and figures["ticks"] == 2
    assert lossy["signals"] > 0 and lossy["placed"] == lossy["accepted"] + lossy["rejected"] + lossy["unknown"]
    assert lossy["dup_orders"] == lossy["lost_fills"] == lossy["size_mism"] == lossy["in_flight"] == 0
    assert lossy["audit"]["venue_orders"] == lossy["audit"]["intents_at_venue"]
    table = "\n".join(lines[:-1])
    assert "dup_orders" in table and any(line.split()[:1] == ["lossy"] for line in lines)


def test_the_drill_refuses_an_unknown_profile(capsys):
    assert fault_drill.main(["--profiles", "flaky,wobbly"]) == 2
    assert "--profiles" in capsys.readouterr().err
