"""Feed storage for fast supplier ingest: a fingerprint per stock row and a per-supplier blob of them.

``supplier_stock.line_hash`` is the fingerprint of the feed line that set the row;
``supplier_feed_state`` holds all of a supplier's fingerprints in a blob (plus small blobs of what
was added and removed since it was written), read once per poll,
so unchanged feed lines are skipped without parsing or writing (adapters/suppliers/feed_scan.py).
On PostgreSQL supplier_stock gets fillfactor 90, so a poll's updates can stay on their page.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supplier_stock") as batch:
        batch.add_column(sa.Column("line_hash", sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # A poll rewrites a few percent of the rows; free room on each page lets PostgreSQL update
        # them in place (HOT: no new entries in the three indexes).
        op.execute("ALTER TABLE supplier_stock SET (fillfactor = 90)")
    op.create_table(
        "supplier_feed_state",
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("line_hashes", sa.LargeBinary(), nullable=False),
        sa.Column("added", sa.LargeBinary(), nullable=True),
        sa.Column("removed", sa.LargeBinary(), nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_supplier_feed_state_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"],
                                name=op.f("fk_supplier_feed_state_supplier_id_suppliers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("supplier_id", name=op.f("pk_supplier_feed_state")),
    )


def downgrade() -> None:
    op.drop_table("supplier_feed_state")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE supplier_stock RESET (fillfactor)")
    with op.batch_alter_table("supplier_stock") as batch:
        batch.drop_column("line_hash")
