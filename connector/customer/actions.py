"""What the customer does on the page: cancel waiting items, keep waiting, choose how to be told.

Each action is one transaction scoped to the link's order. A cancellation is only recorded here
(connector/notify/page_cancel.py); the store carries it out in the next evaluation of the shop,
which the web layer queues, exactly once per item.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from connector.customer.page import backorders_of, order_of
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.preferences import Frequency
from connector.notify.links import OrderLink
from connector.notify.page_cancel import keep_waiting as answer_wait
from connector.notify.page_cancel import request_cancel
from connector.notify.page_repository import CustomerPageRepository
from connector.notify.repository import NotifyRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CancelOutcome:
    requested: list[int]
    already: list[int]
    not_waiting: list[int]


def cancel(uow: UnitOfWork, link: OrderLink, backorder_ids: Collection[int] | None, today: date) -> CancelOutcome:
    """Ask to cancel these items of the order (None: every waiting one). Ids of other orders are ignored."""
    with uow:
        order = order_of(uow, link)
        chosen = [b for b in backorders_of(order) if backorder_ids is None or b.id in backorder_ids]
        if backorder_ids is None:
            chosen = [b for b in chosen if b.status == "open"]
        decisions = uow.repo(NotifyRepository).decisions(link.shop_id, [b.id for b in chosen]) if chosen else {}
        result: dict[str, list[int]] = {"requested": [], "already": [], "not_waiting": []}
        for backorder in chosen:
            outcome = request_cancel(uow, link.shop_id, backorder, decisions.setdefault(backorder.id, []), today)
            result[outcome].append(backorder.id)
        uow.commit()
    log.info("order page cancellation", extra={"shop_id": link.shop_id, "order_id": link.order_id, **result})
    return CancelOutcome(result["requested"], result["already"], result["not_waiting"])


def keep_waiting(uow: UnitOfWork, link: OrderLink) -> int:
    """The customer keeps waiting for every waiting item: open delay notices are answered ``wait``
    (kept, each confirmed by a ``wait_confirmed`` e-mail) and the moment is noted. Returns how many
    notices it answered."""
    with uow:
        order = order_of(uow, link)
        backorders = backorders_of(order)
        decisions = uow.repo(NotifyRepository).decisions(link.shop_id, [b.id for b in backorders]) if backorders else {}
        answered = sum(answer_wait(uow, link.shop_id, b, decisions.get(b.id, [])) == "answered" for b in backorders)
        uow.repo(CustomerPageRepository).save(link.shop_id, order.id, order.customer_email, kept_waiting_at=utcnow())
        uow.commit()
    log.info("order page: keeps waiting", extra={"shop_id": link.shop_id, "order_id": link.order_id,
                                                 "answered": answered})
    return answered


def choose_frequency(uow: UnitOfWork, link: OrderLink, frequency: Frequency) -> None:
    """Store how the order's customer wants to be told (read by the next evaluation)."""
    with uow:
        order = order_of(uow, link)
        uow.repo(CustomerPageRepository).save(link.shop_id, order.id, order.customer_email, frequency=frequency)
        uow.commit()
    log.info("order page: message choice", extra={"shop_id": link.shop_id, "order_id": link.order_id,
                                                  "frequency": frequency.value})
