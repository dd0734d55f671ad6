"""Suppliers that call us: a signed push that asks for a poll now, or carries the changed rows.

``POST /webhooks/suppliers/<push token>/push`` (webhooks/supplier_push.py). The supplier signs the raw
body with its own key (made here, sealed at rest, shown once): header ``X-Supplier-Hmac-Sha256``, the
base64 HMAC-SHA256 of the body, compared in constant time. The event id comes in
``X-Supplier-Event-Id`` and again in the body as ``id`` (so it is signed: a captured push cannot come
back under a new id), with ``sent_at`` (ISO 8601 with an offset), which must be within
MAX_SKEW_SECONDS of our clock (a captured push cannot come back later either). The body is either
``{"id", "sent_at", "event": "changed"}`` (poll the supplier now) or ``{"id", "sent_at", "rows": [{"sku",
"quantity", "restock_date", "lead_time_days"?}, ...]}``, stored like a poll's rows. A push never carries
an address: the poll it asks for reads the supplier's configured source, nothing else.

The same inbox rules as store webhooks: the raw body is committed under (supplier, event id) before the
answer (202), a second delivery is a no-op, processing happens in a worker
(jobs/supplier_push.py), bad JSON is 400, a bad signature 401, a body over the limit 413.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import InvalidPayload
from connector.domain.supply import BadRows, SupplierRow
from connector.ports import SupplierClientFactory
from connector.supply.first_poll import CatalogueSource
from connector.supply.push_repository import PushRepository
from connector.supply.repository import SupplyRepository
from connector.supply.suppliers import PollReport, poll_supplier

SIGNATURE_HEADER = "X-Supplier-Hmac-Sha256"
EVENT_HEADER = "X-Supplier-Event-Id"
MAX_SKEW_SECONDS = 300
"""How far a push's ``sent_at`` may be from our clock (either way)."""
MAX_EVENT_ID = 200
MAX_ROWS = 10_000
"""Rows in one push (a supplier with more sends several, or asks for a poll)."""
PUSH_KINDS = ("changed", "rows")


@dataclass(frozen=True)
class PushCredentials:
    """What the supplier needs to push: shown once, when made."""

    supplier_id: int
    token: str
    secret: str
    made_at: datetime | None = None

    def path(self) -> str:
        return f"/webhooks/suppliers/{self.token}/push"


@dataclass(frozen=True)
class PushTarget:
    supplier_id: int
    shop_id: int
    secret: str
    active: bool


@dataclass(frozen=True)
class Push:
    event_id: str
    kind: str
    """changed | rows"""


@dataclass(frozen=True)
class PushKeyState:
    """Whether a supplier can push and when its key was made: what may be shown after the once-view
    (never the key, nor the URL's token)."""

    on: bool
    made_at: datetime | None
    """None: push is off, or the key was made before the date was kept with it."""


def make_push_secret(uow: UnitOfWork, box: CredentialBox, shop_id: int, supplier_id: int) -> PushCredentials:
    """Make (or replace: the old key and URL stop working at once) the supplier's push URL token and key.
    The key is sealed with the time it was made (so a page can say when, without ever showing it)."""
    token, secret, made_at = secrets.token_urlsafe(24), secrets.token_urlsafe(32), utcnow()
    with uow:
        supplier = uow.repo(SupplyRepository).shop_supplier(shop_id, supplier_id)
        if supplier is None:
            raise InvalidPayload(f"no supplier with id {supplier_id} in this shop")
        supplier.push_token = token
        supplier.push_secret = box.seal_json({"secret": secret, "made_at": made_at.isoformat()})
        uow.commit()
    return PushCredentials(supplier_id, token, secret, made_at)


def remove_push_secret(uow: UnitOfWork, shop_id: int, supplier_id: int) -> bool:
    """Turn the supplier's push off: its URL token and key are removed, so a push is refused (401) from
    now on; polls go on by the schedule. False: push was off already."""
    with uow:
        supplier = uow.repo(SupplyRepository).shop_supplier(shop_id, supplier_id)
        if supplier is None:
            raise InvalidPayload(f"no supplier with id {supplier_id} in this shop")
        was_on = bool(supplier.push_token or supplier.push_secret)
        supplier.push_token = None
        supplier.push_secret = None
        uow.commit()
    return was_on


def push_key_state(box: CredentialBox, push_token: str | None, push_secret: str | None) -> PushKeyState:
    """What a supplier row's push columns say, for showing (CredentialsError: the sealed key does not
    open with CONNECTOR_SECRET_KEY, so pushes are refused until a new key is made)."""
    if not push_token or not push_secret:
        return PushKeyState(False, None)
    opened = box.open_json(push_secret)
    made = opened.get("made_at") if isinstance(opened, Mapping) else None
    try:
        made_at = datetime.fromisoformat(made) if isinstance(made, str) else None
    except ValueError:
        made_at = None
    return PushKeyState(True, made_at)


def push_target(uow: UnitOfWork, box: CredentialBox, token: str) -> PushTarget | None:
    """The supplier a push URL token belongs to, with its opened key (None: no such token)."""
    if not token or len(token) > 64:
        return None
    with uow:
        supplier = uow.repo(PushRepository).supplier_by_token(token)
        if supplier is None or not supplier.push_secret:
            return None
        opened = box.open_json(supplier.push_secret)
        secret = str(opened.get("secret") or "") if isinstance(opened, Mapping) else ""
        return PushTarget(supplier.id, supplier.shop_id, secret, supplier.status == "active")


def signature(body: bytes, secret: str) -> str:
    """What the supplier sends in X-Supplier-Hmac-Sha256: base64 of HMAC-SHA256(key, raw body)."""
    import base64

    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(body: bytes, given: str | None, secret: str) -> bool:
    if not given or not secret:
        return False
    return hmac.compare_digest(signature(body, secret).encode(), given.strip().encode())


def read_push(payload: Mapping[str, Any], event_id: str, now: datetime | None = None) -> Push:
    """Check a verified push's body (InvalidPayload names what is wrong); rows are checked one by one
    when processed (``pushed_rows``), like a poll's."""
    if not event_id or len(event_id) > MAX_EVENT_ID:
        raise InvalidPayload(f"{EVENT_HEADER} must be 1 to {MAX_EVENT_ID} characters")
    if payload.get("id") != event_id:
        raise InvalidPayload(f"the body's id must be the {EVENT_HEADER} header's value")
    sent = payload.get("sent_at")
    try:
        sent_at = datetime.fromisoformat(str(sent)) if isinstance(sent, str) else None
    except ValueError:
        sent_at = None
    if sent_at is None or sent_at.tzinfo is None:
        raise InvalidPayload(f"sent_at must be an ISO 8601 time with an offset, got {sent!r}")
    skew = abs(((now or utcnow()) - sent_at).total_seconds())
    if skew > MAX_SKEW_SECONDS:
        raise InvalidPayload(f"sent_at is {skew:.0f} s off our clock (at most {MAX_SKEW_SECONDS} s): "
                             "a push is accepted only when it is fresh")
    has_event, has_rows = "event" in payload, "rows" in payload
    if has_event == has_rows:
        raise InvalidPayload('a push has either "event": "changed" or "rows": [...]')
    unknown = set(payload) - {"id", "sent_at", "event", "rows"}
    if unknown:
        raise InvalidPayload(f"unknown field(s) {sorted(unknown)} (a push carries no address or settings)")
    if has_event:
        if payload["event"] != "changed":
            raise InvalidPayload(f'event must be "changed", got {payload["event"]!r}')
        return Push(event_id, "changed")
    rows = payload["rows"]
    if not isinstance(rows, list) or not rows:
        raise InvalidPayload("rows must be a non-empty list of {sku, quantity, restock_date} objects")
    if len(rows) > MAX_ROWS:
        raise InvalidPayload(f"{len(rows)} rows in one push; at most {MAX_ROWS}")
    return Push(event_id, "rows")


def pushed_rows(body: bytes) -> tuple[list[SupplierRow], BadRows]:
    """A stored rows push as SupplierRows; each bad row counted with its position and reason and left
    out (a push with more than half bad rows is refused whole when stored, as a feed is)."""
    payload = json.loads(body)
    bad = BadRows()
    rows: list[SupplierRow] = []
    for position, item in enumerate(payload.get("rows") or [], start=1):
        try:
            rows.append(_row(item, position))
        except InvalidPayload as exc:
            bad.add(position, str(exc))
    return rows, bad


def _row(item: Any, position: int) -> SupplierRow:
    if not isinstance(item, Mapping):
        raise InvalidPayload(f"record is a {type(item).__name__}, not an object")
    unknown = set(item) - {"sku", "quantity", "restock_date", "lead_time_days"}
    if unknown:
        raise InvalidPayload(f"unknown field(s) {sorted(unknown)}")
    sku = item.get("sku")
    if not isinstance(sku, str) or not sku.strip() or len(sku.strip()) > 255:
        raise InvalidPayload(f"sku must be a text of 1 to 255 characters, got {sku!r}")
    return SupplierRow(sku=sku.strip(), quantity=_count(item.get("quantity"), "quantity"),
                       restock_date=_day(item.get("restock_date")),
                       lead_time_days=_count(item.get("lead_time_days"), "lead_time_days"), line=position)


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**9:
        raise InvalidPayload(f"{name} must be a whole number from 0, got {value!r}")
    return value


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_day(value)
    except ValueError:
        return _bad_day(value)


def _bad_day(value: Any) -> date:
    raise InvalidPayload(f"restock_date must be a date YYYY-MM-DD or null, got {value!r}")


class PushedRowsClient:
    """A SupplierClient over the rows of one push: the poll path stores them (same diff, change history,
    snapshot and bad-row rule) and keeps the supplier's validators as they are."""

    def __init__(self, rows: Sequence[SupplierRow], bad: BadRows) -> None:
        self.rows, self.bad = rows, bad

    def fetch(self, validators: Any = None, page_state: Mapping[str, Any] | None = None) -> Any:
        from contextlib import nullcontext

        from connector.domain.supply import SupplierFetch, Validators

        return nullcontext(SupplierFetch(False, iter(self.rows), self.bad, validators or Validators(),
                                         dict(page_state or {})))


# -- processing (jobs/supplier_push.py) ------------------------------------------------------------

PROCESSING_LEASE = timedelta(minutes=15)
"""A push 'processing' longer than this is presumed lost with its worker and may be taken again."""


@dataclass(frozen=True)
class ClaimedPush:
    push_id: int
    supplier_id: int
    shop_id: int
    kind: str
    body: bytes


def claim(uow: UnitOfWork, push_id: int) -> ClaimedPush | None:
    """Take a stored push for processing (None: already done, or another worker has it)."""
    now = utcnow()
    with uow:
        push = uow.repo(PushRepository).claim(push_id, now, now - PROCESSING_LEASE)
        if push is None:
            uow.commit()
            return None
        claimed = ClaimedPush(push.id, push.supplier_id, push.shop_id, push.kind, bytes(push.body))
        uow.commit()
    return claimed


def store_rows(uow: UnitOfWork, box: CredentialBox, push: ClaimedPush, *, clients: SupplierClientFactory,
               wait_seconds: float, catalogue: CatalogueSource | None) -> PollReport:
    """Store a rows push as a poll of the supplier would (its lease, diff, history, snapshot): only the
    rows of SKUs the shop sells (its catalogue, read first through ``catalogue`` when it never was, as
    before a first poll; the push is postponed while the store cannot be read). Without ``catalogue`` a
    shop whose catalogue was never read gets every row stored, as a poll would."""
    rows, bad = pushed_rows(push.body)
    return poll_supplier(uow, box, push.supplier_id, clients=clients, wait_seconds=wait_seconds,
                         client=PushedRowsClient(rows, bad), catalogue=catalogue)


def finish(uow: UnitOfWork, push: ClaimedPush, status: str, error: str | None = None) -> None:
    """Record the outcome: done | failed, or pending (to be taken again by the job's retry)."""
    now = utcnow()
    with uow:
        repo = uow.repo(PushRepository)
        repo.finish(push.push_id, status, error, now)
        repo.prune(push.supplier_id, now)
        uow.commit()


def store_push(uow: UnitOfWork, target: PushTarget, push: Push, body: bytes,
               on_new: Callable[[Any, int], None]) -> tuple[int, bool]:
    """Commit a verified push under its event id; ``on_new(session, push id)`` runs in the same
    transaction for a new one (the durable job-run record). Returns (push id, new)."""
    with uow:
        push_id, created = uow.repo(PushRepository).store(target.shop_id, target.supplier_id, push.event_id,
                                                          push.kind, body, utcnow())
        if created:
            on_new(uow.session, push_id)
        uow.commit()
    return push_id, created
