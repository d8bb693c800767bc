"""Is the venue still the one this ledger traded with? The embedded emulator keeps an id in its saved
state; the ledger remembers the id it first traded with. When the two differ, the venue has lost what
the ledger holds (its state was deleted or started fresh), and nothing is placed or synced: syncing
would read every open order as gone and quietly cancel it in the ledger. The ledger check then says
so and names the one command that starts both over.

Real Polymarket has no such id (the route answers 404): there the check always passes.
"""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy import Engine, delete, exists, select

from lt_pipeline.ledger.schema import lt_orders, system_controls
from lt_pipeline.ledger.writes import upsert

VENUE_INSTANCE = "venue_instance"
VENUE_LOST = "venue_lost"
START_OVER = "lt reset --yes"


def venue_instance_id(admin_url: str) -> str | None:
    """The emulator's instance id; None when the venue has none (production) or cannot be asked."""
    try:
        answer = httpx.get(f"{admin_url.rstrip('/')}/instance", timeout=5)
        return str(answer.json()["instance_id"]) if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def check_venue(engine: Engine, admin_url: str | None, now: datetime) -> str | None:
    """None when the venue is the ledger's (or cannot tell); else the sentence saying it is not, which
    is also kept in the ledger for the ledger check."""
    if not admin_url:
        return None
    current = venue_instance_id(admin_url)
    if current is None:
        return None
    with engine.begin() as connection:
        known = connection.execute(select(system_controls.c.value).where(system_controls.c.name == VENUE_INSTANCE)).scalar()
        if known is None or known == current:
            upsert(connection, system_controls, [{"name": VENUE_INSTANCE, "value": current, "reason": None, "updated_at": now}],
                   ["name"], ["value", "updated_at"])
            connection.execute(delete(system_controls).where(system_controls.c.name == VENUE_LOST))
            return None
        traded = connection.execute(select(exists().where(lt_orders.c.order_id.is_not(None)))).scalar()
        if not traded:  # nothing placed yet: the new venue simply becomes the ledger's
            upsert(connection, system_controls, [{"name": VENUE_INSTANCE, "value": current, "reason": None, "updated_at": now}],
                   ["name"], ["value", "updated_at"])
            return None
        message = (f"the venue is not the one this ledger traded with (emulator instance {current[:8]}, the ledger's "
                   f"{known[:8]}): its state was deleted or started fresh, so the orders and fills the ledger holds are "
                   f"not there; nothing is placed or synced until both start over with `{START_OVER}`")
        upsert(connection, system_controls, [{"name": VENUE_LOST, "value": "on", "reason": message, "updated_at": now}],
               ["name"], ["value", "reason", "updated_at"])
        return message


def venue_lost(connection) -> str | None:
    """The sentence the last check left, while the venue is not the ledger's."""
    return connection.execute(select(system_controls.c.reason).where(system_controls.c.name == VENUE_LOST)).scalar()
