"""Where customer personal data lives: the registry redaction and export both walk.

A table added later is covered by adding one entry here (``register``), and
tests/integration/test_privacy_completeness.py fails until every personal-looking column of every
table is either registered or listed as reviewed in NOT_PERSONAL. Columns named like an e-mail
address are covered automatically in any table that has ``shop_id`` (connector/privacy/repository.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

REDACTED = "[redacted]"
EMAIL_COLUMN = re.compile(r"(^|_)e?mail($|_)|email")


@dataclass(frozen=True)
class PersonalData:
    """Where one table keeps customer personal data and how to find one customer's rows."""

    table: str
    columns: dict[str, Any]
    """Column -> value written on redaction (None: NULL)."""
    match_email: str | None = None
    """Column holding the customer's e-mail address."""
    match_order_id: str | None = None
    """Column referencing orders.id."""
    match_platform_order: str | None = None
    """Column holding the store's order id."""
    match_backorder_id: str | None = None
    """Column referencing backorders.id (a backorder of one of the customer's orders)."""


PERSONAL_DATA: list[PersonalData] = [
    PersonalData("orders", {"customer_email": None, "customer_first_name": None, "status_url": None},
                 match_email="customer_email",
                 match_platform_order="platform_order_id"),
    PersonalData("data_exports", {"content": json.dumps({"redacted": True}), "customer_ref": "redacted"}),
    # notify feature (connector/notify/models.py): messages to waiting customers
    PersonalData("notify_messages", {"recipient": None, "subject": None, "outcome": None, "error": None,
                                    "body_text": None},
                 match_email="recipient", match_order_id="order_id", match_backorder_id="backorder_id"),
    # drop-ship feature (connector/dropship/models.py): the address sent to the supplier
    PersonalData("dropship_orders", {"ship_to": json.dumps({"redacted": True})}, match_backorder_id="backorder_id"),
]
"""Every table with customer personal data. Feature modules add theirs with ``register``."""

NOT_PERSONAL: set[str] = {
    "orders.name", "order_lines.title", "suppliers.name", "shops.contact_email",
    "purchase_orders.supplier_name", "purchase_order_lines.title", "store_skus.title",
    "catalogue_items.title", "oauth_states.shop_domain", "webhook_subscriptions.address",
    "data_exports.emailed_to", "data_exports.emailed_at", "notify_messages.provider_message_id", "discount_codes.code",
    "delay_decisions.answer", "webhook_events.headers",
    "dropship_alerts.message",  # merchant-facing alert text (supplier or store refusals), no customer key
    "message_templates.subject", "message_templates.body",  # the merchant's wording, no customer's data
    "kpi_digests.provider_message_id",  # the Message-ID of the merchant's weekly digest
    "supplier_pushes.body",  # a supplier's push: stock rows (sku, quantity, restock date) or "changed", no customer
}
"""Columns reviewed as holding no customer personal data (product/order names, merchant data)."""

RAW_PAYLOAD_TABLES = {"webhook_events": "body"}
"""Raw store payloads: searched by content, replaced whole when they concern the customer."""


def register(entry: PersonalData) -> None:
    PERSONAL_DATA[:] = [e for e in PERSONAL_DATA if e.table != entry.table] + [entry]


@dataclass(frozen=True)
class Customer:
    email: str | None
    order_ids: tuple[str, ...]
    customer_id: str

    @staticmethod
    def from_payload(payload: dict[str, Any]) -> Customer:
        customer = payload.get("customer") or {}
        orders = payload.get("orders_to_redact") or payload.get("orders_requested") or []
        email = customer.get("email")
        return Customer(email.strip().lower() if isinstance(email, str) and email.strip() else None,
                        tuple(str(o) for o in orders), str(customer.get("id") or ""))
