"""The connector and the sandbox together on loopback: used by the demo, e2e tests and benchmarks."""

from __future__ import annotations

import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.domain.model import Platform, ShopCredentials
from connector.shops import ShopInfo, add_shop
from sandbox.runner import RunningSandbox, start_sandbox
from sandbox.serve import ServerHandle, serve_in_thread


@dataclass
class LocalStack:
    sandbox: RunningSandbox
    container: Container
    server: ServerHandle
    shops: dict[str, ShopInfo] = field(default_factory=dict)
    _tmp: Any = None

    @property
    def url(self) -> str:
        return self.server.url

    def wait_for_capture(self, timeout: float = 20.0) -> None:
        """Until both simulators have delivered every webhook and the workers are idle, and stay so.

        Work begets webhooks (marking a WooCommerce order sends order.updated) and webhooks beget
        jobs, so this repeats until a round sees no new delivery.
        """
        deadline = time.monotonic() + timeout
        while True:
            before = len(self.sandbox.shopify.deliveries) + len(self.sandbox.woocommerce.deliveries)
            remaining = max(0.1, deadline - time.monotonic())
            self.sandbox.shopify.wait_for_deliveries(remaining)
            self.sandbox.woocommerce.wait_for_deliveries(remaining)
            self.container.queue.wait_idle(remaining)
            time.sleep(0.05)  # let a delivery triggered by the last job start
            after = len(self.sandbox.shopify.deliveries) + len(self.sandbox.woocommerce.deliveries)
            if after == before or time.monotonic() > deadline:
                return

    def stop(self) -> None:
        self.server.stop()
        self.container.close()
        self.sandbox.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_stack(*, database_url: str | None = None, seed: dict[str, Any] | str | None = None,
                shopify_schema: str | Path | None = None, worker_threads: int = 4,
                shopify_restore_rate: float | None = None, **settings_overrides: Any) -> LocalStack:
    """Sandbox + connector app (in-process workers) + every seeded shop installed.
    ``shopify_restore_rate``: the simulated shops' GraphQL cost points per second (default: the
    simulator's 100, a Standard plan; 1000 is Shopify Plus)."""
    rate: dict[str, Any] = {} if shopify_restore_rate is None else {"restore_rate": shopify_restore_rate}
    sandbox = start_sandbox(seed, shopify_schema=shopify_schema, **rate)
    tmp = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="connector-")
        database_url = f"sqlite:///{tmp.name}/connector.db"
    shopify_seed = sandbox.seed.get("shopify", {})
    settings = Settings(
        database_url=database_url, secret_key=generate_key(),
        shopify_api_secret=shopify_seed.get("api_secret", "unused"),
        shopify_api_version=shopify_seed.get("api_version", "2026-04"),
        api_token=secrets.token_urlsafe(24), worker_threads=worker_threads,
        http_timeout_seconds=5.0, log_level="WARNING",
        smtp_host=sandbox.smtp.host, smtp_port=sandbox.smtp.port, smtp_from="backorders@sandbox.example",
        allow_private_targets=True,  # development: the simulators listen on loopback, over http
        source="sandbox stack",
    ).with_overrides(**settings_overrides)
    container = bootstrap(settings, start_workers=True, auto_upgrade=True)
    from connector.app import create_app

    server = serve_in_thread(create_app(container=container))
    sandbox.point_webhooks_at(server.url)
    # Installs (OAuth, wc-auth) need the connector's own URL and send store traffic to the sandbox.
    container.settings = container.settings.with_overrides(
        app_url=container.settings.app_url or server.url,
        shopify_api_key=container.settings.shopify_api_key or sandbox.shopify.oauth.api_key,
        shopify_admin_base=container.settings.shopify_admin_base or sandbox.shopify_url,
        woocommerce_api_base=container.settings.woocommerce_api_base or sandbox.woocommerce_url)
    stack = LocalStack(sandbox, container, server, _tmp=tmp)
    for shop in shopify_seed.get("shops", []):
        stack.shops[shop["domain"]] = add_shop(
            container.uow(), container.box, Platform.SHOPIFY, shop["domain"],
            ShopCredentials(access_token=shop["access_token"]), api_base=sandbox.shopify_url)
    for store in sandbox.seed.get("woocommerce", {}).get("stores", []):
        stack.shops[store["store_url"]] = add_shop(
            container.uow(), container.box, Platform.WOOCOMMERCE, store["store_url"],
            ShopCredentials(consumer_key=store["consumer_key"], consumer_secret=store["consumer_secret"],
                            webhook_secret=store["webhook_secret"]),
            api_base=sandbox.woocommerce_url)
    return stack
