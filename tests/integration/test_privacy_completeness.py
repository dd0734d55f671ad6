"""Redaction covers every column that may hold customer personal data, in every table.

A column whose name suggests personal data must either be redacted (connector/privacy/registry.py
PERSONAL_DATA, or an automatically covered e-mail column) or be listed there as reviewed
(NOT_PERSONAL). Adding such a column without deciding fails here.
"""

from __future__ import annotations

import re

from connector.privacy import privacy
from connector.schema import Base

PERSONAL_LOOKING = re.compile(
    r"e?mail|phone|recipient|address|first_name|last_name|full_name|customer|subject|body|content|note|"
    r"message|^name$|title|headers|payload|ip_addr|birth|company|ship_to|shipping_addr|billing|contact|zip|postcode|city")

EXPECTED_REDACTED = {
    "orders.customer_email", "webhook_events.body", "data_exports.content", "data_exports.customer_ref",
    "notify_messages.recipient", "notify_messages.subject", "notify_messages.body_text", "notify_messages.outcome",
    "notify_messages.error",
    "dropship_orders.ship_to",
}
"""The personal data columns known today. A new one must be added here and to PERSONAL_DATA."""


def test_every_personal_looking_column_is_redacted_or_reviewed() -> None:
    covered = privacy.personal_columns()
    undecided = sorted(
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables for column in table.c
        if PERSONAL_LOOKING.search(column.name)
        and f"{table.name}.{column.name}" not in covered | privacy.NOT_PERSONAL)
    assert undecided == [], "add these to PERSONAL_DATA or NOT_PERSONAL in connector/privacy/registry.py"


def test_the_known_personal_columns_are_all_redacted() -> None:
    present = {f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.c}
    assert {c for c in EXPECTED_REDACTED if c in present} <= privacy.personal_columns()
    assert "orders.customer_email" in present and "webhook_events.body" in present


def test_every_table_with_personal_data_can_be_found_by_customer_or_order() -> None:
    for entry in privacy.PERSONAL_DATA:
        table = Base.metadata.tables.get(entry.table)
        if table is None:
            continue
        assert "shop_id" in table.c, entry.table
        keys = [entry.match_email, entry.match_order_id, entry.match_platform_order, entry.match_backorder_id]
        assert any(keys) or entry.table == "data_exports", entry.table
        for key in filter(None, keys):
            assert key in table.c, f"{entry.table}.{key}"
        for column in entry.columns:
            assert column in table.c, f"{entry.table}.{column}"


def test_an_email_column_added_to_any_table_is_redacted_automatically() -> None:
    from sqlalchemy import Column, Integer, String, Table

    scratch = Table("scratch_contacts", Base.metadata, Column("id", Integer, primary_key=True),
                    Column("shop_id", Integer), Column("reply_email", String(100), nullable=False))
    try:
        assert "scratch_contacts.reply_email" in privacy.personal_columns()
    finally:
        Base.metadata.remove(scratch)
