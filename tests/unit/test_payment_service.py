"""Payment on shipment as a service (connector/payments/) on a fake StorePayments and a real SQLite
database: every state of an order payment and what moves it, the refusals, the amounts captured for
partial shipments, and that no charge is asked for twice (a pending or uncertain charge is settled by
reading the store back first)."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from connector.crypto import CredentialBox
from connector.db.models import Backorder, Order, OrderLine
from connector.domain.errors import OutcomeUncertain, PlatformRejected
from connector.domain.model import Platform, ShopCredentials
from connector.domain.payments import ZERO, PaymentFacts, Transaction
from connector.dropship.models import DropshipAlert
from connector.payments import work
from connector.payments.charges import collect
from connector.payments.ledger import new_charge
from connector.payments.models import OrderPayment, PaymentCharge
from connector.payments.rows import order_ref
from connector.shipping.models import BackorderShipment
from connector.shop_settings import set_setting
from connector.shops import add_shop

D = Decimal
_ids = itertools.count(1)


@dataclass
class FakeOrder:
    total: Decimal
    txns: list[Transaction] = field(default_factory=list)
    mandate: str | None = None
    terms: str | None = None
    gateway: str = "shopify_payments"
    woo: str | None = None
    """WooCommerce: 'authorised' (captured by status), 'paid' (paid at checkout)."""
    completes_order: bool = False


class FakeStore:
    """The StorePayments port in memory: a gateway that keeps transactions as Shopify reports them."""

    def __init__(self) -> None:
        self.orders: dict[str, FakeOrder] = {}
        self.captures: list[tuple[str, Decimal, bool]] = []
        self.mandate_calls: list[str] = []
        self.keys: dict[str, str] = {}
        self.links: list[str] = []
        self.held: list[str] = []
        self.released: list[tuple[str, str]] = []
        self.refuse: str | None = None
        self.capture_status = "SUCCESS"
        self.declines = 0
        self.mandate_lands = True
        self.lost_answer = False
        """The next write lands, then the answer is lost (OutcomeUncertain)."""
        self.down = False
        """The next write never reaches the store (OutcomeUncertain before anything landed)."""

    # set-up
    def authorised(self, order_id: str, total: str, *, multi: bool = False) -> None:
        self.orders[order_id] = FakeOrder(D(total), [Transaction(
            f"auth-{order_id}", "AUTHORIZATION", "SUCCESS", D(total), multi_capturable=multi,
            authorization_expires_at=datetime.now(UTC) + timedelta(days=7))])

    def vaulted(self, order_id: str, total: str, *, deposit: str = "0", terms: str = "FIXED") -> None:
        txns = [Transaction(f"dep-{order_id}", "SALE", "SUCCESS", D(deposit))] if D(deposit) else []
        self.orders[order_id] = FakeOrder(D(total), txns, mandate=f"mandate-{order_id}", terms=terms)

    def woocommerce(self, order_id: str, total: str, *, state: str, gateway: str = "stripe") -> None:
        self.orders[order_id] = FakeOrder(D(total), gateway=gateway, woo=state,
                                          completes_order=gateway == "woocommerce_payments")

    # the port
    def facts(self, order_id: str) -> PaymentFacts:
        if order_id not in self.orders:
            raise PlatformRejected(f"store: order {order_id} not found")
        o = self.orders[order_id]
        paid = sum((t.amount for t in o.txns if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"), ZERO)
        if o.woo is not None:
            authorised = o.woo == "authorised"
            txns = (Transaction(f"auth-{order_id}", "AUTHORIZATION", "SUCCESS", o.total),) if authorised else ()
            return PaymentFacts(order_id, "USD", o.total, o.total if authorised else ZERO, o.woo, txns,
                                gateway=o.gateway, paid_at_checkout=not authorised, capturable_by_status=authorised,
                                capture_completes_order=o.completes_order)
        return PaymentFacts(order_id, "USD", o.total, max(ZERO, o.total - paid), None, tuple(o.txns),
                            mandate_ids=(o.mandate,) if o.mandate else (), payment_terms_type=o.terms,
                            gateway=o.gateway)

    def _write(self) -> None:
        if self.down:
            self.down = False
            raise OutcomeUncertain("store: timed out before an answer (nothing landed)")

    def _answer(self) -> None:
        if self.lost_answer:
            self.lost_answer = False
            raise OutcomeUncertain("store: timed out after the request was sent")

    def capture(self, order_id: str, authorization_id: str, amount: Decimal, currency: str, *,
                final: bool) -> Transaction:
        self._write()
        if self.refuse:
            raise PlatformRejected(self.refuse)
        o = self.orders[order_id]
        self.captures.append((order_id, amount, final))
        txn = Transaction(f"cap-{next(_ids)}", "CAPTURE", self.capture_status, amount, parent_id=authorization_id)
        if o.woo == "authorised":
            o.woo = "paid"
        else:
            o.txns.append(txn)
        self._answer()
        return txn

    def charge_mandate(self, order_id: str, mandate_id: str, amount: Decimal, currency: str, *,
                       idempotency_key: str, payment_schedule_id: str | None) -> str:
        self._write()
        if idempotency_key in self.keys:
            return self.keys[idempotency_key]
        self.mandate_calls.append(idempotency_key)
        reference = self.keys[idempotency_key] = f"pay-{next(_ids)}"
        if self.mandate_lands:
            self.settle_mandate(order_id, reference, amount)
        self._answer()
        return reference

    def settle_mandate(self, order_id: str, reference: str, amount: Decimal) -> None:
        status = "SUCCESS"
        if self.declines:
            self.declines, status = self.declines - 1, "FAILURE"
        self.orders[order_id].txns.append(Transaction(f"sale-{next(_ids)}", "SALE", status, amount,
                                                      payment_id=reference,
                                                      error_code=None if status == "SUCCESS" else "CARD_DECLINED"))

    def send_payment_link(self, order_id: str) -> None:
        self.links.append(order_id)

    def hold_for_payment(self, order_id: str, external_id: str) -> list[tuple[str, str]]:
        self.held.append(order_id)
        return [(f"fo-{order_id}", f"hold-{order_id}")]

    def release_hold(self, fulfillment_order_id: str, hold_id: str) -> None:
        self.released.append((fulfillment_order_id, hold_id))


class Shop:
    def __init__(self, uow, shop_id: int) -> None:  # type: ignore[no-untyped-def]
        self.uow, self.shop_id, self.store = uow, shop_id, FakeStore()
        self.platform = "shopify"

    def order(self, lines: list[tuple[str, int, str]], *, backordered: dict[str, int]) -> tuple[str, int]:
        number = next(_ids)
        now = datetime.now(UTC)
        with self.uow:
            order = Order(shop_id=self.shop_id, platform_order_id=str(1000 + number), name=f"#{number}",
                          ordered_at=now, platform_updated_at=now, financial_status="authorized")
            self.uow.session.add(order)
            self.uow.session.flush()
            for i, (sku, quantity, price) in enumerate(lines):
                line = OrderLine(shop_id=self.shop_id, order_id=order.id, platform_line_id=f"{number}-{i}", sku=sku,
                                 quantity=quantity, unit_price=D(price), title=sku)
                self.uow.session.add(line)
                self.uow.session.flush()
                if sku in backordered:
                    self.uow.session.add(Backorder(shop_id=self.shop_id, order_line_id=line.id, sku=sku,
                                                   quantity_backordered=backordered[sku], status="open"))
            self.uow.commit()
            return order.platform_order_id, order.id

    def ship(self, order_id: int, sku: str, units: int) -> None:
        with self.uow:
            line = self.uow.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id,
                                                                   OrderLine.sku == sku))
            assert line is not None
            line.quantity_fulfilled = (line.quantity_fulfilled or 0) + units
            backorder = self.uow.session.scalar(select(Backorder).where(Backorder.order_line_id == line.id))
            if backorder is not None:
                backorder.quantity_shipped = (backorder.quantity_shipped or 0) + units
                if backorder.quantity_shipped >= backorder.quantity_backordered:
                    backorder.status = "fulfilled"
                self.uow.session.add(BackorderShipment(shop_id=self.shop_id, backorder_id=backorder.id,
                                                       quantity=units, shipped_at=datetime.now(UTC), via="merchant",
                                                       reference=f"f-{next(_ids)}"))
            self.uow.commit()

    def allocate(self, order_id: int) -> None:
        with self.uow:
            for b in self.uow.session.scalars(select(Backorder).join(OrderLine).where(OrderLine.order_id == order_id)):
                b.status = "allocated"
            self.uow.commit()

    def collect(self, order_id: int, **kw):  # type: ignore[no-untyped-def]
        return collect(self.uow, self.store, order_id, platform=self.platform, **kw)

    def payment(self, order_id: int) -> OrderPayment:
        with self.uow:
            row = self.uow.session.scalar(select(OrderPayment).where(OrderPayment.order_id == order_id))
            assert row is not None
            self.uow.session.expunge(row)
            return row

    def charges(self, order_id: int) -> list[tuple[str, str, Decimal, bool]]:
        with self.uow:
            return [(c.kind, c.state, c.amount, c.final) for c in self.uow.session.scalars(
                select(PaymentCharge).where(PaymentCharge.order_id == order_id).order_by(PaymentCharge.id))]

    def alerts(self) -> list[str]:
        with self.uow:
            return list(self.uow.session.scalars(select(DropshipAlert.message).where(
                DropshipAlert.shop_id == self.shop_id)))


@pytest.fixture
def s(uow, shop_id):  # type: ignore[no-untyped-def]
    return Shop(uow, shop_id)


# -- authorisation: captured on shipment ---------------------------------------------------------------

def test_nothing_is_captured_before_anything_ships(s):
    sim, order_id = s.order([("SOCKS", 2, "12.00")], backordered={"SOCKS": 2})
    s.store.authorised(sim, "24.00", multi=True)
    outcome = s.collect(order_id)
    assert (outcome.state, outcome.action) == ("authorized", "shipped 0.00 is already captured")
    assert s.store.captures == [] and s.charges(order_id) == []
    row = s.payment(order_id)
    assert (row.route, row.amount_authorized, row.amount_due, row.authorization_id) == (
        "authorization", D("24.00"), D("24.00"), f"auth-{sim}")


def test_multi_capture_takes_what_shipped_then_the_rest_final_then_nothing(s):
    sim, order_id = s.order([("SOCKS", 3, "12.00"), ("HAT", 1, "9.00")], backordered={"SOCKS": 3})
    s.store.authorised(sim, "50.00", multi=True)  # 45.00 of goods + 5.00 shipping
    s.ship(order_id, "HAT", 1)
    s.ship(order_id, "SOCKS", 1)
    first = s.collect(order_id)
    assert (first.state, first.amount) == ("partially_captured", D("21.00"))
    s.ship(order_id, "SOCKS", 2)
    last = s.collect(order_id)
    assert (last.state, last.amount) == ("captured", D("29.00"))
    assert s.store.captures == [(sim, D("21.00"), False), (sim, D("29.00"), True)]
    assert s.charges(order_id) == [("capture", "succeeded", D("21.00"), False),
                                   ("capture", "succeeded", D("29.00"), True)]
    row = s.payment(order_id)
    assert (row.state, row.amount_captured, row.amount_due) == ("captured", D("50.00"), D("0"))
    again = s.collect(order_id)
    assert again.action == "nothing to collect" and len(s.store.captures) == 2


def test_a_single_capture_authorisation_is_captured_whole_on_the_first_shipment(s):
    sim, order_id = s.order([("SOCKS", 3, "12.00")], backordered={"SOCKS": 3})
    s.store.authorised(sim, "36.00", multi=False)
    s.ship(order_id, "SOCKS", 1)
    outcome = s.collect(order_id)
    assert (outcome.state, outcome.amount) == ("captured", D("36.00"))
    assert s.store.captures == [(sim, D("36.00"), True)]


def test_the_merchant_s_manual_capture_takes_everything_left_before_shipment(s):
    sim, order_id = s.order([("SOCKS", 2, "12.00")], backordered={"SOCKS": 2})
    s.store.authorised(sim, "24.00", multi=True)
    outcome = work.capture_now(s.uow, s.store, s.shop_id, order_id)
    assert (outcome.state, outcome.amount) == ("captured", D("24.00"))
    assert s.store.captures == [(sim, D("24.00"), True)]


def test_a_refused_capture_is_recorded_and_the_merchant_alerted(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.authorised(sim, "12.00")
    s.ship(order_id, "SOCKS", 1)
    s.store.refuse = "The authorization has expired and can no longer be captured."
    outcome = s.collect(order_id)
    assert (outcome.state, outcome.action) == ("failed", "capture refused")
    assert s.charges(order_id) == [("capture", "declined", D("12.00"), True)]
    assert "expired" in (s.payment(order_id).last_error or "")
    assert any("capturing 12.00 USD was refused" in a for a in s.alerts())


def test_a_declined_capture_sends_the_customer_a_link_once_and_alerts_the_merchant(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.authorised(sim, "12.00")
    s.ship(order_id, "SOCKS", 1)
    s.store.capture_status = "FAILURE"
    outcome = s.collect(order_id)
    assert outcome.state == "declined" and s.store.links == [sim]
    assert s.payment(order_id).state == "declined" and any("declined" in a for a in s.alerts())


def test_a_capture_pending_at_the_gateway_is_settled_by_a_later_pass_not_sent_again(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.authorised(sim, "12.00")
    s.ship(order_id, "SOCKS", 1)
    s.store.capture_status = "PENDING"
    first = s.collect(order_id)
    assert (first.state, first.action) == ("pending", "capture pending at the gateway")
    assert [c[1] for c in s.charges(order_id)] == ["pending"]
    order = s.store.orders[sim]
    order.txns[-1] = Transaction(order.txns[-1].id, "CAPTURE", "SUCCESS", D("12.00"), parent_id=f"auth-{sim}")
    second = s.collect(order_id)
    assert second.state == "captured" and len(s.store.captures) == 1
    assert s.charges(order_id) == [("capture", "succeeded", D("12.00"), True)]


def test_a_capture_whose_answer_was_lost_is_found_on_read_back_and_not_repeated(s):
    sim, order_id = s.order([("SOCKS", 2, "12.00")], backordered={"SOCKS": 2})
    s.store.authorised(sim, "24.00")
    s.ship(order_id, "SOCKS", 2)
    s.store.lost_answer = True
    with pytest.raises(OutcomeUncertain):
        s.collect(order_id)
    assert [c[1] for c in s.charges(order_id)] == ["uncertain"]
    rerun = s.collect(order_id)
    assert (rerun.state, rerun.action) == ("captured", "captured")
    assert s.store.captures == [(sim, D("24.00"), True)]
    assert s.charges(order_id) == [("capture", "succeeded", D("24.00"), True)]


def test_a_capture_that_never_landed_is_sent_again_once_on_the_same_charge(s):
    sim, order_id = s.order([("SOCKS", 2, "12.00")], backordered={"SOCKS": 2})
    s.store.authorised(sim, "24.00")
    s.ship(order_id, "SOCKS", 2)
    s.store.down = True
    with pytest.raises(OutcomeUncertain):
        s.collect(order_id)
    assert s.store.captures == []
    rerun = s.collect(order_id)
    assert rerun.state == "captured" and s.store.captures == [(sim, D("24.00"), True)]
    assert s.charges(order_id) == [("capture", "succeeded", D("24.00"), True)]


def test_an_unsettled_charge_refuses_any_new_charge_of_the_order(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.authorised(sim, "12.00")
    s.collect(order_id)
    ref = order_ref(s.uow, order_id)
    new_charge(s.uow, ref, "capture", D("12.00"), "USD", final=True)
    with pytest.raises(OutcomeUncertain, match="not settled yet"):
        new_charge(s.uow, ref, "capture", D("12.00"), "USD", final=True)


# -- mandate: the balance on a vaulted card ------------------------------------------------------------

def test_a_backstop_balance_waits_for_the_goods_then_is_charged_under_a_hold_released_after(s):
    sim, order_id = s.order([("SOCKS", 2, "12.00")], backordered={"SOCKS": 2})
    s.store.vaulted(sim, "24.00", deposit="4.00")
    waiting = s.collect(order_id)
    assert (waiting.state, waiting.action) == ("awaiting_shipment", "goods not ready to ship yet")
    assert (s.payment(order_id).route, s.payment(order_id).trigger) == ("mandate", "backstop")
    s.allocate(order_id)
    charged = s.collect(order_id)
    assert (charged.state, charged.amount) == ("charged", D("20.00"))
    assert s.store.held == [sim] and s.store.released == [(f"fo-{sim}", f"hold-{sim}")]
    assert s.charges(order_id) == [("mandate", "succeeded", D("20.00"), True)]
    row = s.payment(order_id)
    assert (row.state, row.holds, row.amount_due) == ("charged", None, D("20.00"))
    assert s.collect(order_id).action == "nothing to collect" and len(s.store.mandate_calls) == 1


def test_without_hold_until_paid_the_fulfillment_is_not_held(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.vaulted(sim, "12.00")
    s.allocate(order_id)
    assert s.collect(order_id, hold_until_paid=False).state == "charged"
    assert s.store.held == [] and s.store.released == []


def test_a_declined_balance_keeps_the_hold_sends_one_link_is_not_retried_until_the_merchant_asks(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.vaulted(sim, "12.00")
    s.store.declines = 1
    s.allocate(order_id)
    declined = s.collect(order_id)
    assert (declined.state, declined.detail) == ("declined", "CARD_DECLINED")
    assert s.store.links == [sim] and s.store.released == []
    assert s.charges(order_id) == [("mandate", "declined", D("12.00"), True)]
    assert any("declined (CARD_DECLINED)" in a for a in s.alerts())
    again = s.collect(order_id)
    assert again.action == "declined: waiting for the customer to pay the link" and len(s.store.mandate_calls) == 1
    retried = s.collect(order_id, manual=True)
    assert retried.state == "charged" and len(s.store.mandate_calls) == 2
    assert s.store.links == [sim] and s.store.released == [(f"fo-{sim}", f"hold-{sim}")]


def test_a_balance_paid_through_the_link_moves_the_declined_order_to_charged(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.vaulted(sim, "12.00")
    s.store.declines = 1
    s.allocate(order_id)
    s.collect(order_id)
    s.store.orders[sim].txns.append(Transaction("link-1", "SALE", "SUCCESS", D("12.00")))
    s.collect(order_id)
    assert s.payment(order_id).state == "charged"


def test_a_mandate_payment_still_running_is_waited_for_then_recorded(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.vaulted(sim, "12.00")
    s.store.mandate_lands = False
    s.allocate(order_id)
    asked = s.collect(order_id)
    assert (asked.state, asked.action) == ("charging", "mandate payment requested")
    assert s.payment(order_id).state == "charging"
    waiting = s.collect(order_id)
    assert waiting.action == "waiting for the mandate payment"
    [key] = s.store.mandate_calls
    s.store.settle_mandate(sim, s.store.keys[key], D("12.00"))
    done = s.collect(order_id)
    assert done.state == "charged" and len(s.store.mandate_calls) == 1
    assert s.charges(order_id) == [("mandate", "succeeded", D("12.00"), True)]


def test_a_mandate_payment_whose_answer_was_lost_is_resent_with_its_key_and_charges_once(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.vaulted(sim, "12.00")
    s.allocate(order_id)
    s.store.lost_answer = True
    with pytest.raises(OutcomeUncertain):
        s.collect(order_id)
    rerun = s.collect(order_id)
    assert rerun.state == "charged"
    assert len(s.store.mandate_calls) == 1 and len([t for t in s.store.orders[sim].txns if t.kind == "SALE"]) == 1


def test_a_balance_due_on_fulfillment_is_watched_and_shopify_s_charge_recorded(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.vaulted(sim, "12.00", deposit="2.00", terms="FULFILLMENT")
    s.ship(order_id, "SOCKS", 1)
    before = s.collect(order_id)
    assert before.action == "waiting for Shopify to charge on fulfillment" and s.store.mandate_calls == []
    s.store.orders[sim].txns.append(Transaction("sale-f", "SALE", "SUCCESS", D("10.00")))
    after = s.collect(order_id)
    assert after.state == "charged"
    assert s.charges(order_id) == [("mandate", "succeeded", D("10.00"), True)]
    assert s.store.mandate_calls == []


def test_a_declined_charge_on_fulfillment_is_recorded_with_a_link_and_an_alert(s):
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.vaulted(sim, "12.00", terms="FULFILLMENT")
    s.ship(order_id, "SOCKS", 1)
    s.store.orders[sim].txns.append(Transaction("sale-f", "SALE", "FAILURE", D("12.00"), error_code="CARD_DECLINED"))
    outcome = s.collect(order_id)
    assert outcome.state == "declined" and s.store.links == [sim]
    assert s.charges(order_id) == [("mandate", "declined", D("12.00"), True)]


# -- WooCommerce -----------------------------------------------------------------------------------------

@pytest.fixture
def woo(uow):  # type: ignore[no-untyped-def]
    box = CredentialBox(Fernet.generate_key().decode())
    info = add_shop(uow, box, Platform.WOOCOMMERCE, "https://unit-store.example",
                    ShopCredentials(consumer_key="ck", consumer_secret="cs"))
    shop = Shop(uow, info.id)
    shop.platform = "woocommerce"
    return shop


def test_a_woocommerce_authorisation_is_captured_by_status_once_everything_shipped(woo):
    sim, order_id = woo.order([("SOCKS", 2, "12.00")], backordered={"SOCKS": 2})
    woo.store.woocommerce(sim, "24.00", state="authorised")
    assert woo.collect(order_id).action == "goods not shipped yet"
    woo.ship(order_id, "SOCKS", 2)
    outcome = woo.collect(order_id)
    assert (outcome.state, outcome.amount) == ("captured", D("24.00"))
    assert woo.charges(order_id) == [("woocommerce", "succeeded", D("24.00"), True)]
    assert woo.collect(order_id).action == "nothing to collect" and len(woo.store.captures) == 1


def test_a_woocommerce_order_paid_at_checkout_is_left_alone_and_the_log_says_so(woo, caplog):
    sim, order_id = woo.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    woo.store.woocommerce(sim, "12.00", state="paid", gateway="bacs")
    woo.ship(order_id, "SOCKS", 1)
    with caplog.at_level(logging.INFO, logger="connector.payments.charges"):
        outcome = woo.collect(order_id)
    assert (outcome.state, outcome.action) == ("paid", "left alone: paid at checkout")
    assert "order paid in full at checkout: left alone" in caplog.messages
    assert woo.store.captures == [] and woo.charges(order_id) == []


def test_a_woopayments_order_is_not_captured_by_hand_before_it_ships(woo):
    sim, order_id = woo.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    woo.store.woocommerce(sim, "12.00", state="authorised", gateway="woocommerce_payments")
    outcome = work.capture_now(woo.uow, woo.store, woo.shop_id, order_id)
    assert outcome.action.startswith("woocommerce_payments captures only when the order is completed")
    assert woo.store.captures == []


def test_a_woocommerce_status_capture_whose_answer_was_lost_is_found_on_read_back(woo):
    sim, order_id = woo.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    woo.store.woocommerce(sim, "12.00", state="authorised")
    woo.ship(order_id, "SOCKS", 1)
    woo.store.lost_answer = True
    with pytest.raises(OutcomeUncertain):
        woo.collect(order_id)
    rerun = woo.collect(order_id)
    assert (rerun.state, rerun.action) == ("captured", "captured (found on read-back)")
    assert len(woo.store.captures) == 1


# -- the shop pass and the expiry watch -------------------------------------------------------------------

def test_a_shop_pass_collects_every_order_ready_and_one_failure_does_not_stop_the_others(s):
    broken, broken_id = s.order([("HAT", 1, "9.00")], backordered={"HAT": 1})
    sim, order_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    waiting, waiting_id = s.order([("CAP", 1, "5.00")], backordered={"CAP": 1})
    s.store.authorised(sim, "12.00")
    s.store.authorised(waiting, "5.00")
    s.ship(broken_id, "HAT", 1)  # the store no longer has this order: refused, kept for the next pass
    s.ship(order_id, "SOCKS", 1)
    set_setting(s.uow, s.shop_id, "payments.route", "authorization")
    report = work.collect_shop(s.uow, s.store, s.shop_id)
    assert [(o.order_id, o.state) for o in report.outcomes] == [(order_id, "captured")]
    assert list(report.failed) == [broken_id] and "not found" in report.failed[broken_id]
    assert waiting_id not in [o.order_id for o in report.outcomes]  # nothing ready or shipped
    assert report.describe() == ("1 order(s) looked at, 1 with money moved or the merchant told, "
                                 "1 left for the next pass")
    assert broken not in s.store.orders


def test_a_shop_pass_keeps_an_uncertain_order_for_the_next_pass_and_goes_on(s):
    first, first_id = s.order([("HAT", 1, "9.00")], backordered={"HAT": 1})
    second, second_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.authorised(first, "9.00")
    s.store.authorised(second, "12.00")
    s.ship(first_id, "HAT", 1)
    s.ship(second_id, "SOCKS", 1)
    s.store.lost_answer = True
    set_setting(s.uow, s.shop_id, "payments.route", "authorization")
    report = work.collect_shop(s.uow, s.store, s.shop_id)
    assert list(report.failed) == [first_id] and [o.order_id for o in report.outcomes] == [second_id]
    again = work.collect_shop(s.uow, s.store, s.shop_id)
    assert [(o.order_id, o.state) for o in again.outcomes] == [(first_id, "captured")]
    assert len(s.store.captures) == 2


@pytest.mark.parametrize("policy", ["alert", "capture_now"])
def test_the_expiry_watch_follows_the_shop_s_policy(s, policy):
    sim, order_id = s.order([("SOCKS", 2, "12.00")], backordered={"SOCKS": 2})
    s.store.authorised(sim, "24.00")
    set_setting(s.uow, s.shop_id, "payments.route", "authorization")
    set_setting(s.uow, s.shop_id, "payments.expiry_policy", policy)
    set_setting(s.uow, s.shop_id, "payments.expiry_lead_hours", 200)  # 7 days left: within the lead time
    report = work.expiry_shop(s.uow, s.store, s.shop_id)
    assert len(report.outcomes) == 1
    if policy == "alert":
        assert report.alerts == 1 and s.store.captures == []
        assert any("24.00 USD lapses" in a for a in s.alerts())
    else:
        assert s.store.captures == [(sim, D("24.00"), True)] and s.payment(order_id).state == "captured"
    assert work.expiry_shop(s.uow, s.store, s.shop_id).outcomes == []  # acts once per authorisation


# -- payments.route: the one switch --------------------------------------------------------------------

def _authorised_and_vaulted(s):  # type: ignore[no-untyped-def]
    """Two shipped orders: one only authorised, one with its balance on a vaulted card (backstop)."""
    authorised, authorised_id = s.order([("HAT", 1, "9.00")], backordered={"HAT": 1})
    vaulted, vaulted_id = s.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    s.store.authorised(authorised, "9.00")
    s.store.vaulted(vaulted, "12.00")
    s.ship(authorised_id, "HAT", 1)
    s.ship(vaulted_id, "SOCKS", 1)
    return authorised, authorised_id, vaulted, vaulted_id


def test_with_payments_route_none_a_shop_pass_and_the_expiry_watch_take_nothing_even_for_what_shipped(s):
    _authorised_and_vaulted(s)
    set_setting(s.uow, s.shop_id, "payments.expiry_lead_hours", 200)
    report = work.collect_shop(s.uow, s.store, s.shop_id)
    assert report.outcomes == [] and report.describe() == "payments.route none: nothing collected"
    assert work.expiry_shop(s.uow, s.store, s.shop_id).outcomes == []
    assert s.store.captures == [] and s.store.mandate_calls == [] and not work.enabled(s.uow, s.shop_id)


def test_payments_route_authorization_captures_on_shipment_and_leaves_vaulted_balances_alone(s):
    authorised, authorised_id, _, vaulted_id = _authorised_and_vaulted(s)
    set_setting(s.uow, s.shop_id, "payments.route", "authorization")
    report = work.collect_shop(s.uow, s.store, s.shop_id)
    actions = {o.order_id: (o.state, o.action) for o in report.outcomes}
    assert actions[authorised_id] == ("captured", "captured")
    assert actions[vaulted_id] == ("awaiting_shipment", "left alone: payments.route does not collect mandate")
    assert s.store.captures == [(authorised, D("9.00"), True)] and s.store.mandate_calls == []


def test_payments_route_selling_plan_charges_vaulted_balances_and_captures_authorised_orders_too(s):
    authorised, authorised_id, _, vaulted_id = _authorised_and_vaulted(s)
    set_setting(s.uow, s.shop_id, "payments.route", "selling_plan")
    report = work.collect_shop(s.uow, s.store, s.shop_id)
    assert {o.order_id: o.state for o in report.outcomes} == {authorised_id: "captured", vaulted_id: "charged"}
    assert s.store.captures == [(authorised, D("9.00"), True)] and len(s.store.mandate_calls) == 1
    assert work.collect_shop(s.uow, s.store, s.shop_id).alerts == 0 and len(s.store.mandate_calls) == 1


def test_the_deprecated_payments_enabled_reads_as_the_authorization_route_until_a_route_is_set(s):
    authorised, _, _, vaulted_id = _authorised_and_vaulted(s)
    set_setting(s.uow, s.shop_id, "payments.enabled", True)
    chosen = work.route(s.uow, s.shop_id)
    assert (chosen.route, chosen.legacy) == ("authorization", True)
    work.collect_shop(s.uow, s.store, s.shop_id)
    assert s.store.captures == [(authorised, D("9.00"), True)] and s.store.mandate_calls == []
    set_setting(s.uow, s.shop_id, "payments.route", "selling_plan")  # the route, once set, decides
    assert (work.route(s.uow, s.shop_id).route, work.route(s.uow, s.shop_id).legacy) == ("selling_plan", False)
    work.collect_shop(s.uow, s.store, s.shop_id)
    assert s.payment(vaulted_id).state == "charged" and len(s.store.mandate_calls) == 1
    set_setting(s.uow, s.shop_id, "payments.route", "none")
    set_setting(s.uow, s.shop_id, "payments.enabled", False)
    assert not work.enabled(s.uow, s.shop_id)


class FakePlans:
    """The part of the SellingPlans port the payment pass asks: which plan each order line was bought under."""

    def __init__(self, lines: dict[str, dict[str, str]]) -> None:
        self.lines, self.asked = lines, []  # type: list[str]

    def order_selling_plans(self, order_id: str) -> dict[str, str]:
        self.asked.append(order_id)
        return dict(self.lines.get(order_id, {}))


def test_an_order_bought_under_the_connector_s_plan_goes_the_mandate_way_even_with_its_deposit_only_authorised(s):
    from connector.payments.plan_repository import PlanRepository

    with s.uow:
        s.uow.repo(PlanRepository).save_group(s.shop_id, group_id="gid://shopify/SellingPlanGroup/1",
                                              plan_id="gid://shopify/SellingPlan/7", digest="d", settings="{}")
        s.uow.commit()
    ours, ours_id = s.order([("SOCKS", 2, "12.00")], backordered={"SOCKS": 2})
    other, other_id = s.order([("HAT", 2, "12.00")], backordered={"HAT": 2})
    for sim in (ours, other):  # a 4.00 deposit only authorised, the balance on a vaulted card (backstop)
        s.store.orders[sim] = FakeOrder(D("24.00"), [Transaction(
            f"auth-{sim}", "AUTHORIZATION", "SUCCESS", D("4.00"),
            authorization_expires_at=datetime.now(UTC) + timedelta(days=7))], mandate=f"mandate-{sim}", terms="FIXED")
    plans = FakePlans({ours: {"1": "gid://shopify/SellingPlan/7"}, other: {"2": "gid://shopify/SellingPlan/99"}})
    set_setting(s.uow, s.shop_id, "payments.route", "selling_plan")
    s.allocate(ours_id)
    s.allocate(other_id)
    report = work.collect_shop(s.uow, s.store, s.shop_id, plans=plans)
    routes = {o.order_id: o for o in report.outcomes}
    assert (s.payment(ours_id).route, s.payment(ours_id).trigger) == ("mandate", "backstop")
    assert routes[ours_id].state == "charged" and len(s.store.mandate_calls) == 1
    assert s.charges(ours_id) == [("mandate", "succeeded", D("24.00"), True)]
    assert s.payment(other_id).route == "authorization"  # another app's plan: its authorisation decides
    assert s.store.captures == []  # nothing shipped: the authorisation waits
    work.collect_shop(s.uow, s.store, s.shop_id, plans=plans)
    assert sorted(plans.asked) == sorted([ours, other])  # asked once per order, when its payment row is made
    assert len(s.store.mandate_calls) == 1


def test_the_manual_capture_refuses_an_order_of_another_shop(s, woo):
    _, order_id = woo.order([("SOCKS", 1, "12.00")], backordered={"SOCKS": 1})
    with pytest.raises(PlatformRejected, match="is not an order of shop"):
        work.capture_now(s.uow, s.store, s.shop_id, order_id)
