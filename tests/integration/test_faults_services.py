"""Fault tests: PostgreSQL refusing connections behind the webhook, two clocks, and Sentry reports.

Real PostgreSQL (reached through a TCP proxy the test switches to refusing; the shared server is
never stopped), real Redis, `connector worker` / `connector clock` subprocesses, the Shopify
simulator delivering and re-delivering webhooks, and an HTTP endpoint that records what
sentry-sdk sends.
"""

from __future__ import annotations

import http.server
import threading
import time
import zlib
from pathlib import Path

import pytest
import requests
from redis import Redis
from rq import Queue
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.integration.test_faults_workers import deployment_for  # noqa: F401 - fixture
from tests.support.scale_support import OUT, TcpProxy, free_port, serve_web, start_deployment


def wait_for(predicate, timeout: float, interval: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def sample(exposition: str, name: str) -> float:
    for line in exposition.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def proxied_postgres(postgres_url):
    url = make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.close()


def test_webhooks_answer_503_while_postgres_refuses_and_the_platforms_retry_then_succeeds(
        spare_redis, proxied_postgres, tmp_path):  # noqa: F811
    proxy, url = proxied_postgres
    d = start_deployment(url, spare_redis, tmp_path, shop_count=1)
    web = serve_web(d.container)
    sim = d.sandbox.shopify
    d.sandbox.point_webhooks_at(web.url)
    worker = d.worker("w0")
    before = requests.get(f"{web.url}/metrics", timeout=10).text  # counters are per process: compare
    try:
        [domain] = d.shops
        for _ in range(5):
            d.orders.append((domain, sim.create_order(domain, [{"sku": OUT, "quantity": 1}])))
        assert sim.wait_for_deliveries(timeout=15)
        assert [x.status_code for x in sim.webhooks.deliveries] == [200] * 5

        proxy.refuse()
        for _ in range(5):
            d.orders.append((domain, sim.create_order(domain, [{"sku": OUT, "quantity": 2}])))
        assert sim.wait_for_deliveries(timeout=30)
        refused = sim.webhooks.deliveries[5:]
        assert [x.status_code for x in refused] == [503] * 5
        assert requests.get(f"{web.url}/readyz", timeout=10).status_code == 503

        proxy.accept()
        for delivery in refused:  # Shopify retries a failed delivery with the same event id
            sim.redeliver(delivery.webhook_id)
        assert sim.wait_for_deliveries(timeout=30)
        assert [x.status_code for x in sim.webhooks.deliveries[10:]] == [200] * 5
        assert requests.get(f"{web.url}/readyz", timeout=10).status_code == 200

        statuses = d.wait_processed(len(d.orders), timeout=60)
        assert statuses == {"done": 10}, statuses
        after = requests.get(f"{web.url}/metrics", timeout=10).text
        assert sample(after, 'connector_webhooks_rejected_total{platform="shopify",reason="unavailable"}') \
            - sample(before, 'connector_webhooks_rejected_total{platform="shopify",reason="unavailable"}') == 5
        assert sample(after, 'connector_webhooks_received_total{outcome="stored",platform="shopify"}') \
            - sample(before, 'connector_webhooks_received_total{outcome="stored",platform="shopify"}') == 10
        assert "connector_queue_depth " in after
        expected, actual = d.audit()
        assert actual == expected
        assert worker.poll() is None
    finally:
        web.stop()
        d.stop_all()
        d.container.close()
        d.sandbox.stop()


def test_only_one_of_two_clocks_acts_and_the_second_takes_over_when_the_first_is_killed(
        spare_redis, deployment_for):  # noqa: F811
    d = deployment_for(spare_redis, 2)
    queue = Queue("connector", connection=Redis.from_url(spare_redis))

    def sweeps_queued() -> int:
        return sum(1 for job in queue.get_jobs() if "jobs.sweep.sweep" in (job.description or ""))

    first = d.spawn("clock", name="clock-a")
    assert wait_for(lambda: "clock leading" in d.log_text("clock-a"), 30), d.log_text("clock-a")
    second = d.spawn("clock", name="clock-b")
    assert wait_for(lambda: "standing by" in d.log_text("clock-b"), 30), d.log_text("clock-b")
    per_shop = queue.scheduled_job_registry.count  # per-shop work, spread over the interval (no worker runs it)
    assert per_shop >= 2 * len(d.shops)  # at least reconcile + mark sync for each shop

    def scheduled_runs() -> int:
        with d.container.engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM job_runs WHERE status = 'pending'")).scalar_one()

    runs_before = scheduled_runs()
    assert runs_before >= len(d.shops)  # reconcile, a listed job, recorded for each shop
    unrecorded = per_shop - runs_before
    time.sleep(6)  # more than a stand-by poll: the second clock tried again and still waits
    assert "clock leading" not in d.log_text("clock-b")
    assert sweeps_queued() == 1
    assert queue.scheduled_job_registry.count == per_shop

    d.kill9(first)
    killed = time.monotonic()
    assert wait_for(lambda: "clock leading" in d.log_text("clock-b"), 60), d.log_text("clock-b")
    took_over_after = time.monotonic() - killed
    assert took_over_after < 60
    assert wait_for(lambda: sweeps_queued() == 2, 10)
    # the new leader schedules the per-shop work again: the unrecorded jobs are queued a second time, while
    # the jobs the merchant's Jobs page lists (recorded in job_runs) join their scheduled run that has not
    # started yet instead of piling up (jobs/runtime.enqueue)
    assert wait_for(lambda: queue.scheduled_job_registry.count == per_shop + unrecorded, 10), \
        (queue.scheduled_job_registry.count, per_shop, unrecorded)
    assert scheduled_runs() == runs_before
    assert second.poll() is None


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        type(self).received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return None


def test_a_failing_job_reaches_sentry_with_job_and_shop_and_without_secrets(spare_redis, deployment_for):  # noqa: F811
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        d = deployment_for(spare_redis, 1)
        [shop_id] = d.shops.values()
        with d.container.uow() as uow:  # the store is gone: the job fails
            shop = uow.shops.get(shop_id)
            assert shop is not None
            shop.api_base = f"http://127.0.0.1:{free_port()}"
            uow.commit()
        d.container.queue.enqueue("jobs.shops.reconcile", shop_id)  # must read orders from the store
        dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/1"
        worker = d.worker("w-sentry", "--burst", SENTRY_DSN=dsn, CONNECTOR_HTTP_MAX_ATTEMPTS="1")
        worker.wait(timeout=60)
        assert wait_for(lambda: bool(_Recorder.received), 10), d.log_text("w-sentry")
        sent = b"\n".join(_Recorder.received)
        assert b'"job":"jobs.shops.reconcile"' in sent.replace(b" ", b"")
        assert f'"shop_id":"{shop_id}"'.encode() in sent.replace(b" ", b"")
        assert b"shpat_scale0" not in sent and Path(d.tmp).exists()
    finally:
        server.shutdown()
