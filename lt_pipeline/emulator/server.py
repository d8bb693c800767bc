"""The emulator's one HTTP server, assembled: CLOB V2 routes at `/` (`clob_routes`, and the price
history in `history_routes`), the Data API under `/data-api` (`data_api`), Gamma under `/gamma`
(`gamma`), the real-time channels (RTDS at `/` and the CLOB user channel at `/ws/user`, `realtime`)
and admin under `/admin` (`admin`), wrapped in the fault-and-counter middleware
(`middleware`). The shared request/response plumbing is in `wire`;
this module only builds the context and the Starlette app, and no route module imports it.

Handlers run on the event loop thread (the venue is CPU-bound and serialised by one lock anyway,
so a thread pool would only add hand-offs); every success is exactly HTTP 200 and every refusal
is the venue's own status and `{"error": ...}` text.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from ..clock import Clock
from . import admin, auth, clob_routes, data_api, gamma, history_routes, identity, realtime
from .faults import FaultInjector
from .middleware import FaultsAndCounters
from .quotas import QuotaEnforcer, quota_time
from .wire import WireContext, WireOptions, error, make_routes

__all__ = ["WireContext", "WireOptions", "build_app", "build_context"]


def build_context(
    venue: Any,
    *,
    clock: Clock | None = None,
    faults: FaultInjector | str | None = None,
    key_seed: int = 0,
    options: WireOptions | None = None,
    keys: auth.ApiKeyStore | None = None,
    funders: dict[str, str] | None = None,
) -> WireContext:
    """The route context; `keys` and `funders` carry a resumed emulator's API keys (persistence)."""
    clock = clock if clock is not None else getattr(venue, "clock")
    options = options or WireOptions()
    injector = faults if isinstance(faults, FaultInjector) else FaultInjector(faults, seed=key_seed)
    identity.instance_id(venue)  # made now, so the first snapshot keeps it
    return WireContext(
        venue=venue,
        clock=clock,
        keys=keys if keys is not None else auth.ApiKeyStore(key_seed),
        faults=injector,
        options=options,
        funders=dict(funders or {}),
        quotas=QuotaEnforcer(options.quotas, quota_time(clock)) if options.quotas is not None else None,
    )


def build_app(ctx: WireContext) -> Any:
    """The ASGI app serving CLOB, Data API, Gamma, real-time and admin routes for one venue."""
    hub = realtime.RealtimeHub(ctx)
    routes: list[Any] = [
        Mount("/data-api", routes=make_routes(ctx, data_api.ROUTES)),
        Mount("/gamma", routes=make_routes(ctx, gamma.ROUTES)),
        Mount("/admin", routes=make_routes(ctx, admin.ROUTES + identity.ROUTES + hub.admin_routes(), sync_venue=False)),
        *hub.websocket_routes(),
        *make_routes(ctx, clob_routes.ROUTES + history_routes.ROUTES),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    return FaultsAndCounters(app, ctx)


async def _not_found(request: Request, exc: Exception) -> Response:
    return error(404, "not found")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return error(405, "method not allowed")
