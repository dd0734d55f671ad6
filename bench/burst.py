"""Burst benchmark: signed Shopify orders/create webhooks for many shops against the scaled-out stack.

Starts, on loopback: the Shopify simulator (``connector sandbox``, the store every shop points at),
a fresh PostgreSQL database, a redis-server of its own on a spare port, gunicorn with
``connector.app:create_app()`` and RQ workers (``connector worker``). Places the orders in the
simulated stores first (each order backorders one line), then fires every webhook at once from a
few client processes and waits until the workers have processed them all (running the sweeper
every 30 seconds, as the clock would).

Before the connector, the same requests go to bench/bare_app.py (a Flask endpoint that only reads
the body) served the same way, so accepted/s is printed beside a baseline from the same run.
Prints accepted/s, p50/p99 latency, time until every event was processed, CPU seconds per part of
the stack (web, RQ workers, the simulator, redis, the PostgreSQL backends of the bench database,
the load clients, and what the rest of the machine used meanwhile) and lost/duplicated, counted in
the database: lost = orders answered 200 whose
backorder is missing or short, or 200s without an event row; duplicated = orders with more
backorder rows or units than ordered. Exit status 1 unless lost/duplicated is 0/0 and every
webhook got a 200. ``--profile DIR`` writes py-spy stacks of every Python part (CPU; with
``--profile-idle`` wall time, with ``--profile-gil`` only samples holding the GIL).

    .venv/bin/python bench/burst.py [--requests 20000] [--shops 50] [--workers 2] [--web 2] [--worker-nice 19]

Targets (issue 17 item 2), printed with met/MISSED: accepted at >= 0.4 of the bare endpoint while
processing runs, p99 < 100 ms, all processed within 3x the time to accept them, 0 lost / 0 duplicated.
The RQ workers run as the Procfile runs them (``connector worker --nice 19``, which on Linux also lowers
the worker's CFS autogroup: a plain nice does nothing against processes of another session), two of them as
the README's one-machine deployment (``honcho start -c worker=2``). "All processed" means every event
finished and every order's tag in the store (no order flagged to mark or waiting on a bulk tagging).
On 2026-12-07 the unchanged code met the ratio in about half the full runs on a middle-speed machine of this
kind and in few on fast ones (the bare endpoint's rate grows with the machine's speed more than the stack's),
and p99, the 3x and 0/0 in every run. The ratio follows the bare run's minute as much as the code, and the
ratio and the 3x target bind each other (accepting faster leaves less time for the same processing). Every
run and what got there: bench/README.md "Burst".

Processing cost (issue 17): CPU per processed order is printed for the RQ workers (target at most 8
ms) and PostgreSQL (at most 5 ms) with met/MISSED beside the figures from before (32-38 ms and 8.7
ms); counting starts once every worker has registered in Redis, so their start-up is not charged to
the orders. After the first round of cuts (one claim statement, one shop lock an event, autocommit
single statements, marks read as columns, fewer RQ round trips; bench/README.md): 1,000 webhooks for
10 shops 29.1 ms and 6.8 ms, 3,000 for 20 shops 30.0 ms and 7.4 ms (241 accepted/s, p99 196 ms,
0/0), 20,000 for 50 shops 29.1 ms and 9.0 ms (all processed after 611 s, 0/0): both targets missed.
py-spy and cProfile put the rest in SQLAlchemy's ORM (39% of worker CPU), psycopg and redis (about
10% each: RQ makes some 33 round trips a job) and requests (three store calls an order).

A benchmark, not a test: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from webhook_ingest import Gunicorn, free_port, proc_stat, server_cpu_seconds  # noqa: E402

BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "burst-app-secret"
_PREPARED: list[tuple[bytes, dict[str, str]]] = []


def seed(shops: int) -> dict[str, Any]:
    return {"shopify": {"api_secret": SECRET, "api_version": "2026-04", "shops": [{
        "domain": f"burst-{i}.myshopify.com", "access_token": f"shpat_burst{i}",
        "products": [{"title": "Out", "variants": [{"sku": "OUT", "price": "5.00", "inventory_quantity": 0,
                                                    "inventory_policy": "CONTINUE"}]},
                     {"title": "Plenty", "variants": [{"sku": "PLENTY", "price": "1.00",
                                                       "inventory_quantity": 10_000_000,
                                                       "inventory_policy": "CONTINUE"}]}]}
        for i in range(shops)]}}


def spawn(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)


def wait_port(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


def place_orders(sim_port: int, shops: int, count: int) -> list[tuple[str, dict[str, Any]]]:
    def one(n: int) -> tuple[str, dict[str, Any]]:
        domain = f"burst-{n % shops}.myshopify.com"
        lines = [{"sku": "OUT", "quantity": 1 + n % 3}] + ([{"sku": "PLENTY", "quantity": 1}] if n % 2 else [])
        conn = http.client.HTTPConnection("127.0.0.1", sim_port, timeout=30)
        conn.request("POST", "/_sandbox/orders", json.dumps({"shop": domain, "lines": lines,
                                                             "deliver_webhook": False}),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        if response.status != 201:
            raise RuntimeError(f"simulator answered {response.status}: {body[:200]!r}")
        return domain, json.loads(body)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def signed(domain: str, order: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(order, separators=(",", ":")).encode()
    return body, {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
                  "X-Shopify-Shop-Domain": domain, "X-Shopify-Event-Id": str(uuid.uuid4()),
                  "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-API-Version": "2026-04",
                  "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(SECRET.encode(), body,
                                                                     hashlib.sha256).digest()).decode()}


def _client(indexes: list[int], port: int, threads: int, results: Any) -> None:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def run(mine: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        lat: list[float] = []
        st: dict[str, int] = {}
        for i in mine:
            body, headers = _PREPARED[i]
            started = time.perf_counter()
            try:
                conn.request("POST", "/webhooks/shopify", body, headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
            lat.append(time.perf_counter() - started)
            st[status] = st.get(status, 0) + 1
        with lock:
            latencies.extend(lat)
            for k, v in st.items():
                statuses[k] = statuses.get(k, 0) + v

    pool = [threading.Thread(target=run, args=(indexes[t::threads],)) for t in range(threads)]
    cpu0 = os.times()
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    cpu1 = os.times()
    results.put({"latencies": latencies, "statuses": statuses, "start": started, "end": time.monotonic(),
                 "cpu": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)})


def fire(port: int, total: int, clients: int, threads: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(list(range(c, total, clients)), port, threads, results))
             for c in range(clients)]
    for p in procs:
        p.start()
    collected = [results.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for r in collected for x in r["latencies"])
    statuses: dict[str, int] = {}
    for r in collected:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    return {"latencies": latencies, "statuses": statuses, "start": min(r["start"] for r in collected),
            "end": max(r["end"] for r in collected), "cpu": sum(r["cpu"] for r in collected)}


def proc_cpu(pid: int) -> float:
    """user+system CPU seconds of one process (Linux /proc; 0 when it is gone)."""
    found = proc_stat(pid)
    return found[1] if found else 0.0


class Usage(threading.Thread):
    """CPU seconds per part of the stack, so the report can say where the two cores went.

    Process trees are read when asked; PostgreSQL backends of the bench database come and go with
    the pools, so they are polled twice a second and each one's last reading is kept.
    """

    def __init__(self, trees: dict[str, list[int]], dbname: str) -> None:
        super().__init__(daemon=True)
        self.trees = trees
        self.dbname = dbname
        self.backends: dict[int, float] = {}
        self.stopped = threading.Event()

    def poll(self) -> None:
        import psycopg

        try:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                   (self.dbname,))]
        except psycopg.Error:
            return
        for pid in pids:
            self.backends[pid] = max(self.backends.get(pid, 0.0), proc_cpu(pid))

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.poll()

    def totals(self) -> dict[str, float]:
        self.poll()
        out = {name: server_cpu_seconds(pids) for name, pids in self.trees.items()}
        out["postgres"] = sum(self.backends.values())
        out[MACHINE] = machine_busy_seconds()
        return out


MACHINE = "machine"
"""The busy CPU of the whole machine (/proc/stat), so that what other processes took shows beside the parts."""


def machine_busy_seconds() -> float:
    """CPU seconds the machine spent busy since boot, all cores (user, nice, system, irq, softirq, steal)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def split(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """'web 41.0 s (1.31 cores), ...': CPU each part used between two readings, then what the rest of the
    machine used in the same time (other sessions' tests, the bench's own polling): the cores the
    stack did not get."""
    used = {name: after[name] - before.get(name, 0.0) for name in after if name != MACHINE}
    parts = ", ".join(f"{name} {cpu:.1f} s ({cpu / seconds:.2f})" for name, cpu in used.items())
    if MACHINE not in after:
        return parts
    others = after[MACHINE] - before.get(MACHINE, 0.0) - sum(used.values())
    return f"{parts}; everything else on the machine {others:.1f} s ({others / seconds:.2f})"


class Profiler:
    """py-spy on each Python part of the stack while it runs (``--profile DIR``): collapsed stacks,
    one file per part, for flame graphs or a quick sort by frame."""

    def __init__(self, directory: Path, targets: dict[str, int], idle: bool, gil: bool = False) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.procs = []
        for name, pid in targets.items():
            spy = shutil.which("py-spy") or str(BIN / "py-spy")  # the venv's, or one on PATH
            args = [spy, "record", "--nonblocking", "-r", "50", "-f", "raw", "-p", str(pid),
                    "-o", str(directory / f"{name}.txt")]
            args += ["--subprocesses"] if name == "web" else []
            args += ["--idle"] if idle else []
            args += ["--gil"] if gil else []  # only the thread holding the GIL: Python's own CPU, not its waits
            self.procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def wait_workers(redis_url: str, count: int, workers: list[subprocess.Popen[bytes]], timeout: float = 120) -> None:
    """Wait until ``count`` RQ workers have registered in Redis (built their container, ready for jobs)."""
    from redis import Redis
    from rq.worker_registration import REDIS_WORKER_KEYS

    redis = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while redis.scard(REDIS_WORKER_KEYS) < count:
            if any(w.poll() is not None for w in workers) or time.monotonic() > deadline:
                raise RuntimeError("RQ workers did not start (see worker-*.log in the bench's work directory)")
            time.sleep(0.2)
    finally:
        redis.close()


TARGET_WORKER_MS = 8.0
"""Issue 17: connector CPU (RQ worker processes) per processed order, at most."""
TARGET_POSTGRES_MS = 5.0
"""Issue 17: PostgreSQL CPU (the bench database's backends, web and workers) per processed order, at most."""
BEFORE_WORKER_MS = "32-38"
BEFORE_POSTGRES_MS = "8.7"
"""The same figures before issue 17's work (full and 1,000-webhook runs; bench/README.md)."""


def per_order(used: dict[str, float], processed: int) -> str:
    """'RQ workers 7.2 ms (target <= 8 ms: met; before 32-38 ms), ...' for the orders processed."""
    if processed <= 0:
        return "no order processed"
    worker = 1000 * used["rq-workers"] / processed
    postgres = 1000 * used["postgres"] / processed
    verdict = {True: "met", False: "MISSED"}
    return (f"RQ workers {worker:.1f} ms (target <= {TARGET_WORKER_MS:g} ms: {verdict[worker <= TARGET_WORKER_MS]}; "
            f"before {BEFORE_WORKER_MS} ms), PostgreSQL {postgres:.1f} ms (target <= {TARGET_POSTGRES_MS:g} ms: "
            f"{verdict[postgres <= TARGET_POSTGRES_MS]}; before {BEFORE_POSTGRES_MS} ms)")


DEPLOYED_WORKERS = 2
"""RQ workers beside the web, as the README deploys the stack on one machine (``honcho start -c worker=2``: the
web's two gunicorn processes and two workers). Until 2026-12-07 the bench ran four: on 2 cores they spent more
CPU an order (1.9-2.2 ms against 1.7-1.8 with two), finished no sooner, and the web accepted less beside them
(bench/README.md "Burst")."""
PROCFILE_WORKER_NICE = 19
"""The Procfile's ``connector worker --nice``: the RQ workers here run as the Procfile runs them."""
TARGET_RATIO = 0.4
"""Issue 17: webhooks accepted while processing runs, at least this fraction of the bare endpoint's rate."""
TARGET_P99_MS = 100.0
"""Issue 17: p99 latency of a webhook's answer during the burst, under this."""
TARGET_PROCESSED_X = 3.0
"""Issue 17: every event processed within this many times the time it took to accept them all."""


def verdicts(accepted_rps: float, bare_rps: float | None, p99_ms: float, burst_s: float, processed_s: float,
             unfinished: int, lost: int, duplicated: int) -> list[str]:
    """One line per burst target: the figure, the target, met or MISSED."""
    verdict = {True: "met", False: "MISSED"}
    out = []
    if bare_rps:
        ratio = accepted_rps / bare_rps
        out.append(f"accepted {ratio:.2f} of the bare endpoint ({accepted_rps:.0f}/s beside {bare_rps:.0f}/s; "
                   f"target >= {TARGET_RATIO:g}): {verdict[ratio >= TARGET_RATIO]}")
    else:
        out.append(f"accepted {accepted_rps:.0f}/s (target >= {TARGET_RATIO:g} of the bare endpoint): "
                   "not measured (--no-baseline)")
    out.append(f"p99 {p99_ms:.1f} ms (target < {TARGET_P99_MS:g} ms): {verdict[p99_ms < TARGET_P99_MS]}")
    times = processed_s / burst_s if burst_s else float("inf")
    done = unfinished == 0
    out.append(f"processed within {times:.1f}x of accept time ({processed_s:.1f} s after the first webhook, accepted "
               f"in {burst_s:.1f} s{'' if done else f'; {unfinished} events still unfinished at the timeout'}; "
               f"target <= {TARGET_PROCESSED_X:g}x): {verdict[done and times <= TARGET_PROCESSED_X]}")
    out.append(f"lost/duplicated {lost}/{duplicated} (target 0/0): {verdict[lost == 0 and duplicated == 0]}")
    return out


def pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")


def main() -> int:  # noqa: C901 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--workers", type=int, default=DEPLOYED_WORKERS,
                        help=f"RQ worker processes (default {DEPLOYED_WORKERS}: the README's one-machine deployment)")
    parser.add_argument("--web", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--web-class", help="gunicorn worker class (default: connector/gunicorn_conf.py's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: the config's)")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16, help="connections in flight, all clients")
    parser.add_argument("--timeout", type=float, default=3600, help="give up processing after this many s")
    parser.add_argument("--worker-nice", type=int, default=PROCFILE_WORKER_NICE,
                        help="connector worker --nice for the RQ workers (default: the Procfile's, "
                             f"{PROCFILE_WORKER_NICE}: answering webhooks comes first on one machine)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare endpoint (bench/bare_app.py)")
    parser.add_argument("--profile", type=Path, help="py-spy every Python part into this directory")
    parser.add_argument("--profile-idle", action="store_true", help="with --profile: wall time, not CPU")
    parser.add_argument("--profile-gil", action="store_true",
                        help="with --profile: only samples holding the GIL (py-spy's idle detection can count "
                             "waits on the database or the store as CPU)")
    args = parser.parse_args()

    import psycopg
    from sqlalchemy import text

    from connector.bootstrap import bootstrap
    from connector.config import Settings
    from connector.crypto import generate_key
    from connector.db.engine import make_engine, upgrade
    from connector.domain.model import Platform, ShopCredentials
    from connector.shops import add_shop

    work = Path(tempfile.mkdtemp(prefix="burst-"))
    dbname = f"burst_{uuid.uuid4().hex[:8]}"
    processes: list[subprocess.Popen[bytes]] = []
    web: Gunicorn | None = None
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + dbname
    try:
        redis_port, sim_port = free_port(), free_port()
        processes.append(spawn(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(work)], dict(os.environ), work / "redis.log", work))
        (work / "seed.json").write_text(json.dumps(seed(args.shops)))
        processes.append(spawn([str(BIN / "connector"), "sandbox", "--seed", str(work / "seed.json"),
                                "--shopify-port", str(sim_port), "--woocommerce-port", str(free_port()),
                                "--webhook-url", "http://127.0.0.1:9"], dict(os.environ), work / "sandbox.log", work))
        wait_port(redis_port)
        wait_port(sim_port)
        sim_url = f"http://127.0.0.1:{sim_port}"
        redis_url = f"redis://127.0.0.1:{redis_port}/0"

        settings = Settings(source="bench/burst.py", database_url=database_url, redis_url=redis_url,
                            secret_key=generate_key(), shopify_api_secret=SECRET,
                            api_token=secrets.token_urlsafe(16), log_level="WARNING",
                            allow_private_targets=True)  # development: the sandbox is on loopback
        engine = make_engine(database_url)
        upgrade(engine)
        engine.dispose()
        container = bootstrap(settings)  # its queue is RQ: the sweeper below enqueues there
        for i in range(args.shops):
            add_shop(container.uow(), container.box, Platform.SHOPIFY, f"burst-{i}.myshopify.com",
                     ShopCredentials(access_token=f"shpat_burst{i}"), api_base=sim_url)
        print(f"placing {args.requests} orders in {args.shops} simulated shops ...", flush=True)
        orders = place_orders(sim_port, args.shops, args.requests)
        _PREPARED.extend(signed(domain, order) for domain, order in orders)

        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "SENTRY", "PROMETHEUS"))}
        env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                    "CONNECTOR_SECRET_KEY": settings.secret_key or "", "SHOPIFY_API_SECRET": SECRET,
                    "CONNECTOR_API_TOKEN": settings.api_token or "", "CONNECTOR_LOG_LEVEL": "WARNING",
                    "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"})
        from connector import gunicorn_conf

        web_class = args.web_class or gunicorn_conf.worker_class
        threads = args.threads or gunicorn_conf.threads
        clients = max(1, min(args.clients, args.concurrency))
        bare_rps = None
        if not args.no_baseline:  # the same requests at a Flask endpoint that only reads the body
            bare = Gunicorn("bare", "bare_app:app", env, work, workers=args.web, worker_class=web_class,
                            extra=["--chdir", str(BENCH_DIR), "--threads", str(threads)])
            bare.start()
            try:
                print(f"baseline: firing {args.requests} webhooks at the bare endpoint ...", flush=True)
                bare_cpu, bare_machine = server_cpu_seconds(bare.pids()), machine_busy_seconds()
                base = fire(bare.port, args.requests, clients, max(1, args.concurrency // clients))
                bare_cpu = server_cpu_seconds(bare.pids()) - bare_cpu
                bare_others = machine_busy_seconds() - bare_machine - bare_cpu - base["cpu"]
            finally:
                bare.stop()
            bare_s = base["end"] - base["start"]
            bare_rps = base["statuses"].get("200", 0) / bare_s
            print(f"bare endpoint: {bare_rps:.0f}/s, p99 {pct(base['latencies'], 99):.1f} ms, CPU web "
                  f"{bare_cpu:.1f} s ({bare_cpu / bare_s:.2f} cores), load clients {base['cpu']:.1f} s "
                  f"({base['cpu'] / bare_s:.2f}); everything else on the machine {bare_others:.1f} s "
                  f"({bare_others / bare_s:.2f})", flush=True)

        web = Gunicorn("connector", "connector.app:create_app()", env, work, workers=args.web, worker_class=web_class,
                       extra=["--config", "python:connector.gunicorn_conf", "--threads", str(threads)])
        web.start()
        worker_nice = args.worker_nice
        workers = [spawn([str(BIN / "connector"), "worker", "--nice", str(worker_nice)], env, work / f"worker-{n}.log",
                         work) for n in range(args.workers)]
        processes.extend(workers)
        wait_workers(redis_url, args.workers, workers)  # start-up (imports, the container) is not per order
        usage = Usage({"web": web.pids(), "rq-workers": [w.pid for w in workers], "simulator": [processes[1].pid],
                       "redis": [processes[0].pid]}, dbname)
        usage.start()
        profiler = None
        if args.profile:
            targets = {"web": web.pids()[0], "simulator": processes[1].pid,
                       **{f"worker-{n}": w.pid for n, w in enumerate(workers)}}
            profiler = Profiler(args.profile, targets, args.profile_idle, args.profile_gil)

        print(f"firing {args.requests} webhooks ({args.concurrency} in flight) ...", flush=True)
        cpu_start = usage.totals()
        web_processes = {pid: proc_cpu(pid) for pid in web.worker_pids() or []}
        load_before = os.getloadavg()[0]
        load = fire(web.port, args.requests, clients, max(1, args.concurrency // clients))
        cpu_burst = usage.totals()
        web_processes = {pid: proc_cpu(pid) - cpu for pid, cpu in web_processes.items()}
        accepted = load["statuses"].get("200", 0)
        burst_s = load["end"] - load["start"]

        lat = load["latencies"]
        print(f"webhooks: {args.requests} for {args.shops} shops; answers {load['statuses']}")
        baseline = f"; bare endpoint {bare_rps:.0f}/s, ratio {accepted / burst_s / bare_rps:.2f}" if bare_rps else ""
        print(f"accepted/s: {accepted / burst_s:.0f}  (burst took {burst_s:.1f} s; web {args.web} x {web_class} "
              f"x{threads} threads, RQ workers x{args.workers} at nice {worker_nice}{baseline})")
        print(f"latency p50: {pct(lat, 50):.1f} ms  p99: {pct(lat, 99):.1f} ms")
        cpu_burst["load clients"] = load["cpu"]
        print(f"CPU during the burst ({burst_s:.1f} s; cores in brackets): {split(cpu_start, cpu_burst, burst_s)}")
        if web_processes:  # how the load clients' keep-alive connections fell on the web processes
            shares = ", ".join(f"{cpu:.1f} s ({cpu / burst_s:.2f})" for cpu in web_processes.values())
            print(f"  web by process: {shares}")
        if not args.workers:  # nothing processes the events: only the accepting is measured
            usage.stopped.set()
            if profiler is not None:
                profiler.stop()
            print("no RQ workers (--workers 0): the events stay unprocessed; processing, lost/duplicated and the "
                  "targets are not measured")
            return 0 if accepted == args.requests else 1

        from jobs.sweep import sweep

        next_sweep = time.monotonic() + 30
        swept = 0
        deadline = time.monotonic() + args.timeout
        while True:
            with engine.connect() as c:  # processed: every event finished and every order's tag in the store
                unfinished = c.execute(text("SELECT count(*) FROM webhook_events "
                                            "WHERE status NOT IN ('done', 'failed', 'ignored')")).scalar_one()
                unfinished += c.execute(text("SELECT count(*) FROM orders WHERE needs_mark "
                                             "OR mark_operation IS NOT NULL")).scalar_one()
            if unfinished == 0 or time.monotonic() > deadline:
                break
            if time.monotonic() >= next_sweep:
                swept += sweep()
                next_sweep = time.monotonic() + 30
            time.sleep(0.5)
        processed_s = time.monotonic() - load["start"]
        cpu_end = usage.totals()
        usage.stopped.set()
        if profiler is not None:
            profiler.stop()

        expected = {(domain, str(order["id"])): sum(li["quantity"] for li in order["line_items"] if li["sku"] == "OUT")
                    for domain, order in orders}
        with engine.connect() as c:
            rows = c.execute(text(
                "SELECT s.domain, o.platform_order_id, count(b.id), coalesce(sum(b.quantity_backordered), 0) "
                "FROM backorders b JOIN order_lines l ON l.id = b.order_line_id JOIN orders o ON o.id = l.order_id "
                "JOIN shops s ON s.id = o.shop_id GROUP BY s.domain, o.platform_order_id")).all()
            statuses: dict[str, int] = dict(c.execute(text(
                "SELECT status, count(*) FROM webhook_events WHERE topic = 'orders/create' GROUP BY status")).all())
            rounds, in_rounds, biggest = c.execute(text(  # a round's done events share its processed_at
                "SELECT count(*), coalesce(sum(n), 0), coalesce(max(n), 0) FROM (SELECT count(*) AS n "
                "FROM webhook_events WHERE topic = 'orders/create' AND status = 'done' "
                "GROUP BY shop_id, processed_at) r")).one()
            rounds, in_rounds, biggest = int(rounds), int(in_rounds), int(biggest)  # sum() is a NUMERIC
            finish_events = c.execute(text("SELECT count(*) FROM webhook_events "
                                           "WHERE topic = 'bulk_operations/finish'")).scalar_one()
            tagged, untagged = c.execute(text(
                "SELECT count(*) FILTER (WHERE marked IS NOT NULL AND mark_error IS NULL), "
                "count(*) FILTER (WHERE marked IS NULL OR mark_error IS NOT NULL) FROM orders o "
                "WHERE EXISTS (SELECT 1 FROM order_lines l JOIN backorders b ON b.order_line_id = l.id "
                "WHERE l.order_id = o.id)")).one()
            stored_orders = c.execute(text("SELECT count(DISTINCT (shop_id, platform_order_id)) FROM orders "
                                           "WHERE platform_order_id = ANY(:ids)"),
                                      {"ids": [str(order["id"]) for _, order in orders]}).scalar_one()
        actual = {(d, str(o)): (n, units) for d, o, n, units in rows}
        lost = sum(1 for key, units in expected.items() if actual.get(key, (0, 0))[1] < units)
        lost += max(0, accepted - sum(statuses.values()))  # a 200 whose event row is missing
        duplicated = sum(1 for key, (n, units) in actual.items() if n > 1 or units > expected.get(key, 0))

        print(f"all processed after: {processed_s:.1f} s from the first webhook, {processed_s / burst_s:.1f}x the "
              f"time to accept them  (events: {statuses}; re-queued by the sweeper: {swept})")
        print(f"CPU burst to all processed ({processed_s:.1f} s): {split(cpu_start, cpu_end, processed_s)}")
        print(f"load average (1 min): {load_before:.1f} before the burst, {os.getloadavg()[0]:.1f} at the end, "
              f"on {os.cpu_count()} cores")
        processed = sum(n for status, n in statuses.items() if status in ("done", "ignored", "failed"))
        print(f"CPU per processed order: "
              f"{per_order({k: cpu_end[k] - cpu_start.get(k, 0.0) for k in cpu_end}, processed)}")
        print(f"database: {sum(statuses.values())} events stored for {accepted} answered 200, "
              f"{stored_orders} of {len(orders)} orders captured, {sum(n for n, _ in actual.values())} backorders")
        print(f"rounds: {in_rounds} orders captured in {rounds} rounds of a shop's events "
              f"({in_rounds / max(rounds, 1):.1f} orders a round on average, {biggest} at most)")
        print(f"store tags: {tagged} backordered orders recorded as tagged, {untagged} not "
              f"({finish_events} bulk_operations/finish webhooks of the bulk taggings)")
        print(f"lost/duplicated: {lost}/{duplicated}")
        print("targets (issue 17 item 2):")
        for line in verdicts(accepted / burst_s if burst_s else 0.0, bare_rps, pct(lat, 99), burst_s, processed_s,
                             unfinished, lost, duplicated):
            print(f"  {line}")
        return 0 if lost == 0 and duplicated == 0 and accepted == args.requests else 1
    finally:
        if web is not None:
            web.stop()
        for p in processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
