"""Wage standards, yearly quota declarations and recruitment events

Revision ID: 0400
Revises: 0003
Create Date: 2026-12-01 20:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0400"
down_revision = "0003"
branch_labels = None
depends_on = None


def _stored(name: str, *columns: sa.Column) -> None:
    """A table of interchange records: id, canonical JSON, content hash, last change."""
    op.create_table(
        name,
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id"),
    )


def upgrade() -> None:
    _stored(
        "wage_standards",
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
    )
    op.create_index("ix_wage_standards_region_code", "wage_standards", ["region_code"])
    op.create_index("ix_wage_standards_year", "wage_standards", ["year"])
    _stored(
        "quota_declarations",
        sa.Column(
            "employer_id", sa.String(length=64), sa.ForeignKey("employers.id"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
    )
    op.create_index("ix_quota_declarations_employer_id", "quota_declarations", ["employer_id"])
    op.create_index("ix_quota_declarations_year", "quota_declarations", ["year"])
    _stored(
        "events",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_events_region_code", "events", ["region_code"])


def downgrade() -> None:
    op.drop_index("ix_events_region_code", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_quota_declarations_year", table_name="quota_declarations")
    op.drop_index("ix_quota_declarations_employer_id", table_name="quota_declarations")
    op.drop_table("quota_declarations")
    op.drop_index("ix_wage_standards_year", table_name="wage_standards")
    op.drop_index("ix_wage_standards_region_code", table_name="wage_standards")
    op.drop_table("wage_standards")
