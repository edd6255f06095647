"""Opening a store: engine, migrations, the vault, and row ↔ record conversion."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, insert, make_url, select, update
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
from matching.domain import (
    Candidate,
    Employer,
    Job,
    QuotaDeclaration,
    Record,
    RecruitmentEvent,
    Referral,
    WageStandard,
)
from matching.privacy import scrub, single_line
from matching.rules import person_capacities
from matching.settings import Settings
from matching.store.tables import (
    AssessmentRow,
    AuditRow,
    CandidateRow,
    CaseActionRow,
    CaseRow,
    CourseRow,
    EmployerRow,
    EmploymentRecordRow,
    EnrolmentRow,
    EventRow,
    JobRow,
    QuotaDeclarationRow,
    ReferralEventRow,
    ReferralRow,
    WageStandardRow,
    _Stored,
)
from matching.store.vault import Vault

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# Interchange record kinds in dependency order (a job needs its employer, a referral its
# candidate and job).
KINDS: dict[str, tuple[type[Record], type[_Stored]]] = {
    "employers": (Employer, EmployerRow),
    "jobs": (Job, JobRow),
    "candidates": (Candidate, CandidateRow),
    "referrals": (Referral, ReferralRow),
    # Optional files (quota compliance, recruitment events): written only when they hold
    # records; standards and declarations are keyed by their natural key.
    "wage_standards": (WageStandard, WageStandardRow),
    "quota_declarations": (QuotaDeclaration, QuotaDeclarationRow),
    "events": (RecruitmentEvent, EventRow),
}
OPTIONAL_KINDS = frozenset({"wage_standards", "quota_declarations", "events"})

# Casework (issue 13): optional interchange files, each after the kinds it refers to.
CASEWORK_KINDS: dict[str, tuple[type[Record], type[_Stored]]] = {
    "referral_events": (ReferralEvent, ReferralEventRow),
    "employment": (EmploymentRecord, EmploymentRecordRow),
    "assessments": (Assessment, AssessmentRow),
    "courses": (Course, CourseRow),
    "enrolments": (Enrolment, EnrolmentRow),
    "cases": (Case, CaseRow),
    "case_actions": (CaseAction, CaseActionRow),
}
KINDS |= CASEWORK_KINDS
OPTIONAL_KINDS |= frozenset(CASEWORK_KINDS)

_CHUNK = 900  # below SQLite's limit on bound parameters in one statement

# Bounds of audit values (the actor column is 128 characters).
AUDIT_ACTOR_MAX, AUDIT_SUBJECT_MAX, AUDIT_PURPOSE_MAX = 128, 20_000, 500

# Fields of a candidate's record sealed in ``profile`` rather than kept plain: the counselor's
# free text, and the ability assessment (which, like the defaults, reveals the disability).
PROFILE_FIELDS = ("capacities", "summary")


class DuplicateIdNumber(ValueError):
    """A person's ID number is already registered for another candidate."""

    def __init__(self, candidate_id: str, registered_as: str) -> None:
        super().__init__(
            f"candidate {candidate_id}: this ID number is already registered as {registered_as}"
        )
        self.candidate_id = candidate_id
        self.registered_as = registered_as


def alembic_config(connection: Any = None, vault: Vault | None = None) -> Config:
    """An Alembic configuration for the package's migrations (no ini file needed); data
    migrations that seal stored values use ``vault``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["vault"] = vault
    return config


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def private_sqlite_file(url: str) -> None:
    """Make a SQLite database file readable by its owner only (0600) before it is opened:
    SQLite creates its -wal and -shm files with the database file's mode."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if existing.exists():
            existing.chmod(0o600)


def make_engine(url: str, *, timeout: float = 5.0) -> Engine:
    """An engine for a database URL; SQLite gets foreign keys and write-ahead logging.

    ``timeout`` bounds the wait for a locked SQLite file or a PostgreSQL connection, so an
    unavailable database is reported after that long rather than hanging a request. Pooled
    connections are checked before use: after the database comes back, dead ones from before
    are replaced instead of failing one request each.
    """
    dialect = make_url(url).get_backend_name()
    connect_args: dict[str, Any] = {}
    if dialect == "sqlite":
        connect_args["timeout"] = timeout
    elif dialect == "postgresql":
        connect_args["connect_timeout"] = max(1, round(timeout))
    engine = create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)
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
        private_sqlite_file(settings.resolved_database_url)
        store = cls(
            make_engine(settings.resolved_database_url, timeout=settings.database_timeout),
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
            command.upgrade(alembic_config(connection, self.vault), "heads")

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
                profile = {k: data.pop(k) for k in PROFILE_FIELDS if k in data}
                profile["effective"] = {d.value: v for d, v in capacities.items()}
                row |= {
                    "region_code": record.region_code,
                    "registered_at": record.registered_at,
                    "profile": self.vault.seal_for_matching(profile),
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
            case WageStandard():
                row |= {"region_code": record.region_code, "year": record.year}
            case QuotaDeclaration():
                row |= {"employer_id": record.employer_id, "year": record.year}
            case RecruitmentEvent():
                row |= {
                    "kind": record.kind.value,
                    "region_code": record.region_code,
                    "starts_on": record.starts_on,
                    "ends_on": record.ends_on,
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
        if kind == "candidates":
            profile = self.matching_profile(row.profile)
            data |= {k: profile[k] for k in PROFILE_FIELDS if k in profile}
            if row.sealed:
                data |= self.vault.open(row.sealed)
        elif kind in CASEWORK_KINDS and row.sealed:
            # Casework records keep their counselors' text (and assessed capacities) sealed.
            data |= self.vault.open(row.sealed)
        return model.model_validate(data)

    def matching_profile(self, profile: str | None) -> dict[str, Any]:
        """A candidate's sealed profile: ``effective`` capacities (every dimension), and the
        record's own ``capacities`` (the assessment) and ``summary`` where it has them."""
        if profile is None:
            # Only a row written outside the store lacks one: no disability recorded.
            return {"effective": {d.value: v for d, v in person_capacities(None, None).items()}}
        return self.vault.open_for_matching(profile)

    def matching_record(self, record: dict[str, Any], profile: str | None) -> dict[str, Any]:
        """What matching reads of a person: the plain record, the summary and the effective
        capacities; never the identifiers or the disability category."""
        opened = self.matching_profile(profile)
        summary = {"summary": opened["summary"]} if "summary" in opened else {}
        return {**record, **summary, "capacities": opened["effective"]}

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

    def upsert(
        self, session: Session, kind: str, records: Sequence[Record]
    ) -> tuple[int, int, int]:
        """Insert new records and update changed ones; returns (inserted, updated, unchanged)."""
        table = KINDS[kind][1]
        now = dt.datetime.now(dt.UTC)
        known = self.existing_hashes(session, kind, (r.id for r in records))
        if kind == "candidates":
            self._check_id_numbers(session, records)
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

    def replace(
        self, session: Session, kind: str, record: Record, *, expected_hash: str
    ) -> str | None:
        """Store a changed record only if the stored one is still the one read (its content
        hash is ``expected_hash``): compare-and-set, so that two concurrent read-modify-write
        updates cannot silently lose one of them. Returns the new content hash, or ``None``
        if the record changed (or vanished) since it was read; the caller reads it again."""
        table = KINDS[kind][1]
        if kind == "candidates":
            self._check_id_numbers(session, [record])
        row = self.to_row(record, now=dt.datetime.now(dt.UTC))
        if row["content_hash"] == expected_hash:
            still = session.scalar(select(table.content_hash).where(table.id == record.id))
            return expected_hash if still == expected_hash else None
        values = {k: v for k, v in row.items() if k != "id"}
        result = session.execute(
            update(table)
            .where(table.id == record.id, table.content_hash == expected_hash)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return str(row["content_hash"]) if result.rowcount == 1 else None  # type: ignore[attr-defined]

    def _check_id_numbers(self, session: Session, records: Sequence[Record]) -> None:
        """Raise :class:`DuplicateIdNumber` when a record's ID number belongs to another
        candidate, stored or in the same batch: one person, one registration."""
        owners: dict[str, str] = {}
        for record in records:
            assert isinstance(record, Candidate)
            if record.id_number is None:
                continue
            digest = self.vault.fingerprint(record.id_number)
            if owners.setdefault(digest, record.id) != record.id:
                raise DuplicateIdNumber(record.id, owners[digest])
        digests = list(owners)
        for start in range(0, len(digests), _CHUNK):
            rows = session.execute(
                select(CandidateRow.id_number_hash, CandidateRow.id).where(
                    CandidateRow.id_number_hash.in_(digests[start : start + _CHUNK])
                )
            )
            for found, stored_id in rows:
                assert found is not None  # matched by IN (...), so never NULL
                if stored_id != owners[found]:
                    raise DuplicateIdNumber(owners[found], stored_id)

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
        """Record who did what to which records, and why.

        Every value is put on one line and bounded (a newline in an account name or a purpose
        cannot forge an entry), and the purpose, free text, is scrubbed of identifier-like
        numbers and disability mentions: the log itself is not sealed.
        """
        session.add(
            AuditRow(
                at=dt.datetime.now(dt.UTC),
                actor=single_line(actor, AUDIT_ACTOR_MAX),
                action=single_line(action, 64),
                subject=single_line(subject, AUDIT_SUBJECT_MAX),
                purpose=single_line(scrub(purpose), AUDIT_PURPOSE_MAX) if purpose else purpose,
            )
        )
