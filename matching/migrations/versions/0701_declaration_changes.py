"""Change log: quota declarations too (matching reads an employer's latest declaration for
the quota gap), by the triggers of migration 0700

Revision ID: 0701
Revises: 0700
Depends on: 0400 (the quota_declarations table)
Create Date: 2026-12-01 22:05:00.000000
"""

from alembic import op

revision = "0701"
down_revision = "0700"
branch_labels = None
depends_on = "0400"

KIND = "declarations"
TABLE = "quota_declarations"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER record_changes_{KIND} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {TABLE} FOR EACH ROW EXECUTE FUNCTION record_change('{KIND}')"
        )
        return
    for event, row, deleted in (("INSERT", "NEW", 0), ("UPDATE", "NEW", 0), ("DELETE", "OLD", 1)):
        op.execute(
            f"CREATE TRIGGER record_changes_{KIND}_{event.lower()} AFTER {event} ON {TABLE} "
            f"BEGIN INSERT INTO record_changes (seq, kind, record_id, deleted) VALUES "
            f"((SELECT COALESCE(MAX(seq), 0) + 1 FROM record_changes), '{KIND}', "
            f"{row}.id, {deleted}); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER record_changes_{KIND} ON {TABLE}")
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER record_changes_{KIND}_{event}")
