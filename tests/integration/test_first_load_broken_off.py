"""A first load whose feed breaks off after some of its rows were sent (on PostgreSQL into the COPY
kept open across chunks, on SQLite by the writing thread) stores nothing, leaves the connection usable
for recording the failure, and the next poll of the whole feed stores every sold SKU."""

from __future__ import annotations

from sqlalchemy import func, select

from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.feed_repository import FeedRepository
from connector.supply.models import StoreSku, SupplierStock

HEADER = "sku,quantity,restock_date,lead_time_days\n"


def test_a_first_load_broken_off_half_way_stores_nothing_and_the_next_poll_stores_everything(database_url, tmp_path):
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    try:
        shop_id = add_shop(uow, box, Platform.SHOPIFY, "cut.myshopify.com", ShopCredentials(access_token="t")).id
        rows = 3 * max(FeedRepository.CHUNK_ROWS.values())
        lines = [f"K-{n:06d},{n % 9},{'' if n % 3 else '2027-01-05'},{n % 5}" for n in range(rows)]
        with uow:
            uow.session.add_all([StoreSku(shop_id=shop_id, sku=f"K-{n:06d}", product_id="p", variant_id="v")
                                 for n in range(0, rows, 2)])
            uow.commit()
        feed = tmp_path / "feed.csv"
        # bytes that are not UTF-8 after two thirds of the lines: the read fails there
        feed.write_bytes((HEADER + "\n".join(lines[: 2 * rows // 3]) + "\n").encode() + b"K-\xff\xfe,1,,1\n"
                         + ("\n".join(lines[2 * rows // 3:]) + "\n").encode())
        supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": "cut", "kind": "feed",
                                                                 "settings": {"source": str(feed)}},
                                             clients=supplier_client)
        broken = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
        assert broken.status == "failed" and "utf-8" in (broken.error or "")

        def stored() -> int:
            with uow:
                return int(uow.session.scalar(select(func.count()).select_from(SupplierStock)
                                              .where(SupplierStock.supplier_id == supplier_id)) or 0)

        assert stored() == 0
        feed.write_text(HEADER + "\n".join(lines) + "\n")
        report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
        assert (report.status, report.rows_changed) == ("ok", rows // 2)
        assert stored() == rows // 2
    finally:
        engine.dispose()
