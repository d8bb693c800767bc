"""Cross-site request refusal for the dashboard's forms: a per-session token in every form, checked
against the session cookie, and the browser's own word on where a POST came from (Origin,
Sec-Fetch-Site). A refused POST changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl

from starlette.datastructures import MultiDict
from starlette.requests import Request

SESSION_COOKIE = "lt_session"
TOKEN_FIELD = "csrf_token"
MAX_FORM_BYTES = 64 * 1024  # the largest form (create) is under 1 KB


class CrossSiteRefused(Exception):
    """A POST that did not come from one of our own pages; the message says which check failed."""


class FormTooLarge(Exception):
    """A POST body larger than any form of ours."""


def new_secret() -> bytes:
    """The key that binds tokens to sessions; one per app, so a restart asks for a page reload."""
    return secrets.token_bytes(32)


def session_id(request: Request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE)
    return value if value and 20 <= len(value) <= 100 else None


def form_token(secret: bytes, session: str) -> str:
    return hmac.new(secret, session.encode(), hashlib.sha256).hexdigest()


async def checked_form(request: Request, secret: bytes) -> MultiDict:
    """The POSTed form, once the request has shown it comes from one of our pages; else CrossSiteRefused."""
    _check_origin(request)
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormTooLarge(f"a form of {len(body)} bytes; ours are under {MAX_FORM_BYTES}")
    form = MultiDict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    session = session_id(request)
    sent = form.get(TOKEN_FIELD, "")
    if session is None:
        raise CrossSiteRefused("no session cookie (open the page again and resubmit)")
    if not hmac.compare_digest(sent, form_token(secret, session)):
        raise CrossSiteRefused("the form's token does not belong to this session (reload the page and resubmit)")
    return form


def _check_origin(request: Request) -> None:
    # Browsers send Sec-Fetch-Site on every request and Origin on every POST; a script without them
    # still needs the session's token.
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CrossSiteRefused(f"Sec-Fetch-Site is {site!r}, expected same-origin")
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin != own:
            raise CrossSiteRefused(f"Origin is {origin!r}, expected {own!r}")
