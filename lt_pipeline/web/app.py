"""The dashboard as a Starlette app: the strategy list, a strategy's card with its controls, creating a
live twin from an FT wallet, editing its limits, and one order's detail, with links into the Dagster UI.

Figures come from the operator read models (lt_pipeline.operator); every change goes through the
domain's own functions (lt_pipeline.execution.strategies), so a form refuses what the CLI refuses, in
the same words, and changes nothing then. A POST is accepted only from our own pages (see guard.py).
"""

from __future__ import annotations

import logging
from secrets import token_urlsafe
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from lt_pipeline.clock import Clock, SystemClock
from lt_pipeline.ledger.engine import make_engine
from lt_pipeline.operator.common import UnknownId
from lt_pipeline.settings import Settings
from lt_pipeline.web import actions, pages
from lt_pipeline.web.formatting import FILTERS
from lt_pipeline.web.guard import (
    SESSION_COOKIE,
    TOKEN_FIELD,
    CrossSiteRefused,
    FormTooLarge,
    form_token,
    new_secret,
    session_id,
)
from lt_pipeline.web.links import DagsterLinks
from lt_pipeline.web.pictures import PictureCache

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

# No script at all, no framing (clickjacking), forms only to ourselves, pictures inline or ours.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@dataclass
class Web:
    """What every page needs: the ledger, the clock, where the analytics file and the Dagster UI are."""

    settings: Settings
    engine: Engine
    clock: Clock
    dagster: DagsterLinks
    secret: bytes
    templates: Jinja2Templates
    pictures: PictureCache

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def default_user(self) -> str:
        return self.settings.default_user

    @property
    def duckdb_path(self) -> Path:
        return self.settings.duckdb_path


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    dagster_url: str = "http://127.0.0.1:3000",
) -> Starlette:
    """The dashboard over the ledger of `settings` (or `engine`), on the system clock unless told."""
    engine = engine if engine is not None else make_engine(settings.ledger_url)
    templates = Jinja2Templates(directory=str(HERE / "templates"), context_processors=[_page_context])
    templates.env.filters.update(FILTERS)
    web = Web(settings, engine, clock or SystemClock(), DagsterLinks(dagster_url), new_secret(), templates,
              PictureCache(engine, settings.duckdb_path))
    routes = [
        Route("/", _page(pages.strategy_list)),
        Route("/health", lambda request: PlainTextResponse("ok")),
        Route("/strategies/new", _page(pages.create_form)),
        Route("/strategies", _action(actions.create), methods=["POST"]),
        Route("/strategies/{strategy_id}", _page(pages.strategy_card)),
        Route("/strategies/{strategy_id}/edit", _page(pages.edit_form)),
        Route("/strategies/{strategy_id}/edit", _action(actions.edit), methods=["POST"]),
        Route("/strategies/{strategy_id}/launch", _action(actions.launch), methods=["POST"]),
        Route("/strategies/{strategy_id}/pause", _action(actions.pause), methods=["POST"]),
        Route("/strategies/{strategy_id}/resume", _action(actions.resume), methods=["POST"]),
        Route("/strategies/{strategy_id}/pictures/{index:int}.png", _page(pages.picture)),
        Route("/orders/{lt_order_id}", _page(pages.order_detail)),
        Route("/users", _action(actions.add_user), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.web = web
    app.add_middleware(_SessionAndHeaders)
    return app


def _page_context(request: Request) -> dict:
    web: Web = request.app.state.web
    session = session_id(request) or request.state.new_session
    return {"csrf_field": TOKEN_FIELD, "csrf_token": form_token(web.secret, session), "dagster": web.dagster,
            "now": web.now()}


def _page(handler):
    """A GET page: `handler(web, request)` runs in a worker thread (the ledger is blocking I/O)."""

    async def endpoint(request: Request) -> Response:
        web: Web = request.app.state.web
        try:
            return await run_in_threadpool(handler, web, request)
        except UnknownId as error:
            return error_page(web, request, 404, "Not found", str(error))

    return endpoint


def _action(handler):
    """A POST: refused unless it comes from our own page; then `handler(web, request, form)` in a thread."""

    async def endpoint(request: Request) -> Response:
        web: Web = request.app.state.web
        try:
            form = await actions.read_form(request, web.secret)
        except CrossSiteRefused as error:
            log.warning("refused a POST to %s: %s", request.url.path, error)
            return error_page(web, request, 403, "Refused", f"This request did not come from one of this dashboard's "
                              f"pages, so nothing was changed: {error}.")
        except FormTooLarge as error:
            return error_page(web, request, 413, "Too large", str(error))
        try:
            return await run_in_threadpool(handler, web, request, form)
        except UnknownId as error:
            return error_page(web, request, 404, "Not found", str(error))

    return endpoint


def error_page(web: Web, request: Request, status: int, title: str, message: str) -> Response:
    return web.templates.TemplateResponse(request, "error.html", {"title": title, "message": message},
                                          status_code=status)


async def _not_found(request: Request, _exc) -> Response:
    return error_page(request.app.state.web, request, 404, "Not found", f"No page at {request.url.path}.")


async def _not_allowed(request: Request, _exc) -> Response:
    return PlainTextResponse(f"{request.method} is not allowed on {request.url.path}", status_code=405)


class _SessionAndHeaders:
    """Gives a browser without one a session cookie (the forms' tokens are bound to it) and puts the
    security headers on every response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fresh = None
        if session_id(Request(scope)) is None:
            fresh = token_urlsafe(32)
            scope.setdefault("state", {})["new_session"] = fresh

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if fresh is not None:
                    headers.append("set-cookie", f"{SESSION_COOKIE}={fresh}; HttpOnly; SameSite=Strict; Path=/")
            await send(message)

        await self.app(scope, receive, send_with_headers)
