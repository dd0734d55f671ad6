"""Reserved: SFTP host-key trust on first use (issue 11 item 4). A no-op until that change fills it in.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
