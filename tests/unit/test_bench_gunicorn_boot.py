"""The benches' gunicorn (bench/webhook_ingest.py ``Gunicorn``, also bench/burst.py's) is ready only when every
worker has loaded the app: gunicorn answers as soon as its first worker has, and the load clients' keep-alive
connections, opened at once, would otherwise all go to that worker and stay there, so a run measured one
process of the connector (whose app takes seconds to load) against a bare endpoint served by both."""

from __future__ import annotations

import http.client
import importlib.util
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker state from Linux /proc")

# the first worker to load it is ready at once; the other spends ~2 s of CPU first (as the connector's imports do)
SLOW_SECOND = '''
import os, time
try:
    os.close(os.open(os.path.join(os.path.dirname(__file__), "first.lock"), os.O_CREAT | os.O_EXCL))
except FileExistsError:
    end = time.process_time() + 2.0
    while time.process_time() < end:
        pass

def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
'''


def _bench() -> Any:
    path = Path(__file__).resolve().parents[2] / "bench" / "webhook_ingest.py"
    spec = importlib.util.spec_from_file_location("bench_webhook_ingest", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    return bench


def test_the_server_is_ready_once_every_worker_serves_the_connections_opened_next(tmp_path: Path) -> None:
    bench = _bench()
    (tmp_path / "slow_app.py").write_text(SLOW_SECOND)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    server = bench.Gunicorn("slow", "slow_app:app", env, tmp_path, workers=2, worker_class="gthread",
                            extra=["--threads", "4"])
    server.start()
    try:
        pids: set[str] = set()
        lock = threading.Lock()

        def ask() -> None:  # a connection opened right away, as a load client's
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", "/")
            pid = conn.getresponse().read().decode()
            conn.close()
            with lock:
                pids.add(pid)

        clients = [threading.Thread(target=ask) for _ in range(32)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(15)
        assert len(pids) == 2, f"every connection went to one worker ({pids}): the second had not loaded the app"
    finally:
        server.stop()
