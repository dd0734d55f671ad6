"""An item whose units are set aside (``allocated``) is not cancelled from the customer's page: the
request is refused without a decision row, and the page sends the customer to the shop's support
address in every language (docs/customer-page.md says why: the parcel may already be on its way)."""

from __future__ import annotations

from datetime import date

import pytest

from connector.customer import copy
from connector.db.models import Backorder
from connector.domain.model import BackorderStatus
from connector.notify.models import DelayDecision
from connector.notify.page_cancel import request_cancel


class NoStorage:
    """A unit of work that must not be touched: a refused request writes nothing."""

    def repo(self, kind: object) -> object:
        raise AssertionError(f"the refused request reached storage ({kind})")


def test_an_allocated_item_is_refused_and_nothing_is_recorded():
    backorder = Backorder(id=7, status=BackorderStatus.ALLOCATED.value, quantity_backordered=2)
    decisions: list[DelayDecision] = []
    outcome = request_cancel(NoStorage(), 3, backorder, decisions, date(2026, 12, 2))  # type: ignore[arg-type]
    assert outcome == "not_waiting" and decisions == []


@pytest.mark.parametrize("language", sorted(copy.TEXT))
def test_the_page_names_where_to_ask_instead_in_every_language(language):
    help_text = copy.words(language)["allocated_help"]
    assert "support@shop.example" in help_text.format(contact="support@shop.example")
