"""What the customer's page writes in notify's tables: the message choice (customer_preferences),
read when a customer message is reserved (connector/notify/evaluate.py), and cancellation requests
(delay_decisions rows, see connector/notify/page_cancel.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector.db.repositories import Repository
from connector.domain.clock import utcnow
from connector.domain.preferences import Frequency
from connector.notify.models import DelayDecision
from connector.notify.preference_models import CustomerPreference


class CustomerPageRepository(Repository):
    """Reached with ``uow.repo(CustomerPageRepository)``."""

    def of_order(self, order_id: int) -> CustomerPreference | None:
        return self.session.scalar(select(CustomerPreference).where(CustomerPreference.order_id == order_id))

    def frequency_for(self, order_id: int, customer_email: str | None) -> Frequency | None:
        """The choice the order's current customer made, None when they made none."""
        row = self.of_order(order_id)
        if row is None or (row.customer_email or "").lower() != (customer_email or "").lower():
            return None
        return Frequency(row.frequency)

    def save(self, shop_id: int, order_id: int, customer_email: str | None, *, frequency: Frequency | None = None,
             kept_waiting_at: datetime | None = None) -> CustomerPreference:
        """Create or update the order's row (two first saves at once: the second updates the first's row)."""
        row = self.of_order(order_id)
        if row is None:
            try:
                with self.session.begin_nested():
                    row = CustomerPreference(shop_id=shop_id, order_id=order_id, customer_email=customer_email,
                                             frequency=(frequency or Frequency.EVERY_CHANGE).value,
                                             kept_waiting_at=kept_waiting_at, updated_at=utcnow())
                    self.session.add(row)
                    self.session.flush()
                return row
            except IntegrityError:
                row = self.of_order(order_id)
                assert row is not None
        if row.customer_email != customer_email:  # another customer now: their own choice starts afresh
            row.customer_email, row.frequency = customer_email, Frequency.EVERY_CHANGE.value
        if frequency is not None:
            row.frequency = frequency.value
        if kept_waiting_at is not None:
            row.kept_waiting_at = kept_waiting_at
        row.updated_at = utcnow()
        return row

    def add_page_decision(self, decision: DelayDecision) -> bool:
        """Insert a page cancellation request; False when its backorder already has one (the nonce is
        unique per backorder: two requests at once insert one row)."""
        try:
            with self.session.begin_nested():
                self.session.add(decision)
                self.session.flush()
            return True
        except IntegrityError:
            return False
