"""The shared HTTP transport under every HTTP adapter.

One place decides what is retried (timeouts, connection errors, 429 and 5xx; never other 4xx),
how long to wait (the server's Retry-After where given, else bounded exponential backoff with
jitter) and how failures map to connector errors. Adapters put their own ``_request()`` on top
for auth, paths and payload rules.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connector.domain.errors import (
    PlatformAuthError,
    PlatformNotFound,
    PlatformRejected,
    PlatformThrottled,
    PlatformUnavailable,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to retry a transient failure."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, capped, jittered."""
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return delay * (0.5 + random.random() / 2)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The server's Retry-After in seconds (numeric form), if it sent one."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class HttpTransport:
    """Sends requests with a timeout, retries transient failures and maps errors.

    ``sleep`` is injectable so tests can run retries without waiting.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        name: str = "http",
    ) -> None:
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.session = session or requests.Session()
        self.sleep = sleep
        self.name = name

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send and return a 2xx/3xx response, or raise a connector PlatformError."""
        kwargs.setdefault("timeout", self.timeout)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.Timeout, requests.ConnectionError) as exc:
                if attempt >= self.retry.max_attempts:
                    raise PlatformUnavailable(
                        f"{self.name}: {method} {_path(url)} failed after {attempt} attempts: "
                        f"{type(exc).__name__}"
                    ) from None
                delay = self.retry.backoff(attempt)
                log.warning("%s: %s %s: %s; retrying in %.2fs", self.name, method, _path(url),
                            type(exc).__name__, delay)
                self.sleep(delay)
                continue
            except requests.RequestException as exc:
                raise PlatformRejected(f"{self.name}: {method} {_path(url)}: {type(exc).__name__}") from None

            status = response.status_code
            if status < 400:
                return response
            if status in RETRYABLE_STATUS:
                if status == 429:
                    from connector.metrics import PLATFORM_THROTTLED, platform_of

                    PLATFORM_THROTTLED.labels(platform=platform_of(self.name)).inc()
                wait = retry_after_seconds(response.headers)
                if attempt >= self.retry.max_attempts:
                    message = f"{self.name}: {method} {_path(url)} answered {status} after {attempt} attempts"
                    if status == 429:
                        raise PlatformThrottled(message, retry_after=wait)
                    raise PlatformUnavailable(message)
                delay = wait if wait is not None else self.retry.backoff(attempt)
                log.warning("%s: %s %s answered %s; retrying in %.2fs", self.name, method,
                            _path(url), status, delay)
                self.sleep(delay)
                continue
            detail = _error_detail(response)
            if status in (401, 403):
                raise PlatformAuthError(f"{self.name}: {method} {_path(url)} answered {status}: {detail}")
            if status == 404:
                raise PlatformNotFound(f"{self.name}: {method} {_path(url)} answered 404: {detail}")
            raise PlatformRejected(f"{self.name}: {method} {_path(url)} answered {status}: {detail}")


def _path(url: str) -> str:
    """The URL without its query string, which may carry credentials."""
    return url.split("?", 1)[0]


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("message", "errors", "error", "code"):
            if key in body:
                return str(body[key])[:300]
    return str(body)[:300]
