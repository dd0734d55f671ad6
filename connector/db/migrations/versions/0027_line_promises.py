"""Reserved for issue 16 (per-line promises and the ship-together choice): filled in by the change that needs it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02
"""

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
