"""A shop's first supplier poll reads the shop's catalogue first (issue 17 item 5).

A poll stores only the SKUs the shop sells (its catalogue mirror, ``store_skus``, and the SKUs of
open backorders). Before the catalogue has ever been read there is nothing to pick with, and storing
every SKU of a distributor's feed costs a million stock and history rows that the next poll deletes
again. So the poll reads the catalogue itself first (``sync_catalog``, as the scheduled read does)
and waits for it; when another read of the same shop finishes first, that one counts.

When the store cannot be read (down, refused) the poll is postponed (``CataloguePending``): nothing
is fetched or stored, the supplier's last good data and failure count stay as they were, and the
next poll tries again. The fallback where there genuinely is no catalogue: a store that was read and
sells nothing gets an empty set of sold SKUs, so a poll stores only the SKUs of open backorders, if
any. A caller that has no store to read (no ``catalogue``: tests, library use; every poll the
product runs passes one) keeps the old way for a shop never read: every SKU stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from connector.db.uow import UnitOfWork
from connector.domain.errors import ConnectorError, TransientError
from connector.ports import StoreCatalog
from connector.supply.catalog import sync_catalog
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)

CatalogueSource = Callable[[int], StoreCatalog]
"""The shop's store catalogue by shop id (the container's ``catalog_for``)."""


class CataloguePending(TransientError):
    """The shop's catalogue has not been read and could not be read now: the poll is postponed."""


def catalogue_read(uow: UnitOfWork, shop_id: int) -> bool:
    with uow:
        return uow.repo(SupplyRepository).catalogue_read(shop_id)


def ensure_catalogue(uow: UnitOfWork, shop_id: int, catalogue: CatalogueSource | None) -> bool:
    """Make sure the shop's catalogue has been read before a poll picks its SKUs; returns True when it
    was read now. Raises CataloguePending when it has not been read and the store cannot be read now.
    Without ``catalogue`` (no store to read) nothing is read and nothing raised."""
    if catalogue is None or catalogue_read(uow, shop_id):
        return False
    log.info("first supplier poll of the shop: reading its catalogue first", extra={"shop_id": shop_id})
    try:
        sync_catalog(uow, catalogue(shop_id), shop_id)
        return True
    except IntegrityError:  # another read of the shop's catalogue wrote the same SKUs first
        if catalogue_read(uow, shop_id):
            return False
        raise
    except ConnectorError as exc:
        if catalogue_read(uow, shop_id):  # another read finished meanwhile
            return False
        raise CataloguePending(f"the store could not be read ({type(exc).__name__}: {exc}); the supplier "
                               "is read once the store's catalogue is") from exc
