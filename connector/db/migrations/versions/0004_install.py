"""Reserved revision 0004 (filled in by the feature that owns it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
