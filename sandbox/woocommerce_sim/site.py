"""The WordPress site around the simulated WooCommerce stores: the public REST index (``GET /wp-json/``) and
WooCommerce's settings below ``/wp-json/wc/v3/settings``.

The index is public, as WordPress's is (``WP_REST_Server::get_index``): no keys. Basic credentials sent to it
are taken as an application password (WordPress 5.6+), and a consumer key is no user's login, so WordPress
answers 401 ``invalid_username``. The site title is the ``blogname`` option, which WordPress stores
HTML-escaped; ``_fields`` trims the answer, and ``site_logo``/``site_icon``/``site_icon_url`` (5.8/5.9+) are
added only when asked for (or when no ``_fields`` is given). The sandbox serves several stores on one origin,
so the store is named by a ``store_url`` parameter (WordPress ignores it), else the only store.

The settings need the keys, and a user with manage_woocommerce (else 403 woocommerce_rest_cannot_view); an
unknown group or setting is 404 as WooCommerce answers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from sandbox.woocommerce_sim.rest import authenticate, only_fields
from sandbox.woocommerce_sim.state import SimError, SimStore

if TYPE_CHECKING:
    from sandbox.woocommerce_sim.simulator import WooCommerceSimulator

ADMIN_EMAIL = "admin@{host}"
"""The WordPress admin e-mail a store's "From" address defaults to, by the store's host."""


@dataclass(frozen=True)
class IndexRead:
    store_url: str
    fields: str | None
    """The ``_fields`` asked for (None: the whole index)."""
    with_credentials: bool
    """Whether the request carried an Authorization header or consumer_key parameters."""


def esc_html(text: str) -> str:
    """What WordPress's esc_html() makes of an option value on save (sanitize_option('blogname'))."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#039;"))


def _index_store(sim: WooCommerceSimulator) -> SimStore:
    named = request.args.get("store_url")
    if named:
        return sim.store(named)
    mounted = [s for s in sim.stores.values() if request.script_root and s.store_url.endswith(request.script_root)]
    candidates = mounted or list(sim.stores.values())
    if len(candidates) != 1:
        raise SimError(400, "sandbox_store_url_required", "Several stores share this origin: name one with store_url.")
    return candidates[0]


def site_index(store: SimStore, fields: str | None) -> dict[str, Any]:
    """The index as WordPress builds it for an anonymous visitor (routes trimmed to a sample)."""
    wanted = {f.strip() for f in (fields or "").split(",") if f.strip()}
    body: dict[str, Any] = {
        "name": esc_html(store.site_name), "description": "", "url": store.store_url, "home": store.store_url,
        "gmt_offset": store.utc_offset.total_seconds() / 3600, "timezone_string": "",
        "page_for_posts": 0, "page_on_front": 0, "show_on_front": "posts",
        "namespaces": ["oembed/1.0", "wc/store/v1", "wc/v3", "wp/v2"], "authentication": {},
        "routes": {"/": {"namespace": "", "methods": ["GET"]}, "/wc/v3": {"namespace": "wc/v3", "methods": ["GET"]}},
    }
    if not wanted or "_links" in wanted or "site_logo" in wanted:
        body["site_logo"] = 0
    if not wanted or "_links" in wanted or wanted & {"site_icon", "site_icon_url"}:
        body["site_icon"] = 1 if store.site_icon_url else 0
        body["site_icon_url"] = store.site_icon_url
    if not wanted:
        body["_links"] = {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]}
    return only_fields(body, fields)


def create_site_blueprint(sim: WooCommerceSimulator) -> Blueprint:
    bp = Blueprint("wp_site", __name__)

    @bp.errorhandler(SimError)
    def _error(exc: SimError) -> Response:
        response = jsonify(exc.body())
        response.status_code = exc.status
        return response

    @bp.get("/wp-json/")
    def index() -> Response:
        store = _index_store(sim)
        credentials = request.authorization is not None or "consumer_key" in request.args
        sim.index_reads.append(IndexRead(store.store_url, request.args.get("_fields"), credentials))
        if request.authorization is not None and request.authorization.type == "basic":
            raise SimError(401, "invalid_username", "Unknown username. Check again or try your email address.")
        if store.index_refused:  # what "REST API for signed-in users only" plugins answer a visitor
            raise SimError(401, "rest_login_required", "REST API restricted to authenticated users.")
        return jsonify(site_index(store, request.args.get("_fields")))

    return bp


def _settings(store: SimStore) -> dict[str, list[dict[str, Any]]]:
    host = store.store_url.split("://", 1)[-1].split("/", 1)[0]
    default = ADMIN_EMAIL.format(host=host)
    tip_address = "How the sender email appears in outgoing WooCommerce emails."
    tip_name = "How the sender name appears in outgoing WooCommerce emails."
    return {"email": [
        {"id": "woocommerce_email_from_name", "label": '"From" name', "description": tip_name, "type": "text",
         "default": store.site_name, "tip": tip_name, "value": store.site_name},
        {"id": "woocommerce_email_from_address", "label": '"From" address', "description": tip_address,
         "type": "email", "default": default, "tip": tip_address, "value": store.email_from_address},
    ]}


def add_settings_routes(api: Blueprint, sim: WooCommerceSimulator) -> None:
    """``GET settings/<group>`` and ``GET settings/<group>/<id>`` on the wc/v3 blueprint (its auth and faults)."""

    def _group(group_id: str) -> list[dict[str, Any]]:
        store = authenticate(sim)
        if not store.keys_manage_woocommerce:
            raise SimError(403, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        with store.lock:
            group = _settings(store).get(group_id)
        if group is None:
            raise SimError(404, "rest_setting_setting_group_invalid", "Invalid setting group.")
        return group

    @api.get("/settings/<group_id>")
    def setting_group(group_id: str) -> Response:
        return jsonify(_group(group_id))

    @api.get("/settings/<group_id>/<setting_id>")
    def one_setting(group_id: str, setting_id: str) -> Response:
        found = next((s for s in _group(group_id) if s["id"] == setting_id), None)
        if found is None:
            raise SimError(404, "rest_setting_setting_invalid", "Invalid setting.")
        return jsonify(found)
