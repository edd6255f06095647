"""Sessions and audit reads for the repository tests: one place for what three files wrote."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.store import Store
from matching.store.tables import AuditRow


def request_session(store: Store) -> Session:
    """A session as the API's requests have: the repositories commit what they write."""
    return Session(store.engine, expire_on_commit=False)


def committed_audit(store: Store) -> list[tuple[str, str, str, str | None]]:
    """Every audit entry, oldest first, as read by another session (so: committed):
    (actor, action, subject, purpose)."""
    with store.session() as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id))
        return [(r.actor, r.action, r.subject, r.purpose) for r in rows]


def committed_actions(store: Store) -> list[tuple[str, str, str | None]]:
    """:func:`committed_audit` without the actor: (action, subject, purpose)."""
    return [entry[1:] for entry in committed_audit(store)]
