"""Reserved: privacy export links and retention (issue 11 items 9, 15). A no-op until that change fills it in.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
