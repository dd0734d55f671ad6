"""Reserved (placeholder; the helper that owns it renames the file and fills it in).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-02
"""

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
