"""WooCommerce webhook signatures: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(body, secret)).

The algorithm is ``WC_Webhook::generate_signature`` in WooCommerce core. Verification (timing-safe
comparison, what to do with a bad signature) belongs to the webhook entry point; this module only
computes the value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    """The signature WooCommerce sends for ``body`` (the raw request bytes) under ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def is_valid(body: bytes, secret: str, signature: str | None) -> bool:
    """Whether ``signature`` matches ``body`` under ``secret`` (constant-time comparison)."""
    if not signature:
        return False
    expected = sign(body, secret).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))
