"""The WooCommerce webhook signature, checked against WooCommerce's own documented delivery."""

from __future__ import annotations

from adapters.woocommerce.signature import is_valid, sign
from tests.conftest import load_json_fixture

VECTOR = "hmac/woocommerce_webhook_signature_vector.json"


def test_sign_reproduces_the_signature_of_the_documented_delivery() -> None:
    vector = load_json_fixture(VECTOR)
    body = vector["request_body"].encode("utf-8")
    assert sign(body, vector["secret"]) == vector["request_headers"]["X-WC-Webhook-Signature"]


def test_the_documented_signature_does_not_verify_under_another_secret() -> None:
    vector = load_json_fixture(VECTOR)
    expected = vector["request_headers"]["X-WC-Webhook-Signature"]
    for control in vector["derived_negative_controls_computed_locally_not_from_source"]:
        body = control["request_body"].encode("utf-8")
        assert sign(body, control["secret"]) == control["signature_for_that_secret"]
        assert not is_valid(body, control["secret"], expected)


def test_is_valid_accepts_the_right_signature_and_rejects_a_tampered_body_or_none() -> None:
    vector = load_json_fixture(VECTOR)
    body = vector["request_body"].encode("utf-8")
    signature = vector["request_headers"]["X-WC-Webhook-Signature"]
    assert is_valid(body, vector["secret"], signature)
    assert not is_valid(body + b" ", vector["secret"], signature)
    assert not is_valid(body, vector["secret"], None)
    assert not is_valid(body, vector["secret"], "")
