"""The merchant's purchase-order alerts: their own e-mail (subject and wording) over drop-ship's alert
channel (connector/dropship/alerts.py: the shop's ``alerts.email`` and Slack webhook, each alert once).

Every message begins with a headline, the e-mail's subject ("A purchase order for Acme is waiting for
your approval"), then a blank line and the details with the command to run. The kinds are registered
when this module is imported; propose.py imports it and the settings registry imports propose.py, so
every process that delivers alerts (bootstrap) has them.
"""

from __future__ import annotations

from connector.db.uow import UnitOfWork
from connector.dropship import alerts
from connector.notify import email as notify_email
from connector.purchasing.repository import PurchasingRepository

EMAIL_KIND = "purchase_order_alert"
"""The notify e-mail kind (templates purchase_order_alert.txt / .html)."""
PROPOSED, FAILED, UNCERTAIN = "purchase_order_proposed", "purchase_order_failed", "purchase_order_uncertain"

notify_email.SUBJECTS.setdefault(EMAIL_KIND, "{headline}")
for _kind, _title in ((PROPOSED, "a purchase order waits for your approval"),
                      (FAILED, "a purchase order could not be placed"),
                      (UNCERTAIN, "a purchase order may not have reached the supplier")):
    alerts.TITLES.setdefault(_kind, _title)
    alerts.EMAIL_KINDS.setdefault(_kind, EMAIL_KIND)


def proposed_message(po_id: int, supplier: str, shop_domain: str, details: str) -> str:
    return (f"A purchase order for {supplier} is waiting for your approval\n\n"
            f"Purchase order {po_id}: {details}.\n\n"
            f"Approve it (it is sent to {supplier} at once):\n"
            f"  connector purchase-orders approve {po_id} --shop {shop_domain}\n"
            f"or cancel it (its backorders wait for the next proposal):\n"
            f"  connector purchase-orders cancel {po_id} --shop {shop_domain}")


def failed_message(po_id: int, supplier: str, shop_domain: str, reason: str) -> str:
    return (f"A purchase order for {supplier} could not be placed\n\n"
            f"What happened: {reason}.\n\n"
            f"Its backorders wait for the next purchase order. Details:\n"
            f"  connector purchase-orders show {po_id} --shop {shop_domain}")


def uncertain_message(po_id: int, supplier: str, shop_domain: str, reason: str, message_id: str | None) -> str:
    return (f"A purchase order for {supplier} may not have reached the supplier\n\n"
            f"Purchase order {po_id} may or may not have reached {supplier} ({reason}; Message-ID {message_id}). "
            f"It was not sent again, so that {supplier} does not get it twice. Check your sent mail, then either\n"
            f"  connector purchase-orders mark-sent {po_id}    (it went out)\n"
            f"or\n"
            f"  connector purchase-orders resend {po_id}    (it did not)")


def names(uow: UnitOfWork, po_id: int) -> tuple[str, str]:
    """(supplier name, shop domain) of a purchase order, for the alert's words; call inside ``with uow``."""
    repo = uow.repo(PurchasingRepository)
    po = repo.order(po_id)
    assert po is not None
    supplier = repo.supplier(po.supplier_id)
    shop = uow.shops.get(po.shop_id)
    return (supplier.name if supplier is not None else f"supplier {po.supplier_id}",
            shop.domain if shop is not None else str(po.shop_id))
