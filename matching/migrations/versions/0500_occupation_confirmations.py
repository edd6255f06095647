"""Occupation codes confirmed for job titles (training data for the occupation coder)

Revision ID: 0500
Revises: 0003
Create Date: 2026-12-01 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0500"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "occupation_confirmations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("suggested", sa.JSON(), nullable=False),
        sa.Column("coder", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("occupation_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_occupation_confirmations_job_id"), ["job_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("occupation_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_occupation_confirmations_job_id"))
    op.drop_table("occupation_confirmations")
