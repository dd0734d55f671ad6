"""Reserved for issue 14 (message templates): filled in by the change that needs it.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
