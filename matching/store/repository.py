"""Typed repositories: the records of one kind, read and written the way the domain speaks of
them, each write audited and committed in one place.

A repository works in one session for one actor. Every write takes the purpose it is done for,
records it in the audit log and commits, so no caller can forget the audit nor commit without
it. Changes are stored by compare-and-set on the record's content hash: with the version the
caller read (``if_match``, an ETag) any other stored version is :class:`StaleVersion`; without
it the change is re-applied to the newer version a few times, then :class:`ConcurrentChange`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from sqlalchemy.orm import Session

from matching.domain import Record
from matching.store.database import Store
from matching.store.tables import _Stored

#: How many times a change is re-applied when another writer got in first.
ATTEMPTS = 5


RecordT = TypeVar("RecordT", bound=Record)
RowT = TypeVar("RowT", bound=_Stored)


class AlreadyExists(ValueError):
    """A record with this id is already stored."""

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"{kind} {record_id} already exists")
        self.kind, self.record_id = kind, record_id


class StaleVersion(ValueError):
    """The version the caller changed is no longer the stored one."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"{subject} changed since that version was read")
        self.subject = subject


class ConcurrentChange(RuntimeError):
    """Other writers kept changing the record while this change was re-applied."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"{subject} changed concurrently")
        self.subject = subject


def etag(content_hash: str) -> str:
    """How a stored version is named to clients (an HTTP ETag): its quoted content hash."""
    return f'"{content_hash}"'


def matches_etag(if_match: str | None, content_hash: str) -> bool:
    """Whether an ``If-Match`` value (absent: anything matches) names this stored version."""
    if if_match is None:
        return True
    tags = {t.strip() for t in if_match.split(",")}
    return "*" in tags or etag(content_hash) in tags


class Audited:
    """The work of one actor in one session: what it writes or discloses is audited under the
    actor's name and committed together with its audit entry."""

    def __init__(self, store: Store, session: Session, *, actor: str) -> None:
        self.store = store
        self.session = session
        self.actor = actor

    def audit(self, action: str, subject: str, purpose: str | None) -> None:
        """One audit entry of this actor (committed with the write it belongs to)."""
        self.store.audit(
            self.session, actor=self.actor, action=action, subject=subject, purpose=purpose
        )

    def recorded(self, action: str, subject: str, purpose: str | None = None) -> None:
        """Audit what this session wrote or disclosed, and commit both together."""
        self.audit(action, subject, purpose)
        self.session.commit()

    def put(self, kind: str, record: Record, *, action: str, purpose: str | None) -> bool:
        """Store a record in place of any of its id, as an import would, audited as
        ``create_<action>`` or ``update_<action>``; returns whether one was replaced."""
        existed = record.id in self.store.existing_hashes(self.session, kind, [record.id])
        self.store.upsert(self.session, kind, [record])
        self.recorded(
            f"update_{action}" if existed else f"create_{action}", f"{kind}:{record.id}", purpose
        )
        return existed


class Repository(Audited, Generic[RecordT, RowT]):
    """The stored records of one interchange kind."""

    kind: ClassVar[str]
    record_type: ClassVar[type[Record]]
    row_type: ClassVar[type]
    #: The audit actions of a new record and of a change to one.
    create_action: ClassVar[str]
    update_action: ClassVar[str]

    def get(self, record_id: str) -> RowT | None:
        """The stored row of a record, or ``None``."""
        row: RowT | None = self.session.get(self.row_type, record_id)
        return row

    def record(self, row: RowT) -> RecordT:
        """The record a row holds (sealed fields decrypted: a caller disclosing it audits)."""
        record = self.store.to_record(self.kind, row)
        assert isinstance(record, self.record_type)
        return record  # type: ignore[return-value]

    def subject(self, record_id: str) -> str:
        """How the audit log names a record."""
        return f"{self.kind}:{record_id}"

    def create(self, record: RecordT) -> RecordT:
        """Store a new record (audited); :class:`AlreadyExists` if its id is taken."""
        if self.get(record.id) is not None:
            raise AlreadyExists(self.kind.removesuffix("s"), record.id)
        self.store.upsert(self.session, self.kind, [record])
        self.recorded(self.create_action, self.subject(record.id))
        return record

    def patch(
        self,
        load: Callable[[], RowT],
        change: Callable[[RowT], RecordT],
        *,
        if_match: str | None,
        changed: Callable[[], list[str]],
    ) -> tuple[RowT, RecordT, str]:
        """Store a change (see :meth:`change`), audited with the fields it ``changed`` (which
        ``change`` works out)."""
        return self.change(
            load,
            change,
            if_match=if_match,
            action=self.update_action,
            purpose=lambda: ", ".join(changed()) or "no change",
        )

    def change(
        self,
        load: Callable[[], RowT],
        change: Callable[[RowT], RecordT],
        *,
        if_match: str | None,
        action: str,
        purpose: Callable[[], str],
    ) -> tuple[RowT, RecordT, str]:
        """Apply ``change`` to the row ``load`` reads, store it by compare-and-set, audit it
        as ``action`` with the ``purpose`` the change worked out, and commit.

        Returns the row read, the stored record and its new content hash.
        """
        row, record, stored = self._replace(load, change, if_match)
        self.recorded(action, self.subject(row.id), purpose())
        return row, record, stored

    def _replace(
        self,
        load: Callable[[], RowT],
        change: Callable[[RowT], RecordT],
        if_match: str | None,
    ) -> tuple[RowT, RecordT, str]:
        """The compare-and-set loop of :meth:`change`, uncommitted."""
        for _ in range(ATTEMPTS):
            row = load()
            if not matches_etag(if_match, row.content_hash):
                raise StaleVersion(self.subject(row.id))
            record = change(row)
            stored = self.store.replace(
                self.session, self.kind, record, expected_hash=row.content_hash
            )
            if stored is not None:
                return row, record, stored
            # Another writer committed in between: read their version and apply ours to it.
            self.session.rollback()
            if if_match is not None:
                raise StaleVersion(self.subject(row.id))
        raise ConcurrentChange(self.subject(row.id))
