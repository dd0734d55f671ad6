"""Bulk mutations as Shopify runs them (https://shopify.dev/docs/api/usage/bulk-operations/imports).

- ``stagedUploadsCreate`` (BULK_MUTATION_VARIABLES, POST) answers a loopback upload URL with signed form
  parameters (``key``, ``policy``, ``x-goog-signature``, ...; ``resourceUrl`` null, as Shopify does);
- ``POST /_staged_uploads/`` takes the multipart form like the storage bucket: the signature must match,
  the file may be at most 20 MB (Shopify's limit for bulk mutation variables; ``EntityTooLarge`` above);
- ``bulkOperationRunMutation`` checks the mutation against the served schema and the file's lines, then
  runs each line, one after another, against the shop (CREATED -> RUNNING -> COMPLETED, ``objectCount``
  counting) in a background thread; the result file (``{"data": ..., "__lineNumber": n}`` a line) is served
  at ``url``; ``bulk_operations/finish`` goes to the app. A shop runs at most ``limit`` bulk mutations of
  the app at once: 1 before API version 2026-01 (``OPERATION_IN_PROGRESS``), 5 from it (``LIMIT_REACHED``);
- ``bulkOperation(id:)``, ``currentBulkOperation(type:)`` and ``bulkOperations(query:)`` (operation_type,
  status, created_at filters; newest first) read them.

Tests steer it through ``bulk_of(sim.graphql)``: ``gate`` (clear it to hold running operations),
``fail_after`` (the next operation fails with INTERNAL_SERVER_ERROR after that many lines, its lines so far
at ``partialDataUrl``), ``line_seconds`` (time a line takes), ``runs`` (every operation started).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, has_request_context, request
from graphql import OperationDefinitionNode, OperationType, execute_sync

from sandbox.shopify_sim.pagination import connection
from sandbox.shopify_sim.store import gid, graphql_time

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""Shopify's limit for a bulk mutation's variables file."""
BUCKET = "shopify-staged-uploads"


@dataclass
class Operation:
    number: int
    shop: str
    mutation: str
    path: str
    client_identifier: str | None
    base_url: str
    status: str = "CREATED"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    completed_at: datetime | None = None
    object_count: int = 0
    error_code: str | None = None
    url: str | None = None
    partial_url: str | None = None
    file_size: int | None = None


@dataclass
class BulkState:
    """One simulator's staged files and bulk operations (kept on its AdminGraphQL object)."""

    limit: int = 5
    line_seconds: float = 0.0
    fail_after: int | None = None
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    uploads: dict[str, bytes] = field(default_factory=dict)
    results: dict[str, bytes] = field(default_factory=dict)
    operations: dict[int, Operation] = field(default_factory=dict)
    runs: list[int] = field(default_factory=list)
    max_running: int = 0
    """The most bulk mutations one shop had running at once."""
    gate: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)
    send: Callable[[str, str, dict[str, Any]], None] | None = None
    shop_lock: Any = None
    next_number: int = 1

    def __post_init__(self) -> None:
        self.gate.set()

    def running(self, shop: str) -> list[Operation]:
        return [o for o in self.operations.values() if o.shop == shop and o.status in ("CREATED", "RUNNING")]

    def sign(self, policy: str) -> str:
        return hmac.new(self.signing_key, policy.encode("ascii"), hashlib.sha256).hexdigest()

    def wait_finished(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if not any(o.status in ("CREATED", "RUNNING") for o in self.operations.values()):
                    return True
            time.sleep(0.01)
        return False


def bulk_of(api: Any) -> BulkState:
    state = getattr(api, "bulk", None)
    if state is None:
        state = BulkState()
        api.bulk = state
    return state


def render(op: Operation) -> dict[str, Any]:
    return {"__typename": "BulkOperation", "id": gid("BulkOperation", op.number), "status": op.status,
            "type": "MUTATION", "errorCode": op.error_code, "createdAt": graphql_time(op.created_at),
            "completedAt": graphql_time(op.completed_at), "objectCount": str(op.object_count),
            "rootObjectCount": str(op.object_count), "fileSize": str(op.file_size) if op.file_size else None,
            "url": op.url, "partialDataUrl": op.partial_url, "query": op.mutation}


def _matches(op: Operation, query: str | None) -> bool:
    for term in (query or "").split():
        name, _, value = term.partition(":")
        value = value.strip("'\"")
        if name == "operation_type" and value.lower() != "mutation":
            return False
        if name == "status" and value.upper() != op.status:
            return False
        if name == "created_at":
            for prefix in (">=", "<=", ">", "<"):
                if value.startswith(prefix):
                    moment = datetime.fromisoformat(value[len(prefix):].strip("'\"").replace("Z", "+00:00"))
                    created = op.created_at
                    ok = {">=": created >= moment, "<=": created <= moment, ">": created > moment,
                          "<": created < moment}[prefix]
                    if not ok:
                        return False
                    break
    return True


def extension(api: Any, shop: Any) -> dict[str, Any]:
    state = bulk_of(api)
    shop_number = zlib.crc32(shop.domain.encode())

    def staged_uploads_create(info: Any, input: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: A002
        base = request.host_url if has_request_context() else "http://127.0.0.1/"
        targets, errors = [], []
        for index, item in enumerate(input):
            if item.get("resource") != "BULK_MUTATION_VARIABLES" or item.get("httpMethod") != "POST":
                errors.append({"field": ["input", str(index)], "message": "the simulator stages only "
                               "BULK_MUTATION_VARIABLES uploads sent with httpMethod POST"})
                continue
            key = f"tmp/{shop_number}/bulk/{secrets.token_hex(16)}/{item['filename']}"
            policy = base64.b64encode(json.dumps({"key": key, "max": MAX_UPLOAD_BYTES,
                                                  "content_type": item["mimeType"]}).encode()).decode("ascii")
            params = {"Content-Type": item["mimeType"], "success_action_status": "201", "acl": "private", "key": key,
                      "x-goog-date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
                      "x-goog-credential": "sandbox@shopify-simulator/auto/storage/goog4_request",
                      "x-goog-algorithm": "GOOG4-HMAC-SHA256", "x-goog-signature": state.sign(policy),
                      "policy": policy}
            targets.append({"url": f"{base}_staged_uploads/", "resourceUrl": None,
                            "parameters": [{"name": k, "value": v} for k, v in params.items()]})
        return {"stagedTargets": targets if not errors else None, "userErrors": errors}

    def run_mutation(info: Any, mutation: str, stagedUploadPath: str,  # noqa: N803
                     clientIdentifier: str | None = None, groupObjects: bool = True) -> dict[str, Any]:  # noqa: N803
        from sandbox.shopify_sim.graphql_api import checked_document  # (it imports this module's extension)

        def refused(code: str, message: str, where: list[str] | None = None) -> dict[str, Any]:
            return {"bulkOperation": None, "userErrors": [{"field": where, "message": message, "code": code}]}

        with state.lock:
            running = state.running(shop.domain)
            if len(running) >= state.limit:
                if state.limit == 1:
                    return refused("OPERATION_IN_PROGRESS", "A bulk mutation operation for this app and shop is "
                                   f"already in progress: {gid('BulkOperation', running[0].number)}.")
                return refused("LIMIT_REACHED", "Bulk operations limit reached. Please try again later.")
            # parsed and validated once per mutation text, as the API's own documents are (a client sends the
            # same mutation with every bulk write; validating it each time was a tenth of a burst's simulator)
            document, problems = checked_document(info.schema, mutation)
            if document is None:
                return refused("INVALID_MUTATION", f"Failed to parse the mutation - {problems[0].message}",
                               ["mutation"])
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if (len(operations) != 1 or operations[0].operation != OperationType.MUTATION
                    or len(operations[0].selection_set.selections) != 1):
                return refused("INVALID_MUTATION", "Bulk mutations must contain exactly one mutation field.",
                               ["mutation"])
            if problems:
                return refused("INVALID_MUTATION", f"Invalid mutation: {problems[0].message}", ["mutation"])
            body = state.uploads.get(stagedUploadPath)
            if body is None:
                return refused("NO_SUCH_FILE", "The JSONL file could not be found.", ["stagedUploadPath"])
            try:
                lines = [json.loads(raw) for raw in body.splitlines() if raw.strip()]
            except ValueError:
                return refused("INVALID_STAGED_UPLOAD_FILE", "Unexpected file structure - expected JSONL",
                               ["stagedUploadPath"])
            if not all(isinstance(line, dict) for line in lines):
                return refused("INVALID_STAGED_UPLOAD_FILE", "Unexpected file structure - expected JSONL",
                               ["stagedUploadPath"])
            base = request.host_url if has_request_context() else "http://127.0.0.1/"
            op = Operation(state.next_number, shop.domain, mutation, stagedUploadPath, clientIdentifier, base)
            state.next_number += 1
            state.operations[op.number] = op
            state.runs.append(op.number)
            state.max_running = max(state.max_running, len(state.running(shop.domain)))
            fail_after, state.fail_after = state.fail_after, None
        answer = render(op)  # as created: Shopify answers CREATED
        root = api._root(shop)  # every root field the Admin API answers, as a line would reach them
        threading.Thread(target=_run, args=(state, op, info.schema, document, root, lines, fail_after),
                         name=f"bulk-{op.number}", daemon=True).start()
        return {"bulkOperation": answer, "userErrors": []}

    def by_id(info: Any, id: str) -> dict[str, Any] | None:  # noqa: A002
        number = id.rsplit("/", 1)[-1]
        with state.lock:
            op = state.operations.get(int(number)) if number.isdigit() else None
            return render(op) if op is not None and op.shop == shop.domain else None

    def mine(query: str | None = None) -> list[Operation]:
        with state.lock:
            ops = [o for o in state.operations.values() if o.shop == shop.domain and _matches(o, query)]
        return sorted(ops, key=lambda o: o.number, reverse=True)

    def current(info: Any, type: str = "QUERY") -> dict[str, Any] | None:  # noqa: A002
        ops = mine() if type == "MUTATION" else []
        return render(ops[0]) if ops else None

    def listing(info: Any, **args: Any) -> dict[str, Any]:
        ops = mine(args.get("query"))
        return connection(ops, [(str(-o.number), -o.number) for o in ops], render, args)

    return {"stagedUploadsCreate": staged_uploads_create, "bulkOperationRunMutation": run_mutation,
            "bulkOperation": by_id, "currentBulkOperation": current, "bulkOperations": listing}


def _run(state: BulkState, op: Operation, schema: Any, document: Any, root: dict[str, Any],
         lines: list[dict[str, Any]], fail_after: int | None) -> None:
    out: list[bytes] = []
    with state.lock:
        op.status = "RUNNING"
    for number, variables in enumerate(lines):
        state.gate.wait()
        if fail_after is not None and number >= fail_after:
            break
        with state.shop_lock or threading.Lock():
            result = execute_sync(schema, document, root_value=root, variable_values=variables)
        line: dict[str, Any] = {"data": result.data}
        if result.errors:
            line["errors"] = [{"message": e.message, "path": list(e.path or [])} for e in result.errors]
        line["__lineNumber"] = number
        out.append(json.dumps(line, separators=(",", ":")).encode())
        with state.lock:
            op.object_count += 1
        if state.line_seconds:
            time.sleep(state.line_seconds)
    token = secrets.token_hex(16)
    data = b"\n".join(out) + (b"\n" if out else b"")
    with state.lock:
        state.results[token] = data
        url = f"{op.base_url}_bulk_results/{token}.jsonl"
        op.completed_at = datetime.now(UTC).replace(microsecond=0)
        if fail_after is not None and fail_after < len(lines):
            op.status, op.error_code, op.partial_url = "FAILED", "INTERNAL_SERVER_ERROR", url if out else None
        else:
            op.status, op.url, op.file_size = "COMPLETED", url, len(data)
        body = {"admin_graphql_api_id": gid("BulkOperation", op.number), "completed_at": graphql_time(op.completed_at),
                "created_at": graphql_time(op.created_at),
                "error_code": op.error_code.lower() if op.error_code else None, "status": op.status.lower(),
                "type": "mutation"}
    if state.send is not None:
        state.send(op.shop, "bulk_operations/finish", body)


def blueprint(sim: Any) -> Blueprint:
    """The storage bucket's upload form and the result files; wires the state to the simulator."""
    state = bulk_of(sim.graphql)
    state.shop_lock = sim._lock
    state.limit = 1 if sim.api_version < "2026-01" else 5

    def send(domain: str, topic: str, body: dict[str, Any]) -> None:
        sim._send(sim.shop(domain), topic, json.loads(json.dumps(body)))

    state.send = send
    bp = Blueprint("shopify_sim_bulk", __name__)

    def xml_error(code: str, message: str, status: int) -> tuple[Response, int]:
        text = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message>"
                f"</Error>")
        return Response(text, mimetype="application/xml"), status

    @bp.post("/_staged_uploads/")
    def upload() -> tuple[Response, int]:
        if (request.content_length or 0) > MAX_UPLOAD_BYTES + 64 * 1024:
            return xml_error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
        form, upload = request.form, request.files.get("file")
        key, policy, signature = form.get("key", ""), form.get("policy", ""), form.get("x-goog-signature", "")
        if not key or not policy or upload is None:
            return xml_error("InvalidArgument", "The form needs key, policy, x-goog-signature and a file.", 400)
        if not hmac.compare_digest(state.sign(policy), signature):
            return xml_error("SignatureDoesNotMatch", "The request signature we calculated does not match.", 403)
        try:
            signed = json.loads(base64.b64decode(policy))
        except ValueError:
            return xml_error("InvalidPolicyDocument", "The policy is not valid.", 400)
        if signed.get("key") != key:
            return xml_error("AccessDenied", "The key is not the one the policy was signed for.", 403)
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            return xml_error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
        with state.lock:
            state.uploads[key] = data
        if form.get("success_action_status") == "201":
            text = (f"<?xml version='1.0' encoding='UTF-8'?><PostResponse><Location>{request.host_url}{key}"
                    f"</Location><Bucket>{BUCKET}</Bucket><Key>{key}</Key></PostResponse>")
            return Response(text, mimetype="application/xml"), 201
        return Response(b""), 204

    @bp.get("/_bulk_results/<token>.jsonl")
    def result(token: str) -> tuple[Response, int]:
        with state.lock:
            data = state.results.get(token)
        if data is None:
            return xml_error("NoSuchKey", "The specified key does not exist.", 404)
        return Response(data, mimetype="application/jsonl"), 200

    return bp
