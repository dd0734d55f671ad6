"""Reserved (placeholder; the helper that owns it renames the file and fills it in).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02
"""

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
