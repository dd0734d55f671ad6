"""Customer messages end to end through a real SMTP server: capture notice, silence, apology, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.db.models import Backorder
from connector.notify.models import Message
from tests.support.notify_support import TODAY, days


def test_a_far_date_is_emailed_at_capture_with_the_date_written_out(h, sink):
    backorder = h.backorder(expected=days(20))
    report = h.evaluate()
    assert report.sent == 1
    [mail] = sink.to("ada@example.com")
    assert mail.subject == "Order #1001: expected in stock on Monday 21 December 2026"
    assert "Monday 21 December 2026" in mail.part("plain") and "Darjeeling 100 g" in mail.part("plain")
    assert "<strong>Monday 21 December 2026</strong>" in mail.part("html")
    assert mail.envelope_from == "orders@tea.example"
    [row] = h.rows(Message, backorder_id=backorder)
    assert (row.kind, row.date_key, row.status) == ("capture_notice", "2026-12-21", "sent")
    assert row.provider_message_id == mail.message["Message-ID"] and row.sent_at is not None
    assert h.get(Backorder, backorder).promised_date == days(20)


def test_a_near_date_is_deliberately_not_sent_and_the_silence_is_logged(h, sink):
    backorder = h.backorder(expected=days(3))
    h.evaluate()
    assert sink.messages == []
    [row] = h.rows(Message, backorder_id=backorder)
    assert row.status == "suppressed" and "grace period" in row.outcome
    assert h.get(Backorder, backorder).promised_date == days(3)


def test_html_is_escaped_but_the_text_part_is_not(h, sink):
    h.backorder(expected=days(20), title="Tea <script>alert(1)</script> & co")
    h.evaluate()
    [mail] = sink.messages
    assert "<script>" not in mail.part("html") and "&lt;script&gt;" in mail.part("html")
    assert "Tea <script>alert(1)</script> & co" in mail.part("plain")


def test_the_shops_sender_name_address_and_support_email_are_used(h, sink):
    h.set("notify.sender_name", "Tea & Co")
    h.set("notify.sender_email", "hello@tea.example")
    h.set("notify.support_email", "help@tea.example")
    h.backorder(expected=days(20))
    h.evaluate()
    [mail] = sink.messages
    [sender] = mail.message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Tea & Co", "hello@tea.example")
    assert mail.message["Reply-To"] == "help@tea.example" and "help@tea.example" in mail.part("plain")


def test_a_slip_past_the_promise_plus_grace_sends_an_apology_with_the_new_date_once(h, sink):
    backorder = h.backorder(expected=days(10))
    h.evaluate()
    h.move(backorder, days(17))  # 7 days later than the promised 11 December: within grace
    h.evaluate()
    assert [m.subject for m in sink.messages] == ["Order #1001: expected in stock on Friday 11 December 2026"]
    h.move(backorder, days(25))
    h.evaluate()
    h.evaluate()
    apologies = [m for m in sink.messages if "sorry" in m.subject]
    assert len(apologies) == 1
    assert "Saturday 26 December 2026" in apologies[0].part("plain")
    assert "Friday 11 December 2026" in apologies[0].part("plain")  # the date they were told


def test_reruns_and_duplicate_evaluations_send_each_message_once(h, sink):
    for _ in range(3):
        h.backorder(expected=days(20))
    for _ in range(4):
        h.evaluate()
    assert len(sink.messages) == 3
    assert {m.status for m in h.rows(Message)} == {"sent"}


def test_concurrent_evaluations_of_one_shop_send_once(h, sink):
    import threading

    for _ in range(5):
        h.backorder(expected=days(20))
    threads = [threading.Thread(target=h.evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sink.messages) == 5


def test_a_crash_after_reserving_but_before_sending_sends_on_the_rerun(h, sink):
    class Crash(BaseException):
        pass

    h.backorder(expected=days(20))
    real = h.notifier.mailer

    class CrashingMailer:
        def send(self, message):
            raise Crash()

    h.notifier.mailer = CrashingMailer()
    with pytest.raises(Crash):
        h.evaluate()
    assert sink.messages == []
    [row] = h.rows(Message)
    assert row.status == "sending"
    # the claim was taken but nothing reached the server: the row is still not resent on a rerun ...
    h.notifier.mailer = real
    h.evaluate()
    assert sink.messages == []
    # ... until the lease runs out, when it is recorded as uncertain rather than sent twice
    from connector.notify import delivery as notify_delivery

    with h.container.uow() as uow:
        uow.session.get(Message, row.id).claimed_at -= notify_delivery.SENDING_LEASE + timedelta(seconds=1)
        uow.commit()
    h.evaluate()
    assert sink.messages == [] and h.rows(Message)[0].status == "uncertain"


def test_a_crash_after_the_server_accepted_never_sends_twice(h, sink):
    class Crash(BaseException):
        pass

    h.backorder(expected=days(20))
    real = h.notifier.mailer

    class SendThenCrash:
        def send(self, message):
            real.send(message)
            raise Crash()

    h.notifier.mailer = SendThenCrash()
    with pytest.raises(Crash):
        h.evaluate()
    h.notifier.mailer = real
    h.evaluate()
    h.evaluate()
    assert len(sink.messages) == 1


def test_a_message_reserved_but_not_claimed_before_a_crash_is_sent_by_the_rerun(h, sink):
    from connector.notify import evaluate as service

    h.backorder(expected=days(20))
    original = service.evaluate_backorders

    # reserve only (as if the process died right after the reservation committed)
    with h.container.uow() as uow:
        shop = service.notify_settings.load(h.container.uow(), h.shop_id)
        service._reserve_due(uow, h.shop_id, shop, TODAY, service.EvaluationReport())
        uow.commit()
    assert [m.status for m in h.rows(Message)] == ["pending"] and sink.messages == []
    original(h.notifier, h.shop_id)
    assert len(sink.messages) == 1 and h.rows(Message)[0].status == "sent"


def test_a_server_that_says_try_later_gets_the_message_on_the_next_run(h, sink):
    h.backorder(expected=days(20))
    sink.refuse_next(3, "451 4.3.0 Mailbox busy")  # the mailer tries 3 times per run
    report = h.evaluate()
    assert report.sent == 0 and h.rows(Message)[0].status == "pending"
    assert "451" in h.rows(Message)[0].error
    h.evaluate()
    assert len(sink.messages) == 1 and h.rows(Message)[0].status == "sent"


def test_a_refused_address_is_logged_as_failed_and_not_retried(h, sink):
    h.backorder(expected=days(20))
    sink.refuse_next(1, "550 5.1.1 No such user")
    h.evaluate()
    h.evaluate()
    [row] = h.rows(Message)
    assert row.status == "failed" and "550" in row.error and sink.messages == []


def test_an_unreachable_server_leaves_the_message_pending(h, sink):
    h.backorder(expected=days(20))
    h.notifier.mailer.port = 1  # nothing listens there
    h.evaluate()
    [row] = h.rows(Message)
    assert row.status == "pending" and "cannot reach" in row.error


def test_an_order_without_an_email_is_logged_not_sent(h, sink):
    h.backorder(expected=days(20), email=None)
    h.evaluate()
    [row] = h.rows(Message)
    assert row.status == "failed" and row.error == "no email address on the order"


def test_a_promised_date_written_before_the_first_evaluation_is_kept_and_slips_count_from_it(h, sink):
    backorder = h.backorder(expected=days(12), promised=days(14))  # the know-when side wrote both
    h.evaluate()
    assert h.get(Backorder, backorder).promised_date == days(14)
    h.move(backorder, days(21))  # 7 days past the promise: within grace
    h.evaluate()
    h.move(backorder, days(22))
    h.evaluate()
    assert [m.kind for m in h.rows(Message)] == ["capture_notice", "apology"]


def test_a_date_past_the_shipping_promise_is_a_delay_notice_even_after_a_capture_notice(h, sink):
    backorder = h.backorder(expected=days(12))
    h.evaluate()
    h.move(backorder, days(31))  # ordered today: shipping was promised within 30 days
    h.evaluate()
    assert [m.kind for m in h.rows(Message)] == ["capture_notice", "delay_notice"]


def test_closed_backorders_are_left_alone(h, sink):
    backorder = h.backorder(expected=days(20))
    with h.container.uow() as uow:
        uow.session.get(Backorder, backorder).status = "fulfilled"
        uow.commit()
    h.evaluate()
    assert sink.messages == [] and h.rows(Message) == []
