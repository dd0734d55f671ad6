"""The access scopes the merchant granted this app, as Shopify reports them now.

``currentAppInstallation.accessScopes`` is the truth after install: the token endpoint's ``scope``
says what was granted then, but optional scopes can be granted or revoked later.
"""

from __future__ import annotations

from adapters.shopify.client import ShopifyGraphQL
from connector.domain.errors import PlatformRejected

GRANTED_SCOPES = """
query ConnectorGrantedScopes {
  currentAppInstallation {
    accessScopes { handle }
  }
}
"""

DOCUMENTS = (GRANTED_SCOPES,)


def granted_scopes(client: ShopifyGraphQL) -> tuple[str, ...]:
    """The handles of every scope granted to the app on this shop, sorted."""
    installation = client.execute(GRANTED_SCOPES).get("currentAppInstallation")
    if not isinstance(installation, dict):
        raise PlatformRejected(f"shopify {client.shop_domain}: no currentAppInstallation in the answer")
    handles = {str(s.get("handle")) for s in installation.get("accessScopes") or [] if isinstance(s, dict)}
    return tuple(sorted(h for h in handles if h and h != "None"))
