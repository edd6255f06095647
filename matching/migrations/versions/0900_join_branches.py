"""Join the schema branches of sealed profiles, casework, quota and events, occupation
confirmations and console sign-in into one head, so later revisions have one parent

Revision ID: 0900
Revises: 0100, 0300, 0400, 0500, 0800
Create Date: 2026-12-02 00:30:00.000000
"""

revision = "0900"
down_revision = ("0100", "0300", "0400", "0500", "0800")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the branches touch separate tables."""


def downgrade() -> None:
    """Nothing to undo."""
