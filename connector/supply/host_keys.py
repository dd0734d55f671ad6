"""SFTP host keys trusted on first use, stored on the supplier row (connector/domain/host_key.py).

A poll hands the stored key to the SFTP adapter (``pinned``) and, when nothing was stored yet,
stores the key the first connection accepted (``seen``). A changed key fails the poll with
HostKeyChanged (recorded like any failed poll; the merchant is alerted once, jobs/supply.py). A
person who has checked with the supplier trusts the new key with ``trust_host_key``
(``connector suppliers trust-host-key``): by its fingerprint, or by clearing the stored one so the
next connection is trusted as a first use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConfigError, InvalidPayload
from connector.domain.host_key import HostKey, HostKeyTrust
from connector.supply.models import Supplier
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)


def stored_key(supplier: Supplier) -> HostKey | None:
    if not supplier.host_key_fingerprint:
        return None
    return HostKey(supplier.host_key_fingerprint, supplier.host_key_type)


def remember(uow: UnitOfWork, supplier_id: int, trust: HostKeyTrust) -> bool:
    """Store the key the connection accepted when none is stored, or when it completes or replaces the
    stored one (a fingerprint pinned without its type; a ``host_key`` setting that wins). Returns True
    when something was stored. A key stored meanwhile by another poll is not overwritten."""
    seen = trust.seen
    if seen is None:
        return False
    pinned = trust.pinned
    if pinned is not None and pinned.matches(seen) and pinned.kind == seen.kind:
        return False
    with uow:
        supplier = uow.repo(SupplyRepository).supplier(supplier_id)
        if supplier is None:
            return False
        current = stored_key(supplier)
        if current != pinned:  # changed since this poll read it: that one stands
            return False
        supplier.host_key_fingerprint, supplier.host_key_type = seen.fingerprint, seen.kind
        supplier.host_key_trusted_at = utcnow()
        shop_id = supplier.shop_id
        uow.commit()
    log.info("sftp host key stored for the supplier", extra={
        "supplier_id": supplier_id, "shop_id": shop_id, "host_key": str(seen),
        "previous": str(pinned) if pinned else None})
    return True


def forget_on_new_server(supplier: Supplier, old_source: str | None, new_source: str | None) -> None:
    """A supplier whose SFTP source now names another server starts over with first use."""
    if _server(old_source) != _server(new_source):
        supplier.host_key_fingerprint = supplier.host_key_type = None
        supplier.host_key_trusted_at = None


def _server(source: str | None) -> tuple[str, int] | None:
    parts = urlsplit(str(source or ""))
    if parts.scheme.lower() != "sftp":
        return None
    try:
        port = parts.port or 22
    except ValueError:
        port = 22
    return (parts.hostname or "", port)


@dataclass(frozen=True)
class TrustChange:
    supplier: str
    previous: str | None
    now: str | None
    """None: cleared, the next connection's key is trusted."""


def trust_host_key(uow: UnitOfWork, supplier_id: int, fingerprint: str | None = None, *,
                   shop_id: int) -> TrustChange:
    """Trust the server key with this fingerprint (``SHA256:...``, as the refusal names it), or with
    none, clear the stored key so the next connection is trusted as a first use. Only one of
    ``shop_id``'s suppliers: another shop's is refused as unknown."""
    try:
        new = HostKey.parse(fingerprint) if fingerprint else None
    except ConfigError:
        raise InvalidPayload(f"--fingerprint must be SHA256: and 43 base64 characters (as the refusal names it), "
                             f"got {str(fingerprint)[:60]!r}") from None
    with uow:
        supplier = uow.repo(SupplyRepository).shop_supplier(shop_id, supplier_id)
        if supplier is None:
            raise InvalidPayload(f"no supplier with id {supplier_id} in this shop")
        previous = stored_key(supplier)
        supplier.host_key_fingerprint = new.fingerprint if new else None
        supplier.host_key_type = new.kind if new else None
        supplier.host_key_trusted_at = utcnow() if new else None
        name, shop_id = supplier.name, supplier.shop_id
        uow.commit()
    log.warning("sftp host key trust changed by hand", extra={
        "supplier_id": supplier_id, "shop_id": shop_id, "previous": str(previous) if previous else None,
        "host_key": str(new) if new else None})
    return TrustChange(name, str(previous) if previous else None, str(new) if new else None)
