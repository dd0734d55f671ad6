"""Drive the install flows over real HTTP against the sandbox, the way a browser would."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.shopify_sim.oauth import session_token, signed_query
from sandbox.stack import LocalStack


def get(url: str, *, timeout: float = 30, **kwargs: Any) -> requests.Response:
    """``requests.get`` that, when the answer does not come in time, first prints every thread's stack (the
    connector's and the simulators' servers run in this process) so the failure shows where the request sat."""
    try:
        return requests.get(url, timeout=timeout, **kwargs)
    except requests.Timeout:
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        stacks = [f"-- {names.get(ident, ident)}\n{''.join(traceback.format_stack(frame))}"
                  for ident, frame in sys._current_frames().items()]
        sys.stderr.write(f"no answer from {url.split('?')[0]} within {timeout} s; the threads of this process:\n"
                         + "\n".join(stacks))
        raise


def install_query(stack: LocalStack, shop: str, *, secret: str | None = None, timestamp: float | None = None,
                  **extra: str) -> dict[str, str]:
    """The signed query Shopify puts on the app's install URL."""
    sim = stack.sandbox.shopify
    params = {"shop": shop, "timestamp": str(int(time.time() if timestamp is None else timestamp)), **extra}
    return signed_query(params, secret or sim.api_secret)


def start_shopify_install(stack: LocalStack, shop: str) -> requests.Response:
    return get(f"{stack.url}/shopify/install", params=install_query(stack, shop), allow_redirects=False)


def approve(location: str) -> str:
    """Follow the authorize page (auto-approve on) and return the callback URL Shopify redirects to."""
    answer = get(location, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def install_shopify(stack: LocalStack, shop: str) -> requests.Response:
    """The whole authorization-code install; returns the connector's answer to the callback (302 into the
    app in the shop's admin), not followed."""
    stack.sandbox.shopify.oauth.auto_approve = True
    started = start_shopify_install(stack, shop)
    assert started.status_code == 302, started.text
    return get(approve(started.headers["Location"]), allow_redirects=False)


def callback_params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def connect_woocommerce(stack: LocalStack, store_url: str) -> requests.Response:
    """The whole wc-auth connect; returns wc-auth's redirect to return_url (success=1|0)."""
    started = get(f"{stack.url}/woocommerce/connect", params={"store_url": store_url}, allow_redirects=False)
    assert started.status_code == 302, started.text
    return get(started.headers["Location"], allow_redirects=False, timeout=70)


def embedded_token(stack: LocalStack, shop: str, **overrides: Any) -> str:
    sim = stack.sandbox.shopify
    return session_token(shop, sim.oauth.api_key, sim.api_secret, **overrides)


def shop_row(stack: LocalStack, platform: str, domain: str) -> Any:
    with stack.container.uow() as uow:
        shop = uow.shops.by_domain(platform, domain)
        if shop is not None:
            uow.session.expunge(shop)  # type: ignore[union-attr]
        return shop
