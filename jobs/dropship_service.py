"""Shopify fulfillment-service mode: answer the fulfillment and cancellation requests assigned to
the connector's service location (see connector/dropship/fulfillment_service.py). Idempotent: a
request already answered is no longer assigned with that status."""

from __future__ import annotations

from connector.dropship import fulfillment_service
from connector.job_refs import job_ref
from jobs import runtime


def service_for(shop_id: int) -> fulfillment_service.FulfillmentServicePort:
    """The shop's fulfillment-service port (built by the container)."""
    return runtime.container().fulfillment_service(shop_id)


def process_requests(shop_id: int) -> int:
    """Answer every pending request; returns how many were answered."""
    c = runtime.container()
    report = fulfillment_service.process_requests(c.uow(), service_for(shop_id), shop_id)
    from jobs.dropship import deliver_alerts

    if report.rejected:
        deliver_alerts(shop_id)
    return len(report.accepted) + len(report.rejected) + len(report.cancellations_accepted) + \
        len(report.cancellations_rejected)


def enable(shop_id: int) -> str:
    """Register the shop's fulfillment service; returns its location id."""
    c = runtime.container()
    return fulfillment_service.enable(c.uow(), service_for(shop_id), shop_id, c.settings.app_url or "")


PROCESS = job_ref(process_requests)
