"""Product-page dates on the Shopify and WooCommerce simulators: catalogue mirror, metafieldsSet in
25s, WooCommerce batches of 100, only changed dates written, removed dates deleted, backorder toggle."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select

from adapters.shopify.catalog import ShopifyCatalog
from adapters.shopify.client import ShopifyGraphQL
from adapters.woocommerce.catalog import META_KEY, WooCommerceCatalog
from adapters.woocommerce.client import WooCommerceClient
from connector import shop_settings
from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.catalog import sync_catalog
from connector.supply.dates import refresh_dates
from connector.supply.models import SkuEta, SupplierStock
from connector.supply.publish import publish_dates
from connector.supply.repository import SupplyRepository
from sandbox.runner import start_sandbox

FRIDAY = date(2026, 11, 27)
SHOP, TOKEN = "dates.myshopify.com", "shpat_dates"
STORE, KEY, SECRET = "https://dates-woo.example", "ck_dates", "cs_dates"
N = 30
WOO_N = 120


def seed() -> dict:
    return {
        "shopify": {"api_secret": "s", "api_version": "2026-04", "shops": [{
            "domain": SHOP, "access_token": TOKEN,
            "products": [{"title": f"Product {p}", "variants": [
                {"sku": f"S-{p:02d}-{v}", "price": "5.00", "inventory_quantity": 0, "inventory_policy": "DENY"}
                for v in range(3)]} for p in range(N // 3)]}]},
        "woocommerce": {"stores": [{
            "store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET, "webhook_secret": "w",
            "webhook_id": 1,
            "products": [{"name": f"Tea {n}", "sku": f"W-{n:03d}", "price": "3.00", "manage_stock": True,
                          "stock_quantity": 0, "backorders": "no"} for n in range(WOO_N)]
            + [{"name": "Hoodie", "type": "variable", "variations": [
                {"sku": "W-HOOD-M", "price": "30", "manage_stock": True, "stock_quantity": 0, "backorders": "no",
                 "attributes": [{"name": "Size", "option": "M"}]}]}]}]},
    }


@pytest.fixture
def world(database_url, tmp_path):
    sandbox = start_sandbox(seed())
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    shop = add_shop(uow, box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token=TOKEN)).id
    store = add_shop(uow, box, Platform.WOOCOMMERCE, STORE, ShopCredentials(consumer_key=KEY,
                                                                             consumer_secret=SECRET)).id
    feed = tmp_path / "feed.csv"
    rows = [f"S-{p:02d}-{v},0,2026-12-{1 + p:02d}" for p in range(N // 3) for v in range(3)]
    rows += [f"W-{n:03d},0,2026-12-15" for n in range(WOO_N)] + ["W-HOOD-M,0,2026-12-18"]
    feed.write_text("sku,quantity,restock_date\n" + "\n".join(rows) + "\n")
    for shop_id in (shop, store):
        supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": "feed", "kind": "feed",
                                                                 "settings": {"source": str(feed)}},
                                             clients=supplier_client)
        assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
    shopify = ShopifyCatalog(ShopifyGraphQL(SHOP, TOKEN, api_base=sandbox.shopify_url))
    woo = WooCommerceCatalog(WooCommerceClient(STORE, KEY, SECRET, api_base=sandbox.woocommerce_url))
    yield {"sandbox": sandbox, "uow": uow, "box": box, "shop": shop, "store": store, "shopify": shopify,
           "woo": woo, "feed": feed}
    sandbox.stop()
    engine.dispose()


def shopify_dates(world) -> dict[str, str]:
    shop = world["sandbox"].shopify.shop(SHOP)
    return {sku: v.metafields[("app--sim", "in_stock_date")]["value"] for sku, v in shop.variants.items()
            if ("app--sim", "in_stock_date") in v.metafields}


def woo_dates(world) -> dict[str, str]:
    state = world["sandbox"].woocommerce.stores[STORE]
    items = list(state.products.values()) + list(state.variations.values())
    return {i["sku"]: m["value"] for i in items for m in i.get("meta_data", []) if m["key"] == META_KEY}


def prepare(world, shop_key: str, catalog_key: str) -> None:
    uow, shop_id = world["uow"], world[shop_key]
    sync_catalog(uow, world[catalog_key], shop_id)
    refresh_dates(uow, shop_id, today=FRIDAY)


def test_shopify_dates_go_out_in_batches_of_25_and_only_once(world) -> None:
    prepare(world, "shop", "shopify")
    calls_before = world["shopify"].calls
    report = publish_dates(world["uow"], world["shopify"], world["shop"])
    assert (report.written, report.batches, report.failed) == (N, 2, 0)
    assert world["shopify"].calls - calls_before == 2
    assert shopify_dates(world)["S-03-1"] == "2026-12-04"
    rerun = publish_dates(world["uow"], world["shopify"], world["shop"])
    assert (rerun.written, rerun.batches) == (0, 0)


def test_a_changed_date_is_rewritten_and_a_gone_date_is_removed_on_shopify(world) -> None:
    prepare(world, "shop", "shopify")
    publish_dates(world["uow"], world["shopify"], world["shop"])
    world["sandbox"].shopify.shop(SHOP).variant("S-00-0").inventory_quantity = 5  # back in stock at the store
    text = world["feed"].read_text().replace("S-01-1,0,2026-12-02", "S-01-1,0,2026-12-24")
    world["feed"].write_text(text)
    with world["uow"] as uow:
        supplier_id = uow.repo(SupplyRepository).suppliers(world["shop"])[0].id
    suppliers.poll_supplier(world["uow"], world["box"], supplier_id, clients=supplier_client)
    prepare(world, "shop", "shopify")
    report = publish_dates(world["uow"], world["shopify"], world["shop"])
    assert (report.written, report.removed, report.batches) == (1, 1, 1)
    dates = shopify_dates(world)
    assert "S-00-0" not in dates and dates["S-01-1"] == "2026-12-24"


def test_a_page_changed_in_the_store_is_put_right_by_the_next_sync(world) -> None:
    prepare(world, "shop", "shopify")
    publish_dates(world["uow"], world["shopify"], world["shop"])
    del world["sandbox"].shopify.shop(SHOP).variant("S-02-2").metafields[("app--sim", "in_stock_date")]
    prepare(world, "shop", "shopify")
    assert publish_dates(world["uow"], world["shopify"], world["shop"]).written == 1
    assert shopify_dates(world)["S-02-2"] == "2026-12-03"


def test_backorders_switch_on_where_a_supplier_date_exists_and_off_where_none(world) -> None:
    shop_settings.set_setting(world["uow"], world["shop"], "publish.toggle_backorders", True)
    with world["uow"] as uow:  # a SKU no supplier lists is the merchant's business: never switched
        uow.session.execute(delete(SupplierStock).where(SupplierStock.sku == "S-09-2"))
        uow.commit()
    prepare(world, "shop", "shopify")
    report = publish_dates(world["uow"], world["shopify"], world["shop"])
    assert report.switched == N - 1
    variants = world["sandbox"].shopify.shop(SHOP).variants
    assert {v.inventory_policy for sku, v in variants.items() if sku != "S-09-2"} == {"CONTINUE"}
    assert variants["S-09-2"].inventory_policy == "DENY"
    world["feed"].write_text("sku,quantity,restock_date\nS-00-0,0,\n")
    with world["uow"] as uow:
        supplier_id = uow.repo(SupplyRepository).suppliers(world["shop"])[0].id
    suppliers.poll_supplier(world["uow"], world["box"], supplier_id, clients=supplier_client)
    prepare(world, "shop", "shopify")
    again = publish_dates(world["uow"], world["shopify"], world["shop"])
    assert (again.removed, again.switched) == (1, 1)
    assert variants["S-00-0"].inventory_policy == "DENY"


def test_woocommerce_dates_go_out_through_batches_of_at_most_100(world) -> None:
    prepare(world, "store", "woo")
    report = publish_dates(world["uow"], world["woo"], world["store"])
    assert (report.written, report.batches, report.failed) == (WOO_N + 1, 2, 0)
    dates = woo_dates(world)
    assert dates["W-007"] == "2026-12-15" and dates["W-HOOD-M"] == "2026-12-18"
    assert publish_dates(world["uow"], world["woo"], world["store"]).batches == 0
    with world["uow"] as uow:
        published = {r.sku: r.published_date for r in uow.session.scalars(select(SkuEta))}
    assert published["W-HOOD-M"] == date(2026, 12, 18)


def test_woocommerce_removes_a_gone_date_and_toggles_backorders(world) -> None:
    shop_settings.set_setting(world["uow"], world["store"], "publish.toggle_backorders", True)
    prepare(world, "store", "woo")
    publish_dates(world["uow"], world["woo"], world["store"])
    state = world["sandbox"].woocommerce.stores[STORE]
    product = next(p for p in state.products.values() if p["sku"] == "W-001")
    assert product["backorders"] == "notify"
    product["stock_quantity"] = 8
    prepare(world, "store", "woo")
    report = publish_dates(world["uow"], world["woo"], world["store"])
    assert report.removed == 1
    assert "W-001" not in woo_dates(world)
