"""One choke point for Shopify's GraphQL Admin API: auth, cost-based throttling, error mapping.

Transport failures (timeouts, 5xx, 429 with Retry-After) are retried by ``adapters.http`` for
queries. A mutation is resent after a timeout or 5xx only when it carries ``@idempotent(key:)``
(Shopify applies a keyed mutation once); any other mutation that may have landed raises
OutcomeUncertain after one attempt, and the job that sent it reads back before trying again.
On top of that this client reads ``extensions.cost.throttleStatus`` from every response, waits
out THROTTLED answers (a throttled call waits, it does not fail a sync) and turns a 200 that
carries ``errors`` into ``PlatformRejected``. The access token never reaches a log or an error.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from adapters.http import HttpTransport
from connector.domain import shopify_access
from connector.domain.errors import ConfigError, PlatformRejected, PlatformThrottled
from connector.domain.shopify_access import AccessDenied

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = shopify_access.DEFAULT_API_VERSION
DEFAULT_MAX_THROTTLE_WAIT = 300.0
"""Seconds one call may spend waiting on THROTTLED answers before it gives up."""
MAX_THROTTLE_RETRIES = 100
FALLBACK_THROTTLE_WAIT = 1.0
"""Seconds to wait on a THROTTLED answer that carries no cost block."""
MIN_THROTTLE_WAIT = 0.05

_MUTATION = re.compile(r"\A(?:\s|#[^\n]*)*mutation\b")
_IDEMPOTENT = re.compile(r"@idempotent\s*\(\s*key\s*:")


def resend_safe(document: str) -> bool:
    """Whether ``document`` may be sent again after a timeout or 5xx: a query (a read), or a
    mutation that carries Shopify's ``@idempotent(key:)`` directive."""
    return not _MUTATION.match(document) or bool(_IDEMPOTENT.search(document))


@dataclass(frozen=True)
class ThrottleStatus:
    """Shopify's leaky-bucket state as last reported, and when we read it."""

    maximum_available: float
    currently_available: float
    restore_rate: float
    read_at: float

    def available_at(self, now: float) -> float:
        restored = self.currently_available + self.restore_rate * max(0.0, now - self.read_at)
        return min(self.maximum_available, restored)


def is_throttled(body: Mapping[str, Any]) -> bool:
    """Whether a GraphQL response body is Shopify's THROTTLED answer (with or without a code)."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return False
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        extensions = error.get("extensions")
        if isinstance(extensions, Mapping) and extensions.get("code") == "THROTTLED":
            return True
        if str(error.get("message", "")).strip().lower() == "throttled":
            return True
    return False


def throttle_wait_seconds(body: Mapping[str, Any]) -> float:
    """How long to wait before retrying a throttled call: (requested - available) / restoreRate."""
    cost = _cost_block(body)
    status = cost.get("throttleStatus") if cost else None
    try:
        requested = float(cost["requestedQueryCost"])  # type: ignore[index]
        available = float(status["currentlyAvailable"])  # type: ignore[index]
        rate = float(status["restoreRate"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return FALLBACK_THROTTLE_WAIT
    if rate <= 0:
        return FALLBACK_THROTTLE_WAIT
    return max(MIN_THROTTLE_WAIT, (requested - available) / rate)


def raise_user_errors(payload: Mapping[str, Any] | None, mutation_name: str) -> None:
    """Raise PlatformRejected when a mutation payload carries non-empty ``userErrors``."""
    if payload is None:
        raise PlatformRejected(f"shopify: {mutation_name} returned no payload")
    user_errors = payload.get("userErrors") or []
    if user_errors:
        details = "; ".join(
            f"{'.'.join(e.get('field') or []) or '-'}: {e.get('message', '?')}" for e in user_errors
        )
        raise PlatformRejected(f"shopify: {mutation_name} userErrors: {details}")


class ShopifyGraphQL:
    """Sends GraphQL documents to one shop's Admin API and returns their ``data``."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        *,
        api_base: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        transport: HttpTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_throttle_wait: float = DEFAULT_MAX_THROTTLE_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not shop_domain:
            raise ConfigError("shop_domain", "must not be empty")
        if not access_token:
            raise ConfigError("access_token", f"missing for shop {shop_domain}")
        self.shop_domain = shop_domain
        self.api_version = api_version
        base = (api_base or f"https://{shop_domain}").rstrip("/")
        self.endpoint = f"{base}/admin/api/{api_version}/graphql.json"
        self._access_token = access_token
        self.transport = transport or HttpTransport(sleep=sleep, name=f"shopify {shop_domain}")
        self.sleep = sleep
        self.clock = clock
        self.max_throttle_wait = max_throttle_wait
        self.throttle_status: ThrottleStatus | None = None
        self.throttled_responses = 0
        """THROTTLED answers seen so far (for metrics and tests)."""
        self._expected_cost: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"ShopifyGraphQL(shop={self.shop_domain!r}, endpoint={self.endpoint!r})"

    def execute(self, document: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send ``document`` and return its ``data``; waits out throttling, raises PlatformError."""
        waited = 0.0
        for _ in range(MAX_THROTTLE_RETRIES):
            self._wait_for_budget(document)
            body = self._post(document, variables)
            self._record_cost(document, body)
            if is_throttled(body):
                self.throttled_responses += 1
                from connector.metrics import PLATFORM_THROTTLED

                PLATFORM_THROTTLED.labels(platform="shopify").inc()
                delay = self._throttle_delay(body)
                if waited + delay > self.max_throttle_wait:
                    raise PlatformThrottled(
                        f"shopify {self.shop_domain}: still throttled after waiting {waited:.1f}s",
                        retry_after=delay,
                    )
                log.info(
                    "shopify throttled; waiting %.2fs",
                    delay,
                    extra={"shop": self.shop_domain, "wait_seconds": delay},
                )
                self.sleep(delay)
                waited += delay
                continue
            errors = body.get("errors")
            denied = access_denied(self.shop_domain, errors)
            if denied is not None:
                raise denied
            if errors:
                raise PlatformRejected(
                    f"shopify {self.shop_domain}: GraphQL errors: {_error_messages(errors)}"
                )
            data = body.get("data")
            if not isinstance(data, dict):
                raise PlatformRejected(f"shopify {self.shop_domain}: response without data")
            return data
        raise PlatformThrottled(
            f"shopify {self.shop_domain}: throttled {MAX_THROTTLE_RETRIES} times in a row"
        )

    def _post(self, document: str, variables: Mapping[str, Any] | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": document}
        if variables:
            payload["variables"] = dict(variables)
        response = self.transport.request(
            "POST",
            self.endpoint,
            resend_safe=resend_safe(document),
            json=payload,
            headers={"X-Shopify-Access-Token": self._access_token, "Accept": "application/json"},
        )
        self._log_deprecation(response)
        try:
            body = response.json()
        except ValueError:
            raise PlatformRejected(
                f"shopify {self.shop_domain}: answered {response.status_code} with a non-JSON body"
            ) from None
        if not isinstance(body, dict):
            raise PlatformRejected(f"shopify {self.shop_domain}: unexpected response body type")
        return body

    def _log_deprecation(self, response: requests.Response) -> None:
        served = response.headers.get("X-Shopify-API-Version")
        if served and served != self.api_version:
            log.warning(
                "shopify served API version %s instead of %s (the requested one is no longer supported)",
                served, self.api_version,
                extra={"shop": self.shop_domain, "api_version": self.api_version, "served_version": served},
            )
        reason = response.headers.get("X-Shopify-API-Deprecated-Reason")
        if reason:
            log.warning(
                "shopify API deprecation: %s",
                reason,
                extra={"shop": self.shop_domain, "api_version": self.api_version},
            )

    def _record_cost(self, document: str, body: Mapping[str, Any]) -> None:
        cost = _cost_block(body)
        if not cost:
            return
        requested = cost.get("requestedQueryCost")
        if isinstance(requested, int | float):
            self._expected_cost[document] = float(requested)
        status = cost.get("throttleStatus")
        if isinstance(status, Mapping):
            try:
                self.throttle_status = ThrottleStatus(
                    maximum_available=float(status["maximumAvailable"]),
                    currently_available=float(status["currentlyAvailable"]),
                    restore_rate=float(status["restoreRate"]),
                    read_at=self.clock(),
                )
            except (KeyError, TypeError, ValueError):
                log.debug("shopify: unreadable throttleStatus %r", status)

    def _throttle_delay(self, body: Mapping[str, Any]) -> float:
        cost = _cost_block(body)
        status = cost.get("throttleStatus") if cost else None
        if cost and isinstance(status, Mapping):
            requested = cost.get("requestedQueryCost")
            maximum = status.get("maximumAvailable")
            if (
                isinstance(requested, int | float)
                and isinstance(maximum, int | float)
                and requested > maximum
            ):
                raise PlatformRejected(
                    f"shopify {self.shop_domain}: query cost {requested} exceeds the bucket size {maximum}"
                )
        return throttle_wait_seconds(body)

    def budget_wait(self, points: float) -> float:
        """Seconds until the bucket, as the last answer reported it and refilled since, holds ``points`` (at
        most the bucket's size); 0 when it does or no answer was read yet."""
        status = self.throttle_status
        if status is None or status.restore_rate <= 0:
            return 0.0
        wanted = min(points, status.maximum_available)
        return max(0.0, (wanted - status.available_at(self.clock())) / status.restore_rate)

    def _wait_for_budget(self, document: str) -> None:
        """Wait before sending when the last known bucket cannot cover this document's cost."""
        expected = self._expected_cost.get(document)
        status = self.throttle_status
        if expected is None or status is None or status.restore_rate <= 0:
            return
        if expected > status.maximum_available:
            return
        available = status.available_at(self.clock())
        if available >= expected:
            return
        delay = min((expected - available) / status.restore_rate, self.max_throttle_wait)
        log.debug("shopify: waiting %.2fs for query budget", delay, extra={"shop": self.shop_domain})
        self.sleep(delay)


def _cost_block(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    extensions = body.get("extensions")
    if not isinstance(extensions, Mapping):
        return None
    cost = extensions.get("cost")
    return cost if isinstance(cost, Mapping) else None


def access_denied(shop_domain: str, errors: Any) -> AccessDenied | None:
    """Shopify's ``ACCESS_DENIED`` errors (a scope the app was not granted) as one AccessDenied, else None."""
    if not isinstance(errors, list):
        return None
    denied = [e for e in errors if isinstance(e, Mapping) and isinstance(e.get("extensions"), Mapping)
              and e["extensions"].get("code") == "ACCESS_DENIED"]
    if not denied:
        return None
    fields = tuple(str((e.get("path") or ["?"])[0]) for e in denied)
    required = tuple(sorted({scope for e in denied
                             for scope in re.findall(r"`([a-z_]+)`", str(e["extensions"].get("requiredAccess", "")))}))
    needs = f"; needs {' or '.join(required)}" if required else ""
    return AccessDenied(f"shopify {shop_domain}: access denied for {', '.join(fields)}{needs} "
                        f"(a scope the shop has not granted: re-authorise the app): {_error_messages(denied)}",
                        fields=fields, required=required)


def _error_messages(errors: Any) -> str:
    if isinstance(errors, list):
        messages = [str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors]
        return "; ".join(messages)[:500]
    return str(errors)[:500]
