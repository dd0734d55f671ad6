"""Drop-ship parcels as backorder shipments, against the sandbox on SQLite and PostgreSQL: parcels
recorded before shipments were (a database upgraded with parcels in flight) are recorded by the next
poll in the order they shipped, once each, and close the backorder at the last parcel's time."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from connector.db.models import Backorder
from connector.dropship.models import DropshipFulfillment
from connector.shipping.models import BackorderShipment
from jobs.dropship import poll_shipments, route_dropship
from sandbox.stack import start_stack
from tests.support.dropship_support import add_dropship_supplier, dropship_orders, enable, restock_in, shop, terms


def test_parcels_stored_before_shipments_were_are_recorded_by_the_next_poll_and_close_the_backorder(
        database_url) -> None:  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as stack:
        sim = stack.sandbox
        info = shop(stack, "shopify")
        sim.supplier.set_stock({"sku": "SOCKS-M", "quantity": 10})
        sim.supplier.dropship.ship_delay = -1
        terms(stack, add_dropship_supplier(stack, info.id), "SOCKS-M", "1.00")
        enable(stack, info.id)
        sim.shopify.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 3}])
        stack.wait_for_capture()
        restock_in(stack, info.id)
        assert route_dropship(info.id) == 1
        stack.container.queue.wait_idle(10)
        [placed] = dropship_orders(stack, info.id)
        sim.supplier.dropship.ship(placed.supplier_reference, 1)
        poll_shipments(info.id)
        sim.supplier.dropship.ship(placed.supplier_reference)
        poll_shipments(info.id)
        stack.wait_for_capture()

        with stack.container.uow() as uow:  # as an older version left it: parcels pushed, backorder open
            uow.session.execute(delete(BackorderShipment).where(BackorderShipment.shop_id == info.id))
            uow.session.execute(update(Backorder).where(Backorder.shop_id == info.id).values(
                status="open", quantity_shipped=0, closed_at=None, fulfilled_via=None))
            uow.commit()
            parcels = list(uow.session.scalars(select(DropshipFulfillment).order_by(DropshipFulfillment.id)))
            assert [(p.quantity, p.status) for p in parcels] == [(1, "done"), (2, "done")]
            last = max(p.shipped_at for p in parcels)
            shipment_ids = [p.shipment_id for p in parcels]

        assert poll_shipments(info.id) == 0  # nothing new to push; the parcels become shipments
        assert poll_shipments(info.id) == 0
        with stack.container.uow() as uow:
            [row] = uow.session.scalars(select(Backorder).where(Backorder.shop_id == info.id)).all()
            assert (row.status, row.quantity_shipped, row.fulfilled_via, row.closed_at) == (
                "fulfilled", 3, "dropship", last)
            shipments = list(uow.session.scalars(select(BackorderShipment).order_by(BackorderShipment.id)))
            assert [(s.quantity, s.via) for s in shipments] == [(1, "dropship"), (2, "dropship")]
            assert [s.reference for s in shipments] == [
                f"dropship:{placed.id}:{shipment_id}" for shipment_id in shipment_ids]
