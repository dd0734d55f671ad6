"""Signed customer links: one test per way a link can be wrong."""

from __future__ import annotations

from datetime import date

import pytest

from connector.domain.errors import ConfigError, LinkInvalid
from connector.notify.links import LinkSigner

TODAY = date(2026, 12, 1)
EXPIRES = date(2026, 12, 31)


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner("a-secret-key", "https://connector.example/")


def test_a_link_verifies_and_names_its_nonce_and_expiry(signer):
    signed = signer.verify(signer.token("abc123", EXPIRES), TODAY)
    assert (signed.nonce, signed.expires) == ("abc123", EXPIRES)
    assert signer.url("abc123", EXPIRES, "cancel").startswith("https://connector.example/orders/abc123.")


def test_a_link_is_valid_through_its_last_day_and_not_after(signer):
    token = signer.token("abc123", EXPIRES)
    assert signer.verify(token, EXPIRES).nonce == "abc123"
    with pytest.raises(LinkInvalid, match="expired on 2026-12-31"):
        signer.verify(token, date(2027, 1, 1))


def test_a_changed_expiry_breaks_the_signature(signer):
    nonce, _, signature = signer.token("abc123", EXPIRES).split(".")
    with pytest.raises(LinkInvalid, match="bad signature"):
        signer.verify(f"{nonce}.{(date(2030, 1, 1) - date(1970, 1, 1)).days}.{signature}", TODAY)


def test_a_link_signed_with_another_key_is_refused(signer):
    other = LinkSigner("another-key", "https://connector.example")
    with pytest.raises(LinkInvalid, match="bad signature"):
        signer.verify(other.token("abc123", EXPIRES), TODAY)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "a..c", ".1.x", "a.1.b.c", "a." + "9" * 300 + ".x"])
def test_malformed_links_are_refused(signer, token):
    with pytest.raises(LinkInvalid):
        signer.verify(token, TODAY)


def test_links_need_a_key_and_a_public_url():
    with pytest.raises(ConfigError, match="link_secret"):
        LinkSigner(None, "https://x.example")
    with pytest.raises(ConfigError, match="public_base_url"):
        LinkSigner("k", None).url("n", EXPIRES, "wait")


def test_a_link_sent_before_a_key_rotation_still_verifies_after_it():
    sent_before = LinkSigner("old-key", "https://connector.example").token("abc123", EXPIRES)
    rotated = LinkSigner("new-key,old-key", "https://connector.example")
    assert rotated.verify(sent_before, TODAY).nonce == "abc123"


def test_after_a_rotation_new_links_are_signed_with_the_new_key_alone():
    token = LinkSigner("new-key, old-key", "https://connector.example").token("abc123", EXPIRES)
    assert LinkSigner("new-key", "https://connector.example").verify(token, TODAY).nonce == "abc123"
    with pytest.raises(LinkInvalid, match="bad signature"):
        LinkSigner("old-key", "https://connector.example").verify(token, TODAY)


def test_a_link_signed_with_a_key_not_in_the_rotation_list_is_refused():
    stranger = LinkSigner("retired-key", "https://connector.example").token("abc123", EXPIRES)
    with pytest.raises(LinkInvalid, match="bad signature"):
        LinkSigner("new-key,old-key", "https://connector.example").verify(stranger, TODAY)


def test_a_key_list_of_only_commas_is_no_key():
    with pytest.raises(ConfigError, match="link_secret"):
        LinkSigner(" , ", "https://x.example")
