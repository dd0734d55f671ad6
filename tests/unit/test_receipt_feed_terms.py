"""A supplier's receipt feed: its settings are checked when the purchasing terms are set, and a feed
row names a purchase order only when its po_reference cell is filled."""

from __future__ import annotations

import re

import pytest

from adapters.suppliers.mapping import FieldMapping, to_receipt
from connector.domain.errors import InvalidPayload
from connector.domain.purchasing import FeedReceipt, PurchasingTerms

MAPPING = {"po_reference": "Order Ref", "received_quantity": "Shipped"}


def test_receipt_feed_terms_round_trip_through_the_stored_json():
    terms = PurchasingTerms.from_json({"channel": "email", "email": "po@acme.example",
                                       "receipt_feed": {"source": "https://acme.example/dispatch.csv",
                                                        "mapping": MAPPING}})
    stored = terms.to_json()
    assert stored["receipt_feed"] == {"source": "https://acme.example/dispatch.csv", "mapping": MAPPING}
    assert PurchasingTerms.from_json(stored) == terms
    assert "receipt_feed" not in PurchasingTerms().to_json()


@pytest.mark.parametrize(("feed", "error"), [
    ({"mapping": {"po_reference": "ref"}}, "must name the received_quantity column"),
    ({"mapping": {**MAPPING, "quantity": "q"}}, "receipt_feed.mapping must map some of"),
    ({"mapping": MAPPING, "url": "x"}, "unknown key(s) ['url']"),
    ({"mapping": MAPPING, "source": ""}, "receipt_feed.source must be a path or URL"),
    ("https://acme.example/feed.csv", "receipt_feed must be a mapping"),
])
def test_a_receipt_feed_without_its_columns_or_with_unknown_keys_is_refused(feed, error):
    with pytest.raises(ValueError, match=re.escape(error)):
        PurchasingTerms.from_json({"receipt_feed": feed})


def test_a_row_with_a_po_reference_is_a_receipt_and_a_plain_stock_row_is_not():
    mapping = FieldMapping.from_settings({"mapping": MAPPING})
    assert to_receipt({"sku": "A-1", "Order Ref": " PO-7 ", "Shipped": "12"}, mapping, 4) == FeedReceipt("PO-7", "A-1",
                                                                                                          12, 4)
    assert to_receipt({"sku": "A-1", "Order Ref": "", "Shipped": ""}, mapping, 5) is None
    assert to_receipt({"sku": "A-1", "Order Ref": "n/a", "Shipped": "3"}, mapping, 6) is None
    with pytest.raises(InvalidPayload, match="received quantity"):
        to_receipt({"sku": "A-1", "Order Ref": "PO-7", "Shipped": "2.5"}, mapping, 7)
    with pytest.raises(InvalidPayload, match="whole number of units"):
        to_receipt({"sku": "A-1", "Order Ref": "PO-7", "Shipped": ""}, mapping, 8)
    with pytest.raises(InvalidPayload, match="missing SKU"):
        to_receipt({"sku": "", "Order Ref": "PO-7", "Shipped": "1"}, mapping, 9)
