"""A supplier's stock feed that keeps failing, told to the merchant in plain words.

The poll records the failure as the error's class and text ("SupplierUnavailable: supplier acme: GET
answered 503 after 4 attempts"); a merchant is told what the feed did ("answered 503 (server error)"),
how often and since when, never the exception. Every rule returns words; nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

STATUS_WORDS = {400: "bad request", 401: "not signed in", 403: "access refused", 404: "not found",
                408: "timed out", 429: "too many requests", 500: "server error", 502: "bad gateway",
                503: "server error", 504: "gateway timeout"}
"""How an HTTP status reads to a merchant; other 5xx read "server error", other 4xx "refused"."""

ANSWERED = re.compile(r"answered (\d{3})")
FAILED_BY = (("Timeout", "did not answer in time"), ("ConnectionError", "could not be reached (no connection)"),
             ("ChunkedEncodingError", "broke off while sending the feed"))


def what_happened(error: str | None, error_type: str | None) -> str:
    """What the feed did, in words: "answered 503 (server error)", "could not be reached (no connection)"."""
    text = error or ""
    found = ANSWERED.search(text)
    if found:
        status = int(found.group(1))
        words = STATUS_WORDS.get(status) or ("server error" if status >= 500 else "refused")
        return f"answered {status} ({words})"
    for marker, words in FAILED_BY:
        if marker in text:
            return words
    if error_type == "SupplierFeedInvalid":
        return "sent a file the connector could not read"
    if error_type in ("PlatformAuthError", "CredentialsError") or "authentication" in text.lower():
        return "refused the connector's credentials"
    return "failed"


@dataclass(frozen=True)
class FeedOutage:
    """One outage of a supplier's stock feed, as the poll recorded it."""

    supplier: str
    error: str | None
    error_type: str | None
    failures: int
    last_success_at: datetime | None
    feed: str | None
    """Where the feed is read (its URL or host); None when the settings name none."""
    retry: str
    """When the connector tries again, in words ("at its next scheduled poll, every 15 minutes")."""


def describe(outage: FeedOutage, when: str | None) -> tuple[str, str]:
    """(headline, body) of the merchant's alert; ``when`` is the last good read written out, or None."""
    headline = f"{outage.supplier} stock feed is not answering"
    did = what_happened(outage.error, outage.error_type)
    times = "once" if outage.failures == 1 else f"{outage.failures} times"
    since = f" since the last good read at {when}" if when else " and has never been read successfully"
    lines = [f"{outage.supplier}'s stock feed{(' at ' + outage.feed) if outage.feed else ''} {did} {times}{since}.",
             ("The connector keeps using the last good stock and dates of this supplier until the feed answers "
              "again; nothing is lost." if when else
              "The connector has no stock or dates from this supplier yet; its backorders keep the dates they had."),
             f"It tries again {outage.retry}."]
    return headline, "\n".join(lines)


def retry_words(schedule: Mapping[str, Any] | None) -> str:
    """When the connector reads the feed again, from the supplier's ``schedule`` setting."""
    if isinstance(schedule, Mapping) and schedule.get("interval_minutes"):
        minutes = schedule["interval_minutes"]
        return f"at its next scheduled poll (every {minutes} minute{'s' if minutes != 1 else ''})"
    if isinstance(schedule, Mapping) and schedule.get("cron"):
        return f"at its next scheduled poll (cron schedule {schedule['cron']})"
    return "only when it is polled: this supplier has no schedule"


def feed_address(settings: Mapping[str, Any]) -> str | None:
    """Where the feed is read, without credentials or query (a token may sit in either)."""
    url = settings.get("url")
    if isinstance(url, str) and url:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else None
    server = settings.get("host")
    if isinstance(server, str) and server:
        path = str(settings.get("path") or "")
        return f"sftp://{server}{path if path.startswith('/') or not path else '/' + path}"
    return None
