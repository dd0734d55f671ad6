"""Fault tests with real processes: RQ workers killed with SIGKILL mid-job, Redis restarted under load.

Real PostgreSQL, real redis-server, `connector worker` subprocesses, the Shopify simulator as the
store. After each fault every event is finished exactly once in effect and every order's
backorder exists once with the right quantity. The writes that move money or stock have their own
kill tests, a process killed between the outside system's answer and its own commit: drop-ship
supplier orders (test_dropship_supplier.py), purchase orders (test_purchase_orders.py) and payment
captures (test_payments_cli.py).
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from tests.support.scale_support import SpareRedis, serve_web, start_deployment


@pytest.fixture
def deployment_for(postgres_url, tmp_path):
    made = []

    def make(redis_url: str, shops: int = 2):
        deployment = start_deployment(postgres_url, redis_url, tmp_path, shop_count=shops)
        made.append(deployment)
        return deployment

    yield make
    for deployment in made:
        deployment.stop_all()
        deployment.container.close()
        deployment.sandbox.stop()


def test_workers_killed_with_sigkill_at_random_points_lose_and_double_nothing(spare_redis, deployment_for):
    rng = random.Random(6)
    d = deployment_for(spare_redis)
    web = serve_web(d.container)
    try:
        _place_and_deliver(d, web.url, 120, rng)
        workers = [d.worker(f"w{i}") for i in range(2)]
        kills = 0
        interrupted_claims = 0
        for round_ in range(10):
            # Wait until a worker holds a claim (a fresh worker needs a few seconds to start on a busy
            # machine), then kill at a random point of the work in hand.
            statuses = _wait_for_claim(d, timeout=30)
            if statuses["processing"] == 0:
                if kills >= 3:
                    break  # everything finished: nothing left to interrupt
                # The workers finished the orders before three kills (they are fast, the restarts are
                # not): more orders, so that every round has work in hand to kill.
                _place_and_deliver(d, web.url, 40, rng)
                continue
            time.sleep(rng.uniform(0.0, 0.4))
            victim = rng.randrange(len(workers))
            interrupted_claims += d.event_statuses()["processing"]
            d.kill9(workers[victim])
            kills += 1
            workers[victim] = d.worker(f"w{victim}-{round_}")
    finally:
        web.stop()
    statuses = d.wait_processed(len(d.orders), timeout=90)
    assert statuses == {"done": len(d.orders)}, statuses
    assert kills >= 3 and interrupted_claims > 0, f"only {kills} kills, {interrupted_claims} claims interrupted"
    expected, actual = d.audit()
    assert actual == expected
    for domain, order in d.orders:
        assert "backorder" in d.sandbox.shopify.order(domain, order["id"])["tag_list"]


def _place_and_deliver(d, url: str, count: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """`count` more orders in the simulated stores, each delivered to the web as its webhook."""
    first = len(d.orders)
    d.place_orders(count, rng)
    for domain, order in d.orders[first:]:
        assert d.post(url, domain, order) == 200


def _wait_for_claim(d, timeout: float):  # type: ignore[no-untyped-def]
    """The event statuses once some event is being processed, or once none is waiting any more."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = d.event_statuses()
        if statuses["processing"] or not (statuses["pending"] + statuses["retry"]) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.05)


def test_redis_restarted_under_load_loses_no_event(postgres_url, tmp_path, deployment_for):
    spare = SpareRedis(tmp_path)
    spare.start()
    try:
        rng = random.Random(7)
        d = deployment_for(spare.url)
        d.place_orders(100, rng)
        web = serve_web(d.container)
        workers = [d.worker(f"w{i}") for i in range(2)]
        answers: list[int] = []

        def deliver() -> None:
            for domain, order in d.orders:
                answers.append(d.post(web.url, domain, order, attempts=5))
                time.sleep(0.01)

        sender = threading.Thread(target=deliver)
        sender.start()
        while len(answers) < 30:
            time.sleep(0.05)
        spare.kill()  # every queued job is gone with it (no persistence)
        time.sleep(1.5)
        spare.start()
        sender.join(timeout=60)
        web.stop()
        assert answers == [200] * len(d.orders)  # the database took every event while Redis was down
        statuses = d.wait_processed(len(d.orders), timeout=90)
        assert statuses == {"done": len(d.orders)}, statuses
        expected, actual = d.audit()
        assert actual == expected
        assert all(w.poll() is None for w in workers), "a worker died when Redis went away"
    finally:
        spare.kill()
