"""The shop's voice in every customer e-mail and page (issue 18): its name, logo and accent colour, how
to reach it, the store's address, and who the e-mail comes from.

Where each comes from, first found wins:

- name: ``notify.sender_name`` (the merchant's), else the store's own name as read from it
  (``shops.store_name``: Shopify ``shop { name }``, WooCommerce ``/wp-json/`` ``name``), else the
  shop's domain, and then ``missing`` says so (the merchant is asked to set it).
- support address (Reply-To and the footer): ``notify.support_email``, else the store's contact
  e-mail (``shops.contact_email``: Shopify ``contactEmail``, else the owner's ``email``; WooCommerce the
  "From" address of the store's own e-mails, ``woocommerce_email_from_address``, unless it is a no-reply
  address); else none, and ``missing`` says "support e-mail" (never the deployment's address).
- logo: ``brand.logo_url``, else the store's (``shops.store_logo_url``: Shopify's brand logo, else its
  square logo, from the Storefront API's ``shop { brand }``; the WooCommerce site icon), https only; else
  none: the layout shows the shop's name as text.
- accent colour: ``brand.accent_color``, else the store's (``shops.store_accent_color``: Shopify's first
  primary brand colour's background), else DEFAULT_ACCENT. Button text is black or white, whichever
  has the higher WCAG contrast on it (connector/domain/contrast.py); links use the accent only when it
  reaches 4.5:1 on white, else LINK_FALLBACK.

Shopify's brand is read at install and by the health check (connector/install/brand_read.py) with a
Storefront access token the connector creates and keeps sealed; WooCommerce's name, address, icon and
"From" address at connect and daily by the health check (connector/install/woo_identity.py).
``brand.from_store`` false stops the Shopify brand read and leaves the WooCommerce site icon unread; the
store's name and contact e-mail are read either way.

The From header is the shop's name with the deployment's sending address (or ``notify.sender_email``):
the connector sends from its own domain, which is where SPF/DKIM are set up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector.db.uow import UnitOfWork
from connector.domain import contrast
from connector.shop_settings import ShopSettingSpec, all_settings

DEFAULT_ACCENT = "#1f5c99"
"""A calm blue: white text on it reaches 6.9:1."""
LINK_FALLBACK = "#1a4f85"


def logo_ok(value: str) -> bool:
    """An https:// address of at most 1000 characters, without spaces or quotes (safe in an attribute)."""
    return (value.startswith("https://") and len(value) <= 1000
            and not any(c.isspace() or c in "\"'<>" for c in value))


def _logo(value: Any) -> bool:
    return value == "" or (isinstance(value, str) and logo_ok(value))


def _colour(value: Any) -> bool:
    return value == "" or (isinstance(value, str) and contrast.parse_hex(value) is not None)


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("brand.logo_url", "", "https:// address of the shop's logo for customer e-mails and pages "
                    "(default: the store's own: Shopify's brand logo, the WooCommerce site icon; else the "
                    "shop's name is shown)", _logo),
    ShopSettingSpec("brand.accent_color", "", f"accent colour of buttons and the header line, #rrggbb "
                    f"(default: the store's primary brand colour on Shopify, else {DEFAULT_ACCENT}); button "
                    f"text is black or white by contrast", _colour),
    ShopSettingSpec("brand.from_store", True, "read the shop's logo and accent colour from the store (Shopify: "
                    "the brand's logo and colour from the Storefront API at install and by the health check, "
                    "which needs the unauthenticated_read_product_listings scope; WooCommerce: the site icon, at "
                    "connect and daily; the store's name and contact e-mail are read either way): true or false",
                    lambda v: isinstance(v, bool)),
)


@dataclass(frozen=True)
class Brand:
    """What the layouts (connector/templates/email/_layout.html, customer/_layout.html) show of the shop."""

    shop_name: str
    support_email: str
    store_url: str
    logo_url: str
    accent: str
    accent_text: str
    """Black or white: the text colour on ``accent`` (WCAG contrast)."""
    link: str
    """The accent when readable as text on white (4.5:1), else LINK_FALLBACK."""
    missing: tuple[str, ...] = ()
    """What the merchant should set: "shop name" (only the domain is known), "support e-mail"."""

    def as_context(self) -> dict[str, str]:
        return {"shop_name": self.shop_name, "support_email": self.support_email, "store_url": self.store_url,
                "logo_url": self.logo_url, "accent": self.accent, "accent_text": self.accent_text,
                "link": self.link}


def store_address(platform: str, domain: str, store_url: str | None) -> str:
    """The storefront's address: as read from the store, else the shop's domain as a URL."""
    if store_url and store_url.startswith(("https://", "http://")):
        return store_url.rstrip("/") + "/"
    if domain.startswith(("https://", "http://")):
        return domain.rstrip("/") + "/"
    return f"https://{domain}/"


def make(*, domain: str, platform: str, sender_name: str = "", support_email: str = "", logo_url: str = "",
         accent: str = "", store_name: str | None = None, store_url: str | None = None,
         store_logo_url: str | None = None, contact_email: str | None = None,
         store_accent: str | None = None) -> Brand:
    """A Brand from the merchant's settings and what was read from the store (see the module's order)."""
    missing: list[str] = []
    name = (sender_name or store_name or "").strip()
    if not name:
        missing.append("shop name")
        name = domain.removeprefix("https://").removeprefix("http://").rstrip("/")
    support = (support_email or contact_email or "").strip()
    if not support:
        missing.append("support e-mail")
    colour = contrast.normalise(accent) if accent else None
    colour = colour or (contrast.normalise(store_accent) if store_accent else None) or DEFAULT_ACCENT
    link = colour if contrast.readable_accent(colour).meets_aa else LINK_FALLBACK
    logo = logo_url or (store_logo_url if store_logo_url and logo_ok(store_logo_url) else "")
    return Brand(shop_name=name, support_email=support, store_url=store_address(platform, domain, store_url),
                 logo_url=logo, accent=colour, accent_text=contrast.text_on(colour).text, link=link,
                 missing=tuple(missing))


def load(uow: UnitOfWork, shop_id: int) -> Brand:
    """The shop's brand from its settings and shop row (opens ``uow`` itself)."""
    values = all_settings(uow, shop_id)
    with uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        return make(domain=shop.domain, platform=shop.platform, sender_name=values["notify.sender_name"],
                    support_email=values["notify.support_email"], logo_url=values["brand.logo_url"],
                    accent=values["brand.accent_color"], store_name=shop.store_name, store_url=shop.store_url,
                    store_logo_url=shop.store_logo_url, contact_email=shop.contact_email,
                    store_accent=shop.store_accent_color)


def of_row(shop: Any, values: dict[str, Any]) -> Brand:
    """A Brand from a loaded shop row and its settings (``all_settings``), inside an open unit of work."""
    return make(domain=shop.domain, platform=shop.platform, sender_name=values.get("notify.sender_name", ""),
                support_email=values.get("notify.support_email", ""), logo_url=values.get("brand.logo_url", ""),
                accent=values.get("brand.accent_color", ""), store_name=shop.store_name, store_url=shop.store_url,
                store_logo_url=shop.store_logo_url, contact_email=shop.contact_email,
                store_accent=getattr(shop, "store_accent_color", None))


def message_context(shop_row: Any, settings: Any, order: Any) -> dict[str, Any]:
    """What a customer message adds for the layout and the greeting: ``brand`` (as_context), the shop's
    name and support address as the brand has them, the order's page in the store and the customer's
    first name (empty when not known). ``settings``: ShopNotifySettings."""
    voice = make(domain=shop_row.domain, platform=shop_row.platform, sender_name=settings.sender_name,
                 support_email=settings.support_email, logo_url=getattr(settings, "logo_url", ""),
                 accent=getattr(settings, "accent_color", ""), store_name=shop_row.store_name,
                 store_url=shop_row.store_url, store_logo_url=shop_row.store_logo_url,
                 contact_email=shop_row.contact_email, store_accent=getattr(shop_row, "store_accent_color", None))
    return {"brand": voice.as_context(), "shop_name": voice.shop_name, "support_email": voice.support_email,
            "status_url": order.status_url or "", "customer_first_name": order.customer_first_name or ""}
