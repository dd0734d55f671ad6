"""Shopify fulfillment-service mode: answer the fulfillment and cancellation requests assigned to
the connector's service location (see connector/dropship/fulfillment_service.py). Idempotent: a
request already answered is no longer assigned with that status."""

from __future__ import annotations

from connector.dropship import fulfillment_service, work
from connector.job_refs import job_ref
from jobs import runtime


def service_for(shop_id: int) -> fulfillment_service.FulfillmentServicePort:
    """The shop's fulfillment-service port (built by the container)."""
    return runtime.container().fulfillment_service(shop_id)


def process_requests(shop_id: int) -> int:
    """Answer every pending request; returns how many were answered."""
    return work.answer_requests(runtime.container(), shop_id)


def enable(shop_id: int) -> str:
    """Register the shop's fulfillment service; returns its location id."""
    return work.enable_service(runtime.container(), shop_id)


PROCESS = job_ref(process_requests)
