"""Reserved: uncertain outbound writes (issue 11 item 1). A no-op until that change fills it in.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
