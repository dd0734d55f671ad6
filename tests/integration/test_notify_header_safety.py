"""Text from a store never becomes an e-mail header, and one message that cannot be sent never stops
the shop's other messages: through a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import update

from connector.db.models import Backorder, Order, OrderLine
from connector.notify.models import Message
from tests.support.notify_support import days


def rename_order(h, backorder_id: int, **values: str) -> None:  # type: ignore[no-untyped-def]
    with h.container.uow() as uow:
        backorder = uow.session.get(Backorder, backorder_id)
        line = uow.session.get(OrderLine, backorder.order_line_id)
        uow.session.execute(update(Order).where(Order.id == line.order_id).values(**values))
        uow.commit()


def test_an_order_name_with_cr_lf_adds_no_header_and_the_other_customers_still_get_theirs(h, sink):
    first = h.backorder(expected=days(20), email="ada@example.com")
    poisoned = h.backorder(expected=days(20), email="bob@example.com")
    last = h.backorder(expected=days(20), email="cy@example.com")
    rename_order(h, poisoned, name="#1001\r\nBcc: x@evil.example")

    report = h.evaluate()

    assert report.sent == 3
    assert {r for mail in sink.messages for r in mail.recipients} == {"ada@example.com", "bob@example.com",
                                                                      "cy@example.com"}
    [mail] = sink.to("bob@example.com")
    assert mail.recipients == ["bob@example.com"]
    assert "Bcc" not in mail.message and mail.message.get_all("Bcc") is None
    headers = mail.message.as_string().split("\n\n", 1)[0]  # the header block (the body may quote the name)
    assert not [line for line in headers.splitlines() if line.lower().startswith("bcc")]
    assert mail.subject.strip().startswith("Order #1001 Bcc: x@evil.example: expected in stock")  # text, not a header
    assert [m.status for m in h.rows(Message)] == ["sent", "sent", "sent"]
    assert {h.get(Backorder, b).promised_date for b in (first, poisoned, last)} == {days(20)}


def test_a_message_that_cannot_be_built_is_failed_with_its_reason_and_the_rest_go_out(h, sink):
    h.backorder(expected=days(20), email="ada@example.com")
    h.backorder(expected=days(20), email="bob@example.com\r\nBcc: x@evil.example")
    h.backorder(expected=days(20), email="cy@example.com")

    report = h.evaluate()

    assert report.sent == 2
    assert sorted(r for mail in sink.messages for r in mail.recipients) == ["ada@example.com", "cy@example.com"]
    statuses = {m.recipient: (m.status, m.error) for m in h.rows(Message)}
    assert statuses["ada@example.com"] == ("sent", None) and statuses["cy@example.com"] == ("sent", None)
    status, error = statuses["bob@example.com\r\nBcc: x@evil.example"]
    assert status == "failed" and "unsafe e-mail address" in error
    h.evaluate()  # not retried
    assert len(sink.messages) == 2


def test_the_mailer_refuses_a_header_with_a_line_break_whoever_built_the_message(sink):
    from email import policy
    from email.message import EmailMessage

    import pytest

    from adapters.notify.smtp import SmtpMailer
    from connector.domain.errors import DeliveryRejected

    message = EmailMessage(policy=policy.compat32)  # a lax policy lets CR/LF into a header value
    message["Subject"] = "Order #1001\r\nBcc: x@evil.example"
    message["From"], message["To"] = "orders@tea.example", "ada@example.com"
    message.set_payload("hello")
    mailer = SmtpMailer(sink.host, sink.port, timeout=5, envelope_from="orders@tea.example", sleep=lambda s: None)
    with pytest.raises(DeliveryRejected, match="header Subject contains a line break"):
        mailer.send(message)
    assert sink.messages == []
