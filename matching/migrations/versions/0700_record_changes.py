"""Change log of the record tables: a sequence, in commit order, that serving workers catch
up from instead of rebuilding their matcher

Every insert, update and delete of an employer, job, candidate or referral appends one row,
written by database triggers so that no write path (the API, imports, ad-hoc SQL) can forget
it. ``seq`` grows in the order transactions commit, so a reader that has seen ``seq`` N has
seen everything up to N: SQLite runs one writer at a time; on PostgreSQL ``seq`` is taken
from a sequence only at commit (a deferred trigger), under a transaction-level advisory lock
that serialises just that last step, so no transaction can commit a smaller ``seq`` after a
reader saw a larger one (rows are invisible to readers until they have one).

Revision ID: 0700
Revises: 0900
Create Date: 2026-12-01 20:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0700"
down_revision = "0900"
branch_labels = None
depends_on = None

KINDS = ("employers", "jobs", "candidates", "referrals")
# Any fixed number: the advisory lock that orders the change log's commits.
LOCK_KEY = 7000700


def upgrade() -> None:
    op.create_table(
        "record_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_record_changes_seq", "record_changes", ["seq"], unique=True)
    if op.get_context().dialect.name == "postgresql":
        _postgresql_triggers()
        return
    # One writer at a time: the next number is simply one more than the largest.
    for kind in KINDS:
        for event, row, deleted in (
            ("INSERT", "NEW", 0),
            ("UPDATE", "NEW", 0),
            ("DELETE", "OLD", 1),
        ):
            op.execute(
                f"CREATE TRIGGER record_changes_{kind}_{event.lower()} AFTER {event} ON {kind} "
                f"BEGIN INSERT INTO record_changes (seq, kind, record_id, deleted) VALUES "
                f"((SELECT COALESCE(MAX(seq), 0) + 1 FROM record_changes), '{kind}', "
                f"{row}.id, {deleted}); END"
            )


def _postgresql_triggers() -> None:
    op.execute("CREATE SEQUENCE record_changes_seq")
    op.execute(
        """
        CREATE FUNCTION record_change() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO record_changes (kind, record_id, deleted)
                VALUES (TG_ARGV[0], OLD.id, true);
            ELSE
                INSERT INTO record_changes (kind, record_id, deleted)
                VALUES (TG_ARGV[0], NEW.id, false);
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION record_change_number() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({LOCK_KEY});
            UPDATE record_changes SET seq = nextval('record_changes_seq') WHERE id = NEW.id;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER record_changes_number AFTER INSERT ON record_changes "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_change_number()"
    )
    for kind in KINDS:
        op.execute(
            f"CREATE TRIGGER record_changes_{kind} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {kind} FOR EACH ROW EXECUTE FUNCTION record_change('{kind}')"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for kind in KINDS:
            op.execute(f"DROP TRIGGER record_changes_{kind} ON {kind}")
        op.execute("DROP TRIGGER record_changes_number ON record_changes")
        op.execute("DROP FUNCTION record_change_number()")
        op.execute("DROP FUNCTION record_change()")
        op.execute("DROP SEQUENCE record_changes_seq")
    else:
        for kind in KINDS:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER record_changes_{kind}_{event}")
    op.drop_index("ix_record_changes_seq", "record_changes")
    op.drop_table("record_changes")
