"""One e-mail per order per run (issue 18, "Wrong today"): the capture notices (and apologies) decided in
one evaluation run for the lines of one order go out as one message listing every line, through a real SMTP
server; "the rest of your order is not held up" only when some of the order does not wait."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from connector.db.models import Backorder, Order, OrderLine
from connector.notify.models import Message
from tests.support.notify_support import TODAY, days

CUSTOMER = "ada@example.com"
LINES = (("TEA-DJ-100", "Darjeeling First Flush & Second Flush <Limited> Estate Selection 100 g", 2),
         ("TEA-SEN-50", "Sencha Uji", 1),
         ("MUG-WHT", "Café mug <white>", 3))


def order_with(h, lines, *, expected: dict[str, date | None], name: str = "#1003") -> int:  # type: ignore[no-untyped-def]
    """One order with ``lines`` (sku, title, quantity); the SKUs in ``expected`` are backordered in full."""
    placed = datetime.combine(TODAY, time(10), tzinfo=UTC)
    with h.container.uow() as uow:
        order = Order(shop_id=h.shop_id, platform_order_id=name.strip("#"), name=name, customer_email=CUSTOMER,
                      ordered_at=placed, platform_updated_at=placed)
        for number, (sku, title, quantity) in enumerate(lines):
            order.lines.append(OrderLine(shop_id=h.shop_id, platform_line_id=f"{name}-{number}", sku=sku,
                                         variant_id=f"V-{sku}", stock_key=f"V-{sku}", title=title,
                                         quantity=quantity))
        uow.session.add(order)
        uow.session.flush()
        for line in order.lines:
            if line.sku in expected:
                uow.session.add(Backorder(shop_id=h.shop_id, order_line_id=line.id, sku=line.sku,
                                          stock_key=line.stock_key, quantity_backordered=line.quantity,
                                          status="open", expected_date=expected[line.sku], created_at=placed,
                                          updated_at=placed))
        uow.commit()
        return order.id


def test_an_order_with_three_short_lines_gets_one_capture_email_listing_every_line(h, sink):
    order_id = order_with(h, LINES, expected={sku: days(20) for sku, _, _ in LINES})

    report = h.evaluate()

    [mail] = sink.to(CUSTOMER)
    assert mail.subject == "Order #1003: expected in stock on Monday 21 December 2026"
    text, html = mail.part("plain"), mail.part("html")
    for sku, title, quantity in LINES:
        assert f"{quantity} × {title}\r\n" in text and sku not in text  # the product's title, never the SKU
        assert f"{quantity} × {title.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</li>" in html
        assert sku not in html
    assert "These items are not in stock yet:" in text and "Part of it" not in text
    assert "rest of your order" not in text and "rest of your order" not in html  # there is no rest
    rows = h.rows(Message, order_id=order_id)
    assert len(rows) == 3 and {r.status for r in rows} == {"sent"} and report.sent == 3
    assert {r.provider_message_id for r in rows} == {mail.message["Message-ID"]}
    assert {r.subject for r in rows} == {mail.subject}

    h.evaluate()  # a rerun sends nothing more
    assert len(sink.to(CUSTOMER)) == 1


def test_the_rest_is_said_not_to_be_held_up_only_when_a_line_of_the_order_is_in_stock(h, sink):
    in_stock = ("SOCKS-M", "Socks & more, size M", 1)
    order_with(h, (*LINES, in_stock), expected={sku: days(20) for sku, _, _ in LINES})

    h.evaluate()

    [mail] = sink.to(CUSTOMER)
    assert "Part of it is not in stock yet:" in mail.part("plain")
    assert "The rest of your order is not held up by it" in mail.part("plain")
    assert "The rest of your order is not held up by it" in mail.part("html")
    assert "Socks" not in mail.part("plain")  # the line in stock is not listed as waiting


def test_lines_with_different_dates_are_each_dated_and_the_subject_names_when_all_are_in(h, sink):
    order_with(h, LINES, expected={"TEA-DJ-100": days(20), "TEA-SEN-50": days(30), "MUG-WHT": days(20)})

    h.evaluate()

    [mail] = sink.to(CUSTOMER)
    assert mail.subject == "Order #1003: expected in stock on Thursday 31 December 2026"
    text = mail.part("plain")
    assert "Sencha Uji, expected in stock on Thursday 31 December 2026" in text
    assert "3 × Café mug <white>, expected in stock on Monday 21 December 2026" in text
    assert "We expect all of it in stock by Thursday 31 December 2026" in text
    assert "Sencha Uji: expected in stock on Thursday 31 December 2026</li>" in mail.part("html")
    assert "TEA-SEN-50" not in text and "MUG-WHT" not in text


def test_two_orders_of_one_customer_still_get_one_email_each(h, sink):
    order_with(h, LINES[:2], expected={sku: days(20) for sku, _, _ in LINES[:2]}, name="#1003")
    order_with(h, LINES[2:], expected={sku: days(20) for sku, _, _ in LINES[2:]}, name="#1004")

    h.evaluate()

    assert sorted(m.subject for m in sink.to(CUSTOMER)) == [
        "Order #1003: expected in stock on Monday 21 December 2026",
        "Order #1004: expected in stock on Monday 21 December 2026"]


def test_a_single_line_order_reads_as_before_without_a_rest_sentence(h, sink):
    h.backorder(expected=days(20))

    h.evaluate()

    [mail] = sink.to(CUSTOMER)
    assert "2 × Darjeeling 100 g\r\n" in mail.part("plain")  # no SKU, no date after the line
    assert "We expect it in stock on Monday 21 December 2026" in mail.part("plain")
    assert "rest of your order" not in mail.part("plain")
