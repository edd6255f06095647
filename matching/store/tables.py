"""The database tables. Alembic migrations in ``matching/migrations`` create exactly these.

Each interchange record is kept as its canonical JSON (``record``) plus the columns queries
need. For candidates the sensitive fields are left out of ``record`` and kept encrypted in
``sealed``, with keyed hashes for look-ups; what matching needs of the sensitive part (the
effective capacities) and the counselor's summary are encrypted in ``profile``. Free text a
counselor writes elsewhere (override reasons) is encrypted too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC when read back.

    SQLite keeps no offset and returns naive datetimes; PostgreSQL returns them in the
    session's zone. Either way a reader gets UTC-aware values, and a naive value written is
    taken to be UTC. The SQL type is unchanged (no migration).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class _Stored:
    """Columns every stored interchange record has."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class EmployerRow(_Stored, Base):
    __tablename__ = "employers"

    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(6), index=True)


class JobRow(_Stored, Base):
    __tablename__ = "jobs"

    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    work_mode: Mapped[str] = mapped_column(String(16))
    occupation_code: Mapped[str | None] = mapped_column(String(16))
    public_welfare: Mapped[bool] = mapped_column(Boolean)
    posted_at: Mapped[dt.date] = mapped_column(Date)
    closes_at: Mapped[dt.date | None] = mapped_column(Date)


class CandidateRow(_Stored, Base):
    __tablename__ = "candidates"

    region_code: Mapped[str] = mapped_column(String(6), index=True)
    registered_at: Mapped[dt.date] = mapped_column(Date)
    sealed: Mapped[str | None] = mapped_column(Text)
    # Sealed for matching (``Vault.seal_for_matching``, migration 0100): the full effective
    # capacities (assessment over category defaults), so matching never needs the disability
    # itself, and the record's assessment and summary. Plain capacities would reveal the
    # category (and often the grade) through the default table.
    profile: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    name_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReferralRow(_Stored, Base):
    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_candidate_date", "candidate_id", "referred_at"),)

    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.id"))
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    referred_at: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))
    outcome_at: Mapped[dt.date | None] = mapped_column(Date)


class AuditRow(Base):
    """Who read or changed what, when and why: every read of sensitive fields is recorded."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(Text)


class EmbeddingRow(Base):
    """A text's embedding vector under one model (``matching.embedding.EmbeddingCache``).

    Keyed by the model id and the SHA-256 of the text, never by record id: an unchanged text
    keeps its vector whatever record it belongs to, and the table holds no personal data.
    """

    __tablename__ = "embeddings"

    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # float32, little-endian, as numpy's ``astype("<f4").tobytes()`` writes it.
    vector: Mapped[bytes] = mapped_column(LargeBinary)


# -- API accounts and referral context (serving/; migration 0003) ------------------------------


class AccountRow(Base):
    """A person or system using the API, with the role and scope their requests are checked
    against (``region_code`` prefix for counselors, ``employer_id`` for employers)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(6))
    employer_id: Mapped[str | None] = mapped_column(ForeignKey("employers.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TokenRow(Base):
    """A bearer token, kept only as its SHA-256: a stolen table grants nothing."""

    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class ReferralContextRow(Base):
    """What a referral made through the API was based on: the model and reasons the counselor
    saw, the override reason when they chose outside the model's top results (sealed: the
    counselor's free text), the person's consent to share their identity with the employer,
    and the idempotency key (scoped to the account: :func:`scoped_idempotency_key`)."""

    __tablename__ = "referral_context"

    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    model: Mapped[str] = mapped_column(String(128))
    rank: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    override_reason: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


# -- Occupation codes employers confirmed (migration 0500) -----------------------------------


class OccupationConfirmationRow(Base):
    """An employer (or counselor) confirmed a 2022 code for a job's title: the code is put on
    the job (``jobs.occupation_code``), and the (title, code) pair is training data for the
    occupation coder's next retrain (``jobmatch occupations train``). What was suggested is
    kept, so the coder's top-k accuracy on confirmed titles can be measured."""

    __tablename__ = "occupation_confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(16))
    suggested: Mapped[list[str]] = mapped_column(JSON)  # codes suggested, best first
    coder: Mapped[str] = mapped_column(String(128))  # what suggested them
    actor: Mapped[str] = mapped_column(String(128))
    confirmed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def scoped_idempotency_key(account_id: int, key: str) -> str:
    """What ``referral_context.idempotency_key`` stores for a client's key: a hash of the key
    within its account, so one account's key neither blocks nor replays another's."""
    return hashlib.sha256(f"{account_id}\n{key}".encode()).hexdigest()


# -- quota compliance and recruitment events (migration 0400) ---------------------------------


class WageStandardRow(_Stored, Base):
    """A region's local wage standards for a year; ``id`` is ``<region_code>-<year>``."""

    __tablename__ = "wage_standards"

    region_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)


class QuotaDeclarationRow(_Stored, Base):
    """An employer's quota figures for a year; ``id`` is ``<employer_id>@<year>``."""

    __tablename__ = "quota_declarations"

    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)


class EventRow(_Stored, Base):
    """A recruitment event (专场招聘, 就业援助月, ...); participants are in ``record``."""

    __tablename__ = "events"

    kind: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)


# -- console sign-in (serving/signin.py; migration 0800) ---------------------------------------


class AccountPasswordRow(Base):
    """An account's console password as an argon2id hash, with the failed sign-ins that lead
    to a temporary lock-out. Accounts without a row cannot sign in to the console."""

    __tablename__ = "account_passwords"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class ConsoleSessionRow(Base):
    """A signed-in browser: the cookie's SHA-256 (a stolen table grants nothing) and the
    session's CSRF token, which every console form must send back."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


# -- casework (issue 13; migration 0300) --------------------------------------------------------
# Each keeps its interchange record (``record``, without the sealed fields) like the core
# tables, the vault-sealed free text and assessed capacities (``sealed``), and the columns its
# queries filter on.


class ReferralEventRow(_Stored, Base):
    """One transition of a referral's outcome (``matching.casework.ReferralEvent``)."""

    __tablename__ = "referral_events"

    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    to_outcome: Mapped[str] = mapped_column(String(16))
    review: Mapped[str | None] = mapped_column(String(16), index=True)
    sealed: Mapped[str | None] = mapped_column(Text)


class EmploymentRecordRow(_Stored, Base):
    """A person's employment status from a date on."""

    __tablename__ = "employment_records"

    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    since: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sealed: Mapped[str | None] = mapped_column(Text)


class AssessmentRow(_Stored, Base):
    """A vocational ability assessment (职业能力评估)."""

    __tablename__ = "assessments"

    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    sealed: Mapped[str | None] = mapped_column(Text)


class CaseRow(_Stored, Base):
    """A 一人一策 case."""

    __tablename__ = "cases"

    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.id"), index=True)
    counselor: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    sealed: Mapped[str | None] = mapped_column(Text)


class CaseActionRow(_Stored, Base):
    """A service action given in a case."""

    __tablename__ = "case_actions"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    on: Mapped[dt.date] = mapped_column(Date)
    sealed: Mapped[str | None] = mapped_column(Text)


class CourseRow(_Stored, Base):
    """A training course of the catalogue."""

    __tablename__ = "courses"

    region_code: Mapped[str] = mapped_column(String(6), index=True)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    sealed: Mapped[str | None] = mapped_column(Text)


class EnrolmentRow(_Stored, Base):
    """A person's place on a course."""

    __tablename__ = "enrolments"

    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    sealed: Mapped[str | None] = mapped_column(Text)


# -- change log (serving catches up from it; migration 0700) ---------------------------------


class RecordChangeRow(Base):
    """One insert, update or delete of an employer, job, candidate or referral.

    Written by database triggers (migration 0700), never by application code, so that every
    write path (API, import, ad-hoc SQL) is logged; ``seq`` numbers them in commit order
    (set at commit: a row without one is not committed yet). Serving workers apply the
    records named after the last ``seq`` they saw instead of rebuilding their matcher.
    """

    __tablename__ = "record_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int | None] = mapped_column(BigInteger, index=True, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean)
