"""A scaled-out deployment for fault tests: real PostgreSQL, Redis, RQ worker and clock processes,
the Shopify simulator as the store, a webhook endpoint over real HTTP, and an audit of the outcome."""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.db.models import Backorder, OrderLine, WebhookEvent
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from sandbox.runner import RunningSandbox, start_sandbox
from sandbox.shopify_sim import sign_webhook
from tests.conftest import unavailable

BIN = Path(sys.executable).parent
API_SECRET = "scale-secret"
OUT, PLENTY = "OUT", "PLENTY"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_or_unavailable(url: str) -> None:
    from redis import Redis

    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"Redis not reachable at {url}: {exc}")


def seed(shop_count: int) -> dict[str, Any]:
    return {"shopify": {"api_secret": API_SECRET, "api_version": "2026-04", "shops": [{
        "domain": f"scale-{i}.myshopify.com", "access_token": f"shpat_scale{i}",
        "products": [
            {"title": "Out", "variants": [{"sku": OUT, "price": "5.00", "inventory_quantity": 0,
                                           "inventory_policy": "CONTINUE"}]},
            {"title": "Plenty", "variants": [{"sku": PLENTY, "price": "1.00", "inventory_quantity": 1_000_000,
                                              "inventory_policy": "CONTINUE"}]},
        ]} for i in range(shop_count)]}}


@dataclass
class Deployment:
    database_url: str
    redis_url: str
    tmp: Path
    sandbox: RunningSandbox
    container: Container
    shops: dict[str, int] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    orders: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        s = self.container.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "SENTRY", "REDIS", "DATABASE"))}
        env.update({"DATABASE_URL": s.database_url, "REDIS_URL": self.redis_url,
                    "CONNECTOR_SECRET_KEY": s.secret_key or "", "SHOPIFY_API_SECRET": API_SECRET,
                    "CONNECTOR_API_TOKEN": s.api_token or "", "CONNECTOR_EVENT_LEASE_SECONDS": "5",
                    "CONNECTOR_HTTP_TIMEOUT_SECONDS": "5", "CONNECTOR_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
                    "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"})
        env.update(extra)
        return env

    def spawn(self, *args: str, name: str, **env: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([str(BIN / "connector"), *args], env=self.env(**env), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True, cwd=self.tmp)
        log.close()
        self.processes.append(process)
        return process

    def worker(self, name: str, *extra: str, **env: str) -> subprocess.Popen[bytes]:
        return self.spawn("worker", *extra, name=name, **env)

    def log_text(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def kill9(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and everything it started (RQ's scheduler child), like a lost machine."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            self.kill9(process)  # and whatever it started (RQ's scheduler child) that outlived it

    def place_orders(self, count: int, rng: random.Random) -> None:
        """Orders in the simulated stores (webhooks not sent yet): each backorders one OUT line."""
        domains = sorted(self.shops)
        for _ in range(count):
            domain = rng.choice(domains)
            lines = [{"sku": OUT, "quantity": rng.randint(1, 3)}]
            if rng.random() < 0.5:
                lines.append({"sku": PLENTY, "quantity": 1})
            self.orders.append((domain, self.sandbox.shopify.create_order(domain, lines, deliver_webhook=False)))

    def post(self, base_url: str, domain: str, order: dict[str, Any], attempts: int = 1) -> int:
        """Deliver orders/create like Shopify: signed, with an event id; retried on non-2xx."""
        body = json.dumps(order).encode()
        headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": domain,
                   "X-Shopify-Event-Id": f"evt-{order['id']}", "X-Shopify-Webhook-Id": f"wh-{order['id']}",
                   "X-Shopify-Hmac-Sha256": sign_webhook(body, API_SECRET), "Content-Type": "application/json"}
        status = 0
        for attempt in range(attempts):
            try:
                status = requests.post(f"{base_url}/webhooks/shopify", data=body, headers=headers,
                                       timeout=15).status_code
            except requests.RequestException:
                status = 0
            if status == 200:
                return status
            time.sleep(0.5 * (attempt + 1))
        return status

    def event_statuses(self) -> Counter[str]:
        with self.container.uow() as uow:
            assert uow.session is not None
            return Counter(uow.session.scalars(select(WebhookEvent.status)).all())

    def wait_processed(self, expected: int, timeout: float, sweep_every: float = 2.0) -> Counter[str]:
        """Until every event is finished; runs the sweeper (as the clock would) meanwhile."""
        from jobs.sweep import sweep

        deadline = time.monotonic() + timeout
        next_sweep = time.monotonic() + sweep_every
        statuses: Counter[str] = Counter()
        while time.monotonic() < deadline:
            statuses = self.event_statuses()
            finished = statuses["done"] + statuses["failed"] + statuses["ignored"]
            if sum(statuses.values()) >= expected and finished == sum(statuses.values()):
                return statuses
            if time.monotonic() >= next_sweep:
                sweep(grace_seconds=2)
                next_sweep = time.monotonic() + sweep_every
            time.sleep(0.2)
        return statuses

    def audit(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """(expected, actual): backordered units per (shop domain, order id); actual counts backorder rows too."""
        expected: dict[tuple[str, str], int] = {}
        for domain, order in self.orders:
            expected[(domain, str(order["id"]))] = sum(line["quantity"] for line in order["line_items"]
                                                       if line["sku"] == OUT)
        by_id = {shop_id: domain for domain, shop_id in self.shops.items()}
        actual: dict[tuple[str, str], int] = {}
        rows: Counter[tuple[str, str]] = Counter()
        with self.container.uow() as uow:
            assert uow.session is not None
            for backorder, line in uow.session.execute(select(Backorder, OrderLine).join(
                    OrderLine, Backorder.order_line_id == OrderLine.id)).all():
                order = line.order
                key = (by_id[backorder.shop_id], str(order.platform_order_id))
                rows[key] += 1
                actual[key] = actual.get(key, 0) + backorder.quantity_backordered
        doubled = {key: n for key, n in rows.items() if n > 1}
        assert not doubled, f"backorder rows doubled: {doubled}"
        return expected, actual


def start_deployment(database_url: str, redis_url: str, tmp: Path, shop_count: int = 2) -> Deployment:
    from adapters.queue.rq_queue import RQQueue

    sandbox = start_sandbox(seed(shop_count))
    settings = Settings(database_url=database_url, redis_url=redis_url, secret_key=generate_key(),
                        shopify_api_secret=API_SECRET, api_token=secrets.token_urlsafe(16),
                        log_level="WARNING", http_timeout_seconds=5.0, event_lease_seconds=5,
                        allow_private_targets=True)
    container = bootstrap(settings, queue=RQQueue(redis_url), auto_upgrade=True)
    deployment = Deployment(database_url, redis_url, tmp, sandbox, container)
    for shop in sandbox.seed["shopify"]["shops"]:
        info = add_shop(container.uow(), container.box, Platform.SHOPIFY, shop["domain"],
                        ShopCredentials(access_token=shop["access_token"]), api_base=sandbox.shopify_url)
        deployment.shops[shop["domain"]] = info.id
    return deployment


def serve_web(container: Container) -> Any:
    """The connector's Flask app over real HTTP on loopback (its queue is the container's)."""
    from connector.app import create_app
    from sandbox.serve import serve_in_thread

    return serve_in_thread(create_app(container=container))


class TcpProxy:
    """A loopback TCP forwarder the test can switch to refusing connections (and cutting open ones)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._guard = threading.Lock()
        self.accept()

    def accept(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._serve, args=(listener,), daemon=True).start()

    def refuse(self) -> None:
        """From now on connections are refused, and every open one is cut."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the serving thread
            except OSError:
                pass
            listener.close()
        with self._guard:
            for sock in list(self._open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._open.clear()

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._guard:
                self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._guard:
                self._open.discard(source)
                self._open.discard(sink)

    def close(self) -> None:
        self.refuse()


class SpareRedis:
    """A redis-server of our own on a spare port, without persistence: a restart loses every job."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("spare redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
