"""Job-run table for one-off jobs (scale-out) (reserved; filled in by the work that owns it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
