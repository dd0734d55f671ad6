"""The supplier page's Push section: whether the supplier can push, its last push, and the push key made,
replaced or removed from the app (docs/supply.md, "Suppliers that push").

The key is made by the service the CLI uses (``supply.push.make_push_secret``, as
``connector suppliers push-secret``) and shown once, on the answer to the POST that made it (the app's
pages are ``Cache-Control: no-store``); afterwards the page says only when a key was made. Replacing a
key asks first (the old key and URL stop working at once), and the confirmation names the key it
replaces, so a form sent twice (a reload of the answer, a second tab) does not replace a key made
meanwhile. Registered on ``merchant_bp`` by importing connector/merchant/pages/suppliers.py.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol, cast

from flask import Response, current_app, g, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from connector.config import Settings
from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import CredentialsError
from connector.merchant.shell import app_link, merchant_bp, merchant_view, render_page
from connector.merchant.suppliers_query import SupplierPagesRepository, SupplierView
from connector.supply import push as push_service

log = logging.getLogger(__name__)

DOCS = "docs/supply.md, section “Suppliers that push”"
"""Where the push contract is written down (shown on the page that shows the key)."""


class PushPorts(Protocol):
    @property
    def box(self) -> CredentialBox: ...

    @property
    def settings(self) -> Settings: ...

    def uow(self) -> UnitOfWork: ...


def ports() -> PushPorts:
    return cast(PushPorts, current_app.extensions["connector"])


def push_section(supplier: SupplierView) -> dict[str, Any]:
    """The Push section of the supplier page: on or off, when the key was made, the last push. Never the
    key nor the URL's token."""
    c = ports()
    with c.uow() as uow:
        columns = uow.repo(SupplierPagesRepository).push(g.merchant.shop_id, supplier.id)
    if columns is None:
        raise NotFound("This shop has no such supplier.")
    unreadable = False
    try:
        state = push_service.push_key_state(c.box, columns.token, columns.sealed)
    except CredentialsError:
        state, unreadable = push_service.PushKeyState(True, None), True
    return {"on": state.on, "made_at": state.made_at, "unreadable": unreadable, "last": columns.last,
            "active": supplier.status == "active", "stamp": _stamp(state, unreadable)}


def _stamp(state: push_service.PushKeyState, unreadable: bool = False) -> str:
    """Names the key a replace form replaces: 'none' when push is off."""
    if not state.on:
        return "none"
    if unreadable:
        return "unreadable"
    return state.made_at.isoformat() if state.made_at else "undated"


def _supplier(supplier_id: int) -> SupplierView:
    with ports().uow() as uow:
        supplier = uow.repo(SupplierPagesRepository).supplier(g.merchant.shop_id, supplier_id)
    if supplier is None:
        raise NotFound("This shop has no such supplier.")
    return supplier


@merchant_bp.post("/suppliers/<int:supplier_id>/push-key")
@merchant_view
def supplier_push_key(supplier_id: int) -> ResponseReturnValue:
    """Make the push key (or, confirmed, replace it) and show it with the URL, once."""
    supplier = _supplier(supplier_id)
    section = push_section(supplier)
    if section["on"] and not (request.form.get("confirm") == "replace"
                              and request.form.get("replaces") == section["stamp"]):
        return render_page("supplier_push.html", supplier=supplier, state="confirm", push=section,
                           resent=request.form.get("confirm") == "replace")
    c = ports()
    made = push_service.make_push_secret(c.uow(), c.box, g.merchant.shop_id, supplier.id)
    log.info("supplier push key made in the app", extra={"shop_id": g.merchant.shop_id, "supplier_id": supplier.id,
                                                         "replaced": section["on"]})
    base = (c.settings.app_url or request.host_url).rstrip("/")
    example = {"id": "stock-2026-12-03-0001", "sent_at": utcnow().replace(microsecond=0).isoformat(),
               "event": "changed"}
    rows = {"id": "stock-2026-12-03-0002", "sent_at": example["sent_at"],
            "rows": [{"sku": "ACME-1", "quantity": 0, "restock_date": "2027-01-15"}]}
    answer = render_page("supplier_push.html", supplier=supplier, state="made", replaced=section["on"],
                         url=base + made.path(), key=made.secret, made_at=made.made_at,
                         signature_header=push_service.SIGNATURE_HEADER, event_header=push_service.EVENT_HEADER,
                         skew_minutes=push_service.MAX_SKEW_SECONDS // 60, max_rows=push_service.MAX_ROWS,
                         example=json.dumps(example), rows_example=json.dumps(rows), docs=DOCS)
    if isinstance(answer, Response):
        answer.headers["Cache-Control"] = "no-store"
    return answer


@merchant_bp.post("/suppliers/<int:supplier_id>/push-off")
@merchant_view
def supplier_push_off(supplier_id: int) -> ResponseReturnValue:
    """Turn push off: the key and URL are removed; pushes are refused (401) from now on."""
    supplier = _supplier(supplier_id)
    was_on = push_service.remove_push_secret(ports().uow(), g.merchant.shop_id, supplier.id)
    if was_on:
        log.info("supplier push turned off in the app", extra={"shop_id": g.merchant.shop_id,
                                                               "supplier_id": supplier.id})
    return redirect(app_link(f"/app/suppliers/{supplier.id}", saved="push_off"), code=303)

