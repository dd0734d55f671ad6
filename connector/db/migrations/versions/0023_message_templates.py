"""message templates and customer language (issue 14): message_templates (the merchant's own subject,
body and "what we are doing about it" paragraph per message kind and language, per shop), orders.locale
(the customer's language as the store gave it: Shopify customer_locale, WooCommerce order meta) and
notify_messages.body_text (the text part as sent, for the app's message log); an index for the log's
newest-first pages.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("doing", sa.Text(), nullable=False, server_default=""),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "kind", "language", name=op.f("uq_message_templates_shop_id")),
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("locale", sa.String(35), nullable=True))
    with op.batch_alter_table("notify_messages") as batch:
        batch.add_column(sa.Column("body_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("language", sa.String(10), nullable=True))
    op.create_index("ix_notify_messages_shop_id_id", "notify_messages", ["shop_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_notify_messages_shop_id_id", table_name="notify_messages")
    with op.batch_alter_table("notify_messages") as batch:
        batch.drop_column("language")
        batch.drop_column("body_text")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("locale")
    op.drop_table("message_templates")
