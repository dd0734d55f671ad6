"""``/wc-auth/v1/authorize``: WooCommerce's app key flow, approved at once (no WordPress login).

Like WooCommerce (includes/class-wc-auth.php): a new key pair is created for the store, POSTed as
JSON ``{key_id, user_id, consumer_key, consumer_secret, key_permissions}`` to ``callback_url``
(60 s timeout); a non-200 answer deletes the keys. Then the browser is redirected to
``return_url?success=1|0&user_id=…``. The sandbox serves several stores on one origin, so the
store is named by a ``store_url`` parameter (a store not in the seed is created empty).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests
from flask import Blueprint, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from sandbox.woocommerce_sim.state import SimStore

if TYPE_CHECKING:
    from sandbox.woocommerce_sim.simulator import WooCommerceSimulator

CALLBACK_TIMEOUT = 60
SCOPES = {"read", "write", "read_write"}


def store_for(sim: WooCommerceSimulator, store_url: str) -> SimStore:
    url = store_url.rstrip("/")
    if url not in sim.stores:
        sim.stores[url] = SimStore(store_url=url, consumer_key="ck_" + secrets.token_hex(20),
                                   consumer_secret="cs_" + secrets.token_hex(20), clock=lambda: sim.clock(),
                                   utc_offset=timedelta(0))
    return sim.stores[url]


def create_wc_auth_blueprint(sim: WooCommerceSimulator) -> Blueprint:
    bp = Blueprint("wc_auth", __name__)

    @bp.get("/wc-auth/v1/authorize")
    def authorize() -> ResponseReturnValue:
        args = request.args
        missing = [k for k in ("app_name", "scope", "user_id", "return_url", "callback_url") if not args.get(k)]
        if missing or args["scope"] not in SCOPES:
            return jsonify({"code": "woocommerce_rest_auth_invalid_request",
                            "message": f"Invalid request: {', '.join(missing) or 'scope'}"}), 400
        stores = list(sim.stores)
        store_url = args.get("store_url") or (stores[0] if len(stores) == 1 else "")
        if not store_url:
            return jsonify({"code": "sandbox_store_url_required", "message": "name the store with store_url"}), 400
        store = store_for(sim, store_url)
        key, secret = "ck_" + secrets.token_hex(20), "cs_" + secrets.token_hex(20)
        with store.lock:
            key_id = next(store.ids)
            store.api_keys[key] = secret
        payload: dict[str, Any] = {"key_id": key_id, "user_id": args["user_id"], "consumer_key": key,
                                   "consumer_secret": secret, "key_permissions": args["scope"]}
        sim.auth_callbacks.append((args["callback_url"], payload))
        try:
            answer = requests.post(args["callback_url"], json=payload, timeout=CALLBACK_TIMEOUT,
                                   allow_redirects=False)
            ok = answer.status_code == 200
        except requests.RequestException:
            ok = False
        if not ok:
            with store.lock:
                store.api_keys.pop(key, None)
        query = urlencode({"success": "1" if ok else "0", "user_id": args["user_id"]})
        return redirect(f"{args['return_url']}?{query}", 302)

    return bp
