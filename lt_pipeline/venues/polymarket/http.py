"""Retry with backoff for venue reads, and one JSON GET over httpx that classifies every failure.

Transient trouble (transport errors, 5xx, 429) is retried, waiting what the venue asked for when it
said (Retry-After header or `retry_after_seconds` in the body), else exponentially longer; anything
else the venue refuses is final. Sleep is injected so tests run without waiting.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from lt_pipeline.venues.polymarket.models import BadPayload, VenueRejected, VenueUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], None]

BASE_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 60.0  # also caps a venue-requested wait, so one bad header cannot stall a run
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "lt_pipeline"

QueryParams = Mapping[str, Any] | Sequence[tuple[str, Any]]


def backoff_delay(attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (0-based): 0.5, 1, 2, 4 ... capped at 60."""
    return min(BASE_DELAY_SECONDS * 2**attempt, MAX_DELAY_SECONDS)


def with_retries(call: Callable[[], T], *, what: str, max_retries: int, sleep: Sleep) -> T:
    """Run `call`, retrying VenueUnavailable up to `max_retries` times; other errors pass straight up.

    After the last attempt the VenueUnavailable is re-raised saying how many attempts were made.
    """
    for attempt in range(max_retries + 1):
        try:
            return call()
        except VenueUnavailable as exc:
            if attempt == max_retries:
                raise VenueUnavailable(
                    f"{what}: venue unavailable after {attempt + 1} attempts: {exc.message}",
                    status=exc.status,
                    retry_after=exc.retry_after,
                ) from exc
            delay = backoff_delay(attempt) if exc.retry_after is None else min(exc.retry_after, MAX_DELAY_SECONDS)
            log.warning("%s: %s; retry %d of %d in %.2f s", what, exc.message, attempt + 1, max_retries, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # the loop either returns or raises


def retry_after_seconds(headers: Mapping[str, str], body: object) -> float | None:
    """The wait the venue asked for: the Retry-After header (seconds), else the body's retry_after_seconds."""
    candidates = [headers.get("retry-after")]
    if isinstance(body, Mapping):
        candidates.append(body.get("retry_after_seconds"))
    for candidate in candidates:
        try:
            seconds = float(candidate)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue  # absent, or an HTTP-date we do not try to read
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def error_text(body: object) -> str:
    """The venue's own error message: `{"error": "..."}` on every Polymarket service."""
    if isinstance(body, Mapping) and "error" in body:
        return str(body["error"])
    return str(body)[:500]


def _body(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text


def get_json(http: httpx.Client, url: str, params: QueryParams | None = None) -> Any:
    """One GET returning the parsed JSON body; raises VenueUnavailable, VenueRejected or BadPayload."""
    try:
        response = http.get(url, params=params)
    except httpx.TransportError as exc:
        raise VenueUnavailable(f"GET {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code == 200:
        try:
            return response.json()
        except ValueError:
            raise BadPayload(f"GET {url}: expected a JSON body, got {response.text[:200]!r}") from None
    body = _body(response)
    if response.status_code == 429 or response.status_code >= 500:
        raise VenueUnavailable(
            f"GET {url}: HTTP {response.status_code}: {error_text(body)}",
            status=response.status_code,
            retry_after=retry_after_seconds(response.headers, body),
        )
    raise VenueRejected(response.status_code, f"GET {url}: {error_text(body)}")


class JsonService:
    """One JSON-over-GET service (the Data API, Gamma): its base URL, an httpx client, retries."""

    def __init__(self, name: str, base_url: str, *, http: httpx.Client | None, sleep: Sleep, max_retries: int) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries: expected 0 or more, got {max_retries}")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(
            timeout=DEFAULT_TIMEOUT, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
        )
        self.sleep = sleep
        self.max_retries = max_retries

    def get_list(self, path: str, params: QueryParams) -> list[Any]:
        """GET a JSON array, retrying transient failures; any other body is a BadPayload."""
        url = f"{self.base_url}{path}"
        body = with_retries(
            lambda: get_json(self.http, url, params),
            what=f"{self.name} {path}",
            max_retries=self.max_retries,
            sleep=self.sleep,
        )
        if not isinstance(body, list):
            raise BadPayload(f"GET {url}: expected a JSON array, got {type(body).__name__}")
        return body

    def close(self) -> None:
        self.http.close()
