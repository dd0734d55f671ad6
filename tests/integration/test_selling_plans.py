"""The pre-order selling plan group on the Shopify simulator, over HTTP: created once and attached to the
variants sold on backorder, detached when they are back in stock, updated when the settings change,
recreated after the merchant deletes it, found again after a lost create answer, deleted when the route
is turned off; the store's userErrors come back as PlatformRejected."""

from __future__ import annotations

import json
import threading
from datetime import date

import pytest

from adapters.shopify.catalog import ShopifyCatalog
from adapters.shopify.client import ShopifyGraphQL
from adapters.shopify.selling_plans import ShopifySellingPlans
from connector import shop_settings
from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.errors import PlatformRejected
from connector.domain.model import Platform, ShopCredentials
from connector.domain.selling_plans import plan_spec
from connector.domain.shopify_access import AccessDenied
from connector.payments.plan_repository import PlanRepository
from connector.payments.selling_plans import plan_view, shop_needs_sync, shops_to_sync, sync_plans
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.catalog import sync_catalog
from connector.supply.dates import refresh_dates
from sandbox.runner import start_sandbox
from sandbox.shopify_sim import ext_selling_plans as sim_plans

FRIDAY = date(2026, 11, 27)
SHOP, TOKEN = "plans.myshopify.com", "shpat_plans"
VARIANTS = [  # sku, stock, policy, supplier restock date
    ("MUG-RED", 0, "CONTINUE", "2026-12-10"),
    ("MUG-BLUE", 0, "CONTINUE", "2026-12-12"),
    ("MUG-GREEN", 0, "DENY", "2026-12-12"),   # not sold when out of stock: no plan
    ("MUG-GOLD", 0, "CONTINUE", ""),          # no date known: no plan
    ("MUG-WHITE", 9, "CONTINUE", "2026-12-20"),  # in stock at the store: no date on its page, no plan
]


def seed(scopes: str | None = None) -> dict:
    shop = {"domain": SHOP, "access_token": TOKEN, "products": [{"title": "Mug", "variants": [
        {"sku": sku, "price": "12.00", "inventory_quantity": stock, "inventory_policy": policy}
        for sku, stock, policy, _ in VARIANTS]}]}
    if scopes is not None:
        shop["scopes"] = scopes
    return {"shopify": {"api_secret": "s", "api_version": "2026-04", "shops": [shop]}}


def start(database_url, tmp_path, scopes: str | None = None) -> dict:
    sandbox = start_sandbox(seed(scopes), restore_rate=2000.0)  # throttling is tested elsewhere
    engine = make_engine(database_url)
    upgrade(engine)
    key = generate_key()
    uow, box = UnitOfWork(engine), CredentialBox(key)
    shop = add_shop(uow, box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token=TOKEN),
                    api_base=sandbox.shopify_url).id
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,quantity,restock_date\n" + "".join(f"{sku},0,{day}\n" for sku, _, _, day in VARIANTS))
    supplier = suppliers.add_supplier(uow, box, shop, {"name": "feed", "kind": "feed",
                                                       "settings": {"source": str(feed)}}, clients=supplier_client)
    assert suppliers.poll_supplier(uow, box, supplier, clients=supplier_client).status == "ok"
    client = ShopifyGraphQL(SHOP, TOKEN, api_base=sandbox.shopify_url)
    world = {"sandbox": sandbox, "engine": engine, "uow": uow, "shop": shop, "catalog": ShopifyCatalog(client),
             "env": {"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_CONFIG": "",
                     "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"},
             "plans": ShopifySellingPlans(client), "sim": sandbox.shopify}
    refresh(world)
    shop_settings.set_setting(uow, shop, "payments.route", "selling_plan")
    return world


@pytest.fixture
def world(database_url, tmp_path):
    w = start(database_url, tmp_path)
    yield w
    w["sandbox"].stop()
    w["engine"].dispose()


def refresh(world) -> None:
    """What the supply jobs do before the plans are synced: read the catalogue, recompute the dates."""
    sync_catalog(world["uow"], world["catalog"], world["shop"])
    refresh_dates(world["uow"], world["shop"], today=FRIDAY)


def groups(world) -> list[dict]:
    return sim_plans.groups(world["sim"], SHOP)


def sync(world):
    return sync_plans(world["uow"], world["plans"], world["shop"])


def test_the_group_is_created_once_with_the_variants_sold_on_backorder(world) -> None:
    report = sync(world)
    assert report.created and not report.updated
    [group] = groups(world)
    assert group["skus"] == ["MUG-BLUE", "MUG-RED"]
    assert group["merchant_code"] == "backorder-connector-preorder" and report.group_id == group["id"]
    [plan] = group["plans"]
    assert plan["category"] == "PRE_ORDER"
    assert plan["billingPolicy"] == {"fixed": {
        "remainingBalanceChargeTrigger": "ON_FULFILLMENT",
        "checkoutCharge": {"type": "PERCENTAGE", "value": {"percentage": 0.0}}}}
    assert plan["deliveryPolicy"] == {"fixed": {"fulfillmentTrigger": "UNKNOWN"}}
    assert plan["inventoryPolicy"] == {"reserve": "ON_SALE"}
    view = plan_view(world["uow"], world["shop"])
    assert (view.group_id, view.plan_id) == (group["id"], plan["id"])
    assert [v["sku"] for v in view.variants] == ["MUG-RED", "MUG-BLUE"]


def test_a_rerun_changes_nothing_and_makes_no_second_group(world) -> None:
    sync(world)
    again = sync(world)
    assert not (again.created or again.recreated or again.updated or again.added or again.removed)
    assert len(groups(world)) == 1


def test_a_variant_back_in_stock_is_detached_and_a_new_backorder_variant_attached(world) -> None:
    sync(world)
    world["sim"].set_stock(SHOP, "MUG-RED", 4)
    world["sim"].shop(SHOP).variant("MUG-GREEN").inventory_policy = "CONTINUE"
    refresh(world)
    report = sync(world)
    [group] = groups(world)
    assert group["skus"] == ["MUG-BLUE", "MUG-GREEN"]
    assert len(report.added) == 1 and len(report.removed) == 1 and not report.updated
    assert sorted(v["sku"] for v in plan_view(world["uow"], world["shop"]).variants) == ["MUG-BLUE", "MUG-GREEN"]


def test_a_changed_deposit_or_trigger_updates_the_plan_in_place(world) -> None:
    sync(world)
    [before] = groups(world)
    shop_settings.set_setting(world["uow"], world["shop"], "payments.deposit_percent", 20)
    assert sync(world).updated
    shop_settings.set_setting(world["uow"], world["shop"], "payments.balance_trigger", "backstop")
    shop_settings.set_setting(world["uow"], world["shop"], "payments.backstop_days", 14)
    assert sync(world).updated
    [after] = groups(world)
    assert after["id"] == before["id"] and after["plans"][0]["id"] == before["plans"][0]["id"]
    assert after["plans"][0]["billingPolicy"]["fixed"] == {
        "remainingBalanceChargeTrigger": "TIME_AFTER_CHECKOUT", "remainingBalanceChargeTimeAfterCheckout": "P14D",
        "checkoutCharge": {"type": "PERCENTAGE", "value": {"percentage": 20.0}}}
    assert after["plans"][0]["name"].startswith("Pre-order: 20% deposit now")
    assert not sync(world).updated


def test_a_group_the_merchant_deleted_is_recreated_with_its_variants(world) -> None:
    first = sync(world)
    sim_plans.delete_in_admin(world["sim"], SHOP, first.group_id)
    assert groups(world) == []
    report = sync(world)
    assert report.recreated and not report.created
    [group] = groups(world)
    assert group["id"] != first.group_id and group["skus"] == ["MUG-BLUE", "MUG-RED"]
    with world["uow"] as uow:
        assert uow.repo(PlanRepository).group(world["shop"]).group_id == group["id"]


def test_a_group_created_whose_answer_was_lost_is_found_not_made_twice(world) -> None:
    spec, _ = plan_spec(shop_settings.all_settings(world["uow"], world["shop"]))
    made = world["plans"].create(spec, [])  # landed in the store; the connector never stored its id
    report = sync(world)
    assert report.adopted and not report.created and report.group_id == made.group_id
    [group] = groups(world)
    assert group["skus"] == ["MUG-BLUE", "MUG-RED"]
    assert not sync(world).updated


def test_turning_the_route_off_deletes_the_group(world) -> None:
    sync(world)
    shop_settings.set_setting(world["uow"], world["shop"], "payments.route", "none")
    assert sync(world).deleted
    assert groups(world) == [] and plan_view(world["uow"], world["shop"]).group_id is None
    assert not sync(world).deleted


def test_a_shop_needs_a_sync_on_the_route_or_while_its_group_is_left_in_the_store(world) -> None:
    uow, shop = world["uow"], world["shop"]

    def needs() -> bool:  # the one-shop answer (asked after every change of dates) agrees with the list
        assert shop_needs_sync(uow, shop) == (shop in shops_to_sync(uow))
        return shop_needs_sync(uow, shop)

    assert needs()  # the route is selling_plan, no group yet
    sync(world)
    shop_settings.set_setting(uow, shop, "payments.route", "none")
    assert needs()  # off, but the group is still in the store: the next sync deletes it
    sync(world)
    assert not needs()
    shop_settings.set_setting(uow, shop, "payments.route", "selling_plan")
    with uow:
        uow.shops.get(shop).status = "uninstalled"
        uow.commit()
    assert not needs() and not shop_needs_sync(uow, shop + 1000)  # inactive, or no such shop


def test_the_store_refusing_an_unknown_variant_is_a_rejection_recorded_on_the_group(world) -> None:
    report = sync(world)
    with pytest.raises(PlatformRejected, match="Product variant does not exist"):
        world["plans"].add_variants(report.group_id, ["999"])
    del world["sim"].shop(SHOP).variants["MUG-RED"]  # gone from the store, still in the connector's catalogue
    sim_plans.delete_in_admin(world["sim"], SHOP, report.group_id)
    with pytest.raises(PlatformRejected, match="Product variant does not exist"):
        sync(world)
    assert groups(world) == []  # refused as a whole: nothing half made
    assert "Product variant does not exist" in (plan_view(world["uow"], world["shop"]).last_error or "")


def test_a_shop_that_did_not_grant_purchase_options_is_refused_by_shopify(database_url, tmp_path) -> None:
    w = start(database_url, tmp_path, scopes="write_orders,write_products,read_inventory")
    try:
        with pytest.raises(AccessDenied):
            sync(w)
    finally:
        w["sandbox"].stop()
        w["engine"].dispose()


def test_the_command_line_syncs_the_group_and_shows_it(world) -> None:
    from click.testing import CliRunner

    from connector.cli import main

    runner = CliRunner()
    synced = runner.invoke(main, ["payments", "plans-sync", "--shop", SHOP], env=world["env"])
    assert synced.exit_code == 0, synced.output
    assert "(created)" in synced.output and "variants added 2, removed 0" in synced.output
    assert "ON_FULFILLMENT" in synced.output
    shown = runner.invoke(main, ["payments", "plans", "--shop", SHOP, "--json"], env=world["env"])
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.output)
    [group] = groups(world)
    assert view["route"] == "selling_plan" and view["group_id"] == group["id"]
    assert sorted(v["sku"] for v in view["variants"]) == ["MUG-BLUE", "MUG-RED"]
    assert view["settings"]["balance_trigger"] == "ON_FULFILLMENT"
    table = runner.invoke(main, ["payments", "plans", "--shop", SHOP], env=world["env"])
    assert table.exit_code == 0 and "MUG-RED" in table.output and group["id"] in table.output


def test_an_order_bought_under_the_plan_names_it_and_carries_a_mandate_and_terms(world) -> None:
    from adapters.shopify.client import ShopifyGraphQL
    from adapters.shopify.payments import ShopifyPayments
    from connector.payments.selling_plans import order_sold_under_plan, sold_under_plan

    shop_settings.set_setting(world["uow"], world["shop"], "payments.deposit_percent", 25)
    sync(world)
    [group] = groups(world)
    plan_id = group["plans"][0]["id"]
    body = sim_plans.place_preorder(world["sim"], SHOP, [{"sku": "MUG-RED", "quantity": 2},
                                                         {"sku": "MUG-WHITE", "quantity": 1}])
    red, white = body["line_items"]
    assert red["selling_plan_allocation"]["selling_plan"]["id"] == int(plan_id.rsplit("/", 1)[-1])
    assert white["selling_plan_allocation"] is None
    assert sold_under_plan(world["uow"], world["shop"],
                           {f"gid://shopify/SellingPlan/{red['selling_plan_allocation']['selling_plan']['id']}"})
    assert order_sold_under_plan(world["uow"], world["plans"], world["shop"], str(body["id"])) == {
        str(red["id"]): plan_id}
    facts = ShopifyPayments(ShopifyGraphQL(SHOP, TOKEN, api_base=world["sandbox"].shopify_url)).facts(str(body["id"]))
    # paid at checkout: the white mug in full (12.00) and a 25% deposit on two red ones (6.00); 18.00 left on the card
    assert facts.payment_terms_type == "FULFILLMENT" and facts.mandate_ids
    assert facts.outstanding == facts.total - 18


def test_an_order_bought_without_a_plan_has_no_line_under_the_connector_s_plan(world) -> None:
    from connector.payments.selling_plans import order_sold_under_plan

    sync(world)
    plain = world["sim"].create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 1}], deliver_webhook=False)
    assert order_sold_under_plan(world["uow"], world["plans"], world["shop"], str(plain["id"])) == {}
    with pytest.raises(PlatformRejected, match="not found"):
        world["plans"].order_selling_plans("999")


def test_turning_the_selling_plan_route_on_needs_write_purchase_options(database_url) -> None:
    from connector.domain.shopify_access import MissingScopes
    from connector.install.scopes import check_before_setting
    from sandbox.stack import start_stack

    narrow = {"domain": SHOP, "access_token": TOKEN, "scopes": ["write_orders", "write_products", "read_inventory"],
              "products": [{"title": "Mug", "variants": [{"sku": "MUG", "price": "12.00", "inventory_quantity": 0,
                                                          "inventory_policy": "CONTINUE"}]}]}
    seed_ = {"shopify": {"api_secret": "s", "api_version": "2026-04", "shops": [narrow]}}
    with start_stack(database_url=database_url, worker_threads=0, seed=seed_) as stack:
        shop_id = stack.shops[SHOP].id
        with pytest.raises(MissingScopes) as caught:
            check_before_setting(stack.container, shop_id, "payments.route", "selling_plan")
        # the plan itself, and the balances it defers, charged on shipment (the payments feature: the route is
        # the one switch of payment on shipment)
        assert set(caught.value.missing) == {"write_purchase_options", "write_payment_mandate",
                                             "write_merchant_managed_fulfillment_orders"}
        assert "selling_plans" in str(caught.value) and "payments" in str(caught.value)
        assert check_before_setting(stack.container, shop_id, "payments.deposit_percent", 20) == []


class MeetAfterFind:
    """The store port, except that ``find`` waits (up to a second) for the other sync to have looked too:
    without the shop's lock both would find nothing and both create a group."""

    def __init__(self, inner: ShopifySellingPlans, meeting) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.meeting = inner, meeting

    def find(self, merchant_code: str):  # type: ignore[no-untyped-def]
        found = self.inner.find(merchant_code)
        try:
            self.meeting.wait(timeout=1.0)
        except threading.BrokenBarrierError:  # the other sync never came (it waits for the lock): go on
            pass
        return found

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


def test_two_syncs_at_once_make_one_group(world) -> None:
    from adapters.shopify.client import ShopifyGraphQL

    meeting = threading.Barrier(2)
    reports: list = []

    def run() -> None:
        plans = ShopifySellingPlans(ShopifyGraphQL(SHOP, TOKEN, api_base=world["sandbox"].shopify_url))
        uow = world["uow"].fresh()  # the same process's shop locks; PostgreSQL's advisory lock across processes
        reports.append(sync_plans(uow, MeetAfterFind(plans, meeting), world["shop"]))  # type: ignore[arg-type]

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(groups(world)) == 1
    assert sorted(r.created for r in reports) == [False, True]
