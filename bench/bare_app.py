"""The baseline for bench/webhook_ingest.py: a Flask endpoint that reads the body and answers 200.

Served exactly like the connector (``gunicorn -w 2 --chdir bench bare_app:app``) so the ratio
between the two measures what the connector's handler costs, not Flask or gunicorn.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

app = Flask("bare")


@app.post("/webhooks/shopify")
def receive() -> ResponseReturnValue:
    request.get_data()  # read the body, as the real handler does
    return jsonify({"ok": True}), 200


@app.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})
