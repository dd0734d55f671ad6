"""For tests of the outbound guard: a loopback listener that records every connection, and the
production policy (guard on) for the length of one test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adapters import outbound


class Listener:
    """A real HTTP server on 127.0.0.1 that answers 200 with ``body`` to anything and counts what reached
    it: TCP connections (before any byte is read) and HTTP requests."""

    def __init__(self, body: bytes = b"[]") -> None:
        self.connections = 0
        self.requests: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                listener.requests.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                return None

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: Any, client_address: Any) -> bool:
                listener.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def reached(self) -> bool:
        return self.connections > 0 or bool(self.requests)

    def url(self, scheme: str = "https", host: str = "127.0.0.1", path: str = "") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.stop()


@pytest.fixture
def guard_on() -> Iterator[outbound.OutboundPolicy]:
    """The production policy (no private targets, no local files) for this test; the previous after."""
    policy = outbound.OutboundPolicy()
    previous = outbound.configure(policy)
    yield policy
    outbound.configure(previous)


def public_resolver(host: str, port: int) -> list[str]:
    """A resolver that answers a public address for every name (the check-time half of DNS rebinding)."""
    return ["93.184.216.34"]
