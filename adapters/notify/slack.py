"""Slack incoming webhooks: one POST of a JSON message through the shared HTTP transport.

The webhook URL is a secret, so the transport makes single attempts (its retry log lines would
name the URL) and this adapter retries with the same policy, logging only "slack".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from adapters.http import HttpTransport, RetryPolicy
from connector.domain.errors import (
    DeliveryRejected,
    DeliveryUnavailable,
    PlatformRejected,
    PlatformThrottled,
    PlatformUnavailable,
)

log = logging.getLogger(__name__)


class SlackWebhook:
    def __init__(self, url: str, *, timeout: float = 10.0, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not url.startswith(("https://", "http://")):
            raise DeliveryRejected("slack: the webhook URL must be http(s)")
        self.url = url
        self.retry = retry or RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=5.0)
        self.sleep = sleep
        self.transport = HttpTransport(timeout=timeout, retry=RetryPolicy(max_attempts=1), name="slack")

    def _request(self, payload: dict[str, Any]) -> None:
        """The one choke point: JSON body, explicit timeout, retries (timeouts, 429, 5xx), errors mapped."""
        attempt = 0
        while True:
            attempt += 1
            try:
                self.transport.request("POST", self.url, json=payload)
                return
            except (PlatformUnavailable, PlatformThrottled) as exc:
                message = str(exc).replace(self.url, "<webhook>")
                if attempt >= self.retry.max_attempts:
                    raise DeliveryUnavailable(message) from None
                delay = getattr(exc, "retry_after", None) or self.retry.backoff(attempt)
                log.warning("%s; retrying in %.2fs", message, delay)
                self.sleep(delay)
            except PlatformRejected as exc:  # 4xx: invalid_payload, no_service, channel_is_archived ...
                raise DeliveryRejected(str(exc).replace(self.url, "<webhook>")) from None

    def post(self, text: str, *, fields: dict[str, str] | None = None) -> None:
        blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        if fields:
            blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"}
                                                          for k, v in fields.items()]})
        self._request({"text": text, "blocks": blocks})
