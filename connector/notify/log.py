"""Reading the message log and the pile-up alerts (for the CLI, the demo and the API)."""

from __future__ import annotations

from typing import Any

from connector.db.uow import UnitOfWork
from connector.notify.repository import NotifyRepository


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def list_messages(uow: UnitOfWork, shop_id: int, statuses: list[str] | None = None) -> list[dict[str, Any]]:
    with uow:
        rows = []
        for message, order_name, decision in uow.repo(NotifyRepository).message_log(shop_id, statuses):
            rows.append({
                "id": message.id, "order_name": order_name, "backorder_id": message.backorder_id,
                "kind": message.kind, "date": message.date_key, "recipient": message.recipient,
                "status": message.status, "outcome": message.outcome, "error": message.error,
                "discount_code": message.discount_code, "attempts": message.attempts,
                "sent_at": _iso(message.sent_at), "created_at": _iso(message.created_at),
                "answer": decision.answer if decision else None,
                "decision_outcome": decision.outcome if decision else None,
            })
        return rows


def list_alerts(uow: UnitOfWork, shop_id: int) -> list[dict[str, Any]]:
    with uow:
        alerts = uow.repo(NotifyRepository).alerts(shop_id)
        return [{"id": a.id, "sku": a.sku, "threshold": a.threshold, "limit": float(a.limit_value),
                 "observed": float(a.observed), "crossed_at": _iso(a.crossed_at), "cleared_at": _iso(a.cleared_at),
                 "status": a.status, "channels": a.channels, "error": a.error} for a in alerts]
