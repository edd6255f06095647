"""Opening a store: engine, migrations, the vault, and row ↔ record conversion."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from matching.casework import (
    Assessment,
    Case,
    CaseAction,
    CaseworkRecord,
    Course,
    EmploymentRecord,
    Enrolment,
    ReferralEvent,
)
from matching.domain import Candidate, Employer, Job, Record, Referral
from matching.rules import person_capacities
from matching.settings import Settings
from matching.store.tables import (
    AssessmentRow,
    AuditRow,
    Base,
    CandidateRow,
    CaseActionRow,
    CaseRow,
    CourseRow,
    EmployerRow,
    EmploymentRecordRow,
    EnrolmentRow,
    JobRow,
    ReferralEventRow,
    ReferralRow,
)
from matching.store.vault import Vault

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# Interchange record kinds in dependency order (a job needs its employer, a referral its
# candidate and job).
KINDS: dict[str, tuple[type[Record], type[Base]]] = {
    "employers": (Employer, EmployerRow),
    "jobs": (Job, JobRow),
    "candidates": (Candidate, CandidateRow),
    "referrals": (Referral, ReferralRow),
}

# Casework (issue 13): optional interchange files, each after the kinds it refers to.
CASEWORK_KINDS: dict[str, tuple[type[Record], type[Base]]] = {
    "referral_events": (ReferralEvent, ReferralEventRow),
    "employment": (EmploymentRecord, EmploymentRecordRow),
    "assessments": (Assessment, AssessmentRow),
    "courses": (Course, CourseRow),
    "enrolments": (Enrolment, EnrolmentRow),
    "cases": (Case, CaseRow),
    "case_actions": (CaseAction, CaseActionRow),
}
KINDS |= CASEWORK_KINDS
#: Kinds whose file is written only when it holds records (INTERCHANGE.md, "Commands").
OPTIONAL_KINDS: set[str] = set(CASEWORK_KINDS)

_CHUNK = 900  # below SQLite's limit on bound parameters in one statement


def alembic_config(connection: Any = None) -> Config:
    """An Alembic configuration for the package's migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for a database URL; SQLite gets foreign keys and write-ahead logging."""
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


class Store:
    """The records of one installation, with personal data protected at rest."""

    def __init__(
        self,
        engine: Engine,
        vault: Vault,
        resolve_occupation: Callable[[str], str | None] | None = None,
    ) -> None:
        self.engine = engine
        self.vault = vault
        # Turns a job's free-text or coded ``occupation`` into a 2022 classification code.
        self.resolve_occupation = resolve_occupation
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        migrate: bool = True,
        resolve_occupation: Callable[[str], str | None] | None = None,
    ) -> Store:
        """Open (and by default migrate) the store of the configured home."""
        settings.ensure_home()
        store = cls(
            make_engine(settings.resolved_database_url),
            Vault.for_home(settings.home, settings.secret_key),
            resolve_occupation,
        )
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema up to date with Alembic (every head: features may add their own
        migration branch off the same parent, joined later by a merge revision)."""
        with self.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "heads")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    # -- rows <-> records ---------------------------------------------------------------

    def to_row(self, record: Record, *, now: dt.datetime) -> dict[str, Any]:
        """The column values that store one record.

        ``content_hash`` is a keyed hash of the record's canonical form, so that re-importing
        an unchanged record changes nothing, not even its ``updated_at``.
        """
        data = record.to_interchange()
        row: dict[str, Any] = {
            "id": record.id,
            "content_hash": self.vault.fingerprint(
                json.dumps(data, ensure_ascii=False, sort_keys=True)
            ),
            "updated_at": now,
        }
        match record:
            case Employer():
                row |= {
                    "name": record.name,
                    "type": record.type.value,
                    "region_code": record.region_code,
                }
            case Job():
                row |= {
                    "employer_id": record.employer_id,
                    "region_code": record.region_code,
                    "work_mode": record.work_mode.value,
                    "occupation_code": self.resolve_occupation(record.occupation)
                    if record.occupation and self.resolve_occupation
                    else None,
                    "public_welfare": record.public_welfare,
                    "posted_at": record.posted_at,
                    "closes_at": record.closes_at,
                }
            case Candidate():
                sensitive = {k: data.pop(k) for k in Candidate.sensitive_fields if k in data}
                capacities = person_capacities(
                    record.disability_category, record.disability_grade, record.capacities
                )
                row |= {
                    "region_code": record.region_code,
                    "registered_at": record.registered_at,
                    "capacities": {d.value: v for d, v in capacities.items()},
                    "sealed": self.vault.seal(sensitive) if sensitive else None,
                    "id_number_hash": self.vault.fingerprint(record.id_number)
                    if record.id_number
                    else None,
                    "name_hash": self.vault.fingerprint(record.name) if record.name else None,
                }
            case Referral():
                row |= {
                    "candidate_id": record.candidate_id,
                    "job_id": record.job_id,
                    "referred_at": record.referred_at,
                    "outcome": record.outcome.value,
                    "outcome_at": record.outcome_at,
                }
            case CaseworkRecord():
                sensitive = {k: data.pop(k) for k in record.sensitive_fields if k in data}
                row |= record.columns() | {
                    "sealed": self.vault.seal(sensitive) if sensitive else None
                }
        row["record"] = data
        return row

    def to_record(self, kind: str, row: Any) -> Record:
        """Rebuild the record a row stores (decrypting sensitive fields: audit the caller)."""
        model, _ = KINDS[kind]
        data = dict(row.record)
        # Candidates and casework records keep their sensitive fields sealed.
        if getattr(row, "sealed", None):
            data |= self.vault.open(row.sealed)
        return model.model_validate(data)

    def sealed_field(self, session: Session, field: str, ids: Iterable[str]) -> dict[str, Any]:
        """One sensitive field of the candidates ``ids`` (those stored), decrypting only that
        (audit the caller). For bulk reads: no record is rebuilt."""
        ids = sorted(set(ids))
        found: dict[str, Any] = {}
        for start in range(0, len(ids), _CHUNK):
            rows = session.execute(
                select(CandidateRow.id, CandidateRow.sealed).where(
                    CandidateRow.id.in_(ids[start : start + _CHUNK])
                )
            )
            found.update(
                (row_id, self.vault.open(sealed).get(field) if sealed else None)
                for row_id, sealed in rows
            )
        return found

    # -- bulk operations ----------------------------------------------------------------

    def existing_hashes(self, session: Session, kind: str, ids: Iterable[str]) -> dict[str, str]:
        """Content hashes of the stored records among ``ids``."""
        table = KINDS[kind][1]
        ids = list(ids)
        found: dict[str, str] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = session.execute(select(table.id, table.content_hash).where(table.id.in_(chunk)))
            found.update((row_id, digest) for row_id, digest in rows)
        return found

    def all_ids(self, session: Session, kind: str) -> set[str]:
        """Every stored id of a kind."""
        table = KINDS[kind][1]
        return set(session.scalars(select(table.id)))

    def upsert(self, session: Session, kind: str, records: list[Record]) -> tuple[int, int, int]:
        """Insert new records and update changed ones; returns (inserted, updated, unchanged)."""
        table = KINDS[kind][1]
        now = dt.datetime.now(dt.UTC)
        known = self.existing_hashes(session, kind, (r.id for r in records))
        inserts, updates = [], []
        for record in records:
            row = self.to_row(record, now=now)
            if record.id not in known:
                inserts.append(row)
            elif known[record.id] != row["content_hash"]:
                updates.append(row)
        for start in range(0, len(inserts), _CHUNK):
            session.execute(insert(table), inserts[start : start + _CHUNK])
        if updates:
            session.execute(update(table), updates)
        return len(inserts), len(updates), len(records) - len(inserts) - len(updates)

    def iter_records(self, session: Session, kind: str, batch: int = 2000) -> Iterator[Record]:
        """Every stored record of a kind, in id order."""
        table = KINDS[kind][1]
        rows = session.execute(select(table).order_by(table.id).execution_options(yield_per=batch))
        for row in rows.scalars():
            yield self.to_record(kind, row)

    def count(self, session: Session, kind: str) -> int:
        table = KINDS[kind][1]
        return session.scalar(select(func.count()).select_from(table)) or 0

    def audit(
        self, session: Session, *, actor: str, action: str, subject: str, purpose: str | None
    ) -> None:
        """Record who did what to which records, and why."""
        session.add(
            AuditRow(
                at=dt.datetime.now(dt.UTC),
                actor=actor,
                action=action,
                subject=subject,
                purpose=purpose,
            )
        )
