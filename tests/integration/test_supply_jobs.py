"""Supply jobs hand work on through the queue: poll -> refresh -> publish and the notify feature."""

from __future__ import annotations

import importlib.util

from sqlalchemy import func, select

from connector.supply.models import StoreSku, SupplierSnapshot, SupplierStock
from connector.supply.suppliers import add_supplier
from jobs import supply
from tests.support.webapp import make_webapp


def last_snapshot(web) -> int:
    with web.container.uow() as uow:
        return uow.session.scalar(select(func.max(SupplierSnapshot.id)))


def test_a_poll_that_changed_stock_queues_a_refresh_which_queues_publishing_and_notify(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/j.db")
    try:
        c = web.container
        feed = tmp_path / "feed.csv"
        feed.write_text("sku,quantity,restock_date\nSKU-1,0,2030-01-10\n")
        with c.uow() as uow:
            uow.session.add(StoreSku(shop_id=web.shop_id, sku="SKU-1", product_id="1", variant_id="11", available=0))
            uow.commit()
        supplier_id = add_supplier(c.uow(), c.box, web.shop_id, {"name": "f", "kind": "feed",
                                                                 "settings": {"source": str(feed)}},
                                   clients=c.supplier_client)
        assert supply.poll_supplier(supplier_id) == "ok"  # the dates of the SKUs this poll changed
        assert [(job, args) for job, args, _ in web.queue.jobs] == [(supply.REFRESH_DATES,
                                                                     (web.shop_id, last_snapshot(web)))]
        web.queue.jobs.clear()
        assert supply.refresh_dates(web.shop_id, last_snapshot(web)) == 1
        queued = [job for job, _, _ in web.queue.jobs]
        assert supply.PUBLISH_DATES in queued
        assert (supply.NOTIFY_EVALUATE in queued) == (importlib.util.find_spec("jobs.notify") is not None)
        web.queue.jobs.clear()
        assert supply.poll_supplier(supplier_id) == "unchanged" and web.queue.jobs == []
        assert supply.refresh_dates(web.shop_id) == 0 and web.queue.jobs == []
    finally:
        web.container.close()


def test_a_first_poll_reads_the_catalogue_first_and_is_postponed_while_the_store_cannot_be_read(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/j.db")  # its shop's store does not answer
    try:
        c = web.container
        feed = tmp_path / "feed.csv"
        feed.write_text("sku,quantity,restock_date\nSKU-1,0,2030-01-10\nSKU-2,4,\n")
        supplier_id = add_supplier(c.uow(), c.box, web.shop_id, {"name": "f", "kind": "feed",
                                                                 "settings": {"source": str(feed)}},
                                   clients=c.supplier_client)
        assert supply.poll_supplier(supplier_id) == "postponed"  # nothing stored, nothing queued
        assert web.queue.jobs == []
        with c.uow() as uow:
            assert uow.session.query(SupplierStock).count() == 0
            uow.session.add(StoreSku(shop_id=web.shop_id, sku="SKU-1", product_id="1", variant_id="11", available=0))
            uow.commit()
        assert supply.poll_supplier(supplier_id) == "ok"  # the catalogue is known now: only SKU-1 stored
        assert [(job, args) for job, args, _ in web.queue.jobs] == [(supply.REFRESH_DATES,
                                                                     (web.shop_id, last_snapshot(web)))]
        with c.uow() as uow:
            assert [row.sku for row in uow.session.query(SupplierStock)] == ["SKU-1"]
    finally:
        web.container.close()


def test_without_the_notify_module_dates_still_publish_and_nothing_is_queued_for_it(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "jobs.notify" else real(name, *a))
    web = make_webapp(f"sqlite:///{tmp_path}/j.db")
    try:
        with web.container.uow() as uow:
            uow.session.add(StoreSku(shop_id=web.shop_id, sku="SKU-2", product_id="2", variant_id="22", available=3))
            uow.commit()
        assert supply.refresh_dates(web.shop_id) == 1
        assert [job for job, _, _ in web.queue.jobs] == [supply.PUBLISH_DATES]
    finally:
        web.container.close()
