"""Reserved for issue 14 (settings audit): filled in by the change that needs it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
