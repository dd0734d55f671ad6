"""Rate limits per client address on the install and connect endpoints (the ``limits`` library).

Anyone may start an install or a connect, and each start stores a row (an OAuth state, a pending
connect); ``install.rate_limit`` bounds how fast one address can do that. The views marked
``@rate_limited`` share one count per client address; nothing else is counted or even looked at,
so the webhook path pays nothing. (Flask-Limiter, built on the same library, runs its check
before every request of the app; on the webhook path that cost 50-90 µs a request for nothing.)

Counts live in Redis when ``redis_url`` is set, so every web process shares them, else in the
process's memory. Keys are namespaced per deployment (a digest of its database URL), so two
deployments on one Redis do not share counts. Redis unreachable: this process counts in memory
for a while and says so in the log; an install is never refused because Redis is down.

The client address is the socket's peer. Behind ``install.trusted_proxies`` reverse proxies it is
the address that many places from the right of X-Forwarded-For (each proxy appends its peer);
with the default 0 the header is ignored, since any client can write it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Flask, Response, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from connector.config import Settings

log = logging.getLogger(__name__)

EXTENSION = "connector.ratelimit"
SCOPE = "install"
"""One count per client address over all rate-limited endpoints."""
REDIS_KEY_PREFIX = "connector:ratelimit"
REDIS_TIMEOUT_SECONDS = 1.0
"""A slow Redis must not hold up an install for long."""
REDIS_RETRY_SECONDS = 30.0
"""After a Redis failure, counts stay in this process's memory this long before Redis is tried again."""

View = TypeVar("View", bound=Callable[..., Any])


def rate_limited(view: View) -> View:
    """Count the view against ``install.rate_limit`` per client address (put it below the route decorator)."""
    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        limiter: InstallLimiter | None = current_app.extensions.get(EXTENSION)
        if limiter is not None:
            refused = limiter.check()
            if refused is not None:
                return refused
        return view(*args, **kwargs)
    return cast(View, limited)


def client_address(trusted_proxies: int) -> str:
    """The client of the current request."""
    if trusted_proxies > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= trusted_proxies:
            return forwarded[-trusted_proxies]
    return request.remote_addr or "unknown"


def deployment_key(database_url: str) -> str:
    """A short name for this deployment's counts: a digest of its database URL (without password)."""
    url = make_url(database_url).render_as_string(hide_password=True)
    return "install-" + hashlib.sha256(url.encode()).hexdigest()[:12]


@dataclass
class InstallLimiter:
    limits: list[RateLimitItem]
    deployment: str
    trusted_proxies: int
    shared: MovingWindowRateLimiter | None
    """Redis-backed counts (None without Redis)."""
    local: MovingWindowRateLimiter = field(default_factory=lambda: MovingWindowRateLimiter(MemoryStorage()))
    shared_down_until: float = 0.0

    def check(self) -> Response | None:
        """Count this request; the 429 answer when one of the limits is spent, else None."""
        identity = (self.deployment, client_address(self.trusted_proxies), SCOPE)
        try:
            return self._count(self._strategy(), identity)
        except Exception as exc:  # noqa: BLE001 - Redis unreachable or failing: count here for a while
            log.warning("rate limit counts unavailable in Redis; counting in this process",
                        extra={"error": type(exc).__name__})
            self.shared_down_until = time.monotonic() + REDIS_RETRY_SECONDS
            return self._count(self.local, identity)

    def _strategy(self) -> MovingWindowRateLimiter:
        if self.shared is None or time.monotonic() < self.shared_down_until:
            return self.local
        return self.shared

    def _count(self, strategy: MovingWindowRateLimiter, identity: tuple[str, ...]) -> Response | None:
        for item in self.limits:  # smallest window first: the one a client hits first
            if not strategy.hit(item, *identity):
                reset = strategy.get_window_stats(item, *identity).reset_time
                return too_many(item, max(1, math.ceil(reset - time.time())))
        return None


def too_many(item: RateLimitItem, retry_after: int) -> Response:
    log.info("install request refused: rate limit",
             extra={"endpoint": request.endpoint, "limit": str(item), "retry_after": retry_after})
    response = Response(f"Too many requests from your address. Try again in {retry_after} seconds.\n",
                        status=429, mimetype="text/plain")
    response.headers["Retry-After"] = str(retry_after)
    return response


def limit_install_endpoints(app: Flask, settings: Settings) -> InstallLimiter | None:
    """Give ``app`` the counts its ``@rate_limited`` views use; None when the limit is off ("")."""
    if not settings.install_rate_limit.strip():
        return None
    shared = None
    if settings.redis_url:
        storage = storage_from_string(settings.redis_url, key_prefix=REDIS_KEY_PREFIX,
                                      socket_timeout=REDIS_TIMEOUT_SECONDS,
                                      socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        shared = MovingWindowRateLimiter(storage)  # exact: no double allowance at a window's edge
    limiter = InstallLimiter(sorted(parse_many(settings.install_rate_limit), key=lambda item: item.get_expiry()),
                             deployment_key(settings.database_url), settings.install_trusted_proxies, shared)
    app.extensions[EXTENSION] = limiter
    return limiter
