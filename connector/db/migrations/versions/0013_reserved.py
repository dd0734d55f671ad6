"""Reserved: per-order store-mark failures (issue 11 item 10). A no-op until that change fills it in.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
