"""Reserved for issue 14 (app sessions): filled in by the change that needs it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
