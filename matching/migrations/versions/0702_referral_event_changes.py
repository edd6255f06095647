"""Change log: referral events too, logged as a change of their referral (an employer's
report awaiting review changes the outcome matching learns from), by the triggers of 0700

Every API path that writes an event also writes its referral, but an import of
``referral_events.jsonl`` may not: this makes the log complete whatever the write path.

Revision ID: 0702
Revises: 0701
Create Date: 2026-12-02 00:45:00.000000
"""

from alembic import op

revision = "0702"
down_revision = "0701"
branch_labels = None
depends_on = None

TABLE = "referral_events"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION referral_event_change() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    INSERT INTO record_changes (kind, record_id, deleted)
                    VALUES ('referrals', OLD.referral_id, false);
                ELSE
                    INSERT INTO record_changes (kind, record_id, deleted)
                    VALUES ('referrals', NEW.referral_id, false);
                END IF;
                RETURN NULL;
            END
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER record_changes_{TABLE} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {TABLE} FOR EACH ROW EXECUTE FUNCTION referral_event_change()"
        )
        return
    # The referral itself is not deleted with one of its events: ``deleted`` stays 0.
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        op.execute(
            f"CREATE TRIGGER record_changes_{TABLE}_{event.lower()} AFTER {event} ON {TABLE} "
            f"BEGIN INSERT INTO record_changes (seq, kind, record_id, deleted) VALUES "
            f"((SELECT COALESCE(MAX(seq), 0) + 1 FROM record_changes), 'referrals', "
            f"{row}.referral_id, 0); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER record_changes_{TABLE} ON {TABLE}")
        op.execute("DROP FUNCTION referral_event_change()")
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER record_changes_{TABLE}_{event}")
