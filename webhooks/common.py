"""What both webhook endpoints share: bounded body reading, rejections, storing and enqueueing."""

from __future__ import annotations

import json
import logging
from typing import Any

import orjson
from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from connector.bootstrap import Container
from connector.db.inbox import Incoming, insert_events, kept_headers
from connector.domain.errors import StorageUnavailable
from connector.metrics import WEBHOOKS_RECEIVED, WEBHOOKS_REJECTED, reject_reason
from jobs.events import schedule_all
from webhooks.inbox_writer import GroupCommit

log = logging.getLogger(__name__)


class Rejected(Exception):
    def __init__(self, status: int, reason: str, **context: Any) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.context = context


def container() -> Container:
    return current_app.extensions["connector"]  # type: ignore[no-any-return]


def read_body(limit: int) -> bytes:
    """The raw body, refusing anything over ``limit`` bytes without reading it all."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise Rejected(413, f"body of {declared} bytes is over the {limit}-byte limit")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise Rejected(413, f"body is over the {limit}-byte limit")
    return body


MAX_JSON_DEPTH = 64
"""Deepest nesting of objects and arrays accepted in a body (store payloads nest fewer than ten)."""
MAX_JSON_INTEGER = 2**63 - 1
"""Largest integer (in magnitude) accepted in a body: store ids and counts are 64-bit at most."""


class AbsurdJSON(ValueError):
    """Signed JSON that no store sends: nested too deep, or a number out of any sane range."""


def _json_int(text: str) -> int:
    value = int(text)
    if len(text) > 18 and abs(value) > MAX_JSON_INTEGER:
        raise AbsurdJSON(f"integer {text[:24]}{'...' if len(text) > 24 else ''} is out of range "
                         f"(at most {MAX_JSON_INTEGER} in magnitude)")
    return value


def _json_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise AbsurdJSON(f"number {text[:24]} is out of range")
    return value


def _json_constant(name: str) -> float:
    raise AbsurdJSON(f"{name} is not a JSON number")


def _check_depth(body: bytes, payload: object) -> None:
    """Raise AbsurdJSON when objects and arrays nest deeper than MAX_JSON_DEPTH. A body with no more
    opening brackets than that cannot (one bytes count, the usual case); otherwise the parsed value
    is walked level by level, without recursion, so a deep document cannot exhaust the stack here."""
    if not isinstance(payload, dict | list) or body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return
    level: list[Any] = [payload]
    depth = 1
    while level:
        if depth > MAX_JSON_DEPTH:
            raise AbsurdJSON(f"nested deeper than {MAX_JSON_DEPTH} levels")
        below: list[Any] = []
        for node in level:
            below.extend([child for child in (node.values() if type(node) is dict else node)
                          if type(child) is dict or type(child) is list])
        level, depth = below, depth + 1


_DIGIT_RUNS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
"""``bytes.translate`` table: every digit to "0", every other byte to a space (see ``parse_json_object``)."""
_LONG_NUMBER = b"0" * 19
"""A run of 19 digits: the shortest that may hold an integer past MAX_JSON_INTEGER."""
_UNPARSED = object()


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object. Malformed JSON, nesting deeper than MAX_JSON_DEPTH, integers past
    MAX_JSON_INTEGER, NaN/Infinity and numbers that overflow a float are refused with 400.

    Every webhook is parsed here, so the usual body goes to orjson (with the guard, under half the standard
    parser's CPU): one with no run of 19 digits anywhere cannot hold an integer out of range, and orjson refuses
    NaN, Infinity and numbers that overflow a float. Anything orjson refuses, and any body with such a
    run (where orjson would turn a too-large integer into a float), goes to the standard parser with its
    checks, which accepts and refuses exactly as before and says why."""
    payload: Any = _UNPARSED
    if _LONG_NUMBER not in body.translate(_DIGIT_RUNS):
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # the standard parser below finds the reason
    try:
        if payload is _UNPARSED:
            payload = json.loads(body, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
        _check_depth(body, payload)
    except AbsurdJSON as exc:
        raise Rejected(400, f"absurd JSON: {exc}") from None
    except RecursionError:  # the parser itself gave up: far deeper than any store payload
        raise Rejected(400, f"absurd JSON: nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected(400, f"malformed JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "JSON body must be an object")
    return payload


def reject(platform: str, error: Rejected) -> ResponseReturnValue:
    WEBHOOKS_REJECTED.labels(platform=platform, reason=reject_reason(error.status)).inc()
    log.warning("webhook rejected", extra={"platform": platform, "status": error.status,
                                           "reason": error.reason, **error.context})
    response = jsonify({"error": error.reason})
    response.status_code = error.status
    if error.status == 503:
        response.headers["Retry-After"] = "30"
    return response


INBOX = "connector.inbox"
"""The app's extension holding its GroupCommit (webhooks/inbox_writer.py)."""


def inbox(c: Container) -> GroupCommit:
    """The process's group commit for the inbox (one an app, made at its first webhook)."""
    writer: GroupCommit | None = current_app.extensions.get(INBOX)
    if writer is None:
        made = GroupCommit(lambda batch: insert_events(c.engine, batch),
                           lambda stored: schedule_all(c.queue, stored))  # RQ: one job a shop, not an event
        writer = current_app.extensions.setdefault(INBOX, made)
    return writer


def store_and_enqueue(platform: str, shop_id: int, topic: str, dedupe_key: str, body: bytes) -> ResponseReturnValue:
    """Commit the raw event and queue its shop's processing (together with the webhooks other threads of this
    process are storing: webhooks/inbox_writer.py), then answer."""
    c = container()
    stored = inbox(c).submit(Incoming(shop_id, topic, dedupe_key, kept_headers(request.headers), body))
    if isinstance(stored, StorageUnavailable):
        raise Rejected(503, f"storage unavailable: {stored.__class__.__name__}", shop_id=shop_id)
    WEBHOOKS_RECEIVED.labels(platform=platform, outcome="stored" if stored.created else "duplicate").inc()
    log.info("webhook accepted", extra={"platform": platform, "shop_id": shop_id, "topic": topic,
                                        "event_id": stored.event_id, "duplicate": not stored.created})
    return jsonify({"status": "stored" if stored.created else "duplicate", "event_id": stored.event_id}), 200
