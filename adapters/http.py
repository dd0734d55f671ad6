"""The shared HTTP transport under every HTTP adapter.

One place decides what is retried, with tenacity, under the adapter's own ``HttpRetry``:

- only timeouts, connection errors, 429 and 5xx; never another 4xx;
- a request that is not idempotent (POST, PATCH, DELETE; a GraphQL mutation) is resent only when
  it certainly never left (connect failure, connect timeout), was refused unprocessed (429), or
  the adapter says a resend is safe (``resend_safe=True``: a key the server honours, such as a
  Shopify ``@idempotent`` mutation or a supplier's ``Idempotency-Key``). After a timeout, a broken
  connection or a 5xx it raises ``OutcomeUncertain`` after one attempt; ``write_once`` lets an
  adapter read the resource back instead and resend only when the first attempt did not land;
- the server's ``Retry-After`` is honoured up to ``HttpRetry.max_retry_after``; a longer one is
  not slept on: ``PlatformThrottled(retry_after=N)`` goes up to the job machinery, which
  reschedules the job N seconds later (connector/db/job_runs.py, connector/events.py).

Failures map to connector errors. Adapters put their own ``_request()`` on top for auth, paths
and payload rules.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential, wait_random_exponential
from urllib3.exceptions import ConnectTimeoutError

from adapters.outbound import guarded_session
from connector.domain.errors import (
    ConnectorError,
    OutcomeUncertain,
    PlatformAuthError,
    PlatformNotFound,
    PlatformRejected,
    PlatformThrottled,
    PlatformUnavailable,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "TRACE"})
"""Methods a server must treat as idempotent (RFC 9110 9.2.2): resent after any transient failure."""
DEFAULT_MAX_RETRY_AFTER = 60.0
"""Seconds of ``Retry-After`` a request may sleep on; beyond, PlatformThrottled goes to the job."""

T = TypeVar("T")


@dataclass(frozen=True)
class HttpRetry:
    """One adapter's retry policy: attempts, bounded exponential backoff with jitter, and the
    longest ``Retry-After`` worth sleeping on in a worker."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("base_delay", "max_delay"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.max_retry_after < 0:
            raise ValueError(f"max_retry_after must not be negative, got {self.max_retry_after}")

    @property
    def wait(self) -> wait_base:
        """tenacity's backoff for this policy: ``base_delay * 2**(n-1)``, half of it jitter, capped."""
        return (wait_exponential(multiplier=self.base_delay / 2, max=self.max_delay / 2)
                + wait_random_exponential(multiplier=self.base_delay / 2, max=self.max_delay / 2))

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based)."""
        state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
        state.attempt_number = attempt
        return float(self.wait(state))


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The server's Retry-After in seconds (numeric form), if it sent one."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class _Again(Exception):
    """An attempt failed in a way worth another: ``error`` is raised once attempts run out;
    ``wait`` is the server's Retry-After (None: back off)."""

    def __init__(self, error: ConnectorError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the request certainly never reached the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.exceptions.SSLError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError, NameResolutionError too


class HttpTransport:
    """Sends requests with a timeout, retries what is safe to retry and maps errors.

    ``sleep`` is injectable so tests can run retries without waiting (and see every wait).
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        retry: HttpRetry | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        name: str = "http",
        show_path: bool = True,
    ) -> None:
        self.timeout = timeout
        self.show_path = show_path
        """False when the URL path is itself a secret (a Slack webhook): messages name only the method."""
        self.retry = retry or HttpRetry()
        self.session = session or guarded_session()  # the outbound address guard: adapters/outbound.py
        self.sleep = sleep
        self.name = name

    def _retrying(self, retry_on: type[Exception]) -> Retrying:
        backoff = self.retry.wait

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            if isinstance(exc, _Again) and exc.wait is not None:
                return exc.wait
            return float(backoff(state))

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            delay = state.next_action.sleep if state.next_action is not None else 0.0
            then = "reading back" if retry_on is not _Again else "retrying"
            log.warning("%s; %s in %.2fs", getattr(exc, "error", exc), then, delay)

        return Retrying(stop=stop_after_attempt(self.retry.max_attempts), wait=wait,
                        retry=retry_if_exception_type(retry_on), sleep=self.sleep,
                        before_sleep=before_sleep, reraise=True)

    def request(self, method: str, url: str, *, resend_safe: bool | None = None,
                **kwargs: Any) -> requests.Response:
        """Send and return a 2xx/3xx response, or raise a connector PlatformError.

        ``resend_safe``: whether this request may be sent again after an uncertain failure;
        default: idempotent methods yes, POST/PATCH/DELETE no. Raises OutcomeUncertain for an
        unsafe request that may have landed, PlatformThrottled when the server asks to wait longer
        than the policy's ``max_retry_after``.
        """
        kwargs.setdefault("timeout", self.timeout)
        method = method.upper()
        safe = method in IDEMPOTENT_METHODS if resend_safe is None else resend_safe
        try:
            for attempt in self._retrying(_Again):
                with attempt:
                    return self._attempt(method, url, safe, attempt.retry_state.attempt_number, kwargs)
        except _Again as exc:
            raise exc.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _attempt(self, method: str, url: str, safe: bool, attempt: int,
                 kwargs: dict[str, Any]) -> requests.Response:
        where = f"{self.name}: {method} {_path(url)}" if self.show_path else f"{self.name}: {method}"
        try:
            response = self.session.request(method, url, **kwargs)
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            failure = type(exc).__name__
            if safe or _never_sent(exc):
                raise _Again(PlatformUnavailable(f"{where} failed after {attempt} attempts: {failure}")) from None
            raise OutcomeUncertain(f"{where}: {failure} after the request was sent; "
                                   "not resent blindly") from None
        except requests.RequestException as exc:
            raise PlatformRejected(f"{where}: {type(exc).__name__}") from None

        status = response.status_code
        if status < 400:
            return response
        if status in RETRYABLE_STATUS:
            wait = retry_after_seconds(response.headers)
            if status == 429:
                from connector.metrics import PLATFORM_THROTTLED, platform_of

                PLATFORM_THROTTLED.labels(platform=platform_of(self.name)).inc()
            elif not safe:
                raise OutcomeUncertain(f"{where} answered {status}; not resent blindly")
            if wait is not None and wait > self.retry.max_retry_after:
                log.warning("%s answered %s with Retry-After %.0fs, over the %.0fs cap: the job is rescheduled",
                            where, status, wait, self.retry.max_retry_after)
                raise PlatformThrottled(f"{where} answered {status} with Retry-After {wait:.0f}s", retry_after=wait)
            message = f"{where} answered {status} after {attempt} attempts"
            error: ConnectorError = PlatformThrottled(message, retry_after=wait) if status == 429 \
                else PlatformUnavailable(message)
            raise _Again(error, wait)
        detail = _error_detail(response)
        if status in (401, 403):
            raise PlatformAuthError(f"{where} answered {status}: {detail}")
        if status == 404:
            raise PlatformNotFound(f"{where} answered 404: {detail}")
        raise PlatformRejected(f"{where} answered {status}: {detail}")

    def write_once(self, send: Callable[[], T], landed: Callable[[], T | None], *, what: str) -> T:
        """A write without an idempotency key, made safe by reading back.

        ``send`` makes the write (its request not resend-safe); ``landed`` looks for it (the
        adapter's key in a refund's reason, a note's text, a coupon's code) and returns it, or
        None. After an uncertain outcome this waits a backoff, reads back, and sends again only
        when the first attempt is not there. When the read-back fails, or the attempts run out,
        OutcomeUncertain is raised: the job reads back again before its next try.
        """
        class _Check(Exception):
            def __init__(self, error: OutcomeUncertain) -> None:
                super().__init__(str(error))
                self.error = error

        checking = False
        try:
            for attempt in self._retrying(_Check):
                with attempt:
                    if checking:
                        try:
                            found = landed()
                        except ConnectorError as exc:
                            raise OutcomeUncertain(f"{self.name}: {what}: outcome unknown and the read-back "
                                                   f"failed ({type(exc).__name__}); not resent") from None
                        if found is not None:
                            log.info("%s: %s landed on an earlier attempt; not resent", self.name, what)
                            return found
                    try:
                        return send()
                    except OutcomeUncertain as exc:
                        checking = True
                        raise _Check(exc) from None
        except _Check as exc:
            raise exc.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover


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
