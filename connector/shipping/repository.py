"""Shipping's queries, reached with ``uow.repo(ShippingRepository)``: shipment rows of backorders, and
closed backorders with their order for the time-to-fill view."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select

from connector.db.models import Backorder
from connector.db.repositories import Repository
from connector.domain.model import BackorderStatus
from connector.shipping.models import BackorderShipment


class ShippingRepository(Repository):

    def add(self, shipment: BackorderShipment) -> BackorderShipment:
        self.session.add(shipment)
        self.session.flush()
        return shipment

    def has_shipment(self, backorder_id: int, reference: str) -> bool:
        found = self.session.scalar(select(BackorderShipment.id).where(
            BackorderShipment.backorder_id == backorder_id, BackorderShipment.reference == reference).limit(1))
        return found is not None

    def shipments_of(self, shop_id: int, backorder_id: int) -> Sequence[BackorderShipment]:
        """One backorder's shipment rows, oldest first."""
        return self.session.scalars(select(BackorderShipment).where(
            BackorderShipment.shop_id == shop_id, BackorderShipment.backorder_id == backorder_id)
            .order_by(BackorderShipment.shipped_at, BackorderShipment.id)).all()

    def shipments(self, shop_id: int) -> Sequence[BackorderShipment]:
        """Every shipment row of one shop, oldest first."""
        return self.session.scalars(select(BackorderShipment).where(BackorderShipment.shop_id == shop_id)
                                    .order_by(BackorderShipment.shipped_at, BackorderShipment.id)).all()

    def backorder(self, shop_id: int, backorder_id: int) -> Backorder | None:
        found = self.session.get(Backorder, backorder_id)
        return found if found is not None and found.shop_id == shop_id else None

    def waiting_backorders(self, shop_id: int, ids: Collection[int]) -> Sequence[Backorder]:
        """Those of these backorders still waiting for units (open or allocated), oldest first."""
        if not ids:
            return []
        waiting = (BackorderStatus.OPEN.value, BackorderStatus.ALLOCATED.value)
        return self.session.scalars(select(Backorder).where(
            Backorder.shop_id == shop_id, Backorder.id.in_(list(ids)), Backorder.status.in_(waiting))
            .order_by(Backorder.id)).all()
