"""Webhook ingest benchmark: signed Shopify orders/create webhooks over real HTTP.

Serves, one after the other, with ``gunicorn -w 2`` on 127.0.0.1:

  1. bare        - bench/bare_app.py, a Flask endpoint that only reads the body and answers 200;
  2. sqlite      - the connector (``connector.app:create_app()``) on a fresh SQLite file;
  3. postgresql  - the connector on a fresh PostgreSQL database (created, then dropped).

Each target gets the same pre-signed requests (a realistic order body, unique id, unique
X-Shopify-Event-Id) from a few client processes holding a fixed number of requests in flight.
Prints requests/s, p50/p99 latency, non-200 answers and events lost (200s minus rows in
webhook_events), the ratio to the bare endpoint's throughput, and whether the targets are met:
at least 40% of the bare throughput, p99 under 50 ms, 0 lost.

    .venv/bin/python bench/webhook_ingest.py [--requests 5000] [--backends sqlite,postgresql]

Exit status: 0 when the run completed (a missed throughput/latency target prints MISSED but is
not an error); 1 when events were lost, answers were not 200, or a target could not be run.
This is a benchmark, not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import http.client
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
BIN_DIR = Path(sys.executable).parent
FIXTURE = BENCH_DIR.parent.parent / "shared" / "fixtures" / "shopify" / "rest" / "python_api__order.json"
SHOP_DOMAIN = "bench-shop.myshopify.com"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ORDER_ID_MARK = 987654321012345  # placeholder in the body template, replaced per request

TARGET_SHARE = 0.40
TARGET_P99_MS = 50.0


# --------------------------------------------------------------------------- request bodies


def order_template() -> bytes:
    """An orders/create body (the order object itself, as Shopify sends it) with a placeholder id."""
    order: dict[str, Any]
    try:
        document = json.loads(FIXTURE.read_text(encoding="utf-8"))
        order = document.get("order", document)
    except (OSError, ValueError):
        order = {
            "id": 0, "name": "#1001", "email": "bob.norman@example.com", "currency": "USD",
            "created_at": "2026-01-10T11:00:00-05:00", "financial_status": "paid",
            "fulfillment_status": None, "total_price": "598.94",
            "line_items": [{"id": 466157049, "variant_id": 39072856, "product_id": 632910392,
                            "title": "IPod Nano - 8gb", "quantity": 1, "price": "199.00",
                            "sku": "IPOD2008GREEN", "fulfillable_quantity": 1}],
            "shipping_address": {"city": "Ottawa", "country_code": "CA", "zip": "K2P 1L4"},
        }
    order = copy.deepcopy(order)
    order["id"] = ORDER_ID_MARK
    body = json.dumps(order, separators=(",", ":")).encode()
    assert body.count(str(ORDER_ID_MARK).encode()) == 1
    return body


def build_requests(count: int, first_id: int, secret: str, template: bytes) -> list[tuple[bytes, dict[str, str]]]:
    """``count`` signed requests; done before timing so the client's CPU goes to sending."""
    mark = str(ORDER_ID_MARK).encode()
    key = secret.encode()
    prepared = []
    for n in range(count):
        body = template.replace(mark, str(first_id + n).encode())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode(),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2026-04",
            "X-Shopify-Triggered-At": "2026-01-10T16:00:00.000Z",
        }
        prepared.append((body, headers))
    return prepared


# --------------------------------------------------------------------------- load generator


def _client_process(index: int, port: int, threads: int, warmup: int, count: int, secret: str,
                    template: bytes, first_id: int, barrier: Any, results: Any) -> None:
    """One client process: ``threads`` keep-alive connections, warm-up, barrier, timed phase."""
    try:
        warm = build_requests(warmup, first_id, secret, template)
        timed = build_requests(count, first_id + warmup, secret, template)
        statuses: dict[str, int] = {}
        latencies: list[float] = []
        lock = threading.Lock()

        def run(requests: list[tuple[bytes, dict[str, str]]], record: bool) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine_lat: list[float] = []
            mine_st: dict[str, int] = {}
            for body, headers in requests:
                started = time.perf_counter()
                try:
                    conn.request("POST", "/webhooks/shopify", body, headers)
                    response = conn.getresponse()
                    response.read()
                    status = str(response.status)
                except (OSError, http.client.HTTPException) as exc:
                    status = type(exc).__name__
                    conn.close()  # reconnects on the next request
                mine_lat.append(time.perf_counter() - started)
                mine_st[status] = mine_st.get(status, 0) + 1
            conn.close()
            if record:
                with lock:
                    latencies.extend(mine_lat)
                    for key, value in mine_st.items():
                        statuses[key] = statuses.get(key, 0) + value
            else:
                with lock:
                    for key, value in mine_st.items():
                        statuses["warmup:" + key] = statuses.get("warmup:" + key, 0) + value

        def phase(requests: list[tuple[bytes, dict[str, str]]], record: bool) -> None:
            workers = [threading.Thread(target=run, args=(requests[t::threads], record)) for t in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()

        phase(warm, record=False)
        barrier.wait(timeout=600)
        cpu0 = os.times()
        started = time.monotonic()
        phase(timed, record=True)
        ended = time.monotonic()
        cpu1 = os.times()
        results.put({"index": index, "start": started, "end": ended, "latencies": latencies,
                     "statuses": statuses, "cpu": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)})
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the target
        results.put({"index": index, "error": f"{type(exc).__name__}: {exc}"})
        raise


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[str, int]
    client_cpu: float
    server_cpu: float = 0.0
    rows: int | None = None

    @property
    def ok(self) -> int:
        """200 answers, warm-up included (the database holds the warm-up's events too)."""
        return self.statuses.get("200", 0) + self.statuses.get("warmup:200", 0)

    @property
    def non_200(self) -> int:
        return sum(v for k, v in self.statuses.items() if k.split(":")[-1] != "200")

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
        return ordered[rank] * 1000

    @property
    def lost(self) -> int | None:
        return None if self.rows is None else self.ok - self.rows


def generate_load(port: int, args: argparse.Namespace, secret: str, template: bytes, first_id: int,
                  server_pids: list[int]) -> LoadResult:
    clients = max(1, min(args.clients, args.concurrency))
    threads = [args.concurrency // clients + (1 if i < args.concurrency % clients else 0) for i in range(clients)]
    counts = [args.requests // clients + (1 if i < args.requests % clients else 0) for i in range(clients)]
    warmups = [args.warmup // clients + (1 if i < args.warmup % clients else 0) for i in range(clients)]
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    processes = []
    for i in range(clients):
        base = first_id + i * (warmups[i] + counts[i] + 1) * 10
        process = ctx.Process(target=_client_process, daemon=True,
                              args=(i, port, threads[i], warmups[i], counts[i], secret, template, base,
                                    barrier, results))
        process.start()
        processes.append(process)
    try:
        barrier.wait(timeout=args.timeout)  # every client has warmed up
        cpu_before = server_cpu_seconds(server_pids)
        collected: list[dict[str, Any]] = []
        deadline = time.monotonic() + args.timeout
        while len(collected) < clients:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"load did not finish within {args.timeout:.0f} s")
            try:
                collected.append(results.get(timeout=min(remaining, 5)))
            except Exception:  # queue.Empty
                if not any(p.is_alive() for p in processes) and results.empty():
                    raise RuntimeError("client processes exited without reporting") from None
        cpu_after = server_cpu_seconds(server_pids)
    except threading.BrokenBarrierError:
        raise RuntimeError("client warm-up failed or timed out") from None
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    errors = [r["error"] for r in collected if "error" in r]
    if errors:
        raise RuntimeError("client failed: " + "; ".join(errors))
    statuses: dict[str, int] = {}
    latencies: list[float] = []
    for r in collected:
        latencies.extend(r["latencies"])
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    seconds = max(r["end"] for r in collected) - min(r["start"] for r in collected)
    return LoadResult(requests=len(latencies), seconds=seconds, latencies=latencies, statuses=statuses,
                      client_cpu=sum(r["cpu"] for r in collected), server_cpu=cpu_after - cpu_before)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_stat(pid: int) -> tuple[str, float] | None:
    """A process's state letter (R, S, D, ...) and user+system CPU seconds (Linux /proc; None when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def children(pid: int) -> list[int] | None:
    """A process's child processes (Linux /proc; None where it cannot be read: gone, or not Linux)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return None


def server_cpu_seconds(pids: list[int]) -> float:
    """user+system CPU of the gunicorn master and its workers (Linux /proc; 0 elsewhere)."""
    total = 0.0
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        found = proc_stat(pid)
        if found is None:
            continue
        total += found[1]
        todo.extend(children(pid) or [])
    return total


@dataclass
class Gunicorn:
    name: str
    app: str
    env: dict[str, str]
    workdir: Path
    workers: int = 2
    worker_class: str = "sync"
    extra: list[str] = field(default_factory=list)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def start(self, timeout: float = 60) -> None:
        self.port = free_port()
        self.log_path = self.workdir / f"gunicorn-{self.name}.log"
        command = [str(BIN_DIR / "gunicorn"), "-w", str(self.workers), "-k", self.worker_class,
                   "-b", f"127.0.0.1:{self.port}", *self.extra, self.app]
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(command, env=self.env, cwd=self.workdir, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    self.wait_booted(deadline)
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def wait_booted(self, deadline: float, quiet: float = 0.5) -> None:
        """Wait until every worker process has loaded the app. gunicorn answers once its first worker has, and
        connections opened before the others have all go to that one: the load clients keep theirs open for
        the whole run, so a run would measure one process against a baseline served by all (the connector's
        app takes seconds to load, the bare endpoint's a moment). A worker has loaded it when its CPU time has
        not moved for ``quiet`` seconds and it sleeps (loading is CPU-bound; one waiting for connections spends
        nothing; one loading but not given the CPU meanwhile is runnable, not asleep)."""
        assert self.process is not None
        seen: dict[int, tuple[float, float]] = {}  # pid: (CPU seconds, since when unchanged)
        while time.monotonic() < deadline:
            now = time.monotonic()
            workers = self.worker_pids()
            if workers is None:
                return  # no /proc (not Linux): nothing to tell the workers' state by
            for pid in workers:
                state, cpu = proc_stat(pid) or ("", -1.0)
                if pid not in seen or seen[pid][0] != cpu or state != "S":
                    seen[pid] = (cpu, now)
            if len(workers) >= self.workers and all(now - seen[pid][1] >= quiet for pid in workers):
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn ({self.name}): its {self.workers} workers not all booted in time:\n"
                           f"{self.log_tail()}")

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process else []

    def worker_pids(self) -> list[int] | None:
        """The master's worker processes (Linux /proc; None elsewhere or once stopped)."""
        return children(self.process.pid) if self.process is not None else None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            process.send_signal(signal.SIGTERM)  # graceful: finishes in-flight requests
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the group we started, nothing else
            except ProcessLookupError:
                pass
            process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:]) if self.log_path else ""
        except OSError:
            return ""


def run_cli(env: dict[str, str], workdir: Path, *args: str) -> None:
    command = [str(BIN_DIR / "connector"), *args]
    done = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONNECTOR_", "SHOPIFY_", "DATABASE_URL", "REDIS_URL", "SENTRY_"))}
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    return env


def app_env(database_url: str, secret: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = base_env()
    env.update({
        "DATABASE_URL": database_url,
        "CONNECTOR_SECRET_KEY": Fernet.generate_key().decode(),
        "SHOPIFY_API_SECRET": secret,
        "CONNECTOR_API_TOKEN": uuid.uuid4().hex,
        "CONNECTOR_WORKER_THREADS": "0",
        "CONNECTOR_LOG_LEVEL": "WARNING",
        "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true",  # development: the sandbox is on loopback
    })
    return env


# --------------------------------------------------------------------------- databases


class SqliteTarget:
    name = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "bench.db"
        self.url = f"sqlite:///{self.path}"

    def available(self) -> str | None:
        return None

    def create(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def count_events(self) -> int:
        with sqlite3.connect(self.path, timeout=30) as db:
            return int(db.execute("SELECT count(*) FROM webhook_events").fetchone()[0])

    def drop(self) -> None:
        pass


class PostgresTarget:
    name = "postgresql"

    def __init__(self) -> None:
        self.database = f"connector_bench_{os.getpid()}"
        self.url = f"postgresql://postgres@127.0.0.1:5432/{self.database}"
        self.created = False

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)

    def available(self) -> str | None:
        try:
            with self._admin() as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any failure means "skip"
            return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        return None

    def create(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}"')
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self.created = True

    def count_events(self) -> int:
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as conn:
            row = conn.execute("SELECT count(*) FROM webhook_events").fetchone()
            return int(row[0]) if row else 0

    def drop(self) -> None:
        if not self.created:
            return
        try:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.created = False
        except Exception as exc:  # noqa: BLE001
            print(f"warning: could not drop database {self.database}: {exc}", file=sys.stderr)


# --------------------------------------------------------------------------- report


@dataclass
class Row:
    target: str
    result: LoadResult | None = None
    skipped: str | None = None
    error: str | None = None


def format_table(rows: list[Row], bare_rps: float | None) -> tuple[str, bool]:
    headers = ["target", "req/s", "p50 ms", "p99 ms", "max ms", "non-200", "lost", "vs bare",
               "srv CPU ms/req", "targets"]
    table: list[list[str]] = []
    failed = False
    for row in rows:
        r = row.result
        if row.skipped or row.error or r is None:
            failed = failed or bool(row.error)
            table.append([row.target] + ["-"] * 8 + [f"SKIPPED ({row.skipped})" if row.skipped else "ERROR"])
            continue
        lost = r.lost
        cpu = f"{r.server_cpu * 1000 / r.requests:.2f}" if r.requests else "-"
        if row.target == "bare":
            verdict = "baseline" if r.non_200 == 0 else "ERROR (non-200)"
            failed = failed or r.non_200 > 0
            table.append([row.target, f"{r.rps:.0f}", f"{r.percentile(50):.1f}", f"{r.percentile(99):.1f}",
                          f"{max(r.latencies) * 1000:.1f}", str(r.non_200), "-", "1.00", cpu, verdict])
            continue
        ratio = r.rps / bare_rps if bare_rps else None
        misses = []
        if ratio is None:
            misses.append("no baseline")
        elif ratio < TARGET_SHARE:
            misses.append(f"throughput<{TARGET_SHARE:.0%}")
        if r.percentile(99) >= TARGET_P99_MS:
            misses.append(f"p99>={TARGET_P99_MS:.0f}ms")
        errors = []
        if lost is None or lost != 0:
            errors.append("LOST EVENTS")
        if r.non_200:
            errors.append("NON-200")
        failed = failed or bool(errors)
        verdict = " ".join(errors + (["MISSED: " + ", ".join(misses)] if misses else [])) or "met"
        table.append([row.target, f"{r.rps:.0f}", f"{r.percentile(50):.1f}", f"{r.percentile(99):.1f}",
                      f"{max(r.latencies) * 1000:.1f}", str(r.non_200), "?" if lost is None else str(lost),
                      f"{ratio:.2f}" if ratio is not None else "-", cpu, verdict])
    widths = [max(len(h), *(len(line[i]) for line in table)) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in table]
    return "\n".join(out), failed


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="timed requests per target (default 5000)")
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests per target first (default 300)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight in total (default 8)")
    parser.add_argument("--clients", type=int, default=2, help="client processes sharing them (default 2)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn -k (default sync)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed per target (default 300)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (gunicorn logs)")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - {"sqlite", "postgresql"})
    if unknown:
        parser.error(f"unknown backend {unknown[0]!r}; use sqlite and/or postgresql")
    if args.requests < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--requests and --concurrency must be at least 1, --warmup at least 0")
    args.backends = backends
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    secret = "shpss_" + uuid.uuid4().hex
    template = order_template()
    print(f"webhook ingest bench: {args.requests} timed + {args.warmup} warm-up requests per target, "
          f"{args.concurrency} in flight from {min(args.clients, args.concurrency)} client processes, "
          f"gunicorn -w {args.workers} -k {args.worker_class}, body {len(template)} bytes, "
          f"{os.cpu_count()} CPUs", flush=True)

    current: list[Gunicorn] = []
    databases: list[Any] = []

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    rows: list[Row] = []
    first_id = 5_000_000_000
    try:
        targets: list[tuple[str, Any]] = [("bare", None)]
        for backend in args.backends:
            targets.append((backend, SqliteTarget(workdir) if backend == "sqlite" else PostgresTarget()))
        for name, db in targets:
            row = Row(name)
            rows.append(row)
            try:
                if db is None:
                    server = Gunicorn(name, "bare_app:app", base_env(), workdir, args.workers, args.worker_class,
                                      extra=["--chdir", str(BENCH_DIR)])
                else:
                    problem = db.available()
                    if problem:
                        row.skipped = "unreachable"
                        print(f"{name}: skipped, database unreachable ({problem})", flush=True)
                        continue
                    databases.append(db)
                    db.create()
                    env = app_env(db.url, secret)
                    run_cli(env, workdir, "db", "upgrade")
                    run_cli(env, workdir, "shops", "add", "shopify", SHOP_DOMAIN, "--access-token", "x")
                    server = Gunicorn(name, "connector.app:create_app()", env, workdir, args.workers,
                                      args.worker_class)
                current.append(server)
                server.start()
                print(f"{name}: gunicorn on 127.0.0.1:{server.port}, sending...", flush=True)
                result = generate_load(server.port, args, secret, template, first_id, server.pids())
                first_id += 1_000_000_000
                server.stop()
                current.remove(server)
                if db is not None:
                    result.rows = db.count_events()
                row.result = result
                print(f"{name}: {result.requests} requests in {result.seconds:.2f} s, "
                      f"client CPU {result.client_cpu:.1f} s, server CPU {result.server_cpu:.1f} s, "
                      f"answers {dict(sorted(result.statuses.items()))}", flush=True)
                if result.non_200:
                    print(server.log_tail(), flush=True)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                row.error = str(exc)
                print(f"{name}: ERROR {exc}", file=sys.stderr, flush=True)
            finally:
                for server in list(current):
                    server.stop()
                    current.remove(server)
                if db is not None:
                    db.drop()
    except KeyboardInterrupt:
        print("interrupted; stopping servers", file=sys.stderr)
        return 130
    finally:
        for server in current:
            server.stop()
        for db in databases:
            db.drop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    bare = rows[0].result
    table, failed = format_table(rows, bare.rps if bare else None)
    print()
    print(table)
    print(f"\ntargets: >= {TARGET_SHARE:.0%} of the bare endpoint's req/s, p99 < {TARGET_P99_MS:.0f} ms, 0 lost "
          "(lost = 200 answers, warm-up included, minus rows in webhook_events)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
