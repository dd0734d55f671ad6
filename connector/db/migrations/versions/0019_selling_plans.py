"""Reserved for issue 13 (selling_plans): filled in by the change that needs it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
