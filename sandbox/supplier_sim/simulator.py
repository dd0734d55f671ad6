"""SupplierSimulator: a Flask app that answers like a supplier's stock API and serves a CSV feed.

Endpoints (all behind the configured auth: bearer token, basic, or an API-key header):
- ``GET /api/all``     the whole catalogue as a JSON list;
- ``GET /api/pages``   ``{"items": [...]}`` by ``page`` / ``per_page``;
- ``GET /api/cursor``  ``{"items": [...], "next_cursor": ...}`` by ``cursor`` / ``limit``;
- ``GET /api/link``    a JSON list by ``page`` / ``per_page`` with a ``Link: <...>; rel="next"`` header;
- ``GET /feed.csv``    the catalogue as CSV (``?delimiter=tab``, ``?encoding=latin-1``, ``?bom=1``).
Every answer carries an ETag (a hash of the body) and Last-Modified (the last change), and answers
304 to a matching If-None-Match / If-Modified-Since.

Control (no auth): ``POST /control/stock`` ``{"sku", "quantity"?, "restock_date"?, "lead_time_days"?}``
or ``{"items": [...]}``; ``POST /control/faults`` ``{"status": 503, "count": 2}`` or
``{"delay": 5, "count": 1}``; ``GET /control/requests``; ``POST /control/reset-requests``; ``POST /control/push``
(a connector push URL to call on every change: sandbox/supplier_sim/push.py).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from flask import Flask, Response, jsonify, request

FIELDS = ("sku", "quantity", "restock_date", "lead_time_days")
TERMS = ("dropship", "unit_cost")
"""Drop-ship terms: in the JSON answers of items that have them (not in the CSV feed)."""


class SupplierSimulator:
    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        config = dict(config or {})
        self.auth: dict[str, Any] = dict(config.get("auth") or {"type": "none"})
        self._lock = threading.RLock()
        self.items: dict[str, dict[str, Any]] = {}
        self._order: list[str] | None = None
        self.changed_at = datetime.now(UTC).replace(microsecond=0)
        self.faults: list[dict[str, Any]] = []
        self.requests: Counter[str] = Counter()
        for item in config.get("items", []):
            self._put(item)
        self.app = self._create_app()
        from sandbox.supplier_sim import dropship  # drop-ship orders (issue 4)

        self.dropship = dropship.register(self, ship_delay=float(config.get("dropship_ship_delay", 2.0)))
        from sandbox.supplier_sim import purchase_orders  # purchase orders (issue 13)

        self.purchase_orders = purchase_orders.register(self, lead_time_days=int(config.get("po_lead_time_days", 10)))
        from sandbox.supplier_sim import push  # calls us on every change (issue 17 item 3)

        self.pusher = push.register(self)

    # -- state ------------------------------------------------------------------------------------

    def _put(self, item: Mapping[str, Any]) -> None:
        sku = str(item["sku"])
        current = self.items.get(sku)
        if current is None:
            current = self.items[sku] = {"sku": sku, "quantity": 0, "restock_date": None, "lead_time_days": None}
            self._order = None
        for name in (*FIELDS[1:], *TERMS):
            if name in item:
                current[name] = item[name]

    def set_stock(self, *items: Mapping[str, Any]) -> None:
        """Change stock or dates while running (the next Last-Modified is at least one second later)."""
        with self._lock:
            for item in items:
                self._put(item)
            # HTTP dates have whole seconds: a change is always at least a second after the last one.
            now = datetime.now(UTC).replace(microsecond=0)
            self.changed_at = max(now, self.changed_at + timedelta(seconds=1))
            changed = [dict(self.items[str(item["sku"])]) for item in items]
        pusher = getattr(self, "pusher", None)
        if pusher is not None:  # suppliers that call us: told after the change is in place
            pusher.changed(changed)

    def inject(self, *, status: int | None = None, delay: float | None = None, count: int = 1) -> None:
        with self._lock:
            self.faults.append({"status": status, "delay": delay, "count": count})

    def _sorted(self) -> list[str]:
        if self._order is None:
            self._order = sorted(self.items)
        return self._order

    def _page(self, offset: int, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(self.items[sku]) for sku in self._sorted()[offset:offset + limit]]

    # -- HTTP -------------------------------------------------------------------------------------

    def _authorised(self) -> bool:
        kind = self.auth.get("type", "none")
        if kind == "bearer":
            return request.headers.get("Authorization") == f"Bearer {self.auth['token']}"
        if kind == "basic":
            pair = f"{self.auth['username']}:{self.auth['password']}".encode()
            return request.headers.get("Authorization") == "Basic " + base64.b64encode(pair).decode()
        if kind == "api_key":
            return request.headers.get(self.auth.get("header", "X-API-Key")) == self.auth["api_key"]
        return True

    def _fault(self) -> Response | None:
        with self._lock:
            fault = self.faults[0] if self.faults else None
            if fault is not None:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.faults.pop(0)
        if fault is None:
            return None
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        if fault.get("status"):
            return Response(json.dumps({"error": "injected"}), status=int(fault["status"]),
                            mimetype="application/json")
        return None

    def _conditional(self, body: bytes, mimetype: str, headers: dict[str, str] | None = None) -> Response:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        last_modified = format_datetime(self.changed_at, usegmt=True)
        match = request.headers.get("If-None-Match")
        since = request.headers.get("If-Modified-Since")
        not_modified = match == etag if match else False
        if not match and since:
            try:
                not_modified = parsedate_to_datetime(since) >= self.changed_at
            except (TypeError, ValueError):
                not_modified = False
        common = {"ETag": etag, "Last-Modified": last_modified, **(headers or {})}
        if not_modified:
            return Response(status=304, headers=common)
        return Response(body, mimetype=mimetype, headers=common)

    def _create_app(self) -> Flask:
        app = Flask("supplier_sim")

        @app.before_request
        def _guard() -> Any:
            if request.path.startswith("/control/"):
                return None
            fault = self._fault()
            if fault is not None:
                return fault
            if not self._authorised():
                return Response(json.dumps({"error": "unauthorized"}), status=401, mimetype="application/json")
            return None

        @app.after_request
        def _count(response: Response) -> Response:
            if not request.path.startswith("/control/"):
                self.requests[str(response.status_code)] += 1
            return response

        def paging(default: int = 100) -> tuple[int, int]:
            page = max(1, request.args.get("page", 1, type=int) or 1)
            per_page = min(1000, max(1, request.args.get("per_page", default, type=int) or default))
            return page, per_page

        @app.get("/api/all")
        def all_items() -> Response:
            with self._lock:
                body = json.dumps([dict(self.items[s]) for s in self._sorted()]).encode()
            return self._conditional(body, "application/json")

        @app.get("/api/pages")
        def pages() -> Response:
            page, per_page = paging()
            body = json.dumps({"items": self._page((page - 1) * per_page, per_page), "page": page}).encode()
            return self._conditional(body, "application/json")

        @app.get("/api/cursor")
        def cursor() -> Response:
            limit = min(1000, max(1, request.args.get("limit", 100, type=int) or 100))
            raw = request.args.get("cursor") or ""
            try:
                offset = int(base64.urlsafe_b64decode(raw.encode()).decode()) if raw else 0
            except ValueError:
                return Response(json.dumps({"error": "bad cursor"}), status=400, mimetype="application/json")
            items = self._page(offset, limit)
            more = offset + limit < len(self.items)
            next_cursor = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if more else None
            return self._conditional(json.dumps({"items": items, "next_cursor": next_cursor}).encode(),
                                     "application/json")

        @app.get("/api/link")
        def link() -> Response:
            page, per_page = paging()
            items = self._page((page - 1) * per_page, per_page)
            headers = {}
            if page * per_page < len(self.items):
                headers["Link"] = f'</api/link?page={page + 1}&per_page={per_page}>; rel="next"'
            return self._conditional(json.dumps(items).encode(), "application/json", headers)

        @app.get("/feed.csv")
        def feed() -> Response:
            delimiter = "\t" if request.args.get("delimiter") == "tab" else ","
            encoding = request.args.get("encoding", "utf-8")
            with self._lock:
                rows = [dict(self.items[s]) for s in self._sorted()]
            body = _csv(rows, delimiter).encode(encoding)
            if request.args.get("bom"):
                body = b"\xef\xbb\xbf" + body
            return self._conditional(body, "text/csv")

        @app.post("/control/stock")
        def control_stock() -> Response:
            payload = request.get_json(force=True) or {}
            items: list[Any] = payload.get("items") or [] if isinstance(payload, dict) and "items" in payload \
                else [payload]
            if not all(isinstance(i, dict) and i.get("sku") for i in items):
                return Response(json.dumps({"error": "each item needs a sku"}), status=400,
                                mimetype="application/json")
            self.set_stock(*items)
            return jsonify({"changed": len(items)})

        @app.post("/control/faults")
        def control_faults() -> Response:
            payload = request.get_json(force=True) or {}
            self.inject(status=payload.get("status"), delay=payload.get("delay"), count=int(payload.get("count", 1)))
            return jsonify({"faults": len(self.faults)})

        @app.get("/control/requests")
        def control_requests() -> Response:
            return jsonify(dict(self.requests))

        @app.post("/control/reset-requests")
        def reset_requests() -> Response:
            self.requests.clear()
            return jsonify({})

        return app


def _csv(rows: list[dict[str, Any]], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row[name] for name in FIELDS])
    return out.getvalue()


def generate_items(count: int, *, prefix: str = "SKU", seed_date: str = "2026-12-15") -> Iterator[dict[str, Any]]:
    """A deterministic catalogue for demos and benchmarks: some in stock, the rest with dates."""
    for n in range(count):
        yield {"sku": f"{prefix}-{n:06d}", "quantity": 0 if n % 3 else 25,
               "restock_date": None if n % 3 == 0 else seed_date, "lead_time_days": 14}
