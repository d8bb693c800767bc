"""The raw ASGI middleware around the emulator's router: counts every request (by route shape) and
every status into the `WireContext`, enforces the request quotas (`quotas.py`: 429 with Retry-After
past a published limit), and applies the active fault profile (delays, throttling, halts, dropped
connections, replies lost after the order was placed)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from .faults import (
    CANCEL_ONLY_TEXT,
    HALTED_TEXT,
    LOST_REPLY_TEXT,
    ORDER_ERROR_TEXT,
    THROTTLED_TEXT,
    Decision,
    RouteKind,
)
from .wire import WireContext


def route_kind(method: str, path: str) -> RouteKind:
    if path.startswith("/admin"):
        return "admin"
    if method == "POST" and path in ("/order", "/orders"):
        return "order_post"
    if method == "DELETE" and path in ("/order", "/orders", "/cancel-all", "/cancel-market-orders"):
        return "cancel"
    if path.startswith(("/data/", "/balance-allowance", "/auth/")):
        return "private"
    return "public"


def counter_key(method: str, path: str) -> str:
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "data" and parts[2] == "order":
        path = "/data/order/{id}"
    elif len(parts) > 2 and parts[1] in ("markets", "clob-markets", "markets-by-token") and parts[2] != "":
        path = f"/{parts[1]}/{{id}}"
    elif parts[1:2] == ["gamma"] and len(parts) > 3 and parts[2] == "markets":
        path = "/gamma/markets/{id}"
    return f"{method} {path}"


class _LostReplyFilter(logging.Filter):
    """Hide uvicorn's complaint about the replies the fault injector cuts off on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_LostReplyFilter())


class FaultsAndCounters:
    """ASGI middleware: counts every request and status, and applies the active fault profile."""

    def __init__(self, app: Any, ctx: WireContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        ctx = self.ctx
        key = counter_key(method, path)
        ctx.request_counts[key] = ctx.request_counts.get(key, 0) + 1
        kind = route_kind(method, path)

        async def counting_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status = str(message["status"])
                ctx.status_counts[status] = ctx.status_counts.get(status, 0) + 1
            await send(message)

        if ctx.quotas is not None and kind != "admin":
            client = scope.get("client") or ("", 0)
            wait = ctx.quotas.check(path, str(client[0]))
            if wait is not None:
                await _send_json(counting_send, 429, {"error": THROTTLED_TEXT}, [(b"retry-after", str(wait).encode())])
                return
        decision = ctx.faults.decide(kind)
        if decision.delay_seconds:
            await asyncio.sleep(decision.delay_seconds)

        if decision.action != "none":
            await self._refuse(decision, counting_send)
            return
        if not decision.lose_reply:
            await self.app(scope, receive, counting_send)
            return

        async def swallow(message: dict) -> None:
            return None

        await self.app(scope, receive, swallow)  # the order is placed, the reply never arrives
        if decision.lose_reply == "drop":
            await _drop(counting_send)
        else:
            await _send_json(counting_send, 500, {"error": LOST_REPLY_TEXT})

    async def _refuse(self, decision: Decision, send: Callable) -> None:
        if decision.action == "drop":
            await _drop(send)
        elif decision.action == "throttle":
            retry = str(self.ctx.faults.retry_after())
            await _send_json(send, 429, {"error": THROTTLED_TEXT}, [(b"retry-after", retry.encode())])
        elif decision.action == "halted":
            await _send_json(send, 503, {"error": HALTED_TEXT})
        elif decision.action == "cancel_only":
            await _send_json(send, 503, {"error": CANCEL_ONLY_TEXT})
        elif decision.action == "order_error":
            await _send_json(send, 500, {"error": ORDER_ERROR_TEXT})


async def _send_json(send: Callable, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers + (headers or [])})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Callable) -> None:
    """Promise a body and stop half-way: the server closes the connection, the client sees it cut."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})

