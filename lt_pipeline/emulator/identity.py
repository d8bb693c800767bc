"""The emulator's identity: one id made when a venue starts fresh, kept in its saved state, so a client
can tell the same venue resumed from a venue that lost what it held (`GET /admin/instance`)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request

from .wire import WireContext


def instance_id(venue: Any) -> str:
    """The venue's id, made on first use; it is an attribute of the venue, so snapshots keep it."""
    current = getattr(venue, "instance_id", None)
    if current is None:
        current = uuid.uuid4().hex
        venue.instance_id = current
    return current


async def instance(request: Request, ctx: WireContext) -> Any:
    return {"instance_id": instance_id(ctx.venue)}


ROUTES = [("GET", "/instance", instance)]
