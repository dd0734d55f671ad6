"""Two worker processes on real PostgreSQL handle the same arrivals at once (a webhook delivered twice,
the periodic stock read racing it, a purchase-order receipt handed over twice): every unit is set
aside exactly once, because each evaluation runs under the shop lock, compares absolute levels and
records each arrival under its (source, reference) key."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from connector.capture.capture import capture_order
from connector.crypto import CredentialBox
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.restock.models import Allocation, StockArrival
from connector.shops import add_shop
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform

PROCESSES, THREADS, ROUNDS = 2, 2, 5

SCRIPT = textwrap.dedent("""
    import sys, threading, time
    from connector.capture.stock import positions_changed, read_waiting_positions
    from connector.db.engine import make_engine
    from connector.db.uow import UnitOfWork
    from connector.restock.arrivals import units_arrived
    from tests.support.fakes import FakePlatform

    url, shop_id, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    engine = make_engine(url)
    store = FakePlatform({"V1": -2, "V2": -4})  # V1: 4 units counted in since the orders; V2: none yet

    def work(n):
        uow = UnitOfWork(engine)
        time.sleep(max(0.0, start - time.time()))  # every thread of both processes starts together
        for i in range(int(sys.argv[4])):
            if (n + i) % 2:
                positions_changed(uow, store, shop_id, ["V1"])  # the inventory webhook
            else:
                read_waiting_positions(uow, store, shop_id)  # the periodic read of the same level
            units_arrived(uow, shop_id, "SKU-V2", 3, source="purchase_order", reference="po:7:1")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(int(sys.argv[5]))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    engine.dispose()
""")


def test_two_processes_handling_the_same_arrivals_at_once_allocate_every_unit_exactly_once(postgres_url):
    import time

    engine = make_engine(postgres_url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    shop_id = add_shop(uow, CredentialBox(Fernet.generate_key().decode()), Platform.SHOPIFY,
                       "race.myshopify.com", ShopCredentials(access_token="t")).id
    store = FakePlatform({"V1": 0, "V2": 0})
    for n, key in ((1, "V1"), (2, "V1"), (3, "V1"), (4, "V2"), (5, "V2")):
        store.stock[key] -= 2
        capture_order(uow, store, shop_id, OrderBuilder(str(n), placed=n).line(key, 2).build())

    start = time.time() + 2.0
    processes = [subprocess.Popen([sys.executable, "-c", SCRIPT, postgres_url, str(shop_id), str(start),
                                   str(ROUNDS), str(THREADS)]) for _ in range(PROCESSES)]
    assert [p.wait(timeout=120) for p in processes] == [0] * PROCESSES

    with uow:
        state = {b.line.order.platform_order_id: (b.status, b.quantity_allocated)
                 for b in uow.backorders.list(shop_id)}
        per_source = dict(uow.session.execute(select(Allocation.source, func.sum(Allocation.quantity))
                                              .where(Allocation.shop_id == shop_id).group_by(Allocation.source)).all())
        arrivals = uow.session.scalars(select(StockArrival.source).where(StockArrival.shop_id == shop_id)).all()
    # V1: 4 units arrived in the store, to the two earliest orders; V2: the receipt's 3 units, once
    assert state == {"1": ("allocated", 2), "2": ("allocated", 2), "3": ("open", 0),
                     "4": ("allocated", 2), "5": ("open", 1)}
    assert per_source == {"store_stock": 4, "purchase_order": 3}
    assert sorted(arrivals) == ["purchase_order", "store_stock"]
    engine.dispose()
