"""Query HMAC (ShopifyAPI's helper, checked on Shopify's published vectors) and App Bridge session tokens."""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt
import pytest

from adapters.shopify.oauth import (
    QueryHmacError,
    SessionTokenInvalid,
    _session_class,
    authorize_url,
    verify_query_hmac,
    verify_session_token,
)
from sandbox.shopify_sim.oauth import session_token, signed_query
from tests.conftest import load_json_fixture

VECTORS = "hmac/shopify_oauth_query_hmac_vectors.json"
KEY, SECRET = "app-key", "app-secret-that-is-long-enough-for-hs256"


def vectors() -> list[dict]:  # type: ignore[type-arg]
    return load_json_fixture(VECTORS)["vectors"]  # type: ignore[no-any-return]


def test_every_signed_vector_in_the_fixture_verifies_or_fails_as_documented() -> None:
    checked = 0
    for vector in vectors():
        if "valid" not in vector:
            continue
        checked += 1
        if vector["valid"]:
            verify_query_hmac(vector["params"], [vector["secret"]], check_timestamp=False)
        else:
            with pytest.raises(QueryHmacError):
                verify_query_hmac(vector["params"], [vector["secret"]])
    assert checked == 3


def test_the_escaping_vector_signs_the_documented_message() -> None:
    vector = next(v for v in vectors() if v["id"] == "escaping")
    expected = hmac.new(vector["secret"].encode(), vector["message_to_sign"].encode(), hashlib.sha256).hexdigest()
    assert _session_class(secret=vector["secret"]).calculate_hmac(vector["params"]) == expected


def test_the_docs_vector_is_refused_when_its_timestamp_is_checked() -> None:
    vector = next(v for v in vectors() if v["id"] == "docs_example")
    with pytest.raises(QueryHmacError, match="timestamp"):
        verify_query_hmac(vector["params"], [vector["secret"]])


def test_a_query_signed_with_another_secret_or_changed_after_signing_is_refused() -> None:
    params = signed_query({"shop": "shop-a.myshopify.com", "timestamp": str(int(time.time()))}, "other")
    with pytest.raises(QueryHmacError, match="does not match"):
        verify_query_hmac(params, [SECRET])
    params = signed_query({"shop": "shop-a.myshopify.com", "timestamp": str(int(time.time()))}, SECRET)
    with pytest.raises(QueryHmacError, match="does not match"):
        verify_query_hmac({**params, "shop": "shop-b.myshopify.com"}, [SECRET])
    with pytest.raises(QueryHmacError, match="missing"):
        verify_query_hmac({"shop": "shop-a.myshopify.com"}, [SECRET])


def test_old_and_new_secret_both_verify_during_a_rotation() -> None:
    params = signed_query({"shop": "shop-a.myshopify.com", "timestamp": str(int(time.time()))}, "old-secret")
    verify_query_hmac(params, ["new-secret", "old-secret"])


def test_the_authorize_url_asks_for_the_configured_scopes_and_an_expiring_token() -> None:
    url = authorize_url("shop-a.myshopify.com", api_key=KEY, scopes=["write_orders", "read_inventory"],
                        redirect_uri="https://app.example/shopify/callback", state="s1")
    assert url.startswith("https://shop-a.myshopify.com/admin/oauth/authorize?client_id=app-key")
    assert "scope=write_orders%2Cread_inventory" in url and "state=s1" in url and "expiring=1" in url


def token(**overrides) -> str:  # type: ignore[no-untyped-def]
    return session_token("shop-a.myshopify.com", KEY, SECRET, **overrides)


def test_a_fresh_session_token_names_its_shop() -> None:
    claims = verify_session_token(token(), api_key=KEY, secrets=[SECRET])
    assert claims["shop"] == "shop-a.myshopify.com"


@pytest.mark.parametrize("make, reason", [
    (lambda: token()[:-3] + ("AAA" if not token().endswith("AAA") else "BBB"), "signature"),
    (lambda: session_token("shop-a.myshopify.com", KEY, "not-the-app-secret-but-long-enough-to-sign"), "signature"),
    (lambda: token(aud="someone-else"), "audience"),
    (lambda: token(now=time.time() - 3600), "expired"),
    (lambda: token(nbf=int(time.time()) + 600), "not yet valid"),
    (lambda: token(dest="https://shop-b.myshopify.com"), "issuer and destination"),
    (lambda: token(iss="https://evil.example/admin", dest="https://evil.example"), "issuer"),
    (lambda: token(exp=None), "exp"),
])
def test_a_tampered_or_foreign_session_token_is_refused(make, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SessionTokenInvalid):
        verify_session_token(make(), api_key=KEY, secrets=[SECRET])


def test_a_token_signed_with_none_algorithm_is_refused() -> None:
    claims = jwt.decode(token(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(SessionTokenInvalid):
        verify_session_token(unsigned, api_key=KEY, secrets=[SECRET])
