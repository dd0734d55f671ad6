"""The supplier push key made in the merchant app (issue 17 item 3, follow-up), SQLite and PostgreSQL,
through Flask's client against the real push endpoint: the key made by the CLI's service and shown once,
with its URL and what to send; afterwards only when it was made and the last push with its outcome;
replacing asks first and the old key stops verifying at once; turned off, pushes get 401; a form
without the CSRF token changes nothing; another shop's supplier is not found; and the key is in no
log record, no page after the once-view and no table (the settings audit included) in plain."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from connector.db.models import Base
from connector.db.models_settings import ShopSettingChange
from connector.supply.models import Supplier
from connector.supply.push import make_push_secret, signature
from connector.supply.suppliers import add_supplier
from jobs.supplier_push import process_supplier_push
from sandbox.serve import serve_in_thread
from sandbox.supplier_sim import SupplierSimulator
from tests.support.merchant import API_KEY, app_path, csrf_token, session_token
from tests.support.webapp import SHOP, SHOPIFY_SECRET, WebApp, make_webapp

FAST = {"retry_base_delay": 0.01, "max_attempts": 1, "timeout_seconds": 5}
APP_URL = "https://connector.example"


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    made = make_webapp(database_url, shopify_api_key=API_KEY, app_url=APP_URL,
                       shopify_admin_base="http://127.0.0.1:9", http_max_attempts=1)
    yield made
    made.container.close()


@pytest.fixture
def sim() -> Iterator[Any]:
    sim = SupplierSimulator({"auth": {"type": "bearer", "token": "sim-token"},
                             "items": [{"sku": "TEA-1", "quantity": 4}]})
    server = serve_in_thread(sim.app)
    sim.url = server.url  # type: ignore[attr-defined]
    yield sim
    server.stop()


@pytest.fixture
def supplier_id(web: WebApp, sim: Any) -> int:
    return add_supplier(web.container.uow(), web.container.box, web.shop_id, {
        "name": "Acme Tea", "kind": "http_json", "secret": {"token": "sim-token"},
        "settings": {"url": sim.url + "/api/all", "auth": {"type": "bearer"}, **FAST}},
        clients=web.container.supplier_client)


def token() -> str:
    return session_token(SHOP, SHOPIFY_SECRET, ttl=600)


def page(web: WebApp, supplier_id: int) -> str:
    answer = web.client.get(app_path(f"/app/suppliers/{supplier_id}", SHOP, token()))
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def post(web: WebApp, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True) -> Any:
    first = token()
    html = web.client.get(app_path("/app/suppliers", SHOP, first)).get_data(as_text=True)
    form = {"csrf_token": csrf_token(html)} if csrf else {}
    return web.client.post(app_path(path, SHOP, first), data={**form, **(data or {})})


def shown(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert found, f"no {testid} on the page"
    return unescape(found.group(1)).strip()


def make_key(web: WebApp, supplier_id: int, **data: Any) -> tuple[str, str, str]:
    """Ask the app for a key; (the page, the URL shown, the key shown)."""
    answer = post(web, f"/app/suppliers/{supplier_id}/push-key", data)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    return html, shown(html, "push-url"), shown(html, "push-key")


def push(web: WebApp, url: str, key: str, event_id: str = "evt-1") -> Any:
    body = json.dumps({"id": event_id, "sent_at": datetime.now(UTC).isoformat(), "event": "changed"}).encode()
    assert url.startswith(APP_URL + "/webhooks/suppliers/")
    return web.client.post(url.removeprefix(APP_URL), data=body, headers={
        "Content-Type": "application/json", "X-Supplier-Event-Id": event_id,
        "X-Supplier-Hmac-Sha256": signature(body, key)})


def push_columns(web: WebApp, supplier_id: int) -> tuple[str | None, str | None]:
    with web.container.uow() as uow:
        row = uow.session.get(Supplier, supplier_id)  # type: ignore[union-attr]
        assert row is not None
        return row.push_token, row.push_secret


# -- made once, shown once -------------------------------------------------------------------------

def test_a_key_made_in_the_app_is_shown_once_with_its_url_and_works_against_the_push_endpoint(
        web, supplier_id) -> None:
    before = page(web, supplier_id)
    assert "Push is <strong>off</strong>" in before and ">Make a push key</button>" in before
    assert "No push received in the last 7 days." in before
    answer = post(web, f"/app/suppliers/{supplier_id}/push-key")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    url, key = shown(html, "push-url"), shown(html, "push-key")
    stored_token, sealed = push_columns(web, supplier_id)
    assert url == f"{APP_URL}/webhooks/suppliers/{stored_token}/push"
    assert sealed and key not in sealed and web.container.box.open_json(sealed)["secret"] == key
    assert html.count(key) == 1  # once, and not in a form or a link
    for words in ("X-Supplier-Event-Id", "X-Supplier-Hmac-Sha256", "base64 HMAC-SHA256", "sent_at",
                  "within 5 minutes", '"event": "changed"', '"rows"', "Suppliers that push"):
        assert words in unescape(html), words

    answer = push(web, url, key)
    assert answer.status_code == 202 and answer.get_json()["status"] == "accepted"

    after = page(web, supplier_id)
    assert key not in after and stored_token not in after
    made_on = datetime.now(UTC).strftime("%Y-%m-%d")
    assert "Push is <strong>on</strong>: a key was made on " + made_on in after
    assert ">Replace the push key</button>" in after and ">Turn push off</button>" in after
    last = re.search(r'data-testid="last-push">(.*?)</dl>', after, re.S)
    assert last and "poll now" in last.group(1) and "waiting for a worker" in last.group(1)

    assert process_supplier_push(answer.get_json()["push_id"]) != "skipped"  # the worker took it
    last = re.search(r'data-testid="last-push">(.*?)</dl>', page(web, supplier_id), re.S)
    assert last and "<dd>done at " in last.group(1)


def test_replacing_the_key_asks_first_and_the_old_key_stops_verifying_at_once(web, supplier_id) -> None:
    _, old_url, old_key = make_key(web, supplier_id)
    sealed = push_columns(web, supplier_id)

    asked = post(web, f"/app/suppliers/{supplier_id}/push-key")  # the button on the supplier page
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'data-testid="push-confirm"' in html
    assert "stop working at once" in html and 'data-testid="push-key"' not in html
    assert push_columns(web, supplier_id) == sealed  # nothing replaced yet
    assert push(web, old_url, old_key, "evt-a").status_code == 202
    replaces = re.search(r'name="replaces" value="([^"]+)"', html)
    assert replaces

    _, new_url, new_key = make_key(web, supplier_id, confirm="replace", replaces=replaces.group(1))
    assert new_key != old_key and new_url != old_url
    assert push(web, old_url, old_key, "evt-b").status_code == 401  # the old URL is gone
    assert push(web, new_url, old_key, "evt-c").status_code == 401  # and the old key signs nothing
    assert push(web, new_url, new_key, "evt-d").status_code == 202

    again = post(web, f"/app/suppliers/{supplier_id}/push-key", {"confirm": "replace",
                                                                 "replaces": replaces.group(1)})
    html = again.get_data(as_text=True)  # the confirmation sent twice (a reload): the new key stays
    assert again.status_code == 200 and "Nothing was changed" in html and 'data-testid="push-key"' not in html
    assert push(web, new_url, new_key, "evt-e").status_code == 202


def test_turning_push_off_removes_the_key_and_url_and_pushes_get_401(web, supplier_id) -> None:
    _, url, key = make_key(web, supplier_id)
    answer = post(web, f"/app/suppliers/{supplier_id}/push-off")
    assert answer.status_code == 303 and "saved=push_off" in answer.headers["Location"]
    assert push_columns(web, supplier_id) == (None, None)
    refused = push(web, url, key)
    assert refused.status_code == 401 and refused.get_json() == {"error": "signature does not verify"}
    html = page(web, supplier_id)
    assert "Push is <strong>off</strong>" in html and ">Make a push key</button>" in html
    assert ">Turn push off</button>" not in html
    _, url, key = make_key(web, supplier_id)  # made again without asking: no key was there to replace
    assert push(web, url, key).status_code == 202


def test_push_forms_without_the_csrf_token_are_refused_and_change_nothing(web, supplier_id) -> None:
    assert post(web, f"/app/suppliers/{supplier_id}/push-key", csrf=False).status_code == 403
    assert push_columns(web, supplier_id) == (None, None)
    _, url, key = make_key(web, supplier_id)
    sealed = push_columns(web, supplier_id)
    for path in ("push-key", "push-off"):
        answer = post(web, f"/app/suppliers/{supplier_id}/{path}", {"confirm": "replace"}, csrf=False)
        assert answer.status_code == 403 and key not in answer.get_data(as_text=True)
        answer = post(web, f"/app/suppliers/{supplier_id}/{path}", {"csrf_token": "forged"}, csrf=False)
        assert answer.status_code == 403
    assert push_columns(web, supplier_id) == sealed
    assert push(web, url, key).status_code == 202


def test_another_shops_supplier_has_no_push_key_to_make_or_remove(web, sim) -> None:
    theirs = add_supplier(web.container.uow(), web.container.box, web.store_id, {
        "name": "Theirs", "kind": "http_json", "settings": {"url": sim.url + "/api/all", **FAST}},
        clients=web.container.supplier_client)
    made = make_push_secret(web.container.uow(), web.container.box, web.store_id, theirs)
    for path in ("push-key", "push-off"):
        answer = post(web, f"/app/suppliers/{theirs}/{path}", {"confirm": "replace"})
        assert answer.status_code == 404 and made.secret not in answer.get_data(as_text=True)
    assert push_columns(web, theirs) == (made.token, push_columns(web, theirs)[1])
    assert push(web, APP_URL + made.path(), made.secret).status_code == 202


@pytest.mark.parametrize("sealed, words", [
    ("old", "a key was made on a date not recorded"),  # made by the CLI before the date was kept
    ("garbage", "cannot be opened with the connector's secret key"),
])
def test_a_key_without_a_date_or_that_does_not_open_is_shown_as_such(web, supplier_id, sealed, words) -> None:
    with web.container.uow() as uow:
        row = uow.session.get(Supplier, supplier_id)  # type: ignore[union-attr]
        row.push_token = "tok-" + sealed
        row.push_secret = web.container.box.seal_json({"secret": "k"}) if sealed == "old" else "not-a-fernet-token"
        uow.commit()
    html = page(web, supplier_id)
    assert words in unescape(html) and ">Replace the push key</button>" in html
    asked = post(web, f"/app/suppliers/{supplier_id}/push-key").get_data(as_text=True)
    stamp = re.search(r'name="replaces" value="([^"]+)"', asked)
    assert stamp
    _, url, key = make_key(web, supplier_id, confirm="replace", replaces=stamp.group(1))
    assert push(web, url, key).status_code == 202


def test_an_inactive_suppliers_page_says_its_pushes_are_refused(web, supplier_id) -> None:
    _, url, key = make_key(web, supplier_id)
    with web.container.uow() as uow:
        uow.session.get(Supplier, supplier_id).status = "paused"  # type: ignore[union-attr]
        uow.commit()
    assert "The supplier is not active, so its pushes are refused" in page(web, supplier_id)
    assert push(web, url, key).status_code == 401


# -- the key is nowhere else -----------------------------------------------------------------------

class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(record.getMessage() + " " + repr(vars(record)) + " " + self.format(record))


def test_the_key_is_in_no_log_no_later_page_and_no_table_in_plain(web, supplier_id) -> None:
    seen = Everything()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(seen)
    try:
        _, url, old_key = make_key(web, supplier_id)
        assert push(web, url, old_key, "evt-1").status_code == 202
        asked = post(web, f"/app/suppliers/{supplier_id}/push-key").get_data(as_text=True)
        stamp = re.search(r'name="replaces" value="([^"]+)"', asked)
        assert stamp
        _, url, key = make_key(web, supplier_id, confirm="replace", replaces=stamp.group(1))
        assert push(web, url, old_key, "evt-2").status_code == 401
        assert push(web, url, key, "evt-3").status_code == 202
        later = [page(web, supplier_id),
                 web.client.get(app_path("/app/suppliers", SHOP, token())).get_data(as_text=True),
                 web.client.get(app_path("/app/settings", SHOP, token())).get_data(as_text=True),
                 web.client.get(app_path("/app/settings/changes", SHOP, token())).get_data(as_text=True)]
    finally:
        root.removeHandler(seen)
        root.setLevel(level)
    assert any("supplier push key made in the app" in text for text in seen.texts)  # the handler saw the flow
    for secret in (old_key, key):
        assert not [text for text in seen.texts if secret in text]
        assert not [html for html in later if secret in html]
        with web.container.uow() as uow:
            for table in Base.metadata.sorted_tables:
                for row in uow.session.execute(select(table)):  # type: ignore[union-attr]
                    assert secret not in repr(tuple(row)), table.name
    with web.container.uow() as uow:
        changes = list(uow.session.scalars(select(ShopSettingChange)))  # type: ignore[union-attr]
    assert not [c for c in changes if "push" in repr(vars(c)).lower()]
