"""Candidates (求职者): counselors register, read, update, search and deactivate them, within
their region prefix. Every read of sensitive fields is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.domain import Candidate
from matching.privacy import scrub
from matching.store.database import DuplicateIdNumber
from matching.store.tables import CandidateRow
from serving.access import candidate_record, candidate_row, check_region
from serving.auth import Account
from serving.deps import Counselor, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, invalid
from serving.runtime import Runtime
from serving.schemas import CandidateOut, CandidateSummary

router = APIRouter(prefix="/v1/candidates", tags=["candidates"], responses=ERROR_RESPONSES)

Purpose = Annotated[
    str,
    # A query parameter, not a header: purposes are written in Chinese.
    Query(
        min_length=1,
        max_length=200,
        description="Why sensitive fields are read, e.g. 回访 (required; kept in the audit).",
    ),
]


def _save(session: Session, runtime: Runtime, user: Account, candidate: Candidate) -> None:
    """Store a record; 409 when its ID number is registered for another person, naming that
    record only to a counselor whose region holds it (elsewhere its id would disclose it)."""
    try:
        runtime.store.upsert(session, "candidates", [candidate])
    except DuplicateIdNumber as duplicate:
        holder = session.get(CandidateRow, duplicate.registered_as)
        if holder is not None and user.covers_region(holder.region_code):
            where = f"求职者 {duplicate.registered_as}"
            reason = f"is already registered as candidate {duplicate.registered_as}"
        else:
            where, reason = "其他地区的服务机构", "is already registered in another region"
        raise ApiError(
            409,
            "id_number_registered",
            f"该身份证号已登记在{where}，同一人不能重复登记",
            [("id_number", reason)],
        ) from None


def _disclosed(
    session: Session, runtime: Runtime, user: Account, candidate_id: str, why: str
) -> None:
    """Audit that a response carries a person's decrypted record."""
    runtime.store.audit(
        session,
        actor=user.actor,
        action="read_sensitive",
        subject=f"candidates:{candidate_id}",
        purpose=why,
    )


def _out(record: Candidate, active: bool) -> CandidateOut:
    return CandidateOut.model_validate({**record.model_dump(), "active": active})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CandidateOut)
def create_candidate(
    candidate: Candidate, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> CandidateOut:
    """Register a job seeker in the counselor's region (409 if the id is taken)."""
    check_region(user, candidate.region_code, f"region {candidate.region_code}")
    if session.get(CandidateRow, candidate.id) is not None:
        raise ApiError(409, "conflict", f"candidate {candidate.id} already exists")
    _save(session, runtime, user, candidate)
    runtime.store.audit(
        session,
        actor=user.actor,
        action="create",
        subject=f"candidates:{candidate.id}",
        purpose="registration",
    )
    _disclosed(session, runtime, user, candidate.id, "returned in the response to create")
    session.commit()
    return _out(candidate, True)


@router.get("", response_model=list[CandidateSummary])
def search_candidates(
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str | None, Query(description="Exact full name.")] = None,
    id_number: Annotated[str | None, Query(description="18-character resident ID number.")] = None,
    region: Annotated[str | None, Query(description="Region code prefix within yours.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CandidateSummary]:
    """Find people by exact name or ID number (matched on keyed hashes, never decrypting
    every row) and/or by region prefix; only people in the counselor's region are returned."""
    prefix = region or user.region_code or ""
    if not prefix.startswith(user.region_code or ""):
        raise ApiError(403, "forbidden", f"region {region} is outside your region")
    query = select(CandidateRow).where(CandidateRow.region_code.startswith(prefix))
    vault = runtime.store.vault
    if name:
        query = query.where(CandidateRow.name_hash == vault.fingerprint(name.strip()))
    if id_number:
        query = query.where(
            CandidateRow.id_number_hash == vault.fingerprint(id_number.strip().upper())
        )
    rows = session.scalars(query.order_by(CandidateRow.id).limit(limit)).all()
    if name or id_number:
        # The identifiers searched for are personal data: the search itself is recorded, with
        # the people it tied to them.
        runtime.store.audit(
            session,
            actor=user.actor,
            action="search",
            subject=" ".join(f"candidates:{r.id}" for r in rows) or "candidates",
            purpose=f"by {'name' if name else ''}{' and ' if name and id_number else ''}"
            f"{'id_number' if id_number else ''}; {len(rows)} found",
        )
        session.commit()
    return [
        CandidateSummary(
            id=r.id, region_code=r.region_code, registered_at=r.registered_at, active=r.active
        )
        for r in rows
    ]


@router.get("/{candidate_id}", response_model=CandidateOut)
def read_candidate(
    candidate_id: str,
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    purpose: Purpose,
) -> CandidateOut:
    """The full record, sensitive fields included; the read is audited with its purpose
    (required: a sensitive read needs a stated reason, PIPL art. 6)."""
    row = candidate_row(session, user, candidate_id)
    record = candidate_record(runtime.store, row)
    # The person's own identifiers are scrubbed from the purpose: the log is not sealed.
    personal = (record.cert_number, record.id_number, record.phone, record.name)
    _disclosed(session, runtime, user, candidate_id, scrub(purpose, personal))
    session.commit()
    return _out(record, row.active)


@router.patch("/{candidate_id}", response_model=CandidateOut)
def update_candidate(
    candidate_id: str,
    changes: Annotated[
        dict[str, Any],
        Body(
            description="Fields to change (interchange names); null clears a field.",
            examples=[{"skills": ["客户服务", "打字"], "expected_salary": 3500}],
        ),
    ],
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CandidateOut:
    """Change some fields of a record; the result is validated whole, like an import."""
    row = candidate_row(session, user, candidate_id)
    current = candidate_record(runtime.store, row)
    if changes.get("id", candidate_id) != candidate_id:
        raise ApiError(422, "invalid", "the id cannot change", [("id", "cannot be changed")])
    try:
        updated = Candidate.model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        raise invalid(error) from None
    check_region(user, updated.region_code, f"region {updated.region_code}")
    _save(session, runtime, user, updated)
    runtime.store.audit(
        session,
        actor=user.actor,
        action="update",
        subject=f"candidates:{candidate_id}",
        purpose=", ".join(sorted(changes)),
    )
    _disclosed(session, runtime, user, candidate_id, "returned in the response to update")
    session.commit()
    return _out(updated, row.active)


@router.post("/{candidate_id}/deactivate", response_model=CandidateSummary)
def deactivate_candidate(
    candidate_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> CandidateSummary:
    """Take a person out of matching (employed, moved away, withdrew); the record is kept."""
    row = candidate_row(session, user, candidate_id)
    # updated_at moves too, so that every worker's matcher notices the change.
    session.execute(
        update(CandidateRow)
        .where(CandidateRow.id == candidate_id)
        .values(active=False, updated_at=dt.datetime.now(dt.UTC))
    )
    runtime.store.audit(
        session,
        actor=user.actor,
        action="deactivate",
        subject=f"candidates:{candidate_id}",
        purpose=None,
    )
    session.commit()
    return CandidateSummary(
        id=row.id, region_code=row.region_code, registered_at=row.registered_at, active=False
    )
