"""Privacy requests: export, redact a customer, delete a shop; uninstall.

Which columns hold customer personal data is declared once, in PERSONAL_DATA; redaction and
export both walk that registry, so a table added later is covered by adding one entry (and
tests/integration/test_privacy_completeness.py fails until every personal-looking column of every
table is either registered here or listed as reviewed in NOT_PERSONAL). Columns named like an
e-mail address are covered automatically in any table that has ``shop_id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from connector.db.models import WebhookEvent
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConfigError, ExportLinkExpired, ExportNotFound
from connector.domain.model import ShopCredentials
from connector.install.install import digest
from connector.install.models import DataExport
from connector.privacy import repository
from connector.privacy.ports import PrivacyPorts
from connector.privacy.registry import (
    EMAIL_COLUMN,
    NOT_PERSONAL,
    PERSONAL_DATA,
    RAW_PAYLOAD_TABLES,
    REDACTED,
    Customer,
    PersonalData,
    register,
)
from connector.privacy.repository import PrivacyRepository

__all__ = ["EMAIL_COLUMN", "NOT_PERSONAL", "PERSONAL_DATA", "RAW_PAYLOAD_TABLES", "REDACTED", "Customer",
           "PersonalData", "register"]

log = logging.getLogger(__name__)

EXPORT_DAYS = 30
DOWNLOAD_TOKEN_CONTEXT = b"backorder-connector/data-export-downloads/v2"
"""Separates the download-token key derived from CONNECTOR_SECRET_KEY from the key's other uses
(v2: the token covers the link's expiry)."""


@dataclass
class RedactionReport:
    rows: dict[str, int] = field(default_factory=dict)


def _payload_concerns(body: bytes, customer: Customer) -> bool:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(payload, dict):
        return False
    if str(payload.get("id", "")) in customer.order_ids:
        return True
    buyer = payload.get("customer")
    if customer.customer_id and isinstance(buyer, dict) and str(buyer.get("id", "")) == customer.customer_id:
        return True
    if customer.email:
        billing = payload.get("billing")
        emails = {payload.get("email"), payload.get("contact_email"),
                  billing.get("email") if isinstance(billing, dict) else None}
        return customer.email in {e.strip().lower() for e in emails if isinstance(e, str)}
    return False


def _raw_events(uow: UnitOfWork, shop_id: int, customer: Customer) -> list[WebhookEvent]:
    return [event for event in uow.events.of_shop(shop_id) if _payload_concerns(event.body, customer)]


def redact_customer(container: PrivacyPorts, shop_id: int, customer: Customer) -> RedactionReport:
    """customers/redact: erase the customer's personal data in every table of this shop."""
    report = RedactionReport()
    with container.uow() as uow:
        store = uow.repo(PrivacyRepository)
        order_pks, backorder_pks = store.customer_keys(shop_id, customer)
        report.rows.update(store.redact(shop_id, customer, order_pks, backorder_pks))
        events = _raw_events(uow, shop_id, customer)
        for event in events:
            event.body = json.dumps({"redacted": True, "id": None}).encode()
            event.headers = json.dumps({"redacted": True})
        report.rows["webhook_events"] = len(events)
        uow.commit()
    log.info("customer redacted", extra={"shop_id": shop_id, "rows": report.rows})
    return report


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Decimal):  # money columns (unit prices, charges): exact, as text
        return str(value)
    return value


@dataclass(frozen=True)
class DownloadLink:
    """What the export e-mail carries: ``/privacy/exports/<id>?token=<token>``, open until ``expires_at``."""

    export_id: int
    token: str
    expires_at: datetime


def _derived_tokens(secret_key: str, export: DataExport, expires: int) -> list[str]:
    """The export's download token ``<expires>.<mac>`` under each configured key, the primary key's first.

    The MAC covers the shop, the export, its request and the expiry (Unix seconds): single-purpose
    (this export of this shop only) and expiring (a changed expiry breaks it).
    """
    message = f"{export.shop_id}.{export.id}.{export.request_id}.{expires}".encode()
    tokens = []
    for key in (k.strip() for k in secret_key.split(",") if k.strip()):
        link_key = hmac.new(key.encode(), DOWNLOAD_TOKEN_CONTEXT, hashlib.sha256).digest()
        mac = hmac.new(link_key, message, hashlib.sha256).digest()
        tokens.append(f"{expires}." + base64.urlsafe_b64encode(mac).decode().rstrip("="))
    return tokens


def download_link(container: PrivacyPorts, export_id: int) -> DownloadLink:
    """The export's e-mailed download link: the same on every call, so an e-mail sent again carries
    the link the first one did and both work. Its expiry is fixed on the first call
    (``privacy.export_link_days`` ahead, never past the export's own expiry); its token is derived
    (HMAC) from CONNECTOR_SECRET_KEY, the export and that expiry, never stored: only its digest is.
    A token an older key derived stays in use while that key is configured.
    """
    secret_key = container.settings.secret_key
    if not secret_key:
        raise ConfigError("CONNECTOR_SECRET_KEY", "is required to make data export download links")
    with container.uow() as uow:
        export = uow.repo(PrivacyRepository).export(export_id)
        if export is None:
            raise ExportNotFound(export_id)
        if export.link_expires_at is None:
            ahead = utcnow() + timedelta(days=container.settings.privacy_export_link_days)
            export.link_expires_at = min(ahead, export.expires_at).replace(microsecond=0)
        expires_at = export.link_expires_at
        candidates = _derived_tokens(secret_key, export, int(expires_at.timestamp()))
        token = next((t for t in candidates if hmac.compare_digest(export.download_token_hash, digest(t))), None)
        if token is None:
            token = candidates[0]
            export.download_token_hash = digest(token)
        uow.commit()
    return DownloadLink(export_id, token, expires_at)


def download_token(container: PrivacyPorts, export_id: int) -> str:
    """The token of ``download_link``."""
    return download_link(container, export_id).token


def export_customer(container: PrivacyPorts, shop_id: int, customer: Customer, request_id: str) -> int:
    """customers/data_request: store a JSON export of the customer's data (idempotent per request id)."""
    with container.uow() as uow:
        store = uow.repo(PrivacyRepository)
        existing = store.export_for_request(shop_id, request_id)
        if existing is not None:
            return existing.id
        order_pks, backorder_pks = store.customer_keys(shop_id, customer)
        content: dict[str, Any] = {"customer_id": customer.customer_id, "request_id": request_id,
                                   "generated_at": utcnow().isoformat(), "tables": {}}
        for table, rows in store.customer_rows(shop_id, customer, order_pks, backorder_pks).items():
            content["tables"][table] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
        content["tables"]["webhook_events"] = [
            {"topic": e.topic, "received_at": _jsonable(e.received_at), "payload": json.loads(e.body)}
            for e in _raw_events(uow, shop_id, customer)]
        shop = uow.shops.get(shop_id)
        export = DataExport(shop_id=shop_id, request_id=request_id, customer_ref=customer.customer_id,
                            content=json.dumps(content, sort_keys=True), download_token_hash="",
                            emailed_to=shop.contact_email if shop else None, created_at=utcnow(),
                            expires_at=utcnow() + timedelta(days=EXPORT_DAYS))
        store.add_export(export)
        uow.commit()
        log.info("customer data exported", extra={"shop_id": shop_id, "export_id": export.id})
        return export.id


def download_export(container: PrivacyPorts, shop_id: int | None, export_id: int, token: str) -> str | None:
    """The export JSON when ``token`` is this export's download token and the export has not expired.

    ``shop_id``: the shop of the app's session token (the embedded app); the link's own expiry is not
    applied, the shop is. None: the link alone, as opened from the e-mail; then the link's expiry
    applies (ExportLinkExpired, only once the token has proved genuine). None when the export does
    not exist, belongs to another shop, has expired, or the token is not its token.
    """
    now = utcnow()
    with container.uow() as uow:
        row = uow.repo(PrivacyRepository).export(export_id, shop_id)
        if row is None or row.expires_at <= now or not token or len(token) > 200 or not row.download_token_hash:
            return None
        if not hmac.compare_digest(row.download_token_hash, digest(token)):
            return None
        if shop_id is None:
            link_expires = _link_expiry(container, row, token)
            if link_expires <= now:
                raise ExportLinkExpired(link_expires.strftime("%Y-%m-%d %H:%M UTC"))
        return row.content


def _link_expiry(container: PrivacyPorts, row: DataExport, token: str) -> datetime:
    """The expiry a genuine token carries; a token e-mailed before links expired (no ``<expires>.``
    part) runs ``privacy.export_link_days`` from when it was e-mailed."""
    expires, dot, _ = token.partition(".")
    if dot and expires.isdigit():
        return datetime.fromtimestamp(int(expires), tz=UTC)
    sent = row.emailed_at or row.created_at
    return sent + timedelta(days=container.settings.privacy_export_link_days)


def redact_shop(container: PrivacyPorts, shop_id: int) -> None:
    """shop/redact: delete the shop and everything it owns (every table cascades on shop_id)."""
    with container.uow() as uow:
        uow.repo(PrivacyRepository).erase_shop(shop_id)
        uow.commit()
    container.forget_platform(shop_id)
    log.info("shop redacted", extra={"shop_id": shop_id})


def uninstall(container: PrivacyPorts, shop_id: int) -> None:
    """app/uninstalled: stop the shop's work and discard its tokens; its records stay until shop/redact."""
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            return
        shop.status, shop.uninstalled_at = "uninstalled", utcnow()
        shop.credentials = container.box.seal(ShopCredentials())
        shop.token_expires_at = shop.refresh_expires_at = None
        uow.repo(PrivacyRepository).drop_subscriptions(shop_id)
        uow.events.ignore_unfinished(shop_id, "shop uninstalled")
        uow.commit()
    container.forget_platform(shop_id)
    log.info("shop uninstalled", extra={"shop_id": shop_id})


def personal_columns() -> set[str]:
    """table.column of every column redaction covers (for the completeness test)."""
    return {f"{e.table}.{c}" for e in repository.entries() for c in e.columns} | {
        f"{t}.{c}" for t, c in RAW_PAYLOAD_TABLES.items()}
