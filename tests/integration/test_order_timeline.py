"""One order's timeline on SQLite and real PostgreSQL: every feature's rows about the order, read
through their repositories, in time order and in words; another shop's order is not found."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.dropship.models import DropshipFulfillment, DropshipOrder, FulfillmentHoldRecord, RoutingDecision
from connector.merchant.timeline import OrderNotFound, order_timeline
from connector.notify.models import DelayDecision, Message, NotifyState
from connector.payments.models import OrderPayment, PaymentCharge
from connector.purchasing.models import PurchaseOrder, PurchaseOrderBackorder, PurchaseOrderLine
from connector.restock.models import Allocation
from connector.shipping.models import BackorderShipment
from connector.shops import add_shop
from connector.supply.models import Supplier, SupplierChange, SupplierSnapshot

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def uow(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


def seed_story(uow: UnitOfWork) -> tuple[int, int]:
    box = CredentialBox(generate_key())
    shop = add_shop(uow, box, Platform.SHOPIFY, "story.myshopify.com", ShopCredentials(access_token="t")).id
    other = add_shop(uow, box, Platform.SHOPIFY, "else.myshopify.com", ShopCredentials(access_token="t")).id
    with uow:
        s = uow.session
        assert s is not None
        acme = Supplier(shop_id=shop, name="Acme Supply", kind="feed", created_at=at(-100))
        s.add(acme)
        order = Order(shop_id=shop, platform_order_id="820982911946154508", name="#1001", ordered_at=at(0),
                      platform_updated_at=at(0), captured_at=at(0.01), promised_delivery_on=date(2026, 11, 20),
                      promised_delivery_source="shopify:deliveryMethod", currency="EUR")
        kettle = OrderLine(shop_id=shop, platform_line_id="1", sku="KETTLE-1", title="Copper kettle", quantity=2)
        mug = OrderLine(shop_id=shop, platform_line_id="2", sku="MUG-9", title="Stoneware mug", quantity=1)
        order.lines = [kettle, mug]
        s.add(order)
        s.add(Order(shop_id=other, platform_order_id="555", name="#1", ordered_at=at(0), platform_updated_at=at(0)))
        s.flush()
        b1 = Backorder(shop_id=shop, order_line_id=kettle.id, sku="KETTLE-1", quantity_backordered=2,
                       status="fulfilled", created_at=at(0.01), closed_at=at(200), promised_date=date(2026, 11, 16),
                       expected_date=date(2026, 11, 18), quantity_shipped=2, fulfilled_via="allocation")
        b2 = Backorder(shop_id=shop, order_line_id=mug.id, sku="MUG-9", quantity_backordered=1, status="open",
                       created_at=at(0.01))
        s.add_all([b1, b2])
        s.flush()
        snap = SupplierSnapshot(shop_id=shop, supplier_id=acme.id, started_at=at(30), status="ok")
        s.add(snap)
        s.flush()
        s.add_all([
            NotifyState(shop_id=shop, backorder_id=b1.id, shipping_promise=date(2026, 11, 20), checkout_stated=True,
                        created_at=at(0.02)),
            SupplierChange(shop_id=shop, supplier_id=acme.id, snapshot_id=snap.id, sku="KETTLE-1",
                           restock_date=date(2026, 11, 18), previous_restock_date=date(2026, 11, 16),
                           changed_at=at(30)),
            SupplierChange(shop_id=shop, supplier_id=acme.id, snapshot_id=snap.id, sku="KETTLE-1", quantity=0,
                           previous_quantity=3, restock_date=date(2026, 11, 18),
                           previous_restock_date=date(2026, 11, 18), changed_at=at(31)),  # stock only: left out
            SupplierChange(shop_id=shop, supplier_id=acme.id, snapshot_id=snap.id, sku="KETTLE-1",
                           restock_date=date(2026, 10, 1), changed_at=at(-50)),  # before the order: left out
            Message(shop_id=shop, backorder_id=b1.id, order_id=order.id, kind="capture_notice",
                    date_key="2026-11-16", recipient="jo@example.com",
                    subject="Order #1001: expected in stock on Monday 16 November 2026", status="sent",
                    outcome="told the in-stock date", created_at=at(0.5), sent_at=at(0.6)),
            Message(shop_id=shop, backorder_id=b1.id, order_id=order.id, kind="apology", date_key="2026-11-18",
                    recipient="jo@example.com", subject="Order #1001: sorry, a new date", status="sent",
                    created_at=at(30.5), sent_at=at(30.6)),
            DelayDecision(shop_id=shop, backorder_id=b1.id, sequence=1, nonce="n1", consent_required=False,
                          deadline=date(2026, 11, 25), answer="wait", answered_at=at(40), outcome="kept",
                          outcome_at=at(40), created_at=at(35)),
            RoutingDecision(shop_id=shop, backorder_id=b1.id, action="wait", supplier_id=acme.id,
                            reasons=json.dumps([{"code": "margin", "text": "Margin 4% is below 15%", "passed": False},
                                                {"code": "country", "text": "Ships to NL", "passed": True}]),
                            summary="Wait for stock: margin too low", decided_at=at(1)),
            FulfillmentHoldRecord(shop_id=shop, backorder_id=b1.id, fulfillment_order_id="gid://shopify/Fo/1",
                                  status="released", created_at=at(1.1), released_at=at(150)),
            Allocation(shop_id=shop, backorder_id=b1.id, quantity=2, source="purchase_order", reference="po:1:1",
                       created_at=at(149)),
            BackorderShipment(shop_id=shop, backorder_id=b1.id, quantity=2, shipped_at=at(200), via="allocation",
                              reference="fulfillment:9"),
        ])
        po = PurchaseOrder(shop_id=shop, supplier_id=acme.id, status="received", idempotency_key="po-1",
                           expected_date=date(2026, 11, 18), created_at=at(2), placed_at=at(3), received_at=at(148))
        s.add(po)
        s.flush()
        po_line = PurchaseOrderLine(shop_id=shop, purchase_order_id=po.id, sku="KETTLE-1", quantity=6)
        s.add(po_line)
        s.flush()
        s.add(PurchaseOrderBackorder(shop_id=shop, purchase_order_line_id=po_line.id, backorder_id=b1.id, quantity=2,
                                     created_at=at(2)))
        ds = DropshipOrder(shop_id=shop, backorder_id=b2.id, supplier_id=acme.id, idempotency_key="ds-1",
                           reference="#1001-2", sku="MUG-9", quantity=1, ship_to="{}", status="shipped",
                           supplier_reference="AC-77", created_at=at(5), placed_at=at(5.5), shipped_at=at(60))
        s.add(ds)
        s.flush()
        s.add(DropshipFulfillment(shop_id=shop, dropship_order_id=ds.id, shipment_id="p1", quantity=1, carrier="DHL",
                                  tracking_number="JD0001", shipped_at=at(60), status="done", pushed_at=at(61)))
        s.add(OrderPayment(shop_id=shop, order_id=order.id, route="authorization", state="captured",
                           amount_authorized=Decimal("80.00"), amount_captured=Decimal("80.00"),
                           amount_due=Decimal("0"), currency="EUR", created_at=at(0.02)))
        s.add(PaymentCharge(shop_id=shop, order_id=order.id, backorder_id=b1.id, kind="capture",
                            amount=Decimal("80.00"), currency="EUR", idempotency_key="cap-1", state="succeeded",
                            reference="gid://shopify/OrderTransaction/5", created_at=at(200.1), settled_at=at(200.2)))
        uow.commit()
    return shop, other


def test_the_timeline_tells_the_whole_story_in_time_order(uow):
    shop, _ = seed_story(uow)
    timeline = order_timeline(uow, shop, "820982911946154508")
    assert timeline.name == "#1001"
    assert [(line.sku, line.status) for line in timeline.lines] == [("KETTLE-1", "fulfilled"), ("MUG-9", "open")]
    times = [entry.at for entry in timeline.entries]
    assert times == sorted(times)
    titles = [entry.title for entry in timeline.entries]
    expected_in_order = [
        "Order #1001 placed",
        "Captured as a backorder: 2 lines",
        "KETTLE-1: to ship by Fri 20 Nov 2026 (stated at checkout)",
        "Payment watched: authorization",
        "Message: Backorder notice",
        "KETTLE-1: routing decided to wait for stock via Acme Supply",
        "KETTLE-1: fulfillment held in the store",
        "KETTLE-1: 2 on purchase order 1 to Acme Supply",
        "Purchase order 1 sent to Acme Supply",
        "MUG-9: drop-ship order of 1 to Acme Supply",
        "MUG-9: Acme Supply accepted the order (their reference AC-77)",
        "KETTLE-1: Acme Supply now expects it on Wed 18 Nov 2026 (was Mon 16 Nov 2026)",
        "Message: New date, with apologies",
        "KETTLE-1: delay notice: the customer may cancel (answer by Wed 25 Nov 2026)",
        "KETTLE-1: the customer chose to wait",
        "KETTLE-1: kept",
        "MUG-9: supplier shipped 1",
        "MUG-9: shipment recorded in the store",
        "Purchase order 1 received",
        "KETTLE-1: 2 set aside from a purchase order received",
        "KETTLE-1: hold released",
        "KETTLE-1: backorder fulfilled",
        "KETTLE-1: 2 shipped from stock set aside",
        "Capture of EUR 80.00 asked",
        "Capture of EUR 80.00 succeeded",
    ]
    assert titles == expected_in_order
    captured = timeline.entries[1]
    assert "2 × Copper kettle (KETTLE-1) could not be covered by stock" in captured.details
    assert any("promised delivery by Fri 20 Nov 2026" in d for d in captured.details)
    routing = next(e for e in timeline.entries if e.kind == "routing")
    assert routing.details == ("Wait for stock: margin too low", "✗ Margin 4% is below 15%", "✓ Ships to NL")
    notice = next(e for e in timeline.entries if e.title == "Message: Backorder notice")
    assert "To jo@example.com: sent" in notice.details
    assert "Subject: Order #1001: expected in stock on Monday 16 November 2026" in notice.details
    parcel = next(e for e in timeline.entries if e.title == "MUG-9: supplier shipped 1")
    assert parcel.details == ("Tracking: DHL, JD0001",)


def test_an_order_of_another_shop_or_none_is_not_found(uow):
    shop, other = seed_story(uow)
    with pytest.raises(OrderNotFound):
        order_timeline(uow, shop, "555")
    with pytest.raises(OrderNotFound):
        order_timeline(uow, other, "820982911946154508")
    assert order_timeline(uow, other, "555").entries[0].title == "Order #1 placed"
