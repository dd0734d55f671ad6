"""Demo phase: a merchant installs the connector on each platform, as a browser would."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.shopify_sim.ext_install import subscriptions_of
from sandbox.shopify_sim.oauth import signed_query
from sandbox.shopify_sim.store import build_shop
from sandbox.stack import LocalStack
from sandbox.woocommerce_sim.wc_auth import store_for

SHOP, STORE = "demo-newcomer.myshopify.com", "https://demo-newcomer-tea.example"


def run(stack: LocalStack, echo: Callable[[str], None]) -> None:
    quiet = logging.getLogger("webhooks")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the refused replays below are expected; their warnings would clutter
    try:
        _run(stack, echo)
    finally:
        quiet.setLevel(level)


def _run(stack: LocalStack, echo: Callable[[str], None]) -> None:
    sim, woo = stack.sandbox.shopify, stack.sandbox.woocommerce
    sim.shops[SHOP] = build_shop({"domain": SHOP, "access_token": "", "products": []}, sim._ids)
    store_for(woo, STORE)
    sim.oauth.auto_approve = True
    echo("")
    echo("Installing on a new Shopify shop (authorization-code grant)...")
    query = signed_query({"shop": SHOP, "timestamp": str(int(time.time()))}, sim.api_secret)
    authorize = requests.get(f"{stack.url}/shopify/install", params=query, allow_redirects=False, timeout=10)
    echo(f"  /shopify/install -> {authorize.status_code} to the authorize page "
         f"(scopes {parse_qs(urlsplit(authorize.headers['Location']).query)['scope'][0]})")
    callback = requests.get(authorize.headers["Location"], allow_redirects=False, timeout=10).headers["Location"]
    done = requests.get(callback, allow_redirects=False, timeout=10)  # into the app in the shop's admin (not here)
    echo(f"  merchant approves; /shopify/callback -> {done.status_code} {done.headers.get('Location', '')}".rstrip())
    replay = requests.get(callback, timeout=10)
    echo(f"  the same callback again -> {replay.status_code} ({replay.json()['error']})")
    with stack.container.uow() as uow:
        shop = uow.shops.by_domain("shopify", SHOP)
        assert shop is not None
        expires = shop.token_expires_at
    topics = sorted(s["topic"] for s in subscriptions_of(sim.graphql).list(SHOP))
    echo(f"  offline token stored encrypted, expires {expires:%H:%M} UTC (refreshed before then)")
    echo(f"  subscribed: {', '.join(topics)}")
    echo("Connecting a new WooCommerce store (wc-auth app keys)...")
    start = requests.get(f"{stack.url}/woocommerce/connect", params={"store_url": STORE}, allow_redirects=False,
                         timeout=10)
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=70)
    echo(f"  store approves; keys POSTed to /woocommerce/callback; back to {urlsplit(back.headers['Location']).path}"
         f"?success={parse_qs(urlsplit(back.headers['Location']).query)['success'][0]}")
    url, payload = woo.auth_callbacks[-1]
    echo(f"  the same key delivery replayed -> {requests.post(url, json=payload, timeout=10).status_code}")
    hooks = sorted((sorted(h.topics)[0], h.status) for h in woo.store(STORE).webhooks)
    echo(f"  webhooks created with a per-store secret: {', '.join(f'{t} ({s})' for t, s in hooks)}")
