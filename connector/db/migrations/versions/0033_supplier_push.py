"""Freshness (issue 17 item 3): suppliers that push, and one poll of a supplier at a time.

``suppliers.push_token``: the public part of the supplier's push URL (``POST /webhooks/suppliers/<token>/push``),
random, unique; ``suppliers.push_secret``: the supplier's HMAC key, sealed with CONNECTOR_SECRET_KEY (shown once
when made). ``suppliers.poll_lease_until``: a poll (or a pushed batch of rows) of this supplier holds it until
then, so two never overlap; cleared when it ends, and a dead worker's lease runs out.

``supplier_pushes``: the supplier's inbox, as webhook_events is the stores': each accepted push, raw, under
its event id (unique per supplier), with its processing status.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suppliers") as batch:
        batch.add_column(sa.Column("push_token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("push_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("poll_lease_until", UTCDateTime(), nullable=True))
        batch.create_unique_constraint("uq_suppliers_push_token", ["push_token"])
    op.create_table(
        "supplier_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_supplier_pushes_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"],
                                name=op.f("fk_supplier_pushes_supplier_id_suppliers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_pushes")),
        sa.UniqueConstraint("supplier_id", "event_id", name=op.f("uq_supplier_pushes_supplier_id")),
    )


def downgrade() -> None:
    op.drop_table("supplier_pushes")
    with op.batch_alter_table("suppliers") as batch:
        batch.drop_constraint("uq_suppliers_push_token", type_="unique")
        batch.drop_column("poll_lease_until")
        batch.drop_column("push_secret")
        batch.drop_column("push_token")
