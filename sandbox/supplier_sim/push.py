"""The sandbox supplier calls us when its stock changes, as a supplier with a push URL does.

``POST /control/push`` ``{"url", "secret", "mode": "changed"|"rows"}`` adds a target (``{"clear": true}``
removes them all). After every change (``set_stock``), each target gets a signed POST: ``X-Supplier-Hmac-Sha256``
(base64 HMAC-SHA256 of the raw body with the secret) and ``X-Supplier-Event-Id``; the body is ``{"id",
"sent_at", "event": "changed"}`` or ``{"id", "sent_at", "rows": [...]}`` with the changed items. Sent from a
thread, after the change is in place (a poll it triggers sees it). ``GET /control/push`` lists what was
sent and the answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
from flask import Response, jsonify, request

if TYPE_CHECKING:
    from sandbox.supplier_sim.simulator import SupplierSimulator


class Pusher:
    def __init__(self) -> None:
        self.targets: list[dict[str, str]] = []
        self.sent: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, url: str, secret: str, mode: str = "changed") -> None:
        if mode not in ("changed", "rows"):
            raise ValueError(f"mode must be changed or rows, got {mode!r}")
        with self._lock:
            self.targets.append({"url": url, "secret": secret, "mode": mode})

    def changed(self, items: list[Mapping[str, Any]]) -> None:
        with self._lock:
            targets = list(self.targets)
        for target in targets:
            threading.Thread(target=self._send, args=(target, items), daemon=True).start()

    def _send(self, target: Mapping[str, str], items: list[Mapping[str, Any]]) -> None:
        event_id = uuid.uuid4().hex
        payload: dict[str, Any] = {"id": event_id, "sent_at": datetime.now(UTC).isoformat()}
        if target["mode"] == "rows":
            payload["rows"] = [{k: item[k] for k in ("sku", "quantity", "restock_date", "lead_time_days") if k in item}
                               for item in items]
        else:
            payload["event"] = "changed"
        body = json.dumps(payload).encode()
        signature = base64.b64encode(hmac.new(target["secret"].encode(), body, hashlib.sha256).digest()).decode()
        try:
            response = requests.post(target["url"], data=body, timeout=10, headers={
                "Content-Type": "application/json", "X-Supplier-Hmac-Sha256": signature,
                "X-Supplier-Event-Id": event_id})
            outcome: dict[str, Any] = {"status": response.status_code, "answer": response.text[:500]}
        except requests.RequestException as exc:
            outcome = {"status": None, "answer": type(exc).__name__}
        with self._lock:
            self.sent.append({"event_id": event_id, "url": target["url"], "mode": target["mode"], **outcome})


def register(sim: SupplierSimulator) -> Pusher:
    pusher = Pusher()

    @sim.app.post("/control/push")
    def control_push() -> Response:
        payload = request.get_json(force=True) or {}
        if payload.get("clear"):
            pusher.targets.clear()
            return jsonify({"targets": 0})
        if not payload.get("url") or not payload.get("secret"):
            return Response(json.dumps({"error": "url and secret are required"}), status=400,
                            mimetype="application/json")
        try:
            pusher.add(str(payload["url"]), str(payload["secret"]), str(payload.get("mode", "changed")))
        except ValueError as exc:
            return Response(json.dumps({"error": str(exc)}), status=400, mimetype="application/json")
        return jsonify({"targets": len(pusher.targets)})

    @sim.app.get("/control/push")
    def control_pushed() -> Response:
        return jsonify({"targets": len(pusher.targets), "sent": list(pusher.sent)})

    return pusher
