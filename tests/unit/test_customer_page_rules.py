"""The order page's link tokens and the customer's message choice, as pure rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connector.domain.errors import LinkInvalid
from connector.domain.preferences import Frequency, may_send, parse_frequency
from connector.notify.links import LinkSigner, customer_page_url, order_token, order_url, verify_order

TODAY = date(2026, 12, 2)


def signer(key: str = "a-secret-key") -> LinkSigner:
    return LinkSigner(key, "https://connector.example/")


def test_an_order_page_token_names_its_shop_and_order_until_it_expires():
    token = order_token(signer(), 3, 17, TODAY + timedelta(days=5))
    link = verify_order(signer(), token, TODAY + timedelta(days=5))
    assert (link.shop_id, link.order_id, link.expires) == (3, 17, TODAY + timedelta(days=5))
    with pytest.raises(LinkInvalid, match="expired"):
        verify_order(signer(), token, TODAY + timedelta(days=6))


def test_a_token_changed_to_name_another_order_or_shop_is_refused():
    payload, days, signature = order_token(signer(), 3, 17, TODAY).split(".")
    for forged in (f"o3-18.{days}.{signature}", f"o4-17.{days}.{signature}", f"o3-17.{int(days) + 9}.{signature}"):
        with pytest.raises(LinkInvalid, match="bad signature"):
            verify_order(signer(), forged, TODAY)
    with pytest.raises(LinkInvalid, match="bad signature"):
        verify_order(signer("another-key"), f"{payload}.{days}.{signature}", TODAY)


def test_delay_notice_tokens_and_order_page_tokens_never_pass_for_each_other():
    notice = signer().token("o3-17", TODAY)  # a nonce shaped like a page payload: still not a page token
    with pytest.raises(LinkInvalid, match="bad signature"):
        verify_order(signer(), notice, TODAY)
    page = order_token(signer(), 3, 17, TODAY)
    with pytest.raises(LinkInvalid, match="bad signature"):
        signer().verify(page, TODAY)


def test_malformed_order_page_tokens_are_refused_as_malformed():
    for token in ("", "o3-17.5", "x3-17.5.sig", "o3x-17.5.sig", "o3-17.five.sig", "o3-17.5.sig" + "a" * 200):
        with pytest.raises(LinkInvalid, match="malformed"):
            verify_order(signer(), token, TODAY)


def test_the_page_link_in_emails_is_valid_for_180_days_and_absent_without_a_public_address():
    url = order_url(signer(), 3, 17, TODAY)
    assert url.startswith("https://connector.example/orders/o3-17.")
    assert verify_order(signer(), url.rsplit("/", 1)[1], TODAY + timedelta(days=180)).order_id == 17
    assert customer_page_url(LinkSigner("k", None), 3, 17, TODAY) == ""


@pytest.mark.parametrize(("frequency", "sent"), [
    (None, {"capture_notice", "apology", "delay_notice", "cancelled"}),
    (Frequency.EVERY_CHANGE, {"capture_notice", "apology", "delay_notice", "cancelled"}),
    (Frequency.WHEN_SHIPS, {"delay_notice", "cancelled"}),
    (Frequency.REQUIRED_ONLY, {"delay_notice", "cancelled"}),
])
def test_a_customer_choice_withholds_date_news_but_never_what_the_law_requires(frequency, sent):
    kinds = ("capture_notice", "apology", "delay_notice", "cancelled")
    assert {kind for kind in kinds if may_send(frequency, kind).send} == sent
    for kind in set(kinds) - sent:
        assert "withheld: the customer chose" in may_send(frequency, kind).reason


def test_an_unknown_choice_is_refused_by_name():
    with pytest.raises(ValueError, match="'weekly'"):
        parse_frequency("weekly")
