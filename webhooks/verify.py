"""Webhook signatures. One verifier per platform, constant-time comparison, one error type."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


class SignatureError(Exception):
    """The signature is missing or does not match the body."""


def hmac_sha256_base64(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _verify(body: bytes, header: str | None, secrets: Iterable[str], what: str) -> None:
    if not header:
        raise SignatureError(f"missing {what}")
    given = header.strip().encode()
    # Every configured secret is tried (rotation: new and old both verify) with compare_digest.
    matched = False
    for secret in secrets:
        if secret and hmac.compare_digest(hmac_sha256_base64(body, secret).encode(), given):
            matched = True
    if not matched:
        raise SignatureError(f"{what} does not match the body")


def verify_shopify(body: bytes, header: str | None, secrets: Iterable[str]) -> None:
    """X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body with the app's API secret."""
    _verify(body, header, secrets, "X-Shopify-Hmac-Sha256")


def verify_woocommerce(body: bytes, header: str | None, secret: str) -> None:
    """X-WC-Webhook-Signature: base64 HMAC-SHA256 of the body with the webhook's secret."""
    _verify(body, header, [secret], "X-WC-Webhook-Signature")
