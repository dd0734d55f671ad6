"""WooCommerce install: the wc-auth authorize URL, key verification and webhook management."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from adapters.woocommerce import identity
from adapters.woocommerce.client import WooCommerceClient
from connector.domain.errors import PlatformRejected
from connector.ports import SiteIdentity

CONNECTOR_TOPICS: tuple[str, ...] = ("order.created", "order.updated")
"""Topics the connector subscribes to after connecting."""

CONNECTOR_TOPICS = (*CONNECTOR_TOPICS, "product.updated")
"""Stock that arrives is allocated to waiting backorders (connector/capture/stock.py)."""


def authorize_url(store_url: str, *, app_name: str, user_id: str, return_url: str, callback_url: str,
                  api_base: str | None = None) -> str:
    """``{store}/wc-auth/v1/authorize`` asking for read_write keys (``write`` alone cannot read)."""
    parts = urlsplit(store_url)
    origin = api_base.rstrip("/") if api_base else f"{parts.scheme}://{parts.netloc}"
    query = {"app_name": app_name, "scope": "read_write", "user_id": user_id,
             "return_url": return_url, "callback_url": callback_url}
    if api_base:
        query["store_url"] = store_url  # the sandbox serves several stores on one origin
    return f"{origin}{parts.path.rstrip('/')}/wc-auth/v1/authorize?{urlencode(query)}"


@dataclass(frozen=True)
class Hook:
    id: int
    topic: str
    delivery_url: str
    status: str


def _hook(raw: Any) -> Hook:
    if not isinstance(raw, dict) or "id" not in raw:
        raise PlatformRejected("woocommerce: webhook answer without an id")
    return Hook(int(raw["id"]), str(raw.get("topic", "")), str(raw.get("delivery_url", "")),
                str(raw.get("status", "")))


class WooWebhooks:
    def __init__(self, client: WooCommerceClient) -> None:
        self.client = client

    def verify_access(self) -> None:
        """A real read with the keys: PlatformAuthError when they are refused, PlatformRejected when the
        answer is not WooCommerce's (a list of orders): a listener that answers 200 to anything is no store."""
        orders = self.client.get("orders", {"per_page": 1})
        if not isinstance(orders, list):
            raise PlatformRejected("woocommerce: the orders read with the delivered keys did not answer a list")

    def list(self) -> list[Hook]:
        return [_hook(item) for item in self.client.paginate("webhooks")]

    def create(self, topic: str, delivery_url: str, secret: str, name: str) -> Hook:
        return _hook(self.client.post("webhooks", {"name": name, "topic": topic, "delivery_url": delivery_url,
                                                   "secret": secret, "status": "active"}))

    def activate(self, hook_id: int, secret: str | None = None) -> Hook:
        """Re-enable a webhook (WooCommerce disables one after repeated failures); optionally set its secret."""
        body: dict[str, Any] = {"status": "active"}
        if secret:
            body["secret"] = secret
        return _hook(self.client.put(f"webhooks/{hook_id}", body))

    def site_language(self) -> str | None:
        """``environment.language`` of ``GET system_status`` (WordPress's get_locale(): "nl_NL"), or None.

        Only that field is asked for (``_fields``): WooCommerce then builds no other part of its report
        (plugins, database sizes) and skips its outbound POST/GET probes. The endpoint needs the keys' user
        to have manage_woocommerce (administrators and shop managers): otherwise 403, PlatformAuthError."""
        body = self.client.get("system_status", {"_fields": "environment.language"})
        environment = body.get("environment") if isinstance(body, dict) else None
        value = environment.get("language") if isinstance(environment, dict) else None
        return value.strip()[:35] if isinstance(value, str) and value.strip() else None

    def site_identity(self) -> SiteIdentity:
        """The public index's name, home and site icon (adapters/woocommerce/identity.py)."""
        return identity.site_identity(self.client)

    def store_email(self) -> str | None:
        """WooCommerce's "From" address of its own e-mails (adapters/woocommerce/identity.py)."""
        return identity.store_email(self.client)
