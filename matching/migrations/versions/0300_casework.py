"""Casework: referral transitions, employment status, ability assessments, 一人一策 cases and
their actions, training courses and enrolments

Revision ID: 0300
Revises: 0003
Create Date: 2026-12-01 20:40:00.000000
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0300"
down_revision = "0003"
branch_labels = None
depends_on = None


def _stored(*extra: Any) -> list[Any]:
    """The columns every stored interchange record has, then the table's own."""
    return [
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *extra,
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    ]


def _tables() -> list[tuple[str, list[Any], list[str]]]:
    """(table, its own columns and keys, indexed columns); fresh objects on every call, since
    a column belongs to one table only."""
    return [
        (
            "referral_events",
            [
                sa.Column("referral_id", sa.String(length=64), nullable=False),
                sa.Column("at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("to_outcome", sa.String(length=16), nullable=False),
                sa.Column("review", sa.String(length=16), nullable=True),
                sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"]),
            ],
            ["referral_id", "at", "review"],
        ),
        (
            "employment_records",
            [
                sa.Column("candidate_id", sa.String(length=64), nullable=False),
                sa.Column("status", sa.String(length=16), nullable=False),
                sa.Column("since", sa.Date(), nullable=False),
                sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
                sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"]),
            ],
            ["candidate_id"],
        ),
        (
            "assessments",
            [
                sa.Column("candidate_id", sa.String(length=64), nullable=False),
                sa.Column("assessed_on", sa.Date(), nullable=False),
                sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"]),
            ],
            ["candidate_id"],
        ),
        (
            "cases",
            [
                sa.Column("candidate_id", sa.String(length=64), nullable=False),
                sa.Column("counselor", sa.String(length=128), nullable=False),
                sa.Column("kind", sa.String(length=16), nullable=False),
                sa.Column("closed_on", sa.Date(), nullable=True),
                sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"]),
            ],
            ["candidate_id", "counselor"],
        ),
        (
            "case_actions",
            [
                sa.Column("case_id", sa.String(length=64), nullable=False),
                sa.Column("on", sa.Date(), nullable=False),
                sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
            ],
            ["case_id"],
        ),
        (
            "courses",
            [
                sa.Column("region_code", sa.String(length=6), nullable=False),
                sa.Column("ends_on", sa.Date(), nullable=False),
            ],
            ["region_code"],
        ),
        (
            "enrolments",
            [
                sa.Column("course_id", sa.String(length=64), nullable=False),
                sa.Column("candidate_id", sa.String(length=64), nullable=False),
                sa.Column("state", sa.String(length=16), nullable=False),
                sa.Column("completed_on", sa.Date(), nullable=True),
                sa.ForeignKeyConstraint(["course_id"], ["courses.id"]),
                sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"]),
            ],
            ["course_id", "candidate_id"],
        ),
    ]


def upgrade() -> None:
    for name, columns, indexed in _tables():
        op.create_table(name, *_stored(*columns))
        for column in indexed:
            op.create_index(f"ix_{name}_{column}", name, [column], unique=False)


def downgrade() -> None:
    for name, _columns, indexed in reversed(_tables()):
        for column in indexed:
            op.drop_index(f"ix_{name}_{column}", table_name=name)
        op.drop_table(name)
