"""Error reporting (Sentry) with shop and job context, and secrets scrubbed before anything leaves.

``init_sentry`` is called once per process (web, worker, clock) when SENTRY_DSN is set. Every
event passes ``scrub`` (sentry's before_send): header, cookie, query, form, extra, tag and local
variable values whose names look like credentials are replaced, and so are HMAC signature
headers, bearer tokens in strings, and the request body (webhook bodies hold customer data).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

FILTERED = "[Filtered]"
SENSITIVE_NAME = re.compile(
    r"(token|secret|passw|hmac|signature|authorization|api[_-]?key|consumer[_-]?key|credential|cookie|"
    r"dsn|session|private|x-wc-webhook-signature)", re.IGNORECASE)
SENSITIVE_VALUE = re.compile(
    r"(Bearer\s+[A-Za-z0-9._~+/=-]+|shp(at|ss|ca|pa)_[A-Za-z0-9]+|c[ks]_[A-Za-z0-9]{8,}"
    r"|postgres(ql)?(\+psycopg)?://[^@\s]+@|rediss?://[^@\s]*@)")

_enabled = False


def init_sentry(settings: Any, *, component: str) -> bool:
    """Set up sentry-sdk from settings.sentry_dsn; False (and nothing set up) without one."""
    global _enabled
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        before_send=scrub,  # type: ignore[arg-type]
        before_breadcrumb=_scrub_breadcrumb,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
        # job_scope reports every failed run itself, tagged; RQ's integration would report the last one again
        disabled_integrations=[RqIntegration()],
        **_collection_options(),
    )
    sentry_sdk.set_tag("component", component)
    _enabled = True
    return True


def _collection_options() -> dict[str, Any]:
    """What the installed SDK collects by itself: no user data, cookies, query strings, request bodies or
    local variables (``scrub`` still filters whatever arrives); log records of INFO and above as breadcrumbs
    and of ERROR and above as events.

    sentry-sdk 3 refuses ``send_default_pii`` and ``include_local_variables`` (late 2.x releases deprecate
    them) and collects more by default: an SDK that takes ``data_collection`` gets each category off there.
    3's logging integration means Sentry's structured logs (not sent here) by ``level``, where 2's meant
    breadcrumbs; it takes ``breadcrumb_level`` for those."""
    import inspect

    from sentry_sdk.consts import ClientConstructor
    from sentry_sdk.integrations.logging import LoggingIntegration

    options: dict[str, Any]
    if "data_collection" in inspect.signature(ClientConstructor.__init__).parameters:
        options = {"data_collection": {
            "user_info": False, "cookies": {"mode": "off"}, "url_query_params": {"mode": "off"},
            "http_bodies": [], "graphql": {"document": False, "variables": False}, "database_query_data": False,
            "queues": False, "stack_frame_variables": False,
        }}
    else:
        options = {"send_default_pii": False, "include_local_variables": False}
    levels: dict[str, Any] = {"level": logging.INFO, "event_level": logging.ERROR}
    if "breadcrumb_level" in inspect.signature(LoggingIntegration.__init__).parameters:
        levels = {"level": None, "event_level": logging.ERROR, "breadcrumb_level": logging.INFO}
    return {**options, "integrations": [LoggingIntegration(**levels)]}


@contextmanager
def job_scope(job: str, args: tuple[Any, ...]) -> Iterator[None]:
    """Tag whatever is reported while a job runs with the job's name, ids and (if known) shop."""
    if not _enabled:
        yield
        return
    import sentry_sdk

    with sentry_sdk.isolation_scope() as scope:
        scope.set_tag("job", job)
        scope.set_context("job", {"name": job, "args": [repr(a) for a in args]})
        if job.endswith(SHOP_JOBS) and args:
            scope.set_tag("shop_id", str(args[0]))
        try:
            yield
        except Exception as exc:
            sentry_sdk.capture_exception(exc)
            raise


SHOP_JOBS = (".reconcile", ".sync_marks", ".refresh_dates", ".check_shop", ".refresh_token",
             ".evaluate_backorders", ".check_pileups", ".publish_dates", ".sync_catalog")
"""Jobs whose first argument is a shop id (for the shop_id tag)."""


def set_shop(shop_id: int | None, domain: str | None = None) -> None:
    """Name the shop in the current scope (webhook requests, event processing)."""
    if not _enabled:
        return
    import sentry_sdk

    if shop_id is not None:
        sentry_sdk.set_tag("shop_id", str(shop_id))
    if domain:
        sentry_sdk.set_tag("shop", domain)


def _clean(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return value
    if isinstance(value, dict):
        return {k: (FILTERED if isinstance(k, str) and SENSITIVE_NAME.search(k) else _clean(v, depth + 1))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        # header lists arrive as [[name, value], ...]
        if all(isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str) for item in value) \
                and value:
            return [[k, FILTERED if SENSITIVE_NAME.search(k) else _clean(v, depth + 1)] for k, v in value]
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, str):
        return SENSITIVE_VALUE.sub(FILTERED, value)
    return value


def scrub(event: dict[str, Any], hint: Any = None) -> dict[str, Any]:
    """sentry before_send: strip tokens, secrets, HMAC headers, credential fields and request bodies."""
    request = event.get("request")
    if isinstance(request, dict):
        if "data" in request:
            request["data"] = FILTERED
        if "cookies" in request:
            request["cookies"] = FILTERED
        if isinstance(request.get("query_string"), str):
            request["query_string"] = re.sub(r"(?i)((?:hmac|signature|token|code|secret|state)=)[^&]*",
                                             rf"\1{FILTERED}", request["query_string"])
    for key in ("request", "extra", "contexts", "tags", "user", "breadcrumbs", "logentry", "message"):
        if key in event:
            event[key] = _clean(event[key])
    for exc in (event.get("exception") or {}).get("values", []) or []:
        if isinstance(exc.get("value"), str):
            exc["value"] = SENSITIVE_VALUE.sub(FILTERED, exc["value"])
        for frame in ((exc.get("stacktrace") or {}).get("frames") or []):
            if "vars" in frame:
                frame["vars"] = _clean(frame["vars"])
    return event


def _scrub_breadcrumb(crumb: dict[str, Any], hint: Any = None) -> dict[str, Any]:
    return _clean(crumb)  # type: ignore[no-any-return]
