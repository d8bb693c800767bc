"""A tiny scriptable HTTP venue on 127.0.0.1 (port 0) for the adapter tests, and a sleep that records."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from lt_pipeline_tests.emulator.fixtures import emulator  # noqa: F401 (a fixture for the integration tests)

# Payloads captured from the real venue (and the official client's examples), kept with the tests;
# payloads/SOURCES.md says where each came from.
PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]

    def one(self, key: str) -> str | None:
        values = self.query.get(key)
        return values[0] if values else None


Route = Callable[[Request], Reply]


class FakeVenue:
    """Routes by exact path; a route can be a Reply, a list of Replies (served in turn, the last one
    repeating) or a function of the request. Every request is recorded."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        venue = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                request = Request(parts.path, parse_qs(parts.query, keep_blank_values=True))
                reply = venue._reply(request)
                data = json.dumps(reply.body).encode() if not isinstance(reply.body, bytes) else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def _reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self.routes.get(request.path)
            if route is None:
                return Reply(404, {"error": f"no route {request.path}"})
            if isinstance(route, list):
                return route.pop(0) if len(route) > 1 else route[0]
            if isinstance(route, Reply):
                return route
        return route(request)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def venue() -> Iterator[FakeVenue]:
    fake = FakeVenue()
    yield fake
    fake.close()


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


TRADER = "0xAbCdEf0123456789abcdef0123456789ABCDEF01"
T0 = 1_790_000_000


def trade_row(n: int, *, wallet: str = TRADER, timestamp: int | None = None, **changes) -> dict:
    """A Data API trade row; n makes it distinct (its tx hash and size)."""
    return {
        "proxyWallet": wallet.lower(),
        "side": "BUY" if n % 2 else "SELL",
        "asset": "21742633143463906290569050155826241533067272736897614950488156847949938836455",
        "conditionId": "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917",
        "size": 10 + n,
        "price": 0.5,
        "timestamp": T0 - n if timestamp is None else timestamp,
        "title": "Will it?",
        "slug": "will-it",
        "eventSlug": "will-it-event",
        "outcome": "Yes",
        "outcomeIndex": 0,
        "name": "trader",
        "transactionHash": f"0x{n:064x}",
        **changes,
    }


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def payload_names(*prefixes: str) -> list[str]:
    return sorted(p.name for p in PAYLOADS.glob("*.json") if p.name.startswith(prefixes))
