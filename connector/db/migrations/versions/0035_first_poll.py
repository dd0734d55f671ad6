"""First poll of a big supplier (issue 17 item 5): ``catalog_reads``, and fewer row checks on feed writes.

``catalog_reads`` records when a shop's catalogue was last read into ``store_skus``, so a store that
sells nothing (read, no SKUs) is told from one not read yet, whose first supplier poll reads the
catalogue first (connector/supply/first_poll.py). Shops whose catalogue mirror already has rows count
as read (no row needed here).

``supplier_stock.shop_id``, ``supplier_changes.shop_id`` and ``supplier_changes.supplier_id`` lose
their foreign keys: each row still goes when its supplier (stock) or snapshot (changes) goes, and those
go with their shop, but PostgreSQL no longer runs a key check per stored row for each of them (a first
load of 100,000 SKUs spent about half its database time in those checks).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

DROPPED = (("supplier_stock", "shop_id", "shops"), ("supplier_changes", "shop_id", "shops"),
           ("supplier_changes", "supplier_id", "suppliers"))


def upgrade() -> None:
    op.create_table(
        "catalog_reads",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
        sa.Column("skus", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_catalog_reads_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_catalog_reads")),
    )
    for table, column, parent in DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_{column}_{parent}"), type_="foreignkey")


def downgrade() -> None:
    for table, column, parent in DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(op.f(f"fk_{table}_{column}_{parent}"), parent, [column], ["id"],
                                     ondelete="CASCADE")
    op.drop_table("catalog_reads")
