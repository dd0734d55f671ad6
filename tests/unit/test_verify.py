"""The webhook verifiers against the platforms' own signature vectors."""

from __future__ import annotations

import pytest

from tests.conftest import load_json_fixture
from webhooks.verify import SignatureError, verify_shopify, verify_woocommerce


def shopify_vectors():
    return load_json_fixture("hmac/shopify_webhook_hmac_vectors.json")["vectors"]


def test_shopifys_valid_vectors_verify_with_their_secret():
    for vector in shopify_vectors():
        if vector["valid"]:
            verify_shopify(vector["raw_body"].encode(), vector["x_shopify_hmac_sha256"], [vector["secret"]])


def test_during_a_secret_rotation_both_the_new_and_the_old_secret_verify():
    for vector in shopify_vectors():
        if vector["valid"]:
            verify_shopify(vector["raw_body"].encode(), vector["x_shopify_hmac_sha256"], ["secret", "old_secret"])


def test_shopifys_invalid_vector_is_rejected():
    [bad] = [v for v in shopify_vectors() if not v["valid"]]
    with pytest.raises(SignatureError, match="does not match"):
        verify_shopify(bad["raw_body"].encode(), bad["x_shopify_hmac_sha256"], [bad["secret"]])


def test_a_signature_over_the_re_serialised_json_does_not_verify_the_form_body():
    data = load_json_fixture("hmac/shopify_webhook_hmac_vectors.json")
    control = data["derived_negative_controls_computed_locally_not_from_source"][0]
    with pytest.raises(SignatureError):
        verify_shopify(b"foo=anything", control["x_shopify_hmac_sha256"], [control["secret"]])


def test_the_ruby_library_header_example_verifies():
    data = load_json_fixture("shopify/webhooks/webhook_request_headers_examples.json")
    verify_shopify(data["raw_body"].encode(), data["hmac_sha256_base64_computed_from_test_inputs"], [data["secret"]])


def test_a_missing_signature_is_its_own_error():
    with pytest.raises(SignatureError, match="missing"):
        verify_shopify(b"{}", None, ["secret"])
    with pytest.raises(SignatureError, match="missing"):
        verify_woocommerce(b"{}", "", "secret")


def test_no_configured_secret_verifies_nothing():
    data = load_json_fixture("shopify/webhooks/webhook_request_headers_examples.json")
    with pytest.raises(SignatureError):
        verify_shopify(data["raw_body"].encode(), data["hmac_sha256_base64_computed_from_test_inputs"], [])


def test_woocommerces_documented_signature_verifies_and_a_wrong_secret_does_not():
    vector = load_json_fixture("hmac/woocommerce_webhook_signature_vector.json")
    body = vector["request_body"].encode()
    verify_woocommerce(body, vector["request_headers"]["X-WC-Webhook-Signature"], vector["secret"])
    with pytest.raises(SignatureError):
        verify_woocommerce(body, vector["request_headers"]["X-WC-Webhook-Signature"], "secret")
