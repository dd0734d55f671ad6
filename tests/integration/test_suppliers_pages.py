"""The Suppliers pages over HTTP (Flask's client, a real database on SQLite and PostgreSQL, the supplier
simulator and an SFTP server on loopback): the list with its last polls, a supplier added and edited
through the form and refused by the CLI's own service with the field named, test connection reading
through the poll's client and storing nothing, the SFTP host key shown and trusted, drop-ship and
purchasing terms, poll now followed to done, and every page scoped to the merchant's shop."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import paramiko
import pytest
from sqlalchemy import func, select

from connector.domain.model import Platform, ShopCredentials
from connector.job_refs import job_ref
from connector.merchant.pages.suppliers import POLL_JOB
from connector.shops import add_shop
from connector.supply.models import StoreSku, Supplier, SupplierChange, SupplierSnapshot, SupplierStock
from connector.supply.suppliers import SnapshotProgress, add_supplier
from sandbox.serve import serve_in_thread
from sandbox.supplier_sim import SupplierSimulator
from tests.support.merchant import API_KEY, app_path, csrf_token, session_token, woo_link
from tests.support.sftp import SftpServer
from tests.support.webapp import SHOP, SHOPIFY_SECRET, WebApp, make_webapp

FAST = {"retry_base_delay": 0.01, "max_attempts": 1, "timeout_seconds": 5}
ITEMS = [{"sku": "TEA-1", "quantity": 4}, {"sku": "TEA-2", "quantity": 0, "restock_date": "2026-12-20"},
         {"sku": "TEA-3", "quantity": "lots"}, {"sku": "TEA-4", "quantity": 1, "restock_date": "soon"},
         {"sku": "TEA-5", "quantity": 2, "lead_time_days": 9}]


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    yield make_webapp(database_url, shopify_api_key=API_KEY, app_url="https://connector.example",
                      shopify_admin_base="http://127.0.0.1:9", http_max_attempts=1)


@pytest.fixture
def sim() -> Iterator[Any]:
    sim = SupplierSimulator({"auth": {"type": "bearer", "token": "sim-token"}, "items": ITEMS})
    server = serve_in_thread(sim.app)
    sim.url = server.url  # type: ignore[attr-defined]
    yield sim
    server.stop()


def token() -> str:
    return session_token(SHOP, SHOPIFY_SECRET, ttl=600)


def get(web: WebApp, path: str, **params: Any) -> tuple[int, str]:
    answer = web.client.get(app_path(path, SHOP, token(), **params))
    return answer.status_code, answer.get_data(as_text=True)


def post(web: WebApp, path: str, data: dict[str, Any]) -> Any:
    first = token()
    html = web.client.get(app_path("/app/suppliers", SHOP, first)).get_data(as_text=True)
    return web.client.post(app_path(path, SHOP, first), data={"csrf_token": csrf_token(html), **data})


def api_form(sim: Any, **changes: Any) -> dict[str, Any]:
    """The add form as a merchant fills it for the simulator's JSON API with a bearer token."""
    return {"name": "Acme Tea", "kind": "http_json", "status": "active", "url": sim.url + "/api/all",
            "pagination": "none", "auth_type": "bearer", "secret_value": "sim-token", "map_sku": "sku",
            "schedule": "interval", "interval_minutes": "30", "handling_days": "1", "transit_days": "2",
            "action": "save", **changes}


def suppliers(web: WebApp) -> list[Supplier]:
    with web.container.uow() as uow:
        rows = list(uow.session.scalars(select(Supplier).order_by(Supplier.id)))  # type: ignore[union-attr]
        uow.session.expunge_all()  # type: ignore[union-attr]
        return rows


def count(web: WebApp, model: Any) -> int:
    with web.container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[union-attr]


def errors(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", e) for e in re.findall(r'<p class="error" id="[^"]+">(.*?)</p>', html)]


def add_api_supplier(web: WebApp, sim: Any, name: str = "Acme Tea", shop_id: int | None = None,
                     **settings: Any) -> int:
    return add_supplier(web.container.uow(), web.container.box, shop_id or web.shop_id, {
        "name": name, "kind": "http_json", "secret": {"token": "sim-token"},
        "settings": {"url": sim.url + "/api/all", "auth": {"type": "bearer"}, **FAST, **settings}},
        clients=web.container.supplier_client)


# -- adding ----------------------------------------------------------------------------------------

def test_a_supplier_added_through_the_form_is_saved_with_its_secret_sealed_and_never_shown(web, sim) -> None:
    answer = post(web, "/app/suppliers/new", api_form(sim, map_quantity="quantity", date_formats="%d/%m/%Y"))
    assert answer.status_code == 303
    [saved] = suppliers(web)
    assert answer.headers["Location"].startswith(f"/app/suppliers/{saved.id}?")
    settings = json.loads(saved.settings)
    assert (saved.name, saved.kind, saved.handling_days, saved.transit_days) == ("Acme Tea", "http_json", 1, 2)
    assert settings["schedule"] == {"interval_minutes": 30}
    assert settings["mapping"] == {"sku": "sku", "quantity": "quantity"}
    assert settings["date_formats"] == ["%d/%m/%Y"]
    assert "sim-token" not in saved.settings and "sim-token" not in (saved.secret or "")
    assert web.container.box.open_json(saved.secret) == {"token": "sim-token"}
    status, html = get(web, f"/app/suppliers/{saved.id}")
    assert status == 200 and "sim-token" not in html
    assert '<strong data-testid="secret-state">set</strong>' in html


def test_the_list_shows_each_supplier_with_its_schedule_failures_and_last_polls(web, sim) -> None:
    from connector.supply.suppliers import poll_supplier

    ok = add_api_supplier(web, sim, schedule={"cron": "15 6 * * 1-5"})
    down = add_api_supplier(web, sim, name="Broken Beans", url="http://127.0.0.1:9/api")
    poll_supplier(web.container.uow(), web.container.box, ok, clients=web.container.supplier_client)
    poll_supplier(web.container.uow(), web.container.box, down, clients=web.container.supplier_client)
    status, html = get(web, "/app/suppliers")
    assert status == 200
    acme = html[html.index("Acme Tea"):html.index("Broken Beans")]
    assert "cron 15 6 * * 1-5" in acme and "polled" in acme and ">5</td>" in acme and ">2</td>" in acme
    broken = html[html.index("Broken Beans"):]
    assert "failing" in broken and "SupplierUnavailable" in broken and "by hand only" in broken
    assert re.search(r'data-testid="failures">1<', broken)


def test_another_shops_suppliers_are_neither_listed_nor_opened_nor_changed(web, sim) -> None:
    other = add_shop(web.container.uow(), web.container.box, Platform.SHOPIFY, "other-shop.myshopify.com",
                     ShopCredentials(access_token="t")).id
    theirs = add_api_supplier(web, sim, name="Their Supplier", shop_id=other)
    status, html = get(web, "/app/suppliers")
    assert status == 200 and "Their Supplier" not in html
    assert get(web, f"/app/suppliers/{theirs}")[0] == 404
    assert post(web, f"/app/suppliers/{theirs}", api_form(sim, name="x")).status_code == 404
    assert post(web, f"/app/suppliers/{theirs}/poll", {}).status_code == 404
    assert post(web, f"/app/suppliers/{theirs}/dropship-terms", {"sku": "A", "dropship": "yes"}).status_code == 404
    assert count(web, SupplierStock) == 0


# -- validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field", "expected"), [
    ({"url": "ftp://supplier.example/stock"}, "url", "API address: must be an http(s) URL"),
    ({"schedule": "cron", "cron": "every morning"}, "cron", "Cron expression:"),
    ({"interval_minutes": "soon"}, "interval_minutes", "Minutes between polls: must be positive"),
    ({"name": ""}, "name", "Name: a supplier needs a name"),
    ({"handling_days": "-2"}, "handling_days", "Handling days: must be a whole number of days"),
    ({"auth_type": "api_key"}, "secret_value", "API key, token or password: is required"),
    ({"map_sku": ""}, "map_sku", "SKU column: must name the SKU column"),
    ({"pagination": "page", "page_size": "ten"}, "page_size", "Page size: must be a whole number above 0"),
], ids=["url", "cron", "interval", "name", "days", "secret", "sku-column", "page-size"])
def test_a_bad_value_is_refused_beside_its_field_and_nothing_is_saved(web, sim, changes, field, expected) -> None:
    form = api_form(sim, **changes)
    if field == "secret_value":
        form["secret_value"] = ""
    answer = post(web, "/app/suppliers/new", form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert any(e.startswith(expected) for e in errors(html)), errors(html)
    assert f'id="f-{field}"' in html and re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', html)
    assert "Nothing was saved" in html
    assert suppliers(web) == []


def test_a_plain_http_address_is_refused_outside_development(database_url, sim) -> None:
    web = make_webapp(database_url, shopify_api_key=API_KEY, allow_private_targets=False)
    answer = post(web, "/app/suppliers/new", api_form(sim))
    assert answer.status_code == 422
    assert any("API address: must be an https:// URL" in e for e in errors(answer.get_data(as_text=True)))
    assert suppliers(web) == []


def test_a_second_supplier_with_the_same_name_is_refused_not_merged(web, sim) -> None:
    first = add_api_supplier(web, sim)
    answer = post(web, "/app/suppliers/new", api_form(sim, url=sim.url + "/api/pages"))
    assert answer.status_code == 422
    assert "has a supplier named 'Acme Tea' already" in unescape(answer.get_data(as_text=True))
    [kept] = suppliers(web)
    assert kept.id == first and json.loads(kept.settings)["url"] == sim.url + "/api/all"


# -- test connection -------------------------------------------------------------------------------

def test_test_connection_shows_the_first_rows_and_the_unreadable_ones_and_stores_nothing(web, sim) -> None:
    answer = post(web, "/app/suppliers/new", api_form(sim, action="test"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    rows = html[html.index('data-testid="sample-rows"'):html.index('data-testid="bad-rows"')]
    assert [sku for sku in ("TEA-1", "TEA-2", "TEA-3", "TEA-4", "TEA-5") if f"<td>{sku}</td>" in rows] == [
        "TEA-1", "TEA-2", "TEA-5"]
    assert "2026-12-20" in rows
    bad = html[html.index('data-testid="bad-rows"'):]
    assert "quantity: not a number: &#39;lots&#39;" in bad
    assert "restock date: unrecognised date &#39;soon&#39;" in bad
    assert "3 readable rows shown of 5 read" in html and "2 could not be read" in html
    assert suppliers(web) == [] and count(web, SupplierSnapshot) == 0 and count(web, SupplierStock) == 0


def test_test_connection_of_a_csv_feed_maps_the_columns_typed_in_the_form(web, sim) -> None:
    answer = post(web, "/app/suppliers/new", api_form(
        sim, kind="feed", source=sim.url + "/feed.csv?delimiter=tab", delimiter="tab", auth_type="bearer",
        map_sku="sku", map_quantity="quantity", map_restock_date="restock_date", action="test"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200, errors(html)
    assert "<td>TEA-1</td>" in html and "line 4" not in html
    assert re.search(r'<td class="num">4</td><td>TEA-3</td>', html) is None  # TEA-3 is unreadable, line 4
    assert "quantity: not a number" in html


def test_test_connection_tells_when_the_supplier_cannot_be_read(web, sim) -> None:
    answer = post(web, "/app/suppliers/new", api_form(sim, secret_value="wrong-token", action="test"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "The supplier could not be read: SupplierRejected" in html and "401" in html
    assert suppliers(web) == []


def test_test_connection_of_an_unsaved_edit_uses_the_stored_secret_and_changes_nothing(web, sim) -> None:
    supplier_id = add_api_supplier(web, sim)
    before = suppliers(web)[0].settings
    answer = post(web, f"/app/suppliers/{supplier_id}", api_form(sim, secret_value="", url=sim.url + "/api/pages",
                                                                items_path="items", pagination="page", page_size="2",
                                                                action="test"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<td>TEA-5</td>" in html
    assert suppliers(web)[0].settings == before


def test_an_sftp_feeds_host_key_is_shown_for_first_use_and_trusted_on_request(web, tmp_path: Path) -> None:
    (tmp_path / "stock.csv").write_text("sku,quantity\nTEA-1,3\nTEA-2,x\n")
    server = SftpServer(tmp_path)
    try:
        form = {"name": "Ftp Teas", "kind": "feed", "source": server.url("/stock.csv"), "auth_type": "none",
                "secret_value": server.password, "map_sku": "sku", "schedule": "none", "action": "save"}
        created = post(web, "/app/suppliers/new", form)
        assert created.status_code == 303, errors(created.get_data(as_text=True))
        [supplier] = suppliers(web)
        key = f"{server.host_key.get_name()} {server.host_key.fingerprint}"
        html = post(web, f"/app/suppliers/{supplier.id}", {**form, "secret_value": "", "action": "test"}
                    ).get_data(as_text=True)
        assert key in html and "Seen for the first time" in html and "<td>TEA-1</td>" in html
        assert suppliers(web)[0].host_key_fingerprint is None  # shown, not stored
        trusted = post(web, f"/app/suppliers/{supplier.id}", {"action": "trust_key",
                                                              "fingerprint": server.host_key.fingerprint})
        assert trusted.status_code == 303
        assert suppliers(web)[0].host_key_fingerprint == server.host_key.fingerprint
        again = post(web, f"/app/suppliers/{supplier.id}", {**form, "secret_value": "", "action": "test"}
                     ).get_data(as_text=True)
        assert "The same key as the one trusted" in again
        server.stop()
        server = SftpServer(tmp_path, port=server.port, host_key=paramiko.RSAKey.generate(2048))
        changed = post(web, f"/app/suppliers/{supplier.id}", {**form, "secret_value": "", "action": "test"}
                       ).get_data(as_text=True)
        assert "HostKeyChanged" in changed and server.auth_attempts == []
    finally:
        server.stop()


# -- editing ---------------------------------------------------------------------------------------

def test_editing_the_mapping_keeps_the_secret_and_the_settings_the_form_does_not_show(web, sim) -> None:
    supplier_id = add_api_supplier(web, sim, dropship={"mode": "email", "email": "desk@acme.example"},
                                   purchasing={"min_order_quantity": 6, "case_pack": 1, "channel": "api",
                                               "sheet_format": "csv"})
    status, html = get(web, f"/app/suppliers/{supplier_id}")
    assert status == 200 and 'value="sku"' in html
    answer = post(web, f"/app/suppliers/{supplier_id}", api_form(
        sim, name="ignored", secret_value="", map_sku="code", map_quantity="stock.available", map_unit_cost="cost"))
    assert answer.status_code == 303, errors(answer.get_data(as_text=True))
    [saved] = suppliers(web)
    settings = json.loads(saved.settings)
    assert saved.name == "Acme Tea"  # not renamed by the form
    assert settings["mapping"] == {"sku": "code", "quantity": "stock.available", "unit_cost": "cost"}
    assert settings["dropship"] == {"mode": "email", "email": "desk@acme.example"}
    assert settings["purchasing"]["min_order_quantity"] == 6
    assert settings["timeout_seconds"] == 5
    assert web.container.box.open_json(saved.secret) == {"token": "sim-token"}


def test_a_new_secret_replaces_the_stored_one_and_removing_it_leaves_none(web, sim) -> None:
    supplier_id = add_api_supplier(web, sim)
    assert post(web, f"/app/suppliers/{supplier_id}", api_form(sim, secret_value="new-token")).status_code == 303
    assert web.container.box.open_json(suppliers(web)[0].secret) == {"token": "new-token"}
    answer = post(web, f"/app/suppliers/{supplier_id}", api_form(sim, secret_value="", auth_type="none",
                                                                clear_secret="1"))
    assert answer.status_code == 303
    assert web.container.box.open_json(suppliers(web)[0].secret) == {}
    assert '<strong data-testid="secret-state">not set</strong>' in get(web, f"/app/suppliers/{supplier_id}")[1]


# -- terms -----------------------------------------------------------------------------------------

def test_drop_ship_terms_are_set_per_sku_and_a_bad_cost_is_refused(web, sim) -> None:
    supplier_id = add_api_supplier(web, sim)
    answer = post(web, f"/app/suppliers/{supplier_id}/dropship-terms", {"sku": "TEA-9", "dropship": "yes",
                                                                        "unit_cost": "4.50"})
    assert answer.status_code == 303
    html = get(web, f"/app/suppliers/{supplier_id}")[1]
    table = html[html.index('data-testid="dropship-terms"'):]
    assert "<td>TEA-9</td><td>yes</td><td class=\"num\">4.50</td>" in table
    refused = post(web, f"/app/suppliers/{supplier_id}/dropship-terms", {"sku": "TEA-9", "unit_cost": "-1"})
    assert refused.status_code == 422
    assert "Drop-ship terms: unit cost must not be negative" in refused.get_data(as_text=True)
    with web.container.uow() as uow:
        row = uow.session.scalar(select(SupplierStock).where(SupplierStock.sku == "TEA-9"))  # type: ignore[union-attr]
        assert (row.dropship, float(row.unit_cost)) == (True, 4.5)


def test_purchasing_terms_are_saved_refused_by_name_and_removed(web, sim) -> None:
    supplier_id = add_api_supplier(web, sim)
    terms = {"min_order_quantity": "12", "case_pack": "6", "min_order_value": "250", "currency": "eur",
             "channel": "email", "email": "orders@acme.example", "sheet_format": "pdf", "action": "save"}
    assert post(web, f"/app/suppliers/{supplier_id}/purchasing-terms", terms).status_code == 303
    stored = json.loads(suppliers(web)[0].settings)["purchasing"]
    assert stored == {"min_order_quantity": 12, "case_pack": 6, "min_order_value": "250", "currency": "EUR",
                      "channel": "email", "email": "orders@acme.example", "sheet_format": "pdf"}
    refused = post(web, f"/app/suppliers/{supplier_id}/purchasing-terms", {**terms, "case_pack": "0"})
    assert refused.status_code == 422
    assert "case_pack must be a whole number of at least 1, got 0" in refused.get_data(as_text=True)
    assert json.loads(suppliers(web)[0].settings)["purchasing"]["case_pack"] == 6
    removed = post(web, f"/app/suppliers/{supplier_id}/purchasing-terms", {"action": "clear"})
    assert removed.status_code == 303 and "purchasing" not in json.loads(suppliers(web)[0].settings)


# -- poll now --------------------------------------------------------------------------------------

def test_the_poll_job_reference_is_the_jobs_own() -> None:
    from jobs import supply

    assert job_ref(supply.poll_supplier) == POLL_JOB


def test_poll_now_records_a_run_and_its_progress_reaches_done_with_the_rows_counted(web, sim) -> None:
    from connector.db.models_jobs import JobRun
    from jobs import supply

    supplier_id = add_api_supplier(web, sim)
    with web.container.uow() as uow:  # the catalogue was read (a first poll would read it first)
        for item in ITEMS:
            uow.session.add(StoreSku(shop_id=web.shop_id, sku=item["sku"], product_id="1", variant_id="11"))
        uow.commit()
    answer = post(web, f"/app/suppliers/{supplier_id}/poll", {})
    assert answer.status_code == 303
    location = answer.headers["Location"]
    run_id = int(re.search(r"/polls/(\d+)\?", location).group(1))  # type: ignore[union-attr]
    with web.container.uow() as uow:
        run = uow.session.get(JobRun, run_id)  # type: ignore[union-attr]
        assert (run.job, run.args, run.shop_id, run.status) == (POLL_JOB, [supplier_id], web.shop_id, "pending")
    again = post(web, f"/app/suppliers/{supplier_id}/poll", {})  # not started yet: joins the same run
    assert f"/polls/{run_id}?" in again.headers["Location"]
    progress = f"/app/suppliers/{supplier_id}/polls/{run_id}/progress"
    state = web.client.get(app_path(progress, SHOP, token(), after=0), headers={"Accept": "application/json"}).json
    assert (state["state"], state["done"], state["poll"]) == ("queued", False, None)
    supply.poll_supplier(supplier_id)  # what the worker does with the run
    state = web.client.get(app_path(progress, SHOP, token(), after=0)).json
    assert (state["state"], state["done"]) == ("done", True)
    assert (state["poll"]["status"], state["poll"]["rows_total"], state["poll"]["rows_bad"]) == ("ok", 5, 2)
    status, html = get(web, f"/app/suppliers/{supplier_id}/polls/{run_id}", after=0)
    assert status == 200 and "Done: 5 rows read, 2 unreadable, 3 changed." in html
    assert "progress.js" in html and "Reload to see the progress" in html


def test_progress_of_another_shops_run_is_not_shown(web, sim) -> None:
    supplier_id = add_api_supplier(web, sim)
    link = woo_link(web.container, web.store_id)
    woo = web.app.test_client()
    assert woo.get(link.removeprefix("https://connector.example")).status_code == 303
    assert woo.get(f"/app/suppliers/{supplier_id}/polls/1/progress").status_code == 404


def test_a_running_poll_shows_the_rows_read_so_far_on_postgresql(web, sim, database_url) -> None:
    supplier_id = add_api_supplier(web, sim)
    uow = web.container.uow()
    with uow:
        snapshot = SupplierSnapshot(shop_id=web.shop_id, supplier_id=supplier_id, status="running")
        uow.session.add(snapshot)  # type: ignore[union-attr]
        uow.commit()
        snapshot_id = snapshot.id
    if not SnapshotProgress.possible(uow):
        assert database_url.startswith("sqlite")  # one writer at a time: the poll holds it
        return
    poll = web.container.uow()
    with poll:  # the poll's own open transaction, holding rows that point at its snapshot (a key-share lock)
        poll.session.add_all([  # type: ignore[union-attr]
            SupplierStock(shop_id=web.shop_id, supplier_id=supplier_id, sku="X", quantity=1),
            SupplierChange(shop_id=web.shop_id, supplier_id=supplier_id, snapshot_id=snapshot_id, sku="X",
                           quantity=1)])
        poll.session.flush()  # type: ignore[union-attr]
        SnapshotProgress(uow.fresh(), snapshot_id, every=0)(1234)
        state = web.client.get(app_path(f"/app/suppliers/{supplier_id}/polls/0/progress", SHOP, token(),
                                        after=snapshot_id - 1)).json
        assert (state["state"], state["poll"]["rows_total"]) == ("running", 1234)
        assert "1,234 rows so far" in state["text"]
