"""In-stock dates as one Shopify bulk mutation (https://shopify.dev/docs/api/usage/bulk-operations/imports).

1. ``stagedUploadsCreate`` (resource BULK_MUTATION_VARIABLES, text/jsonl, POST) gives an upload target:
   a URL and form parameters; the ``key`` parameter is the path the bulk mutation reads from.
2. The JSONL file (one ``metafieldsSet`` variables object a line, at most 25 metafields a line) is sent to
   that URL as a multipart form: every parameter as a field, the file last (Shopify's limit: 20 MB).
3. ``bulkOperationRunMutation(mutation:, stagedUploadPath:, clientIdentifier:)`` starts it; Shopify runs
   one line after another outside the per-call throttle and answers ``OPERATION_IN_PROGRESS`` (or, from
   2026-01, ``LIMIT_REACHED``) while the app already runs its bulk mutations there (BulkBusy).
4. ``bulkOperation(id:)`` tells its status; ``bulkOperations(query:)`` finds the app's mutations created
   since a moment (a run whose answer was lost); the result file (``url``, or ``partialDataUrl`` of a
   failed one) holds one line per input line: ``{"data": {"metafieldsSet": {...userErrors}},
   "__lineNumber": n}``, or ``errors`` for a line that did not run.

Staging and reading are safe to repeat; the run is not (connector/supply/publish_bulk.py records each step).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from adapters.shopify import queries
from adapters.shopify.batched import gid
from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from connector.domain.bulk import BulkBusy, BulkLineResult, BulkOperation
from connector.domain.errors import PlatformRejected
from connector.domain.supply import PageDate

log = logging.getLogger(__name__)

Execute = Callable[[str, dict[str, Any]], dict[str, Any]]

NAMESPACE = "$app"
KEY = "in_stock_date"
LINE_SIZE = 25
"""Metafields per JSONL line: metafieldsSet's limit."""
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""Shopify's limit for a bulk mutation's variables file."""
BULK_MAX_DATES = 100_000
"""Dates in one operation: 4,000 lines of about 3.3 KB (13 MB), under MAX_UPLOAD_BYTES with any ids."""

STAGED_UPLOADS_CREATE = """
mutation ConnectorStagedUpload($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets {
      url
      resourceUrl
      parameters {
        name
        value
      }
    }
    userErrors {
      field
      message
    }
  }
}
"""

BULK_METAFIELDS_SET = """
mutation ConnectorBulkMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields {
      key
    }
    userErrors {
      field
      message
      code
      elementIndex
    }
  }
}
"""
"""The mutation each line runs (its variables are the line)."""

BULK_RUN_MUTATION = """
mutation ConnectorBulkRun($mutation: String!, $stagedUploadPath: String!, $clientIdentifier: String) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath,
                           clientIdentifier: $clientIdentifier) {
    bulkOperation {
      id
      status
      createdAt
    }
    userErrors {
      field
      message
      code
    }
  }
}
"""

BULK_OPERATION_FIELDS = """
fragment ConnectorBulkOperationFields on BulkOperation {
  id
  status
  errorCode
  createdAt
  objectCount
  url
  partialDataUrl
}
"""
"""What both reads select of an operation (the fields ``_operation`` reads)."""

BULK_OPERATION = """
query ConnectorBulkOperation($id: ID!) {
  bulkOperation(id: $id) {
    ...ConnectorBulkOperationFields
  }
}
""" + BULK_OPERATION_FIELDS

BULK_MUTATIONS_SINCE = """
query ConnectorBulkMutationsSince($query: String!) {
  bulkOperations(first: 10, query: $query) {
    nodes {
      ...ConnectorBulkOperationFields
    }
  }
}
""" + BULK_OPERATION_FIELDS

DOCUMENTS: tuple[str, ...] = (STAGED_UPLOADS_CREATE, BULK_METAFIELDS_SET, BULK_RUN_MUTATION, BULK_OPERATION,
                              BULK_MUTATIONS_SINCE)

MARKS_BULK_MIN = 20
"""Orders to tag at once from which the tags go as one bulk mutation: below it, aliased ``tagsAdd`` calls
(adapters/shopify/batched.py) cost less than the bulk operation's own calls and answer at once."""
MARKS_BULK_POINTS = 35
"""What one bulk marking costs of the shop's budget, actual points: ``stagedUploadsCreate`` and
``bulkOperationRunMutation`` (10 each; the lines run outside the per-call budget), and a few reads of
the operation (1 each) and of what its lines returned."""


def jsonl_lines(dates: Sequence[PageDate]) -> bytes:
    """The variables file: line n sets ``dates[25n:25n+25]``. Every date needs a variant and a day."""
    lines = []
    for start in range(0, len(dates), LINE_SIZE):
        metafields = []
        for d in dates[start:start + LINE_SIZE]:
            if d.day is None or not d.variant_id:
                raise ValueError(f"sku {d.sku}: a bulk line sets a date on a variant (no day or no variant)")
            metafields.append({"ownerId": gid("ProductVariant", d.variant_id), "namespace": NAMESPACE, "key": KEY,
                               "type": "date", "value": d.day.isoformat()})
        lines.append(json.dumps({"metafields": metafields}, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8")


class ShopifyBulkDates:
    """The BulkDateWriter port (connector/supply/ports.py) over one shop's GraphQL client."""

    client: ShopifyGraphQL
    bulk_line_size = LINE_SIZE
    bulk_max_dates = BULK_MAX_DATES

    def _execute(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return self.client.execute(document, variables)

    def bulk_stage(self, dates: Sequence[PageDate]) -> str:
        """Upload the variables file; return its staged upload path."""
        if not dates:
            raise ValueError("nothing to stage")
        if len(dates) > BULK_MAX_DATES:
            raise ValueError(f"at most {BULK_MAX_DATES} dates in one bulk operation, got {len(dates)}")
        return stage_file(self.client, jsonl_lines(dates), "in_stock_dates.jsonl", self._execute)

    def bulk_run(self, staged_path: str, client_identifier: str) -> BulkOperation:
        """Start the bulk mutation over a staged file. Raises BulkBusy when Shopify runs the app's
        bulk mutations already (nothing started), PlatformRejected for any other refusal."""
        return run_mutation(self.client, BULK_METAFIELDS_SET, staged_path, client_identifier, self._execute)

    def bulk_operation(self, operation_id: str) -> BulkOperation:
        return read_operation(self.client, operation_id, self._execute)

    def bulk_operations_since(self, since: datetime) -> list[BulkOperation]:
        """The app's bulk mutations on this shop created at or after ``since``, newest first."""
        moment = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        data = self._execute(BULK_MUTATIONS_SINCE, {"query": f"operation_type:mutation created_at:>='{moment}'"})
        found = [_operation(n) for n in (data.get("bulkOperations") or {}).get("nodes") or []]
        return sorted(found, key=lambda o: o.created_at or since, reverse=True)

    def bulk_results(self, url: str) -> list[BulkLineResult]:
        """The result file, one entry per line Shopify reports on."""
        return read_results(self.client, url, "metafieldsSet")


def stage_file(client: ShopifyGraphQL, body: bytes, filename: str, execute: Execute | None = None) -> str:
    """Upload a bulk mutation's variables file (``stagedUploadsCreate``, then the multipart POST); return
    its staged upload path. Safe to repeat. ``execute`` sends the GraphQL call (default: the client's)."""
    if len(body) > MAX_UPLOAD_BYTES:
        raise PlatformRejected(f"shopify: the bulk file is {len(body)} bytes, over Shopify's {MAX_UPLOAD_BYTES}")
    data = (execute or client.execute)(STAGED_UPLOADS_CREATE, {"input": [{
        "resource": "BULK_MUTATION_VARIABLES", "filename": filename, "mimeType": "text/jsonl",
        "httpMethod": "POST"}]})
    payload = data.get("stagedUploadsCreate")
    raise_user_errors(payload, "stagedUploadsCreate")
    targets = (payload or {}).get("stagedTargets") or []
    if not targets or not targets[0].get("url"):
        raise PlatformRejected("shopify: stagedUploadsCreate gave no upload target")
    target = targets[0]
    fields = [(str(p["name"]), str(p["value"])) for p in target.get("parameters") or []]
    path = next((value for name, value in fields if name == "key"), None) or target.get("resourceUrl")
    if not path:
        raise PlatformRejected("shopify: the staged upload target has no key")
    # the same key again overwrites the same object: a resend after a timeout is harmless
    client.transport.request("POST", str(target["url"]), resend_safe=True, data=fields,
                             files={"file": (filename, body, "text/jsonl")}, timeout=120)
    log.info("bulk file staged", extra={"shop": client.shop_domain, "bytes": len(body), "lines": body.count(b"\n")})
    return str(path)


def run_mutation(client: ShopifyGraphQL, mutation: str, staged_path: str, client_identifier: str,
                 execute: Execute | None = None) -> BulkOperation:
    """Start ``mutation`` over a staged file. Raises BulkBusy when Shopify runs the app's bulk mutations
    already (nothing started), PlatformRejected for any other refusal."""
    data = (execute or client.execute)(BULK_RUN_MUTATION, {"mutation": mutation, "stagedUploadPath": staged_path,
                                                           "clientIdentifier": client_identifier})
    payload = data.get("bulkOperationRunMutation") or {}
    errors = payload.get("userErrors") or []
    if any(e.get("code") in ("OPERATION_IN_PROGRESS", "LIMIT_REACHED") for e in errors):
        raise BulkBusy(f"shopify {client.shop_domain}: {errors[0].get('message')}")
    raise_user_errors(payload, "bulkOperationRunMutation")
    node = payload.get("bulkOperation")
    if not node:
        raise PlatformRejected("shopify: bulkOperationRunMutation returned no operation")
    return _operation(node)


def read_results(client: ShopifyGraphQL, url: str, field: str) -> list[BulkLineResult]:
    """A result file, one entry per line Shopify reports on; ``field`` is the mutation's payload field."""
    response = client.transport.request("GET", url, timeout=120)
    results = []
    for number, raw in enumerate(response.content.splitlines()):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            raise PlatformRejected(f"shopify: bulk result line {number + 1} is not JSON") from None
        if not isinstance(line, dict) or not isinstance(line.get("__lineNumber"), int):
            raise PlatformRejected(f"shopify: bulk result line {number + 1} has no __lineNumber")
        results.append(BulkLineResult(line["__lineNumber"], _line_errors(line, field)))
    return results


def tag_orders(client: ShopifyGraphQL, order_ids: Sequence[str], tag: str) -> BulkOperation:
    """Start one bulk mutation adding ``tag`` to each order, line n tagging ``order_ids[n]`` (each line runs
    the one-order ``queries.TAGS_ADD`` with the line as its variables). ``tagsAdd`` is idempotent, so a run
    whose answer was lost is harmless to ask for again. Raises BulkBusy when the shop's bulk mutations are
    at Shopify's limit (nothing started)."""
    if not order_ids:
        raise ValueError("no order to tag")
    body = "".join(json.dumps({"id": gid("Order", order_id), "tags": [tag]}, separators=(",", ":")) + "\n"
                   for order_id in order_ids).encode("utf-8")
    path = stage_file(client, body, "backorder_tags.jsonl")
    operation = run_mutation(client, queries.TAGS_ADD, path, f"connector-marks-{len(order_ids)}")
    log.info("bulk tagging started", extra={"shop": client.shop_domain, "orders": len(order_ids),
                                            "operation": operation.id})
    return operation


def read_operation(client: ShopifyGraphQL, operation_id: str, execute: Execute | None = None) -> BulkOperation:
    """The operation as Shopify reports it now (PlatformRejected when it knows none by that id)."""
    node = (execute or client.execute)(BULK_OPERATION, {"id": operation_id}).get("bulkOperation")
    if not node:
        raise PlatformRejected(f"shopify: no bulk operation {operation_id}")
    return _operation(node)


def _line_errors(line: dict[str, Any], field: str) -> tuple[str, ...]:
    messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in line.get("errors") or []]
    payload = ((line.get("data") or {}).get(field)) if isinstance(line.get("data"), dict) else None
    if payload is None and not messages:
        messages.append(f"{field} returned no payload")
    for error in (payload or {}).get("userErrors") or []:
        where = ".".join(str(f) for f in error.get("field") or []) or "-"
        messages.append(f"{where}: {error.get('message', '?')}")
    return tuple(messages)


def _operation(node: dict[str, Any]) -> BulkOperation:
    created = node.get("createdAt")
    return BulkOperation(
        id=str(node.get("id") or ""), status=str(node.get("status") or ""),
        created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        error_code=node.get("errorCode"), object_count=int(node.get("objectCount") or 0),
        url=node.get("url"), partial_url=node.get("partialDataUrl"))
