"""The inbox: accepted webhooks are committed, raw, under a unique key before anyone answers 200."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from connector.db.models import WebhookEvent, utcnow
from connector.db.uow import UnitOfWork

log = logging.getLogger(__name__)

KEPT_HEADERS = ("content-type", "user-agent")
"""Besides the platform's own X-Shopify-*/X-WC-* headers (signatures excluded)."""


@dataclass(frozen=True)
class Stored:
    event_id: int
    created: bool


def store_event(uow: UnitOfWork, shop_id: int, topic: str, dedupe_key: str,
                headers: Mapping[str, str], body: bytes) -> Stored:
    """Commit the raw event; a second delivery under the same key is found, not stored again."""
    kept = {name: value for name, value in headers.items() if _keep(name)}
    with uow:
        existing = uow.events.by_key(shop_id, dedupe_key)
        if existing is not None:
            return Stored(existing.id, created=False)
        try:
            event = uow.events.add(WebhookEvent(
                shop_id=shop_id, topic=topic, dedupe_key=dedupe_key, headers=json.dumps(kept), body=body,
                status="pending", attempts=0, received_at=utcnow(),
            ))
            uow.commit()
        except IntegrityError:
            # Another process stored the same delivery between our read and our insert.
            pass
        else:
            return Stored(event.id, created=True)
    with uow:
        again = uow.events.by_key(shop_id, dedupe_key)
        assert again is not None
        return Stored(again.id, created=False)


def _keep(name: str) -> bool:
    lowered = name.lower()
    if "signature" in lowered or "hmac" in lowered:
        return False
    return lowered.startswith(("x-shopify-", "shopify-", "x-wc-webhook-")) or lowered in KEPT_HEADERS
