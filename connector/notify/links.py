"""Signed customer links for delay notices: /orders/<token>/cancel and /orders/<token>/wait.

A token is ``<nonce>.<expires>.<signature>``: the decision row's random nonce, the last valid day
(days since 1970-01-01, UTC) and a truncated HMAC-SHA256 over both, keyed by the link key (the
``notify.link_secret`` setting, else a key derived from CONNECTOR_SECRET_KEY). Checked in constant
time; expiry and single use are enforced here and by the decision row.

Either setting may hold several comma-separated keys, newest first (the key-rotation format of
CONNECTOR_SECRET_KEY): links are signed with the first key and accepted under any of them, so a
link sent before a rotation keeps working until the old key is dropped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from connector.domain.errors import ConfigError, LinkInvalid

if TYPE_CHECKING:
    from connector.config import Settings

EPOCH = date(1970, 1, 1)
SIGNATURE_BYTES = 16


def derive_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"backorder-connector/customer-links/v1", hashlib.sha256).digest()


def customer_link_signer(settings: Settings) -> LinkSigner:
    """The signer of the customer links, as the e-mails write them (jobs/notify.py) and the customer pages
    check them (webhooks/customer_common.py): the notice links' own secret and public address when set,
    else the app's secret key and address."""
    return LinkSigner(settings.notify_link_secret or settings.secret_key,
                      settings.notify_public_base_url or settings.app_url)


@dataclass(frozen=True)
class SignedLink:
    nonce: str
    expires: date


class LinkSigner:
    def __init__(self, secret: str | None, base_url: str | None) -> None:
        if not secret:
            raise ConfigError("notify.link_secret", "or CONNECTOR_SECRET_KEY is required to sign customer links")
        keys = [derive_key(key) for key in (part.strip() for part in secret.split(",")) if key]
        if not keys:
            raise ConfigError("notify.link_secret", "or CONNECTOR_SECRET_KEY is required to sign customer links")
        self._keys = keys
        """Newest first: the first signs, every one verifies."""
        self.base_url = (base_url or "").rstrip("/")

    @staticmethod
    def _mac(key: bytes, payload: str) -> str:
        digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _sign(self, payload: str) -> str:
        return self._mac(self._keys[0], payload)

    def _signed_by_any_key(self, payload: str, signature: str) -> bool:
        """Constant time per key, and every key is tried (no early exit on the first match)."""
        matches = [hmac.compare_digest(self._mac(key, payload).encode(), signature.encode()) for key in self._keys]
        return any(matches)

    def token(self, nonce: str, expires: date) -> str:
        payload = f"{nonce}.{(expires - EPOCH).days}"
        return f"{payload}.{self._sign(payload)}"

    def url(self, nonce: str, expires: date, action: str) -> str:
        if not self.base_url:
            raise ConfigError("notify.public_base_url", "is required to put signed links in delay notices")
        return f"{self.base_url}/orders/{self.token(nonce, expires)}/{action}"

    def verify(self, token: str, today: date) -> SignedLink:
        """The link's nonce and expiry, or LinkInvalid (malformed, forged or expired)."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[0] or not parts[1].isdigit() or len(token) > 200:
            raise LinkInvalid("malformed link", reason="malformed")
        payload = f"{parts[0]}.{parts[1]}"
        if not self._signed_by_any_key(payload, parts[2]):
            raise LinkInvalid("bad signature", reason="bad_signature")
        expires = EPOCH + timedelta(days=int(parts[1]))
        if today > expires:
            raise LinkInvalid(f"link expired on {expires.isoformat()}", reason="expired", expired_on=expires,
                              nonce=parts[0])
        return SignedLink(parts[0], expires)


# The customer's page (issue 14): one signed link per order, /orders/<token>.

PAGE_PURPOSE = "customer-page/"
"""Prefix of what an order-page token signs: a delay notice's token (over ``<nonce>.<days>``) can
never pass as an order-page token nor the other way round."""
PAGE_LINK_DAYS = 180
"""An order-page link works for this many days after the message carrying it was written; every
later message carries a fresh one."""


@dataclass(frozen=True)
class OrderLink:
    """What an order-page token identifies: the shop and the order (orders.id), until ``expires``."""

    shop_id: int
    order_id: int
    expires: date


def _order_payload(shop_id: int, order_id: int, expires: date) -> str:
    return f"o{shop_id}-{order_id}.{(expires - EPOCH).days}"


def order_token(signer: LinkSigner, shop_id: int, order_id: int, expires: date) -> str:
    """``o<shop>-<order>.<days>.<signature>``, the signature over PAGE_PURPOSE and the payload."""
    payload = _order_payload(shop_id, order_id, expires)
    return f"{payload}.{signer._sign(PAGE_PURPOSE + payload)}"


def order_url(signer: LinkSigner, shop_id: int, order_id: int, today: date) -> str:
    """The order page's address, valid PAGE_LINK_DAYS from ``today``."""
    if not signer.base_url:
        raise ConfigError("notify.public_base_url", "is required to put the order page's link in customer e-mails")
    return f"{signer.base_url}/orders/{order_token(signer, shop_id, order_id, today + timedelta(days=PAGE_LINK_DAYS))}"


def verify_order(signer: LinkSigner, token: str, today: date) -> OrderLink:
    """The shop and order an order-page token names, or LinkInvalid (malformed, forged or expired)."""
    parts = token.split(".")
    if len(token) > 200 or len(parts) != 3 or not parts[1].isdigit() or not parts[0].startswith("o"):
        raise LinkInvalid("malformed link", reason="malformed")
    shop, _, order = parts[0][1:].partition("-")
    if not (shop.isdigit() and order.isdigit()):
        raise LinkInvalid("malformed link", reason="malformed")
    payload = f"{parts[0]}.{parts[1]}"
    if not signer._signed_by_any_key(PAGE_PURPOSE + payload, parts[2]):
        raise LinkInvalid("bad signature", reason="bad_signature")
    expires = EPOCH + timedelta(days=int(parts[1]))
    if today > expires:
        raise LinkInvalid(f"link expired on {expires.isoformat()}", reason="expired", expired_on=expires,
                          shop_id=int(shop), order_id=int(order))
    return OrderLink(int(shop), int(order), expires)


def customer_page_url(signer: LinkSigner, shop_id: int, order_id: int, today: date) -> str:
    """The order page's link for a customer e-mail; "" when no public address is set up (the e-mail
    then goes without it, as it did before the page existed)."""
    return order_url(signer, shop_id, order_id, today) if signer.base_url else ""
