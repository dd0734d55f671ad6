"""Auth and the one request choke point shared by the supplier adapters (HTTP JSON and HTTPS feeds).

Retries (timeouts, connection errors, 429, 5xx; with backoff; Retry-After up to the supplier's
``max_retry_after_seconds``, default 60) come from ``adapters.http``; this
module maps the result to supplier errors and never lets a secret reach a message.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import requests

from adapters.http import DEFAULT_MAX_RETRY_AFTER, HttpRetry, HttpTransport
from connector.domain.errors import (
    ConfigError,
    PlatformError,
    PlatformThrottled,
    PlatformUnavailable,
    SupplierRejected,
    SupplierThrottled,
    SupplierUnavailable,
    TransientError,
)
from connector.domain.supply import Validators

AUTH_TYPES = ("none", "bearer", "basic", "api_key")


def auth_headers(auth: Mapping[str, Any] | None, secret: Mapping[str, Any] | None) -> dict[str, str]:
    """Headers for the configured auth: ``{type, header?, username?}`` + secret ``{token|password|api_key}``."""
    auth = auth or {}
    secret = secret or {}
    kind = str(auth.get("type", "none"))
    if kind not in AUTH_TYPES:
        raise ConfigError("auth.type", f"must be one of {AUTH_TYPES}, got {kind!r}")
    if kind == "none":
        return {}
    if kind == "bearer":
        return {"Authorization": f"Bearer {_need(secret, 'token')}"}
    if kind == "basic":
        username = str(auth.get("username") or secret.get("username") or "")
        if not username:
            raise ConfigError("auth.username", "basic auth needs a username")
        pair = f"{username}:{_need(secret, 'password')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    header = str(auth.get("header") or "X-API-Key")
    return {header: _need(secret, "api_key")}


def _need(secret: Mapping[str, Any], key: str) -> str:
    value = secret.get(key)
    if not value:
        raise ConfigError(f"secret.{key}", "is required by the supplier's auth type")
    return str(value)


def conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    return headers


def make_transport(name: str, settings: Mapping[str, Any]) -> HttpTransport:
    return HttpTransport(
        timeout=float(settings.get("timeout_seconds", 30.0)),
        retry=HttpRetry(max_attempts=int(settings.get("max_attempts", 4)),
                        base_delay=float(settings.get("retry_base_delay", 1.0)), max_delay=30.0,
                        max_retry_after=float(settings.get("max_retry_after_seconds", DEFAULT_MAX_RETRY_AFTER))),
        name=name,
    )


def supplier_request(transport: HttpTransport, method: str, url: str, **kwargs: Any) -> requests.Response:
    """The request choke point: transport retries, then supplier errors (no URL query, no secrets)."""
    try:
        return transport.request(method, url, **kwargs)
    except PlatformThrottled as exc:
        raise SupplierThrottled(str(exc), retry_after=exc.retry_after) from None
    except PlatformUnavailable as exc:
        raise SupplierUnavailable(str(exc)) from None
    except PlatformError as exc:
        if isinstance(exc, TransientError):
            raise SupplierUnavailable(str(exc)) from None
        raise SupplierRejected(str(exc)) from None
