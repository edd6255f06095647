"""Candidates (求职者) as stored: registered, found, read, changed and deactivated, each read of
their sealed fields and each write audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select, update

from matching.domain import Candidate
from matching.privacy import scrub
from matching.store.repository import AlreadyExists, Repository
from matching.store.tables import CandidateRow


class Candidates(Repository[Candidate, CandidateRow]):
    """The candidates of one store, for one actor. A read that returns the sealed fields is a
    disclosure (PIPL art. 6): it is audited with its purpose."""

    kind = "candidates"
    record_type = Candidate
    row_type = CandidateRow
    create_action = "create"
    update_action = "update"

    def _disclosed(self, candidate_id: str, purpose: str) -> None:
        self.audit("read_sensitive", self.subject(candidate_id), purpose)

    def register(self, candidate: Candidate) -> Candidate:
        """Store a new person (:class:`~matching.store.repository.AlreadyExists`,
        :class:`~matching.store.database.DuplicateIdNumber`); the record handed back counts as
        disclosed."""
        if self.get(candidate.id) is not None:
            raise AlreadyExists("candidate", candidate.id)
        self.store.upsert(self.session, self.kind, [candidate])
        self.audit(self.create_action, self.subject(candidate.id), "registration")
        self._disclosed(candidate.id, "returned in the response to create")
        self.session.commit()
        return candidate

    def read(self, row: CandidateRow, *, purpose: str) -> Candidate:
        """The full record of a row, audited with ``purpose`` (the person's own identifiers
        scrubbed from it: the log is not sealed)."""
        record = self.record(row)
        personal = (record.cert_number, record.id_number, record.phone, record.name)
        self._disclosed(row.id, scrub(purpose, personal))
        self.session.commit()
        return record

    def search(
        self,
        *,
        region_prefix: str,
        name: str | None = None,
        id_number: str | None = None,
        limit: int,
    ) -> list[CandidateRow]:
        """People in a region by exact name and/or ID number, matched on keyed hashes (never
        decrypting every row), in id order. Searching by identifiers is itself audited, with
        the people it tied to them."""
        query = select(CandidateRow).where(CandidateRow.region_code.startswith(region_prefix))
        vault = self.store.vault
        if name:
            query = query.where(CandidateRow.name_hash == vault.fingerprint(name.strip()))
        if id_number:
            query = query.where(
                CandidateRow.id_number_hash == vault.fingerprint(id_number.strip().upper())
            )
        rows = list(self.session.scalars(query.order_by(CandidateRow.id).limit(limit)))
        if name or id_number:
            by = " and ".join(f for f, given in (("name", name), ("id_number", id_number)) if given)
            self.recorded(
                "search",
                " ".join(self.subject(r.id) for r in rows) or self.kind,
                f"by {by}; {len(rows)} found",
            )
        return rows

    def busiest_region(self, digits: int) -> str | None:
        """The region (code prefix of ``digits`` digits: 4 a prefecture) with the most people
        registered, the lowest code among equals; ``None`` when nobody is."""
        region = func.substr(CandidateRow.region_code, 1, digits)
        return self.session.scalar(
            select(region).group_by(region).order_by(func.count().desc(), region).limit(1)
        )

    def patch(
        self,
        load: Callable[[], CandidateRow],
        change: Callable[[CandidateRow], Candidate],
        *,
        if_match: str | None,
        changed: Callable[[], list[str]],
    ) -> tuple[CandidateRow, Candidate, str]:
        """Store a change, audited with the fields the request ``changed`` (see
        :meth:`Repository.change`); the changed record handed back counts as disclosed."""
        row, record, version = self._replace(load, change, if_match)
        self.audit(self.update_action, self.subject(row.id), ", ".join(sorted(changed())))
        self._disclosed(row.id, "returned in the response to update")
        self.session.commit()
        return row, record, version

    def deactivate(self, row: CandidateRow) -> None:
        """Take a person out of matching (employed, moved away, withdrew); the record stays."""
        # updated_at moves too, so that every worker's matcher notices the change.
        self.session.execute(
            update(CandidateRow)
            .where(CandidateRow.id == row.id)
            .values(active=False, updated_at=dt.datetime.now(dt.UTC))
        )
        self.recorded("deactivate", self.subject(row.id), None)
