"""Where the web's CPU a webhook goes: the connector's Shopify webhook handler in process, by part.

No gunicorn and no HTTP (both cost the connector and the bare endpoint the same, ~0.33 ms a request in
bench/burst.py's runs): the WSGI apps are called directly, one request at a time, with the same signed
orders/create bodies (bench/webhook_ingest.py's realistic order). Real PostgreSQL (a fresh database, dropped
after) and a real redis-server on a spare port. Prints the process CPU a request of:

  1. bare       - bench/bare_app.py, the Flask endpoint that only reads the body (burst.py's baseline);
  2. connector  - ``connector.app.create_app`` as gunicorn serves it: verify, store in the inbox, queue the
                  shop's processing (RQ's key check), answer;
  3. connector with the inbox write answered without the database, then also without the queue: the parts
     by subtraction. The four take turns over five rounds and each keeps its cheapest round (this machine's
     speed drifts by a fifth within a minute); the subtractions still carry some of that noise;

and the round trips' floors beside what the client libraries spend on them: a Redis ``SET NX EX`` as
redis-py sends it against the same bytes on a bare socket, and one autocommitted INSERT of the inbox's
statement through psycopg against ``connector.db.inbox.insert_event`` (which adds the engine's pool).

    .venv/bin/python bench/web_handler.py [--requests 5000]

A benchmark, not a test: pytest does not collect it. Findings: bench/README.md "Burst".
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import io
import itertools
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from burst import wait_port  # noqa: E402
from webhook_ingest import ORDER_ID_MARK, free_port, order_template  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "web-handler-secret"
SHOPS = 5
ROUNDS = 5

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def environs(template: bytes, first: int, count: int) -> list[dict[str, Any]]:
    """WSGI environs of signed orders/create webhooks (built before timing)."""
    mark = str(ORDER_ID_MARK).encode()
    made = []
    for n in range(first, first + count):
        body = template.replace(mark, str(n).encode())
        signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        made.append({
            "REQUEST_METHOD": "POST", "PATH_INFO": "/webhooks/shopify", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json",
            "HTTP_X_SHOPIFY_TOPIC": "orders/create", "HTTP_X_SHOPIFY_SHOP_DOMAIN": f"shop-{n % SHOPS}.myshopify.com",
            "HTTP_X_SHOPIFY_EVENT_ID": f"evt-{n}", "HTTP_X_SHOPIFY_WEBHOOK_ID": f"wh-{n}",
            "HTTP_X_SHOPIFY_HMAC_SHA256": signature, "HTTP_X_SHOPIFY_API_VERSION": "2026-04",
        })
    return made


def cpu_a_request(app: WSGIApp, requests: list[dict[str, Any]]) -> float:
    """Process CPU (µs) a request, every answer checked to be 200."""
    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        statuses.append(status)

    started = time.process_time()
    for environ in requests:
        b"".join(app(environ, start_response))
    spent = time.process_time() - started
    wrong = [status for status in statuses if not status.startswith("200")]
    if wrong:
        raise SystemExit(f"{len(wrong)} answers were not 200, e.g. {wrong[0]}")
    return spent / len(requests) * 1e6


def cpu_a_call(call: Callable[[], object], count: int) -> float:
    call()
    started = time.process_time()
    for _ in range(count):
        call()
    return (time.process_time() - started) / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    count = args.requests

    import bare_app
    import psycopg
    import redis

    from connector.app import create_app
    from connector.bootstrap import bootstrap
    from connector.config import Settings
    from connector.crypto import generate_key
    from connector.db.engine import make_engine, upgrade
    from connector.db.inbox import Incoming, Stored, insert_event
    from connector.domain.clock import utcnow
    from connector.domain.errors import StorageUnavailable
    from connector.domain.model import Platform, ShopCredentials
    from connector.shops import add_shop
    from webhooks.common import inbox

    work = Path(tempfile.mkdtemp(prefix="web-handler-"))
    dbname = f"web_handler_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + dbname
    redis_port = free_port()
    redis_server = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--dir", str(work)], stdout=subprocess.DEVNULL)
    try:
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        wait_port(redis_port)
        client = redis.Redis.from_url(redis_url)
        settings = Settings(source="bench/web_handler.py", database_url=database_url, redis_url=redis_url,
                            secret_key=generate_key(), shopify_api_secret=SECRET,
                            api_token="web-handler-token-0123", log_level="WARNING")
        engine = make_engine(database_url)
        upgrade(engine)
        engine.dispose()
        container = bootstrap(settings)  # RQ on the spare redis-server: the web's queue as deployed
        for n in range(SHOPS):
            add_shop(container.uow(), container.box, Platform.SHOPIFY, f"shop-{n}.myshopify.com",
                     ShopCredentials(access_token=f"shpat_{n}"), api_base="https://127.0.0.1:9")
        app = create_app(container=container)
        template = order_template()
        print(f"{count} signed orders/create webhooks of {len(template):,} bytes, one at a time, in process "
              f"(PostgreSQL {dbname}, redis-server :{redis_port})", flush=True)

        cpu_a_request(app, environs(template, 10**12, 200))  # warm: pool, prepared statements, caches
        with app.app_context():
            writer = inbox(container)
        real_write, real_schedule = writer._write, writer._schedule
        event_ids = itertools.count(1)

        def stored_without_database(batch: list[Incoming]) -> list[Stored | StorageUnavailable]:
            return [Stored(next(event_ids), created=True) for _ in batch]

        # The four variants take turns, a slice of the requests each per round, and each keeps its
        # cheapest round: this machine's speed drifts by a fifth within a minute.
        variants: dict[str, list[float]] = {"bare": [], "whole": [], "no_store": [], "handler": []}
        per_round = max(1, count // ROUNDS)
        for round_ in range(ROUNDS):
            first = (round_ + 1) * 10**12
            variants["bare"].append(cpu_a_request(bare_app.app, environs(template, first, per_round)))
            variants["whole"].append(cpu_a_request(app, environs(template, first + 10**11, per_round)))
            writer._write = stored_without_database
            variants["no_store"].append(cpu_a_request(app, environs(template, first + 2 * 10**11, per_round)))
            writer._schedule = lambda created: None
            variants["handler"].append(cpu_a_request(app, environs(template, first + 3 * 10**11, per_round)))
            writer._write, writer._schedule = real_write, real_schedule
        bare, whole, no_store, handler = (min(variants[name]) for name in ("bare", "whole", "no_store", "handler"))

        print("\nCPU a webhook, in process (µs):")
        print(f"  bare endpoint (read the body, answer)            {bare:7.1f}")
        print(f"  connector, whole                                 {whole:7.1f}  ({whole / bare:.1f}x bare)")
        print(f"    the inbox INSERT and commit (by subtraction)   {whole - no_store:7.1f}")
        print(f"    the shop's queue key check (by subtraction)    {no_store - handler:7.1f}")
        print(f"    the rest: HMAC, JSON, headers, Flask, answer   {handler:7.1f}  ({handler - bare:+.1f} on bare)")

        key = b"connector:bench:key"
        set_nx = lambda: client.set(key, b"1", nx=True, ex=60)  # noqa: E731
        raw = socket.create_connection(("127.0.0.1", redis_port))
        packed = b"*6\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\n1\r\n$2\r\nNX\r\n$2\r\nEX\r\n$2\r\n60\r\n" % (len(key), key)

        def set_nx_socket() -> None:
            raw.sendall(packed)
            raw.recv(64)

        body = template.replace(str(ORDER_ID_MARK).encode(), b"1")
        keys = itertools.count()
        statement = ("INSERT INTO webhook_events (shop_id, topic, dedupe_key, headers, body, status, attempts, "
                     "received_at) VALUES (%s, %s, %s, %s, %s, 'pending', 0, %s) "
                     "ON CONFLICT (shop_id, dedupe_key) DO NOTHING RETURNING id")
        shop_id = container.webhook_shop("shopify", "shop-0.myshopify.com").shop_id  # type: ignore[union-attr]
        with psycopg.connect(database_url, autocommit=True) as connection:
            def insert_psycopg() -> None:
                with connection.cursor() as cursor:
                    cursor.execute(statement, (shop_id, "orders/create", f"raw-{next(keys)}", "{}", body, utcnow()))
                    cursor.fetchone()

            def insert_inbox() -> None:
                insert_event(container.engine, shop_id, "orders/create", f"inbox-{next(keys)}", {}, body,
                             headers_json="{}")

            figures = {"redis-py": cpu_a_call(set_nx, count), "socket": cpu_a_call(set_nx_socket, count),
                       "psycopg": cpu_a_call(insert_psycopg, count // 2),
                       "insert_event": cpu_a_call(insert_inbox, count // 2)}
        raw.close()
        print("\nOne round trip, CPU of this process (µs):")
        print(f"  SET NX EX: redis-py {figures['redis-py']:.1f}, the same bytes on a socket {figures['socket']:.1f}")
        print(f"  the inbox INSERT: psycopg alone {figures['psycopg']:.1f}, connector.db.inbox.insert_event "
              f"{figures['insert_event']:.1f} (the engine's pool checkout, autocommit on and off)")
        container.engine.dispose()
        return 0
    finally:
        redis_server.terminate()
        redis_server.wait(timeout=10)
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
