"""Slack incoming webhooks: one POST of a JSON message through the shared HTTP transport.

The webhook URL is a secret: the transport retries under Slack's own policy (tenacity) with
``show_path=False``, so its log lines and errors name only "slack: POST".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from adapters.http import HttpRetry, HttpTransport
from connector.domain.errors import (
    DeliveryRejected,
    DeliveryUnavailable,
    PlatformRejected,
    PlatformThrottled,
    PlatformUnavailable,
)

log = logging.getLogger(__name__)


class SlackWebhook:
    def __init__(self, url: str, *, timeout: float = 10.0, retry: HttpRetry | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not url.startswith(("https://", "http://")):
            raise DeliveryRejected("slack: the webhook URL must be http(s)")
        self.url = url
        self.retry = retry or HttpRetry(max_attempts=3, base_delay=0.5, max_delay=5.0)
        """Slack's own retry policy (tenacity, in the transport)."""
        self.sleep = sleep
        self.transport = HttpTransport(timeout=timeout, retry=self.retry, sleep=sleep, name="slack",
                                       show_path=False)

    def _request(self, payload: dict[str, Any]) -> None:
        """The one choke point: JSON body, explicit timeout, retries (timeouts, 429, 5xx), errors mapped.

        An alert is resent after a timeout or 5xx although Slack has no idempotency key: a merchant
        alerted twice loses nothing, an alert lost may cost an order. Money never goes this way."""
        try:
            self.transport.request("POST", self.url, json=payload, resend_safe=True)
        except (PlatformUnavailable, PlatformThrottled) as exc:
            raise DeliveryUnavailable(str(exc).replace(self.url, "<webhook>")) from None
        except PlatformRejected as exc:  # 4xx: invalid_payload, no_service, channel_is_archived ...
            raise DeliveryRejected(str(exc).replace(self.url, "<webhook>")) from None

    def post(self, text: str, *, fields: dict[str, str] | None = None) -> None:
        blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        if fields:
            blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"}
                                                          for k, v in fields.items()]})
        self._request({"text": text, "blocks": blocks})
