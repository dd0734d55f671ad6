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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, delete, func, select, update

from connector.db.models import Backorder, Order, OrderLine, Shop, WebhookEvent
from connector.domain.clock import utcnow
from connector.domain.errors import ConfigError, ExportLinkExpired, ExportNotFound
from connector.domain.model import ShopCredentials
from connector.install.install import digest
from connector.install.models import DataExport
from connector.schema import Base

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.bootstrap import Container

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
EXPORT_DAYS = 30
EMAIL_COLUMN = re.compile(r"(^|_)e?mail($|_)|email")
DOWNLOAD_TOKEN_CONTEXT = b"backorder-connector/data-export-downloads/v2"
"""Separates the download-token key derived from CONNECTOR_SECRET_KEY from the key's other uses
(v2: the token covers the link's expiry)."""


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
    PersonalData("orders", {"customer_email": None}, match_email="customer_email",
                 match_platform_order="platform_order_id"),
    PersonalData("data_exports", {"content": json.dumps({"redacted": True}), "customer_ref": "redacted"}),
    # notify feature (connector/notify/models.py): messages to waiting customers
    PersonalData("notify_messages", {"recipient": None, "subject": None, "outcome": None, "error": None},
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


@dataclass
class RedactionReport:
    rows: dict[str, int] = field(default_factory=dict)


def _present(session: Session) -> set[str]:
    """Tables that exist in this database (a model may be ahead of the migrations applied)."""
    from sqlalchemy import inspect

    return set(inspect(session.connection()).get_table_names())


def _entries() -> list[PersonalData]:
    """The registry plus automatic entries for e-mail-like columns of unregistered tables."""
    entries = list(PERSONAL_DATA)
    known = {e.table for e in entries}
    for table in Base.metadata.sorted_tables:
        if table.name in known or "shop_id" not in table.c:
            continue
        emails = [c.name for c in table.c
                  if EMAIL_COLUMN.search(c.name) and f"{table.name}.{c.name}" not in NOT_PERSONAL]
        if emails:
            entries.append(PersonalData(table.name, {c: None if table.c[c].nullable else REDACTED for c in emails},
                                        match_email=emails[0]))
    return entries


def _order_pks(session: Session, shop_id: int, customer: Customer) -> list[int]:
    conditions: list[Any] = []
    if customer.order_ids:
        conditions.append(Order.platform_order_id.in_(customer.order_ids))
    if customer.email:
        conditions.append(func.lower(Order.customer_email) == customer.email)
    if not conditions:
        return []
    from sqlalchemy import or_

    return list(session.scalars(select(Order.id).where(Order.shop_id == shop_id, or_(*conditions))))


def _backorder_pks(session: Session, shop_id: int, order_pks: Sequence[int]) -> list[int]:
    if not order_pks:
        return []
    return list(session.scalars(select(Backorder.id).join(OrderLine, Backorder.order_line_id == OrderLine.id)
                                .where(OrderLine.shop_id == shop_id, OrderLine.order_id.in_(order_pks))))


def _matching(table: Table, entry: PersonalData, shop_id: int, customer: Customer, order_pks: Sequence[int],
              backorder_pks: Sequence[int] = ()) -> Any:
    from sqlalchemy import false, or_

    conditions: list[Any] = []
    if entry.match_backorder_id and backorder_pks:
        conditions.append(table.c[entry.match_backorder_id].in_(backorder_pks))
    if entry.match_email and customer.email:
        conditions.append(func.lower(table.c[entry.match_email]) == customer.email)
    if entry.match_platform_order and customer.order_ids:
        conditions.append(table.c[entry.match_platform_order].in_(customer.order_ids))
    if entry.match_order_id and order_pks:
        conditions.append(table.c[entry.match_order_id].in_(order_pks))
    if entry.table == "data_exports" and customer.customer_id:
        conditions.append(table.c.customer_ref == customer.customer_id)
    return (table.c.shop_id == shop_id) & (or_(*conditions) if conditions else false())


def _payload_concerns(body: bytes, customer: Customer) -> bool:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(payload, dict):
        return False
    if str(payload.get("id", "")) in customer.order_ids:
        return True
    buyer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    if customer.customer_id and str(buyer.get("id", "")) == customer.customer_id:  # type: ignore[union-attr]
        return True
    if customer.email:
        billing = payload.get("billing") if isinstance(payload.get("billing"), dict) else {}
        emails = {payload.get("email"), payload.get("contact_email"), billing.get("email")}  # type: ignore[union-attr]
        return customer.email in {e.strip().lower() for e in emails if isinstance(e, str)}
    return False


def _raw_events(session: Session, shop_id: int, customer: Customer) -> list[WebhookEvent]:
    return [event for event in session.scalars(select(WebhookEvent).where(WebhookEvent.shop_id == shop_id))
            if _payload_concerns(event.body, customer)]


def redact_customer(container: Container, shop_id: int, customer: Customer) -> RedactionReport:
    """customers/redact: erase the customer's personal data in every table of this shop."""
    report = RedactionReport()
    with container.uow() as uow:
        session = uow.session
        assert session is not None
        order_pks = _order_pks(session, shop_id, customer)
        backorder_pks = _backorder_pks(session, shop_id, order_pks)
        present = _present(session)
        for entry in _entries():
            table = Base.metadata.tables.get(entry.table)
            if table is None or entry.table not in present:
                continue
            matching = _matching(table, entry, shop_id, customer, order_pks, backorder_pks)
            result = session.execute(update(table).where(matching)
                                     .values(**entry.columns))
            report.rows[entry.table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        events = _raw_events(session, shop_id, customer)
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


def download_link(container: Container, export_id: int) -> DownloadLink:
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
        session = uow.session
        assert session is not None
        export = session.get(DataExport, export_id)
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


def download_token(container: Container, export_id: int) -> str:
    """The token of ``download_link``."""
    return download_link(container, export_id).token


def export_customer(container: Container, shop_id: int, customer: Customer, request_id: str) -> int:
    """customers/data_request: store a JSON export of the customer's data (idempotent per request id)."""
    with container.uow() as uow:
        session = uow.session
        assert session is not None
        existing = session.scalar(select(DataExport).where(DataExport.shop_id == shop_id,
                                                           DataExport.request_id == request_id))
        if existing is not None:
            return existing.id
        order_pks = _order_pks(session, shop_id, customer)
        backorder_pks = _backorder_pks(session, shop_id, order_pks)
        content: dict[str, Any] = {"customer_id": customer.customer_id, "request_id": request_id,
                                   "generated_at": utcnow().isoformat(), "tables": {}}
        present = _present(session)
        for entry in _entries():
            table = Base.metadata.tables.get(entry.table)
            if table is None or entry.table == "data_exports" or entry.table not in present:
                continue
            rows = session.execute(select(table).where(
                _matching(table, entry, shop_id, customer, order_pks, backorder_pks)))
            content["tables"][entry.table] = [{k: _jsonable(v) for k, v in row._mapping.items()} for row in rows]
        lines = Base.metadata.tables["order_lines"]
        content["tables"]["order_lines"] = [
            {k: _jsonable(v) for k, v in row._mapping.items()}
            for row in session.execute(select(lines).where(lines.c.shop_id == shop_id,
                                                           lines.c.order_id.in_(order_pks)))]
        content["tables"]["webhook_events"] = [
            {"topic": e.topic, "received_at": _jsonable(e.received_at), "payload": json.loads(e.body)}
            for e in _raw_events(session, shop_id, customer)]
        shop = session.get(Shop, shop_id)
        export = DataExport(shop_id=shop_id, request_id=request_id, customer_ref=customer.customer_id,
                            content=json.dumps(content, sort_keys=True), download_token_hash="",
                            emailed_to=shop.contact_email if shop else None, created_at=utcnow(),
                            expires_at=utcnow() + timedelta(days=EXPORT_DAYS))
        session.add(export)
        uow.commit()
        log.info("customer data exported", extra={"shop_id": shop_id, "export_id": export.id})
        return export.id


def download_export(container: Container, shop_id: int | None, export_id: int, token: str) -> str | None:
    """The export JSON when ``token`` is this export's download token and the export has not expired.

    ``shop_id``: the shop of the app's session token (the embedded app); the link's own expiry is not
    applied, the shop is. None: the link alone, as opened from the e-mail; then the link's expiry
    applies (ExportLinkExpired, only once the token has proved genuine). None when the export does
    not exist, belongs to another shop, has expired, or the token is not its token.
    """
    now = utcnow()
    with container.uow() as uow:
        query = select(DataExport).where(DataExport.id == export_id)
        if shop_id is not None:
            query = query.where(DataExport.shop_id == shop_id)
        row = uow.session.scalar(query)  # type: ignore[union-attr]
        if row is None or row.expires_at <= now or not token or len(token) > 200 or not row.download_token_hash:
            return None
        if not hmac.compare_digest(row.download_token_hash, digest(token)):
            return None
        if shop_id is None:
            link_expires = _link_expiry(container, row, token)
            if link_expires <= now:
                raise ExportLinkExpired(link_expires.strftime("%Y-%m-%d %H:%M UTC"))
        return row.content


def _link_expiry(container: Container, row: DataExport, token: str) -> datetime:
    """The expiry a genuine token carries; a token e-mailed before links expired (no ``<expires>.``
    part) runs ``privacy.export_link_days`` from when it was e-mailed."""
    expires, dot, _ = token.partition(".")
    if dot and expires.isdigit():
        return datetime.fromtimestamp(int(expires), tz=UTC)
    sent = row.emailed_at or row.created_at
    return sent + timedelta(days=container.settings.privacy_export_link_days)


def redact_shop(container: Container, shop_id: int) -> None:
    """shop/redact: delete the shop and everything it owns (every table cascades on shop_id)."""
    with container.uow() as uow:
        session = uow.session
        assert session is not None
        present = _present(session)
        for table in reversed(Base.metadata.sorted_tables):
            if "shop_id" in table.c and table.name in present:
                session.execute(delete(table).where(table.c.shop_id == shop_id))
        session.execute(delete(Shop).where(Shop.id == shop_id))
        uow.commit()
    container.forget_platform(shop_id)
    log.info("shop redacted", extra={"shop_id": shop_id})


def uninstall(container: Container, shop_id: int) -> None:
    """app/uninstalled: stop the shop's work and discard its tokens; its records stay until shop/redact."""
    from connector.install.models import WebhookSubscription

    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            return
        shop.status, shop.uninstalled_at = "uninstalled", utcnow()
        shop.credentials = container.box.seal(ShopCredentials())
        shop.token_expires_at = shop.refresh_expires_at = None
        session = uow.session
        assert session is not None
        session.execute(delete(WebhookSubscription).where(WebhookSubscription.shop_id == shop_id))
        session.execute(update(WebhookEvent).where(WebhookEvent.shop_id == shop_id,
                                                   WebhookEvent.status.in_(("pending", "retry")))
                        .values(status="ignored", last_error="shop uninstalled"))
        uow.commit()
    container.forget_platform(shop_id)
    log.info("shop uninstalled", extra={"shop_id": shop_id})


def personal_columns() -> set[str]:
    """table.column of every column redaction covers (for the completeness test)."""
    return {f"{e.table}.{c}" for e in _entries() for c in e.columns} | {
        f"{t}.{c}" for t, c in RAW_PAYLOAD_TABLES.items()}


def iter_tables() -> Iterable[Table]:
    return Base.metadata.sorted_tables
