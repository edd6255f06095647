"""Seal candidates' capacities and summaries, override reasons; scope idempotency keys

Revision ID: 0100
Revises: 0003
Create Date: 2026-12-01 21:00:00.000000

Until now ``candidates.capacities`` (and the record's assessment) revealed the disability
category and often the grade through the default table, the record's ``summary`` held the
counselor's free text ("精神残疾三级…", names, phone numbers), and
``referral_context.override_reason`` was plain. This moves the first two into the sealed
``candidates.profile`` column, seals override reasons in place, scrubs audit purposes (they
held override reasons) and replaces raw idempotency keys by keys scoped to their account.
Sealing needs the installation's key: ``Store.migrate`` hands in its vault.
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from matching.privacy import scrub, single_line
from matching.store.tables import scoped_idempotency_key

revision = "0100"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 500

candidates = sa.table(
    "candidates",
    sa.column("id", sa.String),
    sa.column("record", sa.JSON),
    sa.column("capacities", sa.JSON),
    sa.column("profile", sa.Text),
)
contexts = sa.table(
    "referral_context",
    sa.column("referral_id", sa.String),
    sa.column("idempotency_key", sa.String),
    sa.column("account_id", sa.Integer),
    sa.column("override_reason", sa.Text),
)
audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("purpose", sa.Text))


def _vault(connection: sa.Connection) -> Any:
    vault = context.config.attributes.get("vault")
    if vault is None:
        has_rows = connection.execute(sa.select(candidates.c.id).limit(1)).first() or (
            connection.execute(sa.select(contexts.c.referral_id).limit(1)).first()
        )
        if has_rows:
            raise RuntimeError(
                "migration 0100 seals stored personal data and needs the installation's key: "
                "run it through Store.migrate (any jobmatch command does)"
            )
    return vault


def _as_dict(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def upgrade() -> None:
    op.add_column("candidates", sa.Column("profile", sa.Text(), nullable=True))
    connection = op.get_bind()
    vault = _vault(connection)

    rows = connection.execute(
        sa.select(candidates.c.id, candidates.c.record, candidates.c.capacities)
    ).all()
    changes = []
    for row_id, record, capacities in rows:
        record = _as_dict(record)
        profile: dict[str, Any] = {
            k: record.pop(k) for k in ("capacities", "summary") if k in record
        }
        profile["effective"] = _as_dict(capacities)
        changes.append(
            {"b_id": row_id, "record": record, "profile": vault.seal_for_matching(profile)}
        )
    for start in range(0, len(changes), _BATCH):
        connection.execute(
            candidates.update()
            .where(candidates.c.id == sa.bindparam("b_id"))
            .values(record=sa.bindparam("record"), profile=sa.bindparam("profile")),
            changes[start : start + _BATCH],
        )
    # SQLite 3.35+ drops a plain column in place; PostgreSQL always could.
    op.drop_column("candidates", "capacities")

    reasons = connection.execute(
        sa.select(
            contexts.c.referral_id,
            contexts.c.idempotency_key,
            contexts.c.account_id,
            contexts.c.override_reason,
        )
    ).all()
    for referral_id, key, account_id, reason in reasons:
        connection.execute(
            contexts.update()
            .where(contexts.c.referral_id == referral_id)
            .values(
                idempotency_key=scoped_idempotency_key(account_id, key),
                override_reason=vault.seal_text(reason),
            )
        )

    purposes = connection.execute(
        sa.select(audit.c.id, audit.c.purpose).where(audit.c.purpose.is_not(None))
    ).all()
    for entry_id, purpose in purposes:
        cleaned = single_line(scrub(purpose), 500)
        if cleaned != purpose:
            connection.execute(audit.update().where(audit.c.id == entry_id).values(purpose=cleaned))


def downgrade() -> None:
    raise NotImplementedError("sealed personal data is not unsealed into plain columns")
