"""Start the simulators from a seed file (see docs in README, "The sandbox").

Seed format: ``{"shopify": {"api_secret", "api_version", "shops": [{"domain", "access_token",
"products": [{"title", "variants": [{"sku", "price", "inventory_quantity", "inventory_policy"}]}]}]},
"woocommerce": {"stores": [{"store_url", "consumer_key", "consumer_secret", "webhook_secret",
"webhook_id", "backordered_label"?, "products": [{"name", "sku", "price", "manage_stock",
"stock_quantity", "backorders": "no|notify|yes"} | {"name", "type": "variable", "variations": [...]}]}]}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from connector.domain.errors import ConfigError
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.supplier_sim import SupplierSimulator
from sandbox.supplier_sim.seed import supplier_config
from sandbox.woocommerce_sim import WooCommerceSimulator


def load_seed(path: str | Path | None = None) -> dict[str, Any]:
    try:
        if path is None:
            text = resources.files("sandbox").joinpath("default_seed.json").read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        seed = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError("--seed", f"cannot read seed {path or 'default'}: {exc}") from None
    if not isinstance(seed, dict) or not ({"shopify", "woocommerce"} & set(seed)):
        raise ConfigError("--seed", "a seed needs a 'shopify' and/or 'woocommerce' section")
    return seed


@dataclass
class RunningSandbox:
    seed: dict[str, Any]
    shopify: ShopifySimulator
    woocommerce: WooCommerceSimulator
    shopify_server: ServerHandle
    woocommerce_server: ServerHandle
    supplier: SupplierSimulator | None = None
    supplier_server: ServerHandle | None = None
    smtp: Any = None
    """The SMTP sink (sandbox.smtp_sink.SmtpSink) that receives every email the connector sends."""

    @property
    def supplier_url(self) -> str:
        assert self.supplier_server is not None, "sandbox started without a supplier"
        return self.supplier_server.url

    @property
    def shopify_url(self) -> str:
        return self.shopify_server.url

    @property
    def woocommerce_url(self) -> str:
        return self.woocommerce_server.url

    def point_webhooks_at(self, url: str) -> None:
        self.shopify.webhook_url = url
        self.woocommerce.webhook_url = url

    def stop(self) -> None:
        self.shopify_server.stop()
        self.woocommerce_server.stop()
        if self.supplier_server is not None:
            self.supplier_server.stop()
        if self.smtp is not None:
            self.smtp.stop()


def start_sandbox(seed: str | Path | dict[str, Any] | None = None, *, webhook_url: str | None = None,
                  shopify_port: int = 0, woocommerce_port: int = 0,
                  shopify_schema: str | Path | None = None, supplier_port: int = 0, smtp_port: int = 0,
                  **shopify_options: Any) -> RunningSandbox:
    data = seed if isinstance(seed, dict) else load_seed(seed)
    sdl = Path(shopify_schema).read_text(encoding="utf-8") if shopify_schema else None
    shopify = ShopifySimulator(data.get("shopify", {}), webhook_url=webhook_url, schema_sdl=sdl, **shopify_options)
    woocommerce = WooCommerceSimulator(data.get("woocommerce", {}), webhook_url=webhook_url)
    try:
        shopify_server = serve_in_thread(shopify.app, port=shopify_port)
    except OSError as exc:
        raise ConfigError("--shopify-port", f"cannot listen on {shopify_port}: {exc}") from None
    try:
        woocommerce_server = serve_in_thread(woocommerce.app, port=woocommerce_port)
    except OSError as exc:
        shopify_server.stop()
        raise ConfigError("--woocommerce-port", f"cannot listen on {woocommerce_port}: {exc}") from None
    running = RunningSandbox(data, shopify, woocommerce, shopify_server, woocommerce_server)
    try:  # the sandbox supplier: JSON API and CSV feed for every seeded SKU (see supplier_sim)
        running.supplier = SupplierSimulator(supplier_config(data))
        running.supplier_server = serve_in_thread(running.supplier.app, port=supplier_port)
    except OSError as exc:
        running.stop()
        raise ConfigError("--supplier-port", f"cannot listen on {supplier_port}: {exc}") from None
    try:  # the local SMTP sink: customer messages and alerts land here
        from sandbox.smtp_sink import SmtpSink

        running.smtp = SmtpSink(port=smtp_port).start()
    except (OSError, RuntimeError) as exc:
        running.stop()
        raise ConfigError("--smtp-port", f"cannot listen on {smtp_port}: {exc}") from None
    return running
